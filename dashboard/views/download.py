"""9 数据下载: the sidebar's selection as a file, long or wide, with its data dictionary."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import db, download, fmt, labels, safe, ui, urlparams
from dashboard.context import current
from dashboard.db import q
from pipelines import export

ctx = current()
sel = ctx.sel
if not ui.header("数据下载", sel, ctx.summary, ctx.names):
    st.stop()

# The URL carries short codes (?d_form=wide&d_format=csv&d_tables=requests), the widgets
# the Chinese labels (urlparams).
c1, c2 = st.columns(2)
with c1:
    form = urlparams.radio("表的形式", download.FORMS, "d_form")
with c2:
    file_format = urlparams.radio("文件格式", download.FORMATS, "d_format")
tables = urlparams.multiselect("包含的表", labels.TABLES, "d_tables", default=list(labels.TABLES))
if not tables:
    st.info("请至少选择一张表。", icon=":material/search:")
    st.stop()

rows = q(download.count_rows, sel, form, tables)
reports = int(ctx.summary["reports"][0])
cells = rows if form == "long" else q(download.count_rows, sel, "long", tables)
st.caption(
    f"将下载 {fmt.num(reports)} 份报告的 {fmt.num(cells)} 个单元格"
    f"（{'长表' if form == 'long' else '宽表'}：{fmt.num(rows)} 行）。"
    "每行带报告标识、源文件和“是否有审核错误”，示例数据由 is_demo 列标出；"
    "空白单元格为空值，不是 0。"
)
too_big = file_format == "xlsx" and rows > download.EXCEL_MAX_ROWS
if too_big:
    st.warning(
        f"{fmt.num(rows)} 行超过 Excel 一张表的上限（1,048,576 行）：请改用 Parquet 或 CSV"
        + ("，或宽表" if form == "long" else "")
        + "，或缩小筛选范围。",
        icon=":material/warning:",
    )
choice = (sel, form, file_format, tuple(tables))
if st.button(
    "生成下载文件", type="primary", disabled=too_big, icon=":material/download:", key="d_make"
):
    with st.spinner("正在写入文件……"):
        try:
            token, written = download.prepare(db.warehouse_path(), sel, form, file_format, tables)
        except export.ExportError as exc:
            st.error(safe.md(str(exc)), icon=":material/error:")
            st.stop()
    st.session_state["d_ready"] = (choice, token, written)
ready = st.session_state.get("d_ready")
if ready and ready[0] == choice:
    _, token, written = ready
    st.link_button(
        f"下载 {download.file_name(sel, form, file_format)}（{fmt.num(written)} 行）",
        f"xxgk/download/{token}",
        icon=":material/file_download:",
    )
    st.caption("链接一小时内有效。")

st.subheader("数据字典")
words = pl.DataFrame(download.dictionary(form, tables))
st.caption(
    "Parquet 文件的元数据（xxgk.dictionary、xxgk.metric_catalog）"
    "和 Excel 的第二张表里也有这份说明。"
)
st.dataframe(words, hide_index=True, width="stretch", height=360)
st.download_button(
    "下载数据字典（CSV）",
    data=lambda: "\ufeff".encode() + words.write_csv().encode(),
    file_name="xxgk_数据字典.csv",
    mime="text/csv",
)
