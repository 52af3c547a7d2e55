"""6 复议诉讼: administrative review and litigation over disclosure, and how often corrected."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, colors, fmt, labels, measures, queries, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("复议诉讼", sel, ctx.summary, ctx.names):
    st.stop()

M = measures.MEASURES
year = sel.focus_year or ctx.years[-1]
pair = measures.totals(q(queries.unit_year_measures, sel.with_years(year - 1, year), None))
rows = {r["year"]: r for r in pair.iter_rows(named=True)}
cur, prev = rows.get(year), rows.get(year - 1)
st.subheader(f"{year}年")
if cur is None:
    ui.empty(sel, f"{year}年的报告")
else:
    cols = st.columns(4)
    for col, key in zip(
        cols,
        ("review_cases", "review_correct_rate", "litigation_cases", "litigation_correct_rate"),
        strict=True,
    ):
        with col:
            ui.kpi(M[key], cur, prev, year - 1 if prev else None)
    ui.definition(
        f"{M['review_correct_rate'].definition}；{M['litigation_correct_rate'].definition}。"
    )

# --- outcomes per year, one chart per kind ------------------------------------------------------
st.subheader("历年结果")
raw = q(queries.review_by_year, sel)
if raw.is_empty():
    ui.empty(sel, "第四部分的数据")
    st.stop()
years = sorted(raw["year"].unique().to_list())
cols = st.columns(3)
for col, (group, glabel) in zip(cols, labels.REVIEW_GROUPS.items(), strict=True):
    with col:
        st.markdown(f"**{glabel}**")
        fig = go.Figure()
        for outcome, olabel in labels.REVIEW_OUTCOMES.items():
            if outcome == "total":
                continue
            s = raw.filter(pl.col("metric") == f"{group}.{outcome}").sort("year")
            fig.add_trace(
                go.Bar(
                    x=s["year"].to_list(),
                    y=s["value"].to_list(),
                    name=olabel,
                    marker_color=colors.REVIEW_OUTCOME[outcome],
                    hovertext=[
                        f"{y}年 {olabel}：{fmt.num(v, '件')}"
                        for y, v in zip(s["year"], s["value"], strict=True)
                    ],
                    hoverinfo="text",
                    showlegend=group == "review",
                )
            )
        fig.update_layout(barmode="stack")
        charts.year_axis(charts.layout(fig, y_title="件", height=300), years)
        table = (
            raw.filter(
                pl.col("metric").str.starts_with(group + ".")
                & ~pl.col("metric").str.starts_with(group + ".after")
            )
            .filter(pl.col("metric").str.count_matches(r"\.") == group.count(".") + 1)
            .with_columns(
                pl.col("metric")
                .str.split(".")
                .list.last()
                .replace_strict(labels.REVIEW_OUTCOMES, default=None)
                .alias("结果")
            )
            .pivot(on="year", index="结果", values="value")
        )
        ui.chart(
            fig,
            table,
            {c: (c if c == "结果" else f"{c}年") for c in table.columns},
            key=f"rv_{group}",
        )
st.caption("“总计”取报告填报值，可能与各结果之和不符（审核规则 H5 会标出）；上图按各结果画出。")

# --- correction rates over the years ----------------------------------------------------------
st.subheader("纠错率")
series = measures.totals(q(queries.unit_year_measures, sel, None))
fig = go.Figure()
for key, color in (
    ("review_correct_rate", colors.REVIEW_GROUP["review"]),
    ("litigation_correct_rate", colors.REVIEW_GROUP["litigation.direct"]),
):
    r = measures.with_measure(series, M[key])
    fig.add_trace(
        go.Scatter(
            x=r["year"].to_list(),
            y=r["value"].to_list(),
            name=M[key].label,
            mode="lines+markers",
            line={"color": color},
            marker={"color": [colors.MUTED if s else color for s in r["small"]], "size": 10},
            hovertext=[
                f"{y}年 {M[key].label}：{fmt.pct(v)}"
                f"（{fmt.num(n)} / {fmt.num(d)}{'，样本少' if s else ''}）"
                for y, v, n, d, s in zip(
                    r["year"], r["value"], r["numerator"], r["denominator"], r["small"], strict=True
                )
            ],
            hoverinfo="text",
        )
    )
charts.year_axis(charts.layout(fig, percent=True, height=320), series["year"].to_list())
rates = (
    measures.with_measure(series, M["review_correct_rate"])
    .select("year", pl.col("value").alias("review_rate"), "review_corrected", "review_concluded")
    .join(
        measures.with_measure(series, M["litigation_correct_rate"]).select(
            "year",
            pl.col("value").alias("litigation_rate"),
            "litigation_corrected",
            "litigation_concluded",
        ),
        on="year",
    )
)
ui.chart(
    fig,
    rates,
    {
        "year": "年度",
        "review_rate": M["review_correct_rate"].label,
        "review_corrected": "复议纠正",
        "review_concluded": "复议已审结",
        "litigation_rate": M["litigation_correct_rate"].label,
        "litigation_corrected": "诉讼纠正",
        "litigation_concluded": "诉讼已审结",
    },
    key="rv_rates",
    caption=f"灰色点：已审结不足 {measures.MIN_DENOMINATOR} 件，比率仅供参考。",
)

# --- by region --------------------------------------------------------------------------------
level = sel.child_level
st.subheader(f"{year}年 各{labels.LEVELS[level]}")
units = q(queries.unit_year_measures, sel.with_years(year, year), level)
units = measures.with_measure(units, M["review_correct_rate"]).rename(
    {"value": "review_rate", "small": "review_small"}
)
units = units.sort("review_cases", descending=True, nulls_last=True)
units = units.with_columns(
    (pl.col("review_cases").fill_null(0) + pl.col("litigation_cases").fill_null(0)).alias("cases")
)
top = units.filter(pl.col("cases") > 0).head(30)
if top.is_empty():
    st.info(f"{year}年所选范围内没有复议或诉讼案件。", icon=":material/search:")
else:
    fig = go.Figure()
    for col, color in (
        ("review_cases", colors.REVIEW_GROUP["review"]),
        ("litigation_cases", colors.REVIEW_GROUP["litigation.direct"]),
    ):
        fig.add_trace(
            go.Bar(
                y=[
                    ("⚠ " if e else "") + safe.plot(n)
                    for n, e in zip(top["unit_label"], top["error_reports"], strict=True)
                ],
                x=top[col].to_list(),
                name=M[col].label,
                orientation="h",
                marker_color=color,
                customdata=[[u] for u in top["unit"]],
            )
        )
    fig.update_layout(barmode="stack")
    charts.layout(fig, height=max(240, 26 * top.height + 100))
    fig.update_yaxes(autorange="reversed")
    points = ui.chart(
        fig,
        units,
        {
            "unit_label": labels.LEVELS[level],
            "review_cases": M["review_cases"].label,
            "review_corrected": "复议纠正",
            "review_rate": M["review_correct_rate"].label,
            "review_small": "样本少",
            "litigation_cases": M["litigation_cases"].label,
            "litigation_corrected": "诉讼纠正",
            "reports": "报告数",
            "error_reports": "有审核错误的报告",
        },
        key="rv_units",
        caption="按案件数排列，最多 30 个；⚠：含有审核错误的报告。点击条形查看背后的报告。",
        selectable=True,
    )
    ui.reports_behind_clicked(points, sel, level, year, ctx.names)
