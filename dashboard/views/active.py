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

from dashboard import charts, colors, fmt, labels, measures, queries, safe, ui
from dashboard.context import current
from dashboard.db import q
from pipelines import catalog

ctx = current()
sel = ctx.sel
if not ui.header("主动公开", sel, ctx.summary, ctx.names):
    st.stop()

CHANGE = labels.TEMPLATE_CHANGE_YEAR


def with_unit(label: str, key: str) -> str:
    """A part 二 label with its unit from the catalog ("…·采购项目数量（项）"), unless the
    label already says it ("…·金额（万元）")."""
    unit = catalog.METRICS_BY_KEY[key].unit
    return label if unit in label else f"{label}（{unit}）"


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
elif not (part["value"].fill_null(0) != 0).any():
    st.info(
        f"所选 {fmt.num(int(ctx.summary['reports'][0]))} 份报告中，"
        f"“{catalog.ACTIVE_ROWS_BY_KEY[row_key].label}”各栏目填报的数都是 0"
        "（或空白），没有可画的变化。",
        icon=":material/info:",
    )
else:
    years = sorted(part["year"].unique().to_list())
    # What each year's sum lacks because organs that reported the year before did not report
    # this year (a stock such as 现行有效件数 halves when two city governments skip a year).
    gaps = q(queries.gaps_by_year, sel, [m.key for m in metrics])
    gap_years: dict[int, tuple[int, float]] = {}
    fig = go.Figure()
    for i, m in enumerate(metrics):
        series = part.filter(pl.col("metric") == m.key).sort("year")
        if series.is_empty():
            continue
        column = catalog.ACTIVE_COLUMNS_BY_KEY[m.key.split(".")[2]]
        short = measures.material_gaps(
            gaps, m.key, dict(zip(series["year"], series["value"], strict=True))
        )
        gap_years |= short
        rows = list(series.iter_rows(named=True))
        # cut at a year without reports, and (a column of one edition) at the template change
        xs, ys, hover, symbols = charts.with_breaks(
            [r["year"] for r in rows],
            [r["value"] for r in rows],
            [
                f"{r['year']}年 {column.label}：{fmt.num(r['value'], m.unit)}；"
                f"{r['reports']} / {reports_in.get(r['year'], 0)} 份报告填报"
                + ui.gap_hover(short.get(r["year"]), m.unit)
                for r in rows
            ],
            ["circle-open" if r["year"] in short else "circle" for r in rows],
            cut_at=CHANGE if len(m.editions) == 1 else None,
        )
        edition = "、".join(sorted(m.editions))
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=(
                    f"{column.label}（{edition}版）"
                    if m.unit in column.label
                    else f"{column.label}（{m.unit}，{edition}版）"
                ),
                mode="lines+markers",
                line={
                    "color": colors.SERIES[i % len(colors.SERIES)],
                    "dash": "dot" if m.editions == {"2019"} else "solid",
                },
                marker={
                    "symbol": [m or "circle" for m in symbols],
                    "size": [13 if s == "circle-open" else 7 for s in symbols],
                    "line": {"width": 2},
                },
                hovertext=hover,
                hoverinfo="text",
                connectgaps=False,
            )
        )
    charts.template_break(
        charts.year_axis(charts.layout(fig, height=400), years, ctx.coverage),
        years,
        "2021 版模板：栏目改变",
    )
    charts.count_axis(fig, part["value"].max())
    table = part.with_columns(
        pl.col("metric")
        .replace_strict(
            {
                m.key: with_unit(catalog.ACTIVE_COLUMNS_BY_KEY[m.key.split(".")[2]].label, m.key)
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
            + ui.gap_caption(gap_years)
            + ui.coverage_caption(ctx.coverage, ctx.organs, ctx.organs_every_year)
        ),
    )

# --- by region for the focus year -------------------------------------------------------------
level = sel.child_level
year = ctx.focus_year or 0
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
        format_func=lambda k: with_unit(catalog.METRICS_BY_KEY[k].label, k),
        key="a_metric",
        bind="query-params",
    )
    unit = catalog.METRICS_BY_KEY[metric].unit  # 件, 项, 万元 (pipelines.catalog)
    by_unit = (
        q(queries.active_by_year, sel.with_years(year, year), level)
        .filter(pl.col("metric") == metric)
        .sort("value", descending=True, nulls_last=True)
        .head(40)
    )
    label = catalog.METRICS_BY_KEY[metric].label
    rows = list(by_unit.iter_rows(named=True))
if present and not any(r["value"] for r in rows):
    st.info(
        f"{year}年各{labels.LEVELS[level]}的“{label}”都是 0（或空白）。", icon=":material/info:"
    )
elif present:
    fig = charts.ranked_bars(
        [safe.plot(r["unit_label"]) for r in rows],
        [
            charts.Series(
                label,
                [r["value"] for r in rows],
                colors.PRIMARY,
                [
                    f"{safe.plot(r['unit_label'])}：{fmt.num(r['value'], unit)}"
                    f"（{r['reports']} 份报告）"
                    for r in rows
                ],
            )
        ],
        ends=[fmt.num(r["value"], unit) for r in rows],
        notes=[measures.error_note(r["reports"], r["error_reports"]) for r in rows],
        hatched=[measures.unreliable(r["reports"], r["error_reports"]) for r in rows],
        row_height=24,
    )
    ui.chart(
        fig,
        by_unit,
        {
            "unit_label": labels.LEVELS[level],
            "value": with_unit(label, metric),
            "reports": "报告数",
            "error_reports": "有审核错误的报告",
        },
        key="ac_units",
        caption=f"单位：{unit}。最多列出 40 个。" + ui.error_caption(),
    )
else:
    st.subheader(f"{year}年 各{labels.LEVELS[level]}")
    st.info(
        f"{year}年的报告没有填报“{catalog.ACTIVE_ROWS_BY_KEY[row_key].label}”的栏目"
        "（这些栏目可能只在另一版模板中）。",
        icon=":material/search:",
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
    prose_gaps = q(queries.gaps_by_year, sel, [f"prose.{c}" for c in labels.CHANNELS])
    prose_gap_years: dict[int, tuple[int, float]] = {}
    fig = go.Figure()
    for i, (key, label) in enumerate(labels.CHANNELS.items()):
        s = prose.filter(pl.col("channel") == key).sort("year")
        if s.is_empty():
            continue
        short = measures.material_gaps(
            prose_gaps, f"prose.{key}", dict(zip(s["year"], s["value"], strict=True))
        )
        prose_gap_years |= short
        xs, ys, hover, symbols = charts.with_breaks(
            s["year"].to_list(),
            s["value"].to_list(),
            [
                f"{y}年 {label}：{fmt.num(v, '条')}；{r} / {reports_in.get(y, 0)} 份报告提及"
                + ui.gap_hover(short.get(y), "条")
                for y, v, r in zip(s["year"], s["value"], s["reports"], strict=True)
            ],
            ["circle-open" if y in short else "circle" for y in s["year"]],
        )
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                name=label,
                mode="lines+markers",
                line={"color": colors.SERIES[i % len(colors.SERIES)]},
                marker={
                    "symbol": [m or "circle" for m in symbols],
                    "size": [13 if m == "circle-open" else 7 for m in symbols],
                    "line": {"width": 2},
                },
                hovertext=hover,
                hoverinfo="text",
                connectgaps=False,
            )
        )
    charts.year_axis(charts.layout(fig, y_title="条", height=400), years, ctx.coverage)
    top = prose["value"].max()
    charts.count_axis(fig, top, log=bool(top and top > 1e4))
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
        caption=("纵轴为对数刻度（各渠道数量相差悬殊）。" if fig.layout.yaxis.type == "log" else "")
        + ui.gap_caption(prose_gap_years)
        + ui.coverage_caption(ctx.coverage, ctx.organs, ctx.organs_every_year),
    )
    ui.data_expander(
        mentions,
        {c: (c if c == "渠道" else f"{c}年（提及的报告数）") for c in mentions.columns},
        "各渠道提及的报告数",
    )
