"""待审核: the reports a warehouse holds back because their audit found errors.

Only editors open it: confirming publishes a report. The confirmation is
``pipelines.review.confirm`` run in a child process (``dashboard.jobs``), like a correction,
so the server never holds the warehouse's writer and the page polls the job. Correcting a
held report happens on 报告详情, where the link leads.
"""

from __future__ import annotations

import time

import streamlit as st

from dashboard import auth, db, jobs, queries, safe, ui
from dashboard.context import current
from dashboard.db import q

JOBS_NAME = ".review-jobs"  # hidden, beside the warehouse: an ingest never reads it
JOB = "review_job"

ctx = current()
st.title("待审核")
st.caption(f"{safe.md(ui.scope_text(ctx.sel, ctx.names))}　｜　待审核的报告不受左侧筛选条件影响")
editor = auth.require_editor()

if not q(queries.review_queue_on):
    st.info(
        "待审核队列未开启：所有报告导入后直接发布，有审核错误的标记为“有审核错误”。"
        "如需先审核再发布，请在服务器上运行 `xxgk settings review-errors on`。",
        icon=":material/toggle_off:",
    )

asked = st.session_state.get(JOB)
if asked is not None:
    s = jobs.state(asked["job"], "确认进程意外退出，未写入，仓库保持原样")
    if s.running:
        st.progress(0.5, text="正在发布……" if not s.waiting else "另一个写入正在进行，排队等待……")
        time.sleep(0.5)
        st.rerun()
    result = s.result or {}
    if result.get("status") == "done":
        st.success(
            f"已确认发布：{safe.md(asked['label'])}"
            f"（确认人 {safe.md(result.get('editor', ''))}）。",
            icon=":material/task_alt:",
        )
    else:
        st.error(f"确认失败：{safe.md(result.get('error', ''))}", icon=":material/error:")

held = q(queries.review_held)
if held.is_empty():
    st.caption("没有待审核的报告。")
    st.stop()

st.caption(
    f"共 {held.height} 份报告有审核错误，已导入但未发布（各页统计和数据下载都不含它们）。"
    "确认后按原样发布并标记错误；也可打开报告详情更正，更正后无错误即自动发布。"
)
busy = asked is not None and jobs.state(asked["job"], "").running
for row in held.iter_rows(named=True):
    rid = row["report_id"]
    label = f"{row['organ']} · {row['year']}年"
    with st.container(border=True):
        st.markdown(f"**{safe.md(label)}**" + (" :gray-badge[示例数据]" if row["is_demo"] else ""))
        st.caption(f"导入于 {row['ingested_at']:%Y-%m-%d %H:%M} · 报告 {safe.code(rid[:16])}")
        for message in row["errors"] or []:
            st.markdown(f"- {safe.md(message)}")
        ui.report_link(rid, "打开报告详情（可更正）")
        if st.button("确认发布", key=f"confirm_{rid[:16]}", disabled=busy):
            path = db.warehouse_path()
            folder = jobs.new_folder(path.resolve().parent / JOBS_NAME)
            job = jobs.spawn(
                folder,
                "pipelines.review",
                {"db": str(path.resolve()), "editor": editor, "report_ids": [rid], "note": ""},
            )
            st.session_state[JOB] = {"job": job, "label": label}
            st.rerun()
