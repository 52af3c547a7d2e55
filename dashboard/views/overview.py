"""1 总览: the selection's key numbers for its last year, against the year before, and trends."""

from __future__ import annotations

from dataclasses import replace

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, colors, fmt, labels, measures, queries, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("总览", sel, ctx.summary, ctx.names):
    st.stop()

year = ctx.focus_year or 0  # the latest year with reports in the selection
prev_year = year - 1
series = measures.totals(q(queries.unit_year_measures, sel, None))
cur = next((r for r in series.iter_rows(named=True) if r["year"] == year), None)
# Year-on-year on the organs that reported in both years, so an arrow never moves because
# an organ's report is missing from one of them.
pair = measures.totals(
    q(queries.unit_year_measures, replace(sel.with_years(prev_year, year), same_organs=True), None)
)
both = {r["year"]: r for r in pair.iter_rows(named=True)}
same = (both.get(year), both.get(prev_year))

st.subheader(f"{year}年")
if cur is None:
    ui.empty(sel, f"{year}年的报告")
else:
    st.caption(
        ui.rests_on(cur["reports"], cur["error_reports"], cur["demo_reports"])
        + (
            f"；箭头为与{prev_year}年相比的变化，只比较两年都有报告的 "
            f"{fmt.num(same[0]['reports'])} 个机关"
            if same[1] and same[0]
            else f"；{prev_year}年没有同一机关的报告，无同比"
        )
        + (
            f"（{year}年是所选范围内最近有报告的一年）"
            if sel.year_to and sel.year_to > year
            else ""
        )
    )
    m = measures.MEASURES
    for keys in (
        ("received", "decided", "open_rate", "denied_share", "unavailable_share"),
        ("review_cases", "review_correct_rate", "litigation_cases", "litigation_correct_rate"),
    ):
        cols = st.columns(5)
        for col, key in zip(cols, keys, strict=False):
            with col:
                ui.kpi(m[key], cur, same, prev_year)
    prose = q(queries.prose_by_year, sel.with_years(year, year))
    portal = prose.filter(pl.col("channel") == "portal")
    with cols[-1]:
        value = portal["value"].sum() if portal.height else None
        st.metric(
            f"{labels.CHANNELS['portal']}公开信息",
            fmt.num(value, "条"),
            help=(
                "第一部分正文中写明的政府门户网站公开信息条数之和；"
                f"{int(portal['reports'].sum()) if portal.height else 0} 份报告写明了此数字"
                f"（共 {cur['reports']} 份）"
            ),
        )
    ui.definition(
        f"{measures.MEASURES['open_rate'].definition}；{measures.DECIDED_DEFINITION}。"
        f"比率的分母不足 {measures.MIN_DENOMINATOR} 件、或上年件数不足 "
        f"{measures.MIN_DENOMINATOR} 件时，变化置灰，仅供参考。"
    )

st.subheader("历年趋势")
if series.is_empty():
    ui.empty(sel)
    st.stop()
years = series["year"].to_list()
# Years whose total lacks organs that reported the year before (a paler bar, and why).
short = measures.material_gaps(
    q(queries.gaps_by_year, sel, ["received"]),
    "received",
    dict(zip(series["year"], series["received"], strict=True)),
)
c1, c2, c3 = st.columns(3)

with c1:
    fig = go.Figure(
        go.Bar(
            x=years,
            y=series["received"].to_list(),
            marker_color=colors.PRIMARY,
            marker_opacity=[0.45 if y in short else 1.0 for y in years],
            customdata=[[y] for y in years],
            hovertext=[
                f"{y}年：{fmt.num(v, '件')}（{r} 份报告）{ui.gap_hover(short.get(y))}"
                for y, v, r in zip(years, series["received"], series["reports"], strict=True)
            ],
            hoverinfo="text",
            name=measures.MEASURES["received"].label,
        )
    )
    charts.year_axis(
        charts.layout(fig, y_title="件", height=280, legend=False), years, ctx.coverage, short=True
    )
    charts.count_axis(fig, series["received"].max())
    st.markdown(f"**{measures.MEASURES['received'].label}（件）**")
    points = ui.chart(
        fig,
        series,
        {
            "year": "年度",
            "received": "本年新收申请",
            "reports": "报告数",
            "error_reports": "有错误的报告",
        },
        key="ov_received",
        selectable=True,
    )

with c2:
    rate = measures.with_measure(series, measures.MEASURES["open_rate"])
    fig = charts.rate_line(
        go.Figure(),
        years,
        rate["value"].to_list(),
        rate["small"].to_list(),
        [
            f"{y}年：{fmt.pct(v)}（分母 {fmt.num(d)} 件{'，样本少' if s else ''}）"
            for y, v, d, s in zip(
                years, rate["value"], rate["denominator"], rate["small"], strict=True
            )
        ],
        name="公开率",
        color=colors.DISPOSITION["granted"],
    )
    charts.year_axis(
        charts.layout(fig, height=280, percent=True, legend=False), years, ctx.coverage, short=True
    )
    st.markdown("**公开率**")
    ui.chart(
        fig,
        rate,
        {
            "year": "年度",
            "value": "公开率",
            "numerator": "予以公开＋部分公开",
            "denominator": "办结数",
            "small": "样本少",
        },
        key="ov_rate",
    )

with c3:
    fig = go.Figure()
    for col, color in (
        ("review_cases", colors.REVIEW_GROUP["review"]),
        ("litigation_cases", colors.REVIEW_GROUP["litigation.direct"]),
    ):
        label = measures.MEASURES[col].label
        fig.add_trace(
            go.Bar(
                x=years,
                y=series[col].to_list(),
                name=label,
                marker_color=color,
                hovertext=[
                    f"{y}年 {label}：{fmt.num(v, '件')}"
                    for y, v in zip(years, series[col], strict=True)
                ],
                hoverinfo="text",
            )
        )
    charts.year_axis(charts.layout(fig, y_title="件", height=280), years, ctx.coverage, short=True)
    charts.count_axis(
        fig, max(series["review_cases"].max() or 0, series["litigation_cases"].max() or 0)
    )
    fig.update_layout(barmode="group")
    st.markdown("**行政复议与行政诉讼（件）**")
    ui.chart(
        fig,
        series,
        {
            "year": "年度",
            "review_cases": "行政复议件数",
            "review_corrected": "复议纠正",
            "litigation_cases": "行政诉讼件数",
            "litigation_corrected": "诉讼纠正",
        },
        key="ov_review",
    )

if ctx.coverage or short:
    st.caption(
        ui.gap_caption(short, "浅色柱")
        + ui.coverage_caption(ctx.coverage, ctx.organs, ctx.organs_every_year)
    )

if points:
    clicked = points[0].get("x")
    if clicked is not None:
        ui.links_to_reports(
            q(queries.reports_behind, sel, None, None, int(clicked)),
            f"{int(clicked)}年的报告",
        )
