"""4 地区比较: rank regions (or organs) on one measure, a region × year heatmap, and change."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, colors, fmt, labels, measures, queries, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("地区比较", sel, ctx.summary, ctx.names):
    st.stop()

MAX_BARS = 50
c1, c2, c3 = st.columns([2, 1, 1])
with c1:
    key = st.selectbox(
        "指标",
        list(measures.MEASURES),
        format_func=lambda k: measures.MEASURES[k].label,
        key="c_metric",
        bind="query-params",
    )
m = measures.MEASURES[key]
years = sel.years or ctx.years
with c2:
    year = st.selectbox(
        "年度", years[::-1], key="c_year", bind="query-params", format_func=lambda y: f"{y}年"
    )
region_level = sel.child_level
with c3:
    grain = st.radio(
        "比较对象",
        ["region", "organ"],
        format_func={"region": f"按{labels.LEVELS[region_level]}汇总", "organ": "按机关"}.get,
        key="c_grain",
        bind="query-params",
        disabled=region_level == "organ",
    )
level = "organ" if grain == "organ" else region_level
ui.definition(m.definition + ("。" + measures.small_note(m) if m.is_rate else ""))

frame = measures.with_measure(q(queries.unit_year_measures, sel, level), m)
now = frame.filter(pl.col("year") == year)
if now.is_empty() or now["value"].is_null().all():
    ui.empty(sel, f"{year}年可比较的数据")
    st.stop()


def unit_name(row: dict) -> str:
    """A unit's label in a chart (Plotly reads tags in it: the name is escaped)."""
    return ("⚠ " if row["error_reports"] else "") + safe.plot(row["unit_label"] or row["unit"])


ranked = now.filter(~pl.col("small") & pl.col("value").is_not_null()).sort("value", descending=True)
unranked = now.filter(pl.col("small") & pl.col("value").is_not_null()).sort(
    "value", descending=True
)
median = ranked["value"].median() if ranked.height else None

# --- ranking ----------------------------------------------------------------------------------
st.subheader(f"{year}年 {m.label} 排名（{labels.LEVELS[level]}）")
shown = ranked
if ranked.height > MAX_BARS:
    shown = pl.concat([ranked.head(MAX_BARS // 2), ranked.tail(MAX_BARS // 2)])
    st.caption(
        f"共 {ranked.height} 个参与排名，只画出前 {MAX_BARS // 2} 名和后 {MAX_BARS // 2} 名；"
        "完整名单见“查看数据”。"
    )
rows = list(shown.iter_rows(named=True))


def rank(i: int) -> int:
    """The place of the i-th drawn bar (the tail of a cut list keeps its real places)."""
    if i < MAX_BARS // 2 or ranked.height <= MAX_BARS:
        return i + 1
    return ranked.height - len(rows) + i + 1


def shown_value(v: float | None) -> str:
    return fmt.pct(v) if m.is_rate else fmt.num(v, m.unit)


fig = go.Figure(
    go.Bar(
        y=[f"{rank(i)}. {unit_name(r)}" for i, r in enumerate(rows)],
        x=[r["value"] for r in rows],
        orientation="h",
        marker_color=[
            colors.DISPOSITION["denied"] if r["error_reports"] else colors.PRIMARY for r in rows
        ],
        marker_pattern_shape=["/" if r["error_reports"] else "" for r in rows],
        customdata=[[r["unit"], r["report_id"]] for r in rows],
        hovertext=[
            f"{safe.plot(r['unit_label'])}：{shown_value(r['value'])}"
            + (f"（{fmt.num(r['numerator'])} / {fmt.num(r['denominator'])}）" if m.is_rate else "")
            + f"；{ui.rests_on(r['reports'], r['error_reports'], r['demo_reports'])}"
            for r in rows
        ],
        hoverinfo="text",
        name=m.label,
    )
)
if median is not None:
    fig.add_vline(x=median, line_dash="dash", line_color=colors.MEDIAN)
    fig.add_annotation(
        x=median,
        y=1,
        yref="paper",
        yanchor="bottom",
        showarrow=False,
        text=f"中位数 {fmt.pct(median) if m.is_rate else fmt.num(median)}",
        font={"color": colors.MEDIAN, "size": 11},
    )
charts.layout(fig, height=max(240, 24 * len(rows) + 100), percent=m.is_rate, legend=False)
if m.is_rate:
    fig.update_xaxes(tickformat=".0%")
    fig.update_yaxes(tickformat=None)
fig.update_yaxes(autorange="reversed")
columns = {
    "unit_label": labels.LEVELS[level],
    "value": m.label,
    "numerator": "分子",
    "denominator": "分母",
    "small": "样本少（不排名）",
    "reports": "报告数",
    "error_reports": "有审核错误的报告",
    "demo_reports": labels.DEMO,
}
# The numbers behind the ranking: the ranked units with their places, then the units with
# too small a denominator, which have no place at all (名次 empty, 样本少 ticked): numbering
# them after the last ranked unit would rank them after all.
table = pl.concat(
    [
        ranked.with_row_index("名次", offset=1),
        unranked.with_columns(pl.lit(None, pl.UInt32).alias("名次")),
    ],
    how="diagonal",
)
points = ui.chart(
    fig,
    table,
    {"名次": "名次", **columns},
    key="cp_rank",
    caption=(
        "虚线为中位数。⚠ 且带斜纹：该单位含有审核错误的报告。"
        + (
            f"另有 {unranked.height} 个单位分母不足 {measures.MIN_DENOMINATOR} 件，"
            "不参与排名（见“查看数据”）。"
            if unranked.height
            else ""
        )
        + " 点击条形打开背后的报告。"
    ),
    selectable=True,
)
if points and points[0].get("customdata"):
    unit, report_id = points[0]["customdata"]
    if report_id:
        ui.report_link(report_id, f"打开报告：{ctx.names.get(unit, unit)} · {year}年")
    else:
        ui.links_to_reports(
            q(queries.reports_behind, sel, level, unit, year), f"{unit} · {year}年的报告"
        )

# --- heatmap ----------------------------------------------------------------------------------
st.subheader(f"{m.label}：{labels.LEVELS[level]} × 年度")
order = [r["unit"] for r in rows][:40] or now["unit"].head(40).to_list()
heat = frame.filter(pl.col("unit").is_in(order))
all_years = sorted(frame["year"].unique().to_list())
label_of = {r["unit"]: unit_name(r) for r in heat.unique("unit").iter_rows(named=True)}
z, text = [], []
for unit in order:
    vals = {r["year"]: r for r in heat.filter(pl.col("unit") == unit).iter_rows(named=True)}
    z.append([None if (r := vals.get(y)) is None or r["small"] else r["value"] for y in all_years])
    text.append(
        [
            ""
            if (r := vals.get(y)) is None
            else (
                "样本少"
                if r["small"]
                else (fmt.pct(r["value"]) if m.is_rate else fmt.num(r["value"]))
            )
            for y in all_years
        ]
    )
fig = go.Figure(
    go.Heatmap(
        z=z,
        x=[f"{y}年" for y in all_years],
        y=[label_of.get(u, safe.plot(u)) for u in order],
        text=text,
        texttemplate="%{text}",
        colorscale=colors.HEAT,
        hoverongaps=False,
        colorbar={"tickformat": ".0%" if m.is_rate else None},
    )
)
charts.layout(fig, height=max(240, 26 * len(order) + 100), legend=False)
fig.update_yaxes(autorange="reversed")
if labels.TEMPLATE_CHANGE_YEAR - 1 in all_years and labels.TEMPLATE_CHANGE_YEAR in all_years:
    fig.add_vline(
        x=all_years.index(labels.TEMPLATE_CHANGE_YEAR) - 0.5,
        line_dash="dash",
        line_color=colors.BREAK,
    )
wide = frame.select("unit_label", "year", "value").pivot(
    on="year", index="unit_label", values="value"
)
ui.chart(
    fig,
    wide,
    {
        "unit_label": labels.LEVELS[level],
        **{c: f"{c}年" for c in wide.columns if c != "unit_label"},
    },
    key="cp_heat",
    caption="空白：该年没有报告，或分母不足、只标“样本少”。行顺序同上方排名。",
)

# --- year-on-year -----------------------------------------------------------------------------
st.subheader(f"{year}年 较{year - 1}年变化")
before = frame.filter(pl.col("year") == year - 1).select(
    "unit", pl.col("value").alias("prev"), pl.col("small").alias("prev_small")
)
change = now.join(before, on="unit", how="inner").filter(
    ~pl.col("small")
    & ~pl.col("prev_small")
    & pl.col("value").is_not_null()
    & pl.col("prev").is_not_null()
)
if m.is_rate:
    change = change.with_columns(delta=(pl.col("value") - pl.col("prev")))
else:
    change = change.filter(pl.col("prev") > 0).with_columns(
        delta=(pl.col("value") / pl.col("prev") - 1)
    )
change = change.sort("delta", descending=True)
if change.is_empty():
    st.info(
        f"没有可与{year - 1}年比较的单位（{year - 1}年无报告或样本少）。", icon=":material/search:"
    )
else:
    top = (
        change
        if change.height <= MAX_BARS
        else pl.concat([change.head(MAX_BARS // 2), change.tail(MAX_BARS // 2)])
    )
    fig = go.Figure(
        go.Bar(
            y=[unit_name(r) for r in top.iter_rows(named=True)],
            x=top["delta"].to_list(),
            orientation="h",
            marker_color=[
                colors.DIVERGING[4] if d >= 0 else colors.DIVERGING[0] for d in top["delta"]
            ],
            hovertext=[
                f"{safe.plot(r['unit_label'])}：{year - 1}年 {shown_value(r['prev'])} → {year}年 "
                f"{fmt.pct(r['value']) if m.is_rate else fmt.num(r['value'])}"
                for r in top.iter_rows(named=True)
            ],
            hoverinfo="text",
        )
    )
    charts.layout(fig, height=max(240, 24 * top.height + 100), legend=False)
    fig.update_xaxes(tickformat="+.1%", title="变化（百分点）" if m.is_rate else "同比变化")
    fig.update_yaxes(autorange="reversed")
    ui.chart(
        fig,
        change,
        {
            "unit_label": labels.LEVELS[level],
            "prev": f"{year - 1}年",
            "value": f"{year}年",
            "delta": "变化",
        },
        key="cp_change",
        caption=("比率的变化以百分点计。" if m.is_rate else "件数的变化为同比增长率。")
        + "两年都有报告且分母足够的单位才参与比较。",
    )
