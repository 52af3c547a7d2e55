"""2 申请趋势: request volumes over the years, by applicant type and by region."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, colors, fmt, labels, measures, queries, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("申请趋势", sel, ctx.summary, ctx.names):
    st.stop()

received_label = measures.MEASURES["received"].label
ui.definition(measures.MEASURES["received"].definition + "（不含上年结转）")

# --- by applicant type -----------------------------------------------------------------------
st.subheader("按申请人类型")
by_applicant = q(queries.applicants_by_year, sel)
per_year = q(queries.reports_per_year, sel)
if by_applicant.is_empty():
    ui.empty(sel, "第三部分的申请数据")
else:
    years = per_year["year"].to_list()
    fig = go.Figure()
    for key, label in labels.APPLICANTS.items():
        part = by_applicant.filter(pl.col("applicant") == key).sort("year")
        fig.add_trace(
            go.Bar(
                x=part["year"].to_list(),
                y=part["received"].to_list(),
                name=label,
                marker_color=colors.APPLICANT[key],
                hovertext=[
                    f"{y}年 {label}：{fmt.num(v, '件')}"
                    for y, v in zip(part["year"], part["received"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    fig.update_layout(barmode="stack")
    charts.year_axis(charts.layout(fig, y_title="件", height=380), years, ctx.coverage)
    charts.count_axis(
        fig, by_applicant.group_by("year").agg(pl.col("received").sum())["received"].max()
    )
    table = (
        by_applicant.with_columns(
            pl.col("applicant").replace_strict(labels.APPLICANTS, default=None).alias("label")
        )
        .pivot(on="label", index="year", values="received")
        .join(per_year.select("year", "reports", "error_reports"), on="year", how="left")
        .sort("year")
    )
    ui.chart(
        fig,
        table,
        {
            "year": "年度",
            **{v: v for v in labels.APPLICANTS.values()},
            "reports": "报告数",
            "error_reports": "有审核错误的报告",
        },
        key="tr_applicants",
        caption=ui.reports_by_year(per_year)
        + ui.coverage_caption(ctx.coverage, ctx.organs, ctx.organs_every_year),
    )

# --- by region --------------------------------------------------------------------------------
level = sel.child_level
st.subheader(f"按{labels.LEVELS[level]}")
mode = st.radio(
    "显示方式",
    ["absolute", "indexed"],
    format_func={"absolute": "绝对数（件）", "indexed": "指数（基期＝100）"}.get,
    horizontal=True,
    key="t_mode",
    bind="query-params",
)
frame = q(queries.unit_year_measures, sel, level)
if frame.is_empty():
    ui.empty(sel)
    st.stop()
years = sorted(frame["year"].unique().to_list())
base_year = years[0]
if mode == "indexed":
    base_year = st.selectbox("基期年份", years, index=0, key="t_base", bind="query-params")

# The ten units with most requests over the period; the rest are summed as one line.
top = (
    frame.group_by("unit", "unit_label")
    .agg(pl.col("received").sum())
    .sort("received", descending=True, nulls_last=True)
    .head(10)
)
shown = frame.filter(pl.col("unit").is_in(top["unit"].to_list()))
if frame["unit"].n_unique() > 10:
    st.caption(
        f"共 {frame['unit'].n_unique()} 个{labels.LEVELS[level]}，只画出申请量最多的 10 个；"
        "全部数字见“查看数据”。"
    )

fig = go.Figure()
note = None
for i, unit in enumerate(top["unit"].to_list()):
    part = shown.filter(pl.col("unit") == unit).sort("year")
    name = safe.plot(part["unit_label"][0] or unit)  # a legend entry: Plotly reads tags in it
    ys = part["received"].to_list()
    if mode == "indexed":
        base = part.filter(pl.col("year") == base_year)["received"]
        if base.is_empty() or not base[0]:
            note = f"{base_year}年没有申请（或没有报告）的单位无法计算指数，未画出。"
            continue
        ys = [None if v is None else v / base[0] * 100 for v in ys]
    # The shared rule (measures): a point resting mostly on reports with errors is marked ×;
    # any error at all is said in its hover text ("⚠ 1/29 份有错").
    error_years = {
        r["year"]
        for r in part.iter_rows(named=True)
        if measures.unreliable(r["reports"], r["error_reports"])
    }
    fig.add_trace(
        go.Scatter(
            x=part["year"].to_list(),
            y=ys,
            name=name,
            mode="lines+markers",
            line={"color": colors.SERIES[i % len(colors.SERIES)]},
            marker={
                "symbol": ["x" if y in error_years else "circle" for y in part["year"]],
                "size": 9,
            },
            customdata=[[unit, y, part["unit_label"][0]] for y in part["year"]],
            hovertext=[
                f"{name} {y}年：{fmt.num(r, '件')}"
                + (f"（指数 {v:.0f}）" if mode == "indexed" and v is not None else "")
                + f"；{ui.rests_on(n, e, d)}"
                + (f"；{measures.error_note(n, e)}" if e else "")
                for y, r, v, n, e, d in zip(
                    part["year"],
                    part["received"],
                    ys,
                    part["reports"],
                    part["error_reports"],
                    part["demo_reports"],
                    strict=True,
                )
            ],
            hoverinfo="text",
        )
    )
if mode == "indexed":
    fig.add_hline(y=100, line_dash="dot", line_color=colors.MEDIAN, line_width=1)
charts.year_axis(
    charts.layout(fig, y_title="指数" if mode == "indexed" else "件", height=420), years
)
if mode != "indexed":
    charts.count_axis(fig, shown["received"].max())
points = ui.chart(
    fig,
    frame.sort("unit", "year"),
    {
        "unit_label": labels.LEVELS[level],
        "year": "年度",
        "received": received_label,
        "reports": "报告数",
        "error_reports": "有审核错误的报告",
        "demo_reports": labels.DEMO,
    },
    key="tr_regions",
    caption=(note + " " if note else "")
    + "× 标记：该点所依据的报告过半有审核错误（悬停可见“⚠ k/n 份有错”）。"
    "点击某一点可查看其背后的报告。"
    + (
        " 已启用“同一批机关”，各年机关相同。"
        if sel.same_organs
        else " 各年报告的机关可能不同；可在侧栏打开“仅看每年都有报告的机关”。"
    ),
    selectable=True,
)
if points:
    data = points[0].get("customdata")
    if data:
        unit, year, label = data[0], int(data[1]), data[2]
        ui.links_to_reports(
            q(queries.reports_behind, sel, level, unit, year),
            f"{label or ctx.names.get(unit, unit)} · {year}年的报告",
        )
