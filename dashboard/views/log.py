"""操作记录: the audit log, newest first, filtered by action and by person.

Only editors open it: it names the people who edit and the names others tried to sign in
with. The log has two stores (``pipelines.audit_log``): the warehouse's table, cached per
published warehouse like every query, and the journal beside the warehouse, read again
whenever it grew. Every value in it came from someone (a name typed into the sign-in form,
a file name), so it is shown in a table, whose cells are text, and through ``safe`` wherever
it meets Markdown.
"""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from pathlib import Path

import polars as pl
import streamlit as st

from dashboard import auth, db, fmt, safe, ui
from dashboard.context import current
from pipelines import audit_log

ACTIONS = {
    "sign_in": "登录",
    "sign_in_failed": "登录失败",
    "sign_out": "退出",
    "session_ended": "登录失效",
    "user_add": "添加账号",
    "user_password": "重设密码",
    "user_remove": "删除账号",
    "ingest": "导入报告",
    "correct": "人工更正",
    "correction_carried": "更正沿用到新版本",
    "correction_stale": "更正待复核（新版本数字不同）",
    "setting": "更改设置",
    "review_confirm": "审核后发布",
    "review_released": "解除待审核并发布",
}
REASONS = {
    "locked": "尝试次数过多，暂停登录",
    "wrong_password": "密码错误",
    "no_account": "无此账号",
    "accounts_file": "账号文件无法读取",
    "idle": "长时间未操作",
    "account_changed": "账号已删除或密码已重设",
    "provider_signed_out": "已退出统一身份认证",
    "not_an_editor": "已不在编辑人员名单中",
    "mode_changed": "登录方式已变更",
}
SHOWN = 1000
BEIJING = timezone(timedelta(hours=8))
ALL = "全部"

_COLUMNS = {"at": pl.Datetime("us"), "who": pl.String, "action": pl.String, "target": pl.String}


def _frame(events: list[audit_log.Event]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "at": [e.at.replace(tzinfo=None) for e in events],
            "who": [e.who for e in events],
            "action": [e.action for e in events],
            "target": [e.target for e in events],
            "detail": [json.dumps(e.detail, ensure_ascii=False, sort_keys=True) for e in events],
        },
        schema={**_COLUMNS, "detail": pl.String},
    )


@st.cache_data(max_entries=4, show_spinner=False)
def _journal(path: str, version: tuple[int, int, int]) -> pl.DataFrame:
    """The journal as a frame, per version of the file (``version`` is only the cache key)."""
    return _frame(audit_log.journal_events(Path(path)))


def _journal_now() -> pl.DataFrame:
    path = auth.journal_path()
    try:
        st_ = path.stat()
    except FileNotFoundError:
        return _frame([])
    return _journal(str(path), (st_.st_ino, st_.st_size, st_.st_mtime_ns))


def _details(text: str) -> str:
    """The detail object as one line: a refused sign-in's reason in words, the rest as-is."""
    try:
        detail = json.loads(text)
    except ValueError:
        return text
    if not isinstance(detail, dict):
        return text
    parts = []
    if "reason" in detail:
        parts.append(REASONS.get(str(detail.pop("reason")), "原因未知"))
    parts.extend(
        f"{k}={v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
        for k, v in detail.items()
    )
    return "；".join(parts)


ctx = current()
st.title("操作记录")
# (the sidebar's filters choose reports; the log is not about reports)
st.caption(f"{safe.md(ui.scope_text(ctx.sel, ctx.names))}　｜　操作记录不受左侧筛选条件影响")
auth.require_editor()

log = pl.concat(
    [db.q(audit_log.warehouse_frame).select(*_COLUMNS, "detail"), _journal_now()],
    how="vertical_relaxed",
).sort("at", descending=True)
if log.is_empty():
    st.info("还没有操作记录。", icon=":material/history:")
    st.stop()

c1, c2 = st.columns(2)
with c1:
    actions = sorted(set(log["action"].to_list()), key=lambda a: (a not in ACTIONS, a))
    action = st.selectbox(
        "操作",
        [None, *actions],
        format_func=lambda a: ALL if a is None else ACTIONS.get(a, a),
        key="log_action",
    )
with c2:
    people = sorted(set(log["who"].to_list()))
    who = st.selectbox("人员", [None, *people], format_func=lambda w: ALL if w is None else w)
if action is not None:
    log = log.filter(pl.col("action") == action)
if who is not None:
    log = log.filter(pl.col("who") == who)

st.caption(
    f"共 {fmt.num(log.height)} 条"
    + (f"，显示最新的 {fmt.num(SHOWN)} 条" if log.height > SHOWN else "")
    + "。时间为北京时间；登录、退出和失败的尝试来自看板，导入批次来自 xxgk ingest。"
)
shown = log.head(SHOWN)
st.dataframe(
    pl.DataFrame(
        {
            "时间（北京时间）": [
                t.replace(tzinfo=UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
                for t in shown["at"].to_list()
            ],
            "人员": shown["who"],
            "操作": [ACTIONS.get(a, a) for a in shown["action"].to_list()],
            "对象": shown["target"],
            "详情": [_details(d) for d in shown["detail"].to_list()],
        }
    ),
    hide_index=True,
    width="stretch",
)
