"""9 数据下载: the sidebar's selection as a file, long or wide, with its data dictionary."""

from __future__ import annotations

import streamlit as st

from dashboard import download, fmt, labels, queries, ui
from dashboard.context import current
from dashboard.db import q, uncached

ctx = current()
sel = ctx.sel
if not ui.header("数据下载", sel, ctx.summary, ctx.names):
    st.stop()

c1, c2 = st.columns(2)
with c1:
    form = st.radio(
        "表的形式",
        list(download.FORMS),
        format_func=download.FORMS.get,
        key="d_form",
        bind="query-params",
    )
with c2:
    file_format = st.radio(
        "文件格式",
        list(download.FORMATS),
        format_func=download.FORMATS.get,
        key="d_format",
        bind="query-params",
    )
tables = st.multiselect(
    "包含的表",
    list(labels.TABLES),
    default=list(labels.TABLES),
    format_func=lambda t: labels.TABLES[t],
    key="d_tables",
    bind="query-params",
)
if not tables:
    st.info("请至少选择一张表。", icon=":material/search:")
    st.stop()

rows = q(queries.count_facts, sel, tables)
reports = int(ctx.summary["reports"][0])
size = fmt.num(rows) if form == "long" else fmt.num(reports)
st.caption(
    f"将下载 {fmt.num(reports)} 份报告的 {fmt.num(rows)} 个单元格"
    f"（{'长表' if form == 'long' else '宽表'}：{size} 行）。"
    "每行带报告标识、源文件和“是否有审核错误”，示例数据由 is_demo 列标出；"
    "空白单元格为空值，不是 0。"
)
too_big = file_format == "xlsx" and form == "long" and rows > download.EXCEL_MAX_ROWS
if too_big:
    st.warning(
        "长表行数超过 Excel 上限（1,048,576 行）：请改用宽表、Parquet 或 CSV。",
        icon=":material/warning:",
    )
st.download_button(
    f"下载 {download.FORMATS[file_format].split('（')[0]} 文件",
    data=lambda: uncached(download.build, sel, form, file_format, tables),
    file_name=download.file_name(sel, form, file_format),
    mime=download.MIME[file_format],
    type="primary",
    disabled=too_big,
    icon=":material/download:",
)

st.subheader("数据字典")
words = download.dictionary(form, tables)
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
