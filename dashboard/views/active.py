"""5 主动公开: part 二's tables over the years and regions, and the prose publication counts.

Part 二 changed at the 2021 template (docs/template.md §5): 本年新制作数量 became 本年制发件数,
对外公开总数量 became 现行有效件数, item counts of fees became an amount, procurement
went. Each column is its own series, and a series that exists in one edition only is cut
at the change, so no line joins numbers that mean different things.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, colors, fmt, labels, queries, safe, ui
from dashboard.context import current
from dashboard.db import q
from pipelines import catalog

ctx = current()
sel = ctx.sel
if not ui.header("主动公开", sel, ctx.summary, ctx.names):
    st.stop()

CHANGE = labels.TEMPLATE_CHANGE_YEAR
active = q(queries.active_by_year, sel)
per_year = q(queries.reports_per_year, sel)
reports_in = dict(zip(per_year["year"], per_year["reports"], strict=True))

# --- part 二 tables ---------------------------------------------------------------------------
st.subheader("二、主动公开政府信息情况（第二十条各项）")
row_key = st.radio(
    "信息内容",
    [r.key for r in catalog.ACTIVE_ROWS],
    format_func=lambda k: catalog.ACTIVE_ROWS_BY_KEY[k].label,
    horizontal=True,
    key="a_row",
    bind="query-params",
)
metrics = [m for m in catalog.METRICS if m.table == "active" and m.key.split(".")[1] == row_key]
part = active.filter(pl.col("metric").is_in([m.key for m in metrics]))
if part.is_empty():
    ui.empty(sel, f"“{catalog.ACTIVE_ROWS_BY_KEY[row_key].label}”的数据")
else:
    years = sorted(part["year"].unique().to_list())
    fig = go.Figure()
    for i, m in enumerate(metrics):
        series = part.filter(pl.col("metric") == m.key).sort("year")
        if series.is_empty():
            continue
        column = catalog.ACTIVE_COLUMNS_BY_KEY[m.key.split(".")[2]]
        xs: list[float | None] = []
        ys: list[float | None] = []
        hover: list[str] = []
        last = None
        for r in series.iter_rows(named=True):
            one_edition = len(m.editions) == 1
            if one_edition and last is not None and last < CHANGE <= r["year"]:
                xs.append(None)  # cut the line at the template change
                ys.append(None)
                hover.append("")
            xs.append(r["year"])
            ys.append(r["value"])
            hover.append(
                f"{r['year']}年 {column.label}：{fmt.num(r['value'], m.unit)}；"
                f"{r['reports']} / {reports_in.get(r['year'], 0)} 份报告填报"
            )
            last = r["year"]
        edition = "、".join(sorted(m.editions))
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=f"{column.label}（{m.unit}，{edition}版）",
                mode="lines+markers",
                line={
                    "color": colors.SERIES[i % len(colors.SERIES)],
                    "dash": "dot" if m.editions == {"2019"} else "solid",
                },
                hovertext=hover,
                hoverinfo="text",
                connectgaps=False,
            )
        )
    charts.template_break(
        charts.year_axis(charts.layout(fig, height=380), years), years, "2021 版模板：栏目改变"
    )
    table = part.with_columns(
        pl.col("metric")
        .replace_strict(
            {
                m.key: f"{catalog.ACTIVE_COLUMNS_BY_KEY[m.key.split('.')[2]].label}（{m.unit}）"
                for m in metrics
            },
            default=None,
        )
        .alias("栏目")
    ).pivot(on="year", index="栏目", values="value")
    comparable = "；".join(
        f"“{catalog.ACTIVE_COLUMNS_BY_KEY[a].label}”≈“{catalog.ACTIVE_COLUMNS_BY_KEY[b].label}”"
        for a, b in labels.COMPARABLE_ACROSS_EDITIONS.items()
    )
    ui.chart(
        fig,
        table,
        {c: (c if c == "栏目" else f"{c}年") for c in table.columns},
        key="ac_table",
        caption=(
            "点线为 2019 版模板的栏目，实线为 2021 版（或两版相同）的栏目；"
            "只存在于一版的栏目在模板更换处断开，不连线。"
            f"口径相近但不相同：{comparable}。每点为填报该栏目的报告之和（悬停可见份数）。"
        ),
    )

# --- by region for the focus year -------------------------------------------------------------
level = sel.child_level
year = sel.focus_year or ctx.years[-1]
present = [
    m
    for m in metrics
    if not part.filter((pl.col("metric") == m.key) & (pl.col("year") == year)).is_empty()
]
if present:
    st.subheader(f"{year}年 各{labels.LEVELS[level]}")
    metric = st.selectbox(
        "栏目",
        [m.key for m in present],
        format_func=lambda k: catalog.METRICS_BY_KEY[k].label,
        key="a_metric",
        bind="query-params",
    )
    by_unit = q(queries.active_by_year, sel.with_years(year, year), level).filter(
        pl.col("metric") == metric
    )
    names = q(queries.unit_year_measures, sel.with_years(year, year), level).select(
        "unit", "unit_label"
    )
    by_unit = (
        by_unit.with_columns(pl.col("unit").fill_null("（地区未识别）"))
        .join(names, on="unit", how="left")
        .sort("value", descending=True, nulls_last=True)
        .head(40)
    )
    label = catalog.METRICS_BY_KEY[metric].label
    fig = go.Figure(
        go.Bar(
            y=[
                ("⚠ " if e else "") + safe.plot(n or u)
                for n, u, e in zip(
                    by_unit["unit_label"], by_unit["unit"], by_unit["error_reports"], strict=True
                )
            ],
            x=by_unit["value"].to_list(),
            orientation="h",
            marker_color=colors.PRIMARY,
            hovertext=[
                f"{safe.plot(n or u)}：{fmt.num(v)}（{r} 份报告）"
                for n, u, v, r in zip(
                    by_unit["unit_label"],
                    by_unit["unit"],
                    by_unit["value"],
                    by_unit["reports"],
                    strict=True,
                )
            ],
            hoverinfo="text",
        )
    )
    charts.layout(fig, height=max(220, 24 * by_unit.height + 80), legend=False)
    fig.update_yaxes(autorange="reversed")
    ui.chart(
        fig,
        by_unit,
        {
            "unit_label": labels.LEVELS[level],
            "value": label,
            "reports": "报告数",
            "error_reports": "有审核错误的报告",
        },
        key="ac_units",
        caption="⚠：含有审核错误的报告。最多列出 40 个。",
    )

# --- prose publication counts -----------------------------------------------------------------
st.subheader("正文中的公开数量（第一部分）")
ui.definition(
    "第一部分正文写明的各渠道发布数量（如“政府门户网站公开政府信息 2974 条”），"
    "并非每份报告都写明；同一报告同一渠道多处提及时取最大数。"
)
prose = q(queries.prose_by_year, sel)
if prose.is_empty():
    ui.empty(sel, "正文中写明的公开数量")
else:
    years = sorted(prose["year"].unique().to_list())
    fig = go.Figure()
    for i, (key, label) in enumerate(labels.CHANNELS.items()):
        s = prose.filter(pl.col("channel") == key).sort("year")
        if s.is_empty():
            continue
        fig.add_trace(
            go.Scatter(
                x=s["year"].to_list(),
                y=s["value"].to_list(),
                name=label,
                mode="lines+markers",
                line={"color": colors.SERIES[i % len(colors.SERIES)]},
                hovertext=[
                    f"{y}年 {label}：{fmt.num(v, '条')}；{r} / {reports_in.get(y, 0)} 份报告提及"
                    for y, v, r in zip(s["year"], s["value"], s["reports"], strict=True)
                ],
                hoverinfo="text",
            )
        )
    charts.year_axis(charts.layout(fig, y_title="条", height=380), years)
    if prose["value"].max() and prose["value"].max() > 1e4:
        fig.update_yaxes(type="log", dtick=1, exponentformat="none", tickformat=",d")
    table = prose.with_columns(
        pl.col("channel").replace_strict(labels.CHANNELS, default=None).alias("渠道")
    ).pivot(on="year", index="渠道", values="value")
    mentions = prose.with_columns(
        pl.col("channel").replace_strict(labels.CHANNELS, default=None).alias("渠道")
    ).pivot(on="year", index="渠道", values="reports")
    ui.chart(
        fig,
        table,
        {c: (c if c == "渠道" else f"{c}年") for c in table.columns},
        key="ac_prose",
        caption="纵轴为对数刻度（各渠道数量相差悬殊）。"
        if fig.layout.yaxis.type == "log"
        else None,
    )
    ui.data_expander(
        mentions,
        {c: (c if c == "渠道" else f"{c}年（提及的报告数）") for c in mentions.columns},
        "各渠道提及的报告数",
    )
