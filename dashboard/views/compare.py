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
with c2:
    # Only years the selection has reports in, the latest first (and by default).
    year = st.selectbox(
        "年度", ctx.years[::-1], key="c_year", bind="query-params", format_func=lambda y: f"{y}年"
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


def name(row: dict) -> str:
    """A unit's label in a chart (Plotly reads tags in it: the name is escaped)."""
    return safe.plot(row["unit_label"] or row["unit"])


def shown_value(v: float | None) -> str:
    return fmt.pct(v) if m.is_rate else fmt.num(v, m.unit)


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


row_labels = {r["unit"]: f"{rank(i)}. {name(r)}" for i, r in enumerate(rows)}
fig = charts.ranked_bars(
    [row_labels[r["unit"]] for r in rows],
    [
        charts.Series(
            m.label,
            [r["value"] for r in rows],
            colors.PRIMARY,
            [
                f"{name(r)}：{shown_value(r['value'])}"
                + (
                    f"（{fmt.num(r['numerator'])} / {fmt.num(r['denominator'])}）"
                    if m.is_rate
                    else ""
                )
                + f"；{ui.rests_on(r['reports'], r['error_reports'], r['demo_reports'])}"
                for r in rows
            ],
        )
    ],
    ends=[shown_value(r["value"]) for r in rows],
    notes=[measures.error_note(r["reports"], r["error_reports"]) for r in rows],
    hatched=[measures.unreliable(r["reports"], r["error_reports"]) for r in rows],
    customdata=[[r["unit"], r["report_id"], r["unit_label"]] for r in rows],
    scale="share" if m.is_rate else "count",
    row_height=24,
)
if median is not None:
    fig.add_vline(x=median, line_dash="dash", line_color=colors.MEDIAN)
    fig.add_annotation(
        x=median,
        y=1,
        yref="paper",
        yanchor="bottom",
        showarrow=False,
        text=f"中位数 {fmt.pct(median) if m.is_rate else fmt.whole(median)}",
        font={"color": colors.MEDIAN, "size": 11},
    )
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
        "虚线为中位数。"
        + ui.error_caption()
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
    unit, report_id, label = points[0]["customdata"]
    if report_id:
        ui.report_link(report_id, f"打开报告：{ctx.names.get(unit, label)} · {year}年")
    else:
        ui.links_to_reports(
            q(queries.reports_behind, sel, level, unit, year), f"{label} · {year}年的报告"
        )

# --- heatmap ----------------------------------------------------------------------------------
st.subheader(f"{m.label}：{labels.LEVELS[level]} × 年度")
order = [r["unit"] for r in rows][:40] or now["unit"].head(40).to_list()
heat = frame.filter(pl.col("unit").is_in(order))
all_years = sorted(frame["year"].unique().to_list())
label_of = {r["unit"]: name(r) for r in heat.unique("unit").iter_rows(named=True)} | row_labels
z, text, hover = [], [], []
for unit in order:
    vals = {r["year"]: r for r in heat.filter(pl.col("unit") == unit).iter_rows(named=True)}
    cells = [vals.get(y) for y in all_years]
    z.append([None if r is None or r["small"] else r["value"] for r in cells])
    # ⚠ on a cell: the same rule as the ranking's note, for that year's number
    text.append(
        [
            ""
            if r is None
            else ("样本少" if r["small"] else shown_value(r["value"]).removesuffix(m.unit))
            + (" ⚠" if r["error_reports"] else "")
            for r in cells
        ]
    )
    hover.append(
        [
            f"{label_of.get(unit, unit)} {y}年："
            + (
                "无报告"
                if r is None
                else f"{shown_value(r['value'])}；{ui.rests_on(r['reports'], r['error_reports'])}"
                + (
                    f"；{measures.error_note(r['reports'], r['error_reports'])}"
                    if r["error_reports"]
                    else ""
                )
            )
            for y, r in zip(all_years, cells, strict=True)
        ]
    )
zmin, zmax, capped = charts.heat_range([v for row in z for v in row])
colorbar: dict = {"tickformat": ".0%"} if m.is_rate else {}
if not m.is_rate and zmax is not None:
    ticks, texts = charts.count_ticks(zmax)
    keep = [i for i, t in enumerate(ticks) if t <= zmax and (not capped or t < zmax * 0.9)]
    colorbar = {
        "tickmode": "array",
        "tickvals": [ticks[i] for i in keep],
        "ticktext": [texts[i] for i in keep],
    }
if capped and zmax is not None:
    # the darkest colour stands for its value and everything above it
    top_text = fmt.pct(zmax) if m.is_rate else fmt.whole(zmax)
    colorbar = {
        "tickmode": "array",
        "tickvals": [*colorbar.get("tickvals", []), zmax],
        "ticktext": [*colorbar.get("ticktext", []), f"≥{top_text}"],
    }
    if m.is_rate:
        colorbar["tickvals"] = [zmin, zmax]
        colorbar["ticktext"] = [fmt.pct(zmin), f"≥{top_text}"]
fig = go.Figure(
    go.Heatmap(
        z=z,
        x=[f"{y}年" for y in all_years],
        y=[label_of.get(u, safe.plot(u)) for u in order],
        text=text,
        texttemplate="%{text}",
        hovertext=hover,
        hoverinfo="text",
        colorscale=colors.HEAT,
        zmin=zmin,
        zmax=zmax,
        hoverongaps=False,
        colorbar=colorbar,
    )
)
charts.layout(fig, height=max(160, 30 * len(order) + 90), legend=False)
fig.update_yaxes(autorange="reversed", ticksuffix="  ")
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
    caption=(
        "空白：该年没有报告；“样本少”：分母不足，不着色。⚠：该格的数所依据的报告中有审核错误"
        "（悬停可见几份）。行顺序同上方排名。"
        + (
            f"颜色最深处为各格的第 {charts.HEAT_PERCENTILE} 百分位数"
            f"（{fmt.pct(zmax) if m.is_rate else fmt.whole(zmax, m.unit)}）：更大的格子（最大 "
            f"{shown_value(max(v for row in z for v in row if v is not None))}）同为最深色，"
            "以免一个极端值使其余格子颜色难以区分。"
            if capped
            else ""
        )
    ),
)

# --- year-on-year -----------------------------------------------------------------------------
st.subheader(f"{year}年 较{year - 1}年变化")
before = frame.filter(pl.col("year") == year - 1).select(
    "unit",
    pl.col("value").alias("prev"),
    pl.col("small").alias("prev_small"),
    pl.col("reports").alias("prev_reports"),
    pl.col("error_reports").alias("prev_error_reports"),
)
change = now.join(before, on="unit", how="inner").filter(
    ~pl.col("small")
    & ~pl.col("prev_small")
    & pl.col("value").is_not_null()
    & pl.col("prev").is_not_null()
)
if m.is_rate:
    change = change.with_columns(delta=(pl.col("value") - pl.col("prev")) * 100, base_small=False)
else:
    # A change on a base under MIN_DENOMINATOR (2 → 6 is +200%) is shown greyed, after the
    # others, and never ranked, as a rate on too small a denominator.
    change = change.filter(pl.col("prev") > 0).with_columns(
        delta=(pl.col("value") / pl.col("prev") - 1),
        base_small=pl.col("prev").abs() < measures.MIN_DENOMINATOR,
    )
change = change.sort(["base_small", "delta"], descending=[False, True])
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
    moved = list(top.iter_rows(named=True))

    def delta_text(r: dict) -> str:
        if m.is_rate:
            return f"{r['delta']:+.1f}个百分点"
        return fmt.change(r["value"], r["prev"]) or fmt.DASH

    fig = charts.ranked_bars(
        [name(r) + ("（基数小）" if r["base_small"] else "") for r in moved],
        [
            charts.Series(
                "变化",
                [r["delta"] for r in moved],
                [
                    colors.MUTED
                    if r["base_small"]
                    else (colors.DIVERGING[4] if r["delta"] >= 0 else colors.DIVERGING[0])
                    for r in moved
                ],
                [
                    f"{name(r)}：{year - 1}年 {shown_value(r['prev'])} → {year}年 "
                    f"{shown_value(r['value'])}（{delta_text(r)}）"
                    + ("；上年基数小，变化率仅供参考" if r["base_small"] else "")
                    for r in moved
                ],
            )
        ],
        ends=[delta_text(r) for r in moved],
        notes=[
            measures.error_note(
                r["reports"] + r["prev_reports"], r["error_reports"] + r["prev_error_reports"]
            )
            for r in moved
        ],
        customdata=[[r["unit"], r["unit_label"]] for r in moved],
        scale="plain",
        x_title="变化（百分点）" if m.is_rate else "同比变化",
        row_height=24,
    )
    fig.update_xaxes(tickformat="+.1f" if m.is_rate else "+.0%")
    small_bases = change.filter(pl.col("base_small")).height
    ui.chart(
        fig,
        change,
        {
            "unit_label": labels.LEVELS[level],
            "prev": f"{year - 1}年",
            "value": f"{year}年",
            "delta": "变化（百分点）" if m.is_rate else "变化率",
            "base_small": "基数小（不排名）",
        },
        key="cp_change",
        caption=("比率的变化以百分点计。" if m.is_rate else "件数的变化为同比增长率。")
        + "两年都有报告且分母足够的单位才参与比较。"
        + (
            f"灰色的 {small_bases} 个单位{year - 1}年不足 {measures.MIN_DENOMINATOR} 件，"
            "变化率仅供参考，排在最后。"
            if small_bases
            else ""
        )
        + (
            "⚠ 的 n 为两年的报告合计。"
            if any(r["error_reports"] or r["prev_error_reports"] for r in moved)
            else ""
        ),
    )
