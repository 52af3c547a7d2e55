"""1 总览: the selection's key numbers for its last year, against the year before, and trends."""

from __future__ import annotations

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

year = sel.focus_year or ctx.years[-1]
prev_year = year - 1
# Year-on-year on the same filters; with "same organs" it compares organs present in both.
pair = measures.totals(q(queries.unit_year_measures, sel.with_years(prev_year, year), None))
rows = {r["year"]: r for r in pair.iter_rows(named=True)}
cur, prev = rows.get(year), rows.get(prev_year)

st.subheader(f"{year}年")
if cur is None:
    ui.empty(sel, f"{year}年的报告")
else:
    st.caption(
        ui.rests_on(cur["reports"], cur["error_reports"], cur["demo_reports"])
        + (
            f"；箭头为与{prev_year}年（{fmt.num(prev['reports'])} 份报告）相比的变化"
            if prev
            else f"；{prev_year}年无报告，无同比"
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
                ui.kpi(m[key], cur, prev, prev_year if prev else None)
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
        f"比率的分母不足 {measures.MIN_DENOMINATOR} 件时置灰。"
    )

st.subheader("历年趋势")
series = measures.totals(q(queries.unit_year_measures, sel, None))
if series.is_empty():
    ui.empty(sel)
    st.stop()
years = series["year"].to_list()
c1, c2, c3 = st.columns(3)

with c1:
    fig = go.Figure(
        go.Bar(
            x=years,
            y=series["received"].to_list(),
            marker_color=colors.PRIMARY,
            customdata=[[y] for y in years],
            hovertext=[
                f"{y}年：{fmt.num(v, '件')}（{r} 份报告）"
                for y, v, r in zip(years, series["received"], series["reports"], strict=True)
            ],
            hoverinfo="text",
            name=measures.MEASURES["received"].label,
        )
    )
    charts.year_axis(charts.layout(fig, y_title="件", height=260, legend=False), years)
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
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=years,
            y=rate["value"].to_list(),
            mode="lines+markers",
            line={"color": colors.DISPOSITION["granted"]},
            marker={
                "color": [
                    colors.MUTED if s else colors.DISPOSITION["granted"] for s in rate["small"]
                ],
                "size": 9,
            },
            hovertext=[
                f"{y}年：{fmt.pct(v)}（分母 {fmt.num(d)} 件{'，样本少' if s else ''}）"
                for y, v, d, s in zip(
                    years, rate["value"], rate["denominator"], rate["small"], strict=True
                )
            ],
            hoverinfo="text",
            name="公开率",
        )
    )
    charts.year_axis(charts.layout(fig, height=260, percent=True, legend=False), years)
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
    charts.year_axis(charts.layout(fig, y_title="件", height=260), years)
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

if points:
    clicked = points[0].get("x")
    if clicked is not None:
        ui.links_to_reports(
            q(queries.reports_behind, sel, None, None, int(clicked)),
            f"{int(clicked)}年的报告",
        )
