"""地区地图: the region comparison as a map, one level below the selection.

Nothing selected: provinces; a province: its cities; a city: its counties (the level the
地区比较 page compares). The boundaries are the committed files of ``dashboard/geo``
(``dashboard.maps``); a level without them gets no map, only its numbers.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import labels, maps, measures, queries, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("地区地图", sel, ctx.summary, ctx.names):
    st.stop()

c1, c2 = st.columns([2, 1])
with c1:
    key = st.selectbox(
        "指标",
        list(measures.MEASURES),
        format_func=lambda k: measures.MEASURES[k].label,
        key="m_metric",
        bind="query-params",
    )
m = measures.MEASURES[key]
with c2:
    year = st.selectbox(
        "年度", ctx.years[::-1], key="m_year", bind="query-params", format_func=lambda y: f"{y}年"
    )
ui.definition(m.definition + ("。" + measures.small_note(m) if m.is_rate else ""))

level = sel.child_level
if level == "organ":
    st.info(
        "地图只画到县（区）一级：已选定县（区）或单个机关时，没有可以在地图上比较的下一级地区。"
        "可在侧栏取消县（区）或机关的选择。",
        icon=":material/map:",
    )
    st.caption(maps.CREDIT)
    st.stop()

where = {
    "province": "全国各省",
    "city": f"{sel.province}各市",
    "county": f"{sel.city}各县（区）",
}[level]
st.subheader(f"{year}年 {m.label}：{safe.md(where)}")

frame = measures.with_measure(q(queries.unit_year_measures, sel, level), m)
now = frame.filter(pl.col("year") == year)
if now.is_empty():
    ui.empty(sel, f"{year}年的数据")
    st.stop()

columns = {
    "unit_label": labels.LEVELS[level],
    "code": "行政区划代码",
    "on_map": "地图上",
    "value": m.label,
    "numerator": "分子",
    "denominator": "分母",
    "small": "样本少（不着色）",
    "reports": "报告数",
    "error_reports": "有审核错误的报告",
    "demo_reports": labels.DEMO,
}
bounds, problem = maps.boundaries(sel)
if bounds is None:
    st.warning(f"{safe.md(problem)}：不画地图，以免画错或漏画边界。下表为各地区的数。")
    ui.data_expander(now.with_columns(on_map=pl.lit("无边界数据")), columns)
    st.caption(maps.CREDIT)
    st.stop()

matched = maps.match(now, q(maps.region_codes, sel, level).filter(pl.col("year") == year), bounds)
fig = maps.figure(matched, bounds, m, year)
on_map = {r.row["unit"]: r.feature.code for r in matched.regions if r.row is not None}
table = pl.concat(
    [
        now.filter(pl.col("unit").is_in(list(on_map))).with_columns(
            code=pl.col("unit").replace_strict(on_map, default=None, return_dtype=pl.String),
            on_map=pl.lit("是"),
        ),
        now.filter(~pl.col("unit").is_in(list(on_map))).with_columns(
            code=pl.lit(None, pl.String), on_map=pl.lit("否")
        ),
    ]
).sort(["on_map", "value"], descending=[True, True], nulls_last=True)
blank = sum(r.state in ("none", "empty", "elsewhere") for r in matched.regions)
small = sum(r.state == "small" for r in matched.regions)
caption = (
    "颜色越深数越大；"
    + (f"灰色的 {small} 个地区分母不足 {measures.MIN_DENOMINATOR} 件，不着色；" if small else "")
    + (f"空白的 {blank} 个地区该年没有报告或没有可计算的数（不是 0）；" if blank else "")
    + ("斜纹：该地区过半报告有审核错误；" if any(map(maps.hatched, matched.regions)) else "")
    + "悬停可见地区、数值和报告数。"
)
if matched.off_map:
    listed = "、".join(
        f"{r['unit_label'] or r['unit']}（{r['reports']} 份报告）" for r in matched.off_map[:10]
    )
    more = f"等 {len(matched.off_map)} 个单位" if len(matched.off_map) > 10 else ""
    caption += f"不在地图上的单位：{safe.md(listed)}{more}（见“查看数据”）。"
ui.chart(fig, table, columns, key="m_map", caption=caption)
st.caption(maps.CREDIT)
