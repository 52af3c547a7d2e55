"""6 复议诉讼: administrative review and litigation over disclosure, and how often corrected."""

from __future__ import annotations

from dataclasses import replace

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
year = ctx.focus_year or 0  # the latest year with reports in the selection
series = measures.totals(q(queries.unit_year_measures, sel, None))
cur = next((r for r in series.iter_rows(named=True) if r["year"] == year), None)
# Year-on-year on the organs that reported in both years (as on 总览).
pair = measures.totals(
    q(queries.unit_year_measures, replace(sel.with_years(year - 1, year), same_organs=True), None)
)
both = {r["year"]: r for r in pair.iter_rows(named=True)}
same = (both.get(year), both.get(year - 1))
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
            ui.kpi(M[key], cur, same, year - 1)
    ui.definition(
        f"{M['review_correct_rate'].definition}；{M['litigation_correct_rate'].definition}。"
        + (
            f"箭头为与{year - 1}年相比的变化，只比较两年都有报告的 "
            f"{fmt.num(same[0]['reports'])} 个机关。"
            if same[0] and same[1]
            else ""
        )
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
        charts.year_axis(
            charts.layout(fig, y_title="件", height=320), years, ctx.coverage, short=True
        )
        stack = raw.filter(
            pl.col("metric").is_in([f"{group}.{o}" for o in labels.REVIEW_OUTCOMES if o != "total"])
        )
        charts.count_axis(fig, stack.group_by("year").agg(pl.col("value").sum())["value"].max())
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
st.caption(
    "“总计”取报告填报值，可能与各结果之和不符（审核规则 H5 会标出）；上图按各结果画出。"
    + ui.coverage_caption(ctx.coverage, ctx.organs, ctx.organs_every_year)
)

# --- correction rates over the years ----------------------------------------------------------
st.subheader("纠错率")
fig = go.Figure()
small_in_legend = False  # one "样本少" legend entry for both lines
for key, color in (
    ("review_correct_rate", colors.REVIEW_GROUP["review"]),
    ("litigation_correct_rate", colors.REVIEW_GROUP["litigation.direct"]),
):
    r = measures.with_measure(series, M[key])
    charts.rate_line(
        fig,
        r["year"].to_list(),
        r["value"].to_list(),
        r["small"].to_list(),
        [
            f"{y}年 {M[key].label}：{fmt.pct(v)}"
            f"（{fmt.num(n)} / {fmt.num(d)}{'，样本少' if s else ''}）"
            for y, v, n, d, s in zip(
                r["year"], r["value"], r["numerator"], r["denominator"], r["small"], strict=True
            )
        ],
        name=M[key].label,
        color=color,
        show_small_legend=not small_in_legend,
    )
    small_in_legend = small_in_legend or bool(r["small"].any())
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
units = units.with_columns(
    (pl.col("review_cases").fill_null(0) + pl.col("litigation_cases").fill_null(0)).alias("cases")
).sort("cases", "review_cases", descending=True, nulls_last=True)
top = units.filter(pl.col("cases") > 0).head(30)
if top.is_empty():
    st.info(f"{year}年所选范围内没有复议或诉讼案件。", icon=":material/search:")
else:
    rows = list(top.iter_rows(named=True))
    fig = charts.ranked_bars(
        [safe.plot(r["unit_label"]) for r in rows],
        [
            charts.Series(
                M[col].label,
                [r[col] for r in rows],
                color,
                [
                    f"{safe.plot(r['unit_label'])}：{M[col].label} {fmt.num(r[col], '件')}"
                    for r in rows
                ],
            )
            for col, color in (
                ("review_cases", colors.REVIEW_GROUP["review"]),
                ("litigation_cases", colors.REVIEW_GROUP["litigation.direct"]),
            )
        ],
        ends=[fmt.num(r["cases"], "件") for r in rows],
        notes=[measures.error_note(r["reports"], r["error_reports"]) for r in rows],
        hatched=[measures.unreliable(r["reports"], r["error_reports"]) for r in rows],
        customdata=[[r["unit"], r["unit_label"]] for r in rows],
        stacked=True,
    )
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
        caption="按案件数（复议＋诉讼）排列，最多 30 个。"
        + ui.error_caption()
        + "点击条形查看背后的报告。",
        selectable=True,
    )
    ui.reports_behind_clicked(points, sel, level, year, ctx.names)
