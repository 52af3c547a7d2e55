"""关注清单: organ-years of the selection worth a second look, each with its reason and a link
to the report (``dashboard.watchlist`` finds them; the thresholds are the reader's)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import fmt, measures, peers, ui
from dashboard.context import current
from dashboard.db import q
from dashboard.watchlist import REASONS, Thresholds, watch_list

ctx = current()
sel = ctx.sel
if not ui.header("关注清单", sel, ctx.summary, ctx.names):
    st.stop()

D = Thresholds()
with st.expander("阈值设置", icon=":material/tune:"):
    c1, c2, c3 = st.columns(3)
    with c1:
        jump_up = st.number_input(
            "同比激增：本年新收申请超过上年的（倍）",
            min_value=1.0,
            value=D.jump_up,
            step=0.5,
            format="%.1f",
            key="w_up",
            bind="query-params",
        )
        jump_down = st.number_input(
            "同比骤降：本年新收申请不足上年的（倍）",
            min_value=0.0,
            max_value=1.0,
            value=D.jump_down,
            step=0.05,
            format="%.2f",
            key="w_down",
            bind="query-params",
        )
    with c2:
        jump_base = st.number_input(
            "同比比较的最小基数：两年中较大的一年至少（件）",
            min_value=0,
            value=D.jump_base,
            step=5,
            key="w_base",
            bind="query-params",
            help="两年都很少时（如 2 件变 12 件）倍数没有意义，不列入。",
        )
    with c3:
        open_gap = st.number_input(
            "公开率低于同级中位数至少（个百分点）",
            min_value=0.0,
            max_value=100.0,
            value=D.open_rate_gap,
            step=5.0,
            format="%.0f",
            key="w_open",
            bind="query-params",
        )
        correct_gap = st.number_input(
            "复议、诉讼纠错率高于同级中位数至少（个百分点）",
            min_value=0.0,
            max_value=100.0,
            value=D.correct_rate_gap,
            step=5.0,
            format="%.0f",
            key="w_correct",
            bind="query-params",
        )
    st.caption(
        f"与同级比较的原因只在同级单位不少于 {peers.MIN_PEERS} 个、本单位比率的分母不少于 "
        f"{measures.MIN_DENOMINATOR} 件时列出（同级单位的口径见“同级对标”页）。"
    )
t = Thresholds(
    jump_up=float(jump_up),
    jump_down=float(jump_down),
    jump_base=int(jump_base),
    open_rate_gap=float(open_gap),
    correct_rate_gap=float(correct_gap),
)

found = q(watch_list, sel, t)
if found.is_empty():
    st.success("所选范围内没有需要关注的机关。", icon=":material/check_circle:")
    st.stop()

# --- how many of each -------------------------------------------------------------------------
counts = dict(found.group_by("reason_code").agg(pl.len()).iter_rows())
codes = list(REASONS)
for start in range(0, len(codes), 4):
    for col, code in zip(st.columns(4), codes[start : start + 4], strict=False):
        col.metric(REASONS[code], fmt.num(counts.get(code, 0)))

# --- the list ---------------------------------------------------------------------------------
chosen = st.multiselect(
    "原因",
    [c for c in codes if counts.get(c)],
    format_func=REASONS.__getitem__,
    key="w_reason",
    placeholder="全部原因",
)
shown = found.filter(pl.col("reason_code").is_in(chosen)) if chosen else found
shown = shown.with_columns(
    pl.col("organ_id")
    .replace_strict(ctx.names, default=pl.col("organ"), return_dtype=pl.String)
    .alias("organ"),
    # a missing report has nothing to open: an empty cell, not "None"
    pl.when(pl.col("report_id").is_not_null())
    .then(pl.format("report?report={}", pl.col("report_id")))
    .otherwise(pl.lit(""))
    .alias("link"),
)
st.caption(
    f"共 {fmt.num(shown.height)} 条，涉及 {fmt.num(shown['organ_id'].n_unique())} 个机关；"
    "点击“报告”列打开报告详情（缺少年度报告的行没有报告可打开）。"
)
st.dataframe(
    shown.select("link", "organ", "year", "reason", "detail"),
    hide_index=True,
    width="stretch",
    column_config={
        "link": st.column_config.LinkColumn("报告", display_text="打开"),
        "organ": "机关",
        "year": st.column_config.NumberColumn("年度", format="%d"),
        "reason": "原因",
        "detail": st.column_config.TextColumn("说明", width="large"),
    },
)
