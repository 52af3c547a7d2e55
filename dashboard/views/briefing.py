"""一键简报: the sidebar's selection as a Word briefing, previewed section by section.

The preview shows the document's own blocks (``briefing.compose``, cached per warehouse
version and selection), so what the reader checks here is what the file holds; the .docx is
written only when the button is pressed, and its figures drawn then (in the preview only
when asked: they are half of a national briefing's time).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from dashboard import briefing, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
if not ui.header("一键简报", sel, ctx.summary, ctx.names):
    st.stop()

organ_name = ctx.names.get(sel.organ_id) if sel.organ_id else None
# The figures are drawn when the file is asked for; the preview draws them on request only.
with_charts = st.toggle("预览中显示图表", value=False, key="b_charts")
with st.spinner("正在汇总简报……"):
    b = q(briefing.compose, sel, organ_name, None, with_charts)

st.caption(
    f"简报为当前侧栏所选范围的 Word 文档（{briefing.TITLE}）：主要数字与“总览”页一致，"
    "附历年图表、同级对标、关注清单和数据质量说明。改变侧栏筛选即改变简报范围。"
)
st.download_button(
    "下载简报（Word）",
    data=lambda: briefing.to_docx(q(briefing.compose, sel, organ_name, None, True)),
    file_name=briefing.file_name(b, date.today()),
    mime=briefing.DOCX_MIME,
    type="primary",
    icon=":material/download:",
    key="b_download",
)
if b.chart_note:
    st.info(b.chart_note, icon=":material/image_not_supported:")

st.markdown(f"#### {briefing.TITLE}")
st.caption(f"数据范围：{safe.md(b.scope)}　｜　数据更新至：{briefing.date_text(b.data_date)}")
for section in b.sections:
    st.subheader(section.heading)
    for block in section.blocks:
        if isinstance(block, briefing.Table):
            st.markdown(f"**{safe.md(block.caption)}**")
            frame = pl.DataFrame(
                [list(r) for r in block.rows],
                schema=[(c, pl.String) for c in block.columns],
                orient="row",
            )
            st.dataframe(frame, hide_index=True, width="stretch")
        elif isinstance(block, briefing.Chart):
            st.image(block.png, caption=block.caption, width=720)
        elif block.note:
            st.caption(safe.md(block.text))
        else:
            st.markdown(safe.md(block.text))
