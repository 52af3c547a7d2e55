"""3 办理结果: how requests were decided, over the years and across regions, and why not."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, colors, fmt, labels, measures, queries, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("办理结果", sel, ctx.summary, ctx.names):
    st.stop()

ui.definition(
    f"各类结果占比 = 该类件数 ÷ {measures.DECIDED_LABEL}；{measures.DECIDED_DEFINITION}。"
    "不予公开、无法提供、不予处理为其各分项之和。"
)
groups = list(labels.DISPOSITIONS)
DISPOSITION_COLUMNS = {
    "unit_label": "单位",
    "year": "年度",
    **labels.DISPOSITIONS,
    "decided": measures.DECIDED_LABEL,
    "reports": "报告数",
    "error_reports": "有审核错误的报告",
}


def mix_bars(frame: pl.DataFrame, axis: str) -> go.Figure:
    """100% stacked columns of the six dispositions, one column per row of ``frame``."""
    fig = go.Figure()
    cats = frame[axis].to_list()
    for g in groups:
        share = [
            (v or 0) / d if d else None for v, d in zip(frame[g], frame["decided"], strict=True)
        ]
        hover = [
            f"{c}：{labels.DISPOSITIONS[g]} {fmt.num(v, '件')}，占 {fmt.pct(s)}"
            for c, v, s in zip(cats, frame[g], share, strict=True)
        ]
        fig.add_trace(
            go.Bar(
                x=cats,
                y=share,
                name=labels.DISPOSITIONS[g],
                marker_color=colors.DISPOSITION[g],
                hovertext=hover,
                hoverinfo="text",
            )
        )
    fig.update_layout(barmode="stack")
    return fig


# --- over the years ---------------------------------------------------------------------------
st.subheader("历年结构")
yearly = measures.totals(q(queries.unit_year_measures, sel, None))
if yearly.is_empty() or not (yearly["decided"].fill_null(0) > 0).any():
    ui.empty(sel, "办结的申请")
    st.stop()
fig = mix_bars(yearly.with_columns(pl.col("year").alias("cat")), "cat")
charts.year_axis(charts.layout(fig, percent=True, height=380), yearly["year"].to_list())
small_years = yearly.filter(pl.col("decided").fill_null(0) < measures.MIN_DENOMINATOR)[
    "year"
].to_list()
ui.chart(
    fig,
    yearly,
    DISPOSITION_COLUMNS,
    key="oc_years",
    caption=ui.reports_by_year(yearly)
    + (
        f"{'、'.join(map(str, small_years))}年办结不足 {measures.MIN_DENOMINATOR} 件，"
        "结构仅供参考。"
        if small_years
        else ""
    ),
)

# --- across regions ---------------------------------------------------------------------------
level = sel.child_level
year = ctx.focus_year or int(yearly["year"].max())
st.subheader(f"{year}年 各{labels.LEVELS[level]}比较")
units = q(queries.unit_year_measures, sel.with_years(year, year), level).filter(
    pl.col("year") == year
)
if units.is_empty():
    ui.empty(sel, f"{year}年的报告")
else:
    units = units.with_columns(
        small=pl.col("decided").fill_null(0) < measures.MIN_DENOMINATOR,
        open_share=(pl.col("granted").fill_null(0) + pl.col("partial").fill_null(0))
        / pl.col("decided"),
    )
    # Rankable units by their open share; small ones after them, marked, never ranked.
    units = units.sort(["small", "open_share"], descending=[False, False], nulls_last=True).head(40)
    rows = list(units.iter_rows(named=True))
    decided = [r["decided"] for r in rows]
    fig = charts.ranked_bars(
        [safe.plot(r["unit_label"] or "") + ("（样本少）" if r["small"] else "") for r in rows],
        [
            charts.Series(
                labels.DISPOSITIONS[g],
                [(r[g] or 0) / d if d else None for r, d in zip(rows, decided, strict=True)],
                colors.DISPOSITION[g],
                [
                    f"{safe.plot(r['unit_label'] or '')}：{labels.DISPOSITIONS[g]} "
                    f"{fmt.num(r[g], '件')}，占 {fmt.pct((r[g] or 0) / d if d else None)}"
                    for r, d in zip(rows, decided, strict=True)
                ],
            )
            for g in groups
        ],
        notes=[measures.error_note(r["reports"], r["error_reports"]) for r in rows],
        hatched=[measures.unreliable(r["reports"], r["error_reports"]) for r in rows],
        customdata=[[r["unit"], r["unit_label"]] for r in rows],
        scale="share",
        stacked=True,
        row_height=28,
    )
    points = ui.chart(
        fig,
        units,
        DISPOSITION_COLUMNS,
        key="oc_units",
        caption=(
            f"按公开率从低到高排列；办结不足 {measures.MIN_DENOMINATOR} 件的单位排在最后"
            "并注明“样本少”。" + ui.error_caption() + "点击条形查看背后的报告。"
        ),
        selectable=True,
    )
    ui.reports_behind_clicked(points, sel, level, year, ctx.names)

# --- reasons ----------------------------------------------------------------------------------
st.subheader("原因细分")
group = st.radio(
    "结果类别",
    list(labels.REASON_GROUPS),
    format_func=labels.DISPOSITIONS.get,
    horizontal=True,
    key="o_group",
    bind="query-params",
)
reasons = labels.reasons(group)
if group == "other":
    # 2019-edition tables print （六）其他处理 as one row; 2021 splits it into three.
    reasons = {"outcome.other.total": "其他处理（2019 版模板未分项）", **reasons}
raw = q(queries.reasons_by_year, sel).filter(pl.col("metric").is_in(list(reasons)))
if raw.is_empty():
    ui.empty(sel, f"“{labels.DISPOSITIONS[group]}”的分项数据")
else:
    fig = go.Figure()
    for i, (key, label) in enumerate(reasons.items()):
        part = raw.filter(pl.col("metric") == key).sort("year")
        if part.is_empty():
            continue
        fig.add_trace(
            go.Bar(
                x=part["year"].to_list(),
                y=part["value"].to_list(),
                name=label,
                marker_color=colors.reason_color(group, i),
                hovertext=[
                    f"{y}年 {label}：{fmt.num(v, '件')}"
                    for y, v in zip(part["year"], part["value"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    fig.update_layout(barmode="stack")
    reason_years = sorted(raw["year"].unique().to_list())
    charts.year_axis(charts.layout(fig, y_title="件", height=400), reason_years, ctx.coverage)
    charts.count_axis(fig, raw.group_by("year").agg(pl.col("value").sum())["value"].max())
    if group == "other":
        charts.template_break(fig, reason_years, "2021 版起分三项")
    table = raw.with_columns(
        pl.col("metric").replace_strict(reasons, default=None).alias("原因")
    ).pivot(on="year", index="原因", values="value")
    ui.chart(
        fig,
        table,
        {c: (c if c == "原因" else f"{c}年") for c in table.columns},
        key="oc_reasons",
        caption=ui.coverage_caption(ctx.coverage, ctx.organs, ctx.organs_every_year) or None,
    )
