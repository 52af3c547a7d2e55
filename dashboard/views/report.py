"""8 报告详情: one report as published — its tables, its findings, its numbers in the prose.

Opened from any chart or table through ``?report=<report_id>``; otherwise the reader picks
an organ and a year among the reports in the sidebar's selection.
"""

from __future__ import annotations

import json
import re

import polars as pl
import streamlit as st

from dashboard import fmt, labels, queries, report_tables, safe, ui
from dashboard.context import current
from dashboard.db import q

ctx = current()
sel = ctx.sel
st.title("报告详情")

picker = q(queries.report_picker, sel)
wanted = st.query_params.get("report")
header = q(queries.report_header, wanted) if wanted else pl.DataFrame()
if wanted and header.is_empty():
    st.warning(
        f"没有找到报告 {safe.code(wanted)}（链接可能来自另一个仓库）。请在下方选择报告。",
        icon=":material/search:",
    )
    wanted = None
if wanted is None:
    if picker.is_empty():
        ui.empty(sel)
        st.stop()
    # A real report first (the latest), before any generated one.
    first = picker.sort(["is_demo", "year"], descending=[False, True])
    wanted = first["report_id"][0]
    header = q(queries.report_header, wanted)
head = header.row(0, named=True)

# --- picker: organ, then year -----------------------------------------------------------------
organ_ids = picker["organ_id"].unique(maintain_order=True).to_list()
if head["organ_id"] not in organ_ids:
    organ_ids.insert(0, head["organ_id"])  # opened by link from outside the selection
names = {
    **dict(zip(picker["organ_id"], picker["name"], strict=True)),
    head["organ_id"]: head["organ_name"],
}
p1, p2 = st.columns([3, 1])
with p1:
    organ = st.selectbox(
        f"机关（当前筛选内 {len(organ_ids)} 个）",
        organ_ids,
        index=organ_ids.index(head["organ_id"]),
        format_func=lambda o: ctx.names.get(o, names.get(o, o)),
    )
years_of = q(queries.other_years, organ)
year_options = years_of["year"].to_list() or [head["year"]]
with p2:
    year = st.selectbox(
        "年度",
        year_options,
        index=year_options.index(head["year"]) if head["year"] in year_options else 0,
        format_func=lambda y: f"{y}年",
    )
chosen = years_of.filter(pl.col("year") == year)["report_id"].to_list()
if chosen and chosen[0] != head["report_id"]:
    wanted = chosen[0]
    head = q(queries.report_header, wanted).row(0, named=True)
st.query_params["report"] = head["report_id"]

# --- title and facts about the file -----------------------------------------------------------
badges = [ui.badge_demo() if head["is_demo"] else ui.badge_real()]
if head["has_errors"]:
    badges.append(ui.badge_errors())
if head["status"] != "current":
    badges.append(":orange-badge[已被修订版取代]")
st.subheader(f"{safe.md(head['organ'])} · {head['year']}年")
st.markdown(" ".join(badges))
editions = json.loads(head["table_editions"] or "{}")
region = (
    " / ".join(p for p in (head["province"], head["city"], head["county"]) if p) or "地区未识别"
)
# Everything in this line but the wording comes from the file or where it was found. The
# file is named, not located: a folder of the machine that ingested it means nothing to a
# reader (and says more than a reader needs to know).
file_name = re.split(r"[/\\]", str(head["source_path"]))[-1]
st.caption(
    f"{safe.md(region)}（{safe.md(head['region_code'] or '无区划代码')}，"
    f"{safe.md(labels.REGION_STATUS.get(head['region_status'], head['region_status']))}）· "
    f"{safe.md(labels.ORGAN_KINDS.get(head['organ_kind'], head['organ_kind']))} · "
    f"{safe.md(labels.EDITIONS.get(head['edition'], head['edition']))} · "
    f"源文件 {safe.code(file_name)}"
    f"（{safe.md(labels.FORMATS.get(head['format'], head['format']))}）· "
    f"导入于 {head['ingested_at']:%Y-%m-%d %H:%M}"
)
if head["status"] != "current" and head["superseded_by"]:
    ui.report_link(head["superseded_by"], "打开取代它的修订版")
if head["is_demo"]:
    st.warning(
        f"这是{labels.DEMO}：生成的演示报告，不是任何机关发布的真实报告。",
        icon=":material/science:",
    )
if head["warnings"]:
    with st.expander(f"解析提示（{len(head['warnings'])} 条）"):
        for w in head["warnings"]:
            st.markdown(f"- {safe.md(w)}")

rid = head["report_id"]
facts = q(queries.report_facts, rid)
found = q(queries.report_findings, rid)
cells = {
    (m if a is None else f"{m}@{a}"): (v, b, r)
    for m, a, v, b, r in zip(
        facts["metric"],
        facts["applicant"],
        facts["value"],
        facts["blank"],
        facts["raw"],
        strict=True,
    )
}
flagged = report_tables.flag_cells(found.iter_rows(named=True))

errors = found.filter(pl.col("severity") == "error").height
tabs = st.tabs(
    [
        "二、主动公开",
        "三、依申请公开",
        "四、复议诉讼",
        f"审核发现（{found.height}）" + (" ⚠" if errors else ""),
        "正文中的数字",
        "原文",
    ]
)
if flagged:
    st.caption(
        "红框：多条审核发现共同指向的单元格（最可能填错的地方）；浅红：参与了不平衡算式的单元格；"
        "黄框：提示。鼠标悬停可看说明。"
    )
with tabs[0]:
    st.html(report_tables.active_html(editions.get("active", head["edition"]), cells, flagged))
with tabs[1]:
    edition = editions.get("requests", head["edition"])
    subrows = any(
        k.startswith("outcome.other.") and not k.startswith("outcome.other.total") for k in cells
    )
    st.html(report_tables.requests_html(edition, subrows, cells, flagged))
with tabs[2]:
    st.html(report_tables.review_html(cells, flagged))
with tabs[3]:
    if found.is_empty():
        st.success("这份报告的数字彼此一致：没有审核发现。", icon=":material/check_circle:")
    else:
        st.dataframe(
            found.with_columns(
                pl.col("rule")
                .map_elements(labels.rule_title, return_dtype=pl.String)
                .alias("title"),
                pl.col("severity").replace_strict(labels.SEVERITIES, default=None),
                pl.col("cells")
                .list.eval(pl.element().map_elements(labels.metric_label, return_dtype=pl.String))
                .list.join("；"),
            ).select("rule", "title", "severity", "message", "expected", "actual", "cells"),
            hide_index=True,
            width="stretch",
            column_config={
                "rule": "规则",
                "title": "检查内容",
                "severity": "级别",
                "message": st.column_config.TextColumn("说明", width="large"),
                "expected": "应为",
                "actual": "填报",
                "cells": "涉及单元格",
            },
        )
with tabs[4]:
    prose = q(queries.report_prose, rid)
    if prose.is_empty():
        st.info("第一部分正文中没有找到写明数量的句子。", icon=":material/search:")
    else:
        st.dataframe(
            prose.with_columns(
                pl.col("value").map_elements(lambda v: fmt.num(v), return_dtype=pl.String)
            ).select("label", "value", "sentence"),
            hide_index=True,
            width="stretch",
            column_config={
                "label": "渠道",
                "value": "数量",
                "sentence": st.column_config.TextColumn("原句", width="large"),
            },
        )
with tabs[5]:
    text = q(queries.report_text, rid)
    if text:
        st.caption(f"导入时从源文件读出的文本（{fmt.num(len(text))} 字）。")
        st.code(text, language=None, wrap_lines=True, height=520)
    else:
        st.info("仓库中没有这份报告的原文文本。", icon=":material/search:")

others = years_of.filter(pl.col("report_id") != rid)
if others.height:
    st.markdown("**同一机关的其他年度**")
    cols = st.columns(min(6, others.height))
    for i, r in enumerate(others.iter_rows(named=True)):
        with cols[i % len(cols)]:
            ui.report_link(r["report_id"], f"{r['year']}年" + (" ⚠" if r["has_errors"] else ""))
