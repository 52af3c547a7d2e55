"""同级对标: the organ (or region) chosen in the sidebar against its peers, year by year."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboard import charts, colors, fmt, labels, measures, peers, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("同级对标", sel, ctx.summary, ctx.names):
    st.stop()

GUARD = peers.MIN_PEERS
unit = q(peers.target, sel)
if unit is None:
    st.info(
        "请在侧栏选择一个机关，或一个省、市、县（区）：本页把它与同级同类的单位逐年比较"
        "（县级人民政府与县级人民政府比，市教育局与其他市的教育局比，县与其他县比），"
        "画出同级单位的中间一半（第 25 至第 75 百分位）、中位数和它自己的位置。",
        icon=":material/groups:",
    )
    st.stop()
name = ctx.names.get(unit.key, unit.name) if unit.level == "organ" else unit.name

options = peers.peer_measures()
key = st.selectbox(
    "指标",
    list(options),
    format_func=lambda k: options[k].label,
    key="p_metric",
    bind="query-params",
)
m = options[key]
ui.definition(m.definition + ("。" + measures.small_note(m) if m.is_rate else ""))

if unit.group is None:
    st.info(
        f"{safe.md(name)} 的所在地区未能确定（名称有歧义或未识别），无法确定同级单位。"
        "可在 manifest.csv 中为它指定 region_code 后重新导入。",
        icon=":material/location_off:",
    )
    st.stop()

group = peers.group_label(unit.group)
if unit.level == "organ":
    who = (
        f"同级单位：其他{group}（按机关所在行政区划的级别和去掉地名后的机关名称确定，"
        "不受侧栏地区筛选限制；年度和示例数据开关照常适用）。"
    )
else:
    kind = "全部机关" if sel.kind is None else labels.ORGAN_KINDS[sel.kind]
    who = f"同级单位：其他{group}，各按其{kind}的报告合计（与侧栏“机关类型”一致）。"
st.caption(f"比较对象：{safe.md(name)}（{group}）。{who}")

frame = q(peers.peer_detail, sel, key)
if frame.is_empty():
    ui.empty(sel, "可比较的数据")
    st.stop()


def shown(v: float | None) -> str:
    return fmt.pct(v) if m.is_rate else fmt.num(v, m.unit)


def band(v: float | None) -> str:
    """A quantile: interpolated, so a count's is written whole (as the 中位数 of 地区比较);
    an amount in 万元 keeps its decimals."""
    if m.is_rate:
        return fmt.pct(v)
    return fmt.num(v, m.unit) if m.unit == "万元" else fmt.whole(v, m.unit)


def percentile(r: dict) -> str:
    return fmt.DASH if r["percentile"] is None else fmt.whole(r["percentile"])


def rank_text(r: dict) -> str:
    if r["peers"] < GUARD:
        return f"同级仅 {r['peers']} 个，不排位次"
    if r["percentile"] is None:
        return "样本少，不排位次" if r["value"] is not None else "本年无报告"
    return f"百分位 {percentile(r)}（同级 {r['peers']} 个）"


rows = list(frame.iter_rows(named=True))
years = [r["year"] for r in rows]

# --- the latest year with the unit's own value ------------------------------------------------
own = [r for r in rows if r["value"] is not None]
if own:
    last = own[-1]
    st.subheader(f"{last['year']}年")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(
        safe.md(name) if len(name) <= 12 else "本单位",
        shown(last["value"]),
        help=m.definition,
    )
    c2.metric("同级中位数", band(last["p50"]), help="同级单位（不含本单位）的中位数（P50）")
    c3.metric(
        "百分位",
        percentile(last),
        help="同级单位中数值低于本单位的占比（相等的算一半），0–100；"
        "数值越大百分位越高，对纠错率、不予公开占比而言并非越好。",
    )
    c4.metric("同级单位数", fmt.num(last["peers"]), help="当年有可比数值的同级单位（不含本单位）")

# --- band, median and the unit ----------------------------------------------------------------
st.subheader(f"{m.label}：{safe.md(name)} 与同级单位")
band_color = "rgba(176, 190, 197, 0.35)"  # colors.MUTED, light
fig = go.Figure()
fig.add_trace(
    go.Scatter(
        x=years,
        y=[r["p25"] for r in rows],
        mode="lines",
        line={"width": 0, "color": colors.MUTED},
        hoverinfo="skip",
        showlegend=False,
        name="P25",
    )
)
fig.add_trace(
    go.Scatter(
        x=years,
        y=[r["p75"] for r in rows],
        mode="lines",
        line={"width": 0, "color": colors.MUTED},
        fill="tonexty",
        fillcolor=band_color,
        name="同级 P25–P75",
        hovertext=[
            f"{r['year']}年 同级 P25–P75：{band(r['p25'])} – {band(r['p75'])}（{r['peers']} 个）"
            for r in rows
        ],
        hoverinfo="text",
    )
)
fig.add_trace(
    go.Scatter(
        x=years,
        y=[r["p50"] for r in rows],
        mode="lines+markers",
        line={"color": colors.MEDIAN, "dash": "dash"},
        marker={"color": colors.MEDIAN, "size": 6},
        name="同级中位数（P50）",
        hovertext=[f"{r['year']}年 同级中位数：{band(r['p50'])}" for r in rows],
        hoverinfo="text",
    )
)
hover = [
    f"{safe.plot(name)} {r['year']}年：{shown(r['value'])}"
    + (f"（{fmt.num(r['numerator'])} / {fmt.num(r['denominator'])}）" if m.is_rate else "")
    + f"；{rank_text(r)}"
    for r in rows
]
if m.is_rate:
    charts.rate_line(
        fig,
        years,
        [r["value"] for r in rows],
        [bool(r["small"]) and r["value"] is not None for r in rows],
        hover,
        name=safe.plot(name),
        color=colors.PRIMARY,
    )
else:
    fig.add_trace(
        go.Scatter(
            x=years,
            y=[r["value"] for r in rows],
            mode="lines+markers",
            name=safe.plot(name),
            line={"color": colors.PRIMARY, "width": 3},
            marker={"color": colors.PRIMARY, "size": 9},
            hovertext=hover,
            hoverinfo="text",
        )
    )
charts.layout(fig, height=380, percent=m.is_rate, y_title="" if m.is_rate else m.unit)
charts.year_axis(fig, years)
if not m.is_rate:
    tops = [v for r in rows for v in (r["value"], r["p75"]) if v is not None]
    charts.count_axis(fig, max(tops, default=0))

guarded = [r for r in rows if r["peers"] < GUARD]
small = [r for r in rows if r["value"] is not None and r["small"]]
notes = []
if guarded:
    notes.append(
        "、".join(f"{r['year']}年" for r in guarded)
        + f"同级单位不足 {GUARD} 个（"
        + "、".join(f"{r['peers']} 个" for r in guarded)
        + "），不画区间、不排位次。"
    )
if small:
    notes.append(
        "、".join(f"{r['year']}年" for r in small)
        + f"本单位分母不足 {measures.MIN_DENOMINATOR} 件，比率置灰、不排位次。"
    )
if len(guarded) == len(rows):
    st.info(
        f"所选年份内{safe.md(name)}的同级单位每年都不足 {GUARD} 个：只画出它自己的数，"
        "不画同级区间，也不排位次。",
        icon=":material/groups:",
    )
ui.chart(
    fig,
    frame,
    {
        "year": "年度",
        "value": "本单位",
        "peers": "同级单位数",
        "p25": "P25",
        "p50": "P50（中位数）",
        "p75": "P75",
        "percentile": "百分位",
        "numerator": "分子",
        "denominator": "分母",
        "small": "样本少（不排名）",
        "reports": "报告数",
        "error_reports": "有审核错误的报告",
    },
    key="pe_band",
    caption=(
        "灰色带为同级单位的第 25 至第 75 百分位（中间一半），虚线为中位数；"
        "同级单位不含本单位，数值在各年分别计算。" + "".join(notes)
    ),
)

# --- percentile per year ----------------------------------------------------------------------
st.subheader("各年百分位")
cols = st.columns(min(len(rows), 8))
for col, r in zip(cols, rows[-8:], strict=False):
    with col:
        if r["percentile"] is None:
            st.metric(
                f"{r['year']}年",
                fmt.DASH,
                delta=rank_text(r),
                delta_color="off",
                delta_arrow="off",
            )
        else:
            st.metric(f"{r['year']}年", percentile(r), help=rank_text(r))
st.caption(
    "百分位：同级单位中数值低于本单位的占比（相等的算一半），0 为最低、100 为最高。"
    f"同级单位不足 {GUARD} 个、本年无报告或比率分母过小的年份不排位次。"
)

# --- who the peers are -------------------------------------------------------------------------
members = q(peers.group_rows, sel, key)
if last_year := (own[-1]["year"] if own else None):
    listed = (
        members.filter(pl.col("year") == last_year)
        .with_columns(
            pl.when(pl.col("unit") == unit.key)
            .then(pl.lit("是"))
            .otherwise(pl.lit(""))
            .alias("self"),
        )
        .sort("value", descending=True, nulls_last=True)
    )
    ui.data_expander(
        listed,
        {
            "label": "单位",
            "self": "本单位",
            "value": m.label,
            "numerator": "分子",
            "denominator": "分母",
            "comparable": "参与比较",
            "reports": "报告数",
        },
        f"{last_year}年同级单位名单（{listed.height} 个，含本单位）",
    )
