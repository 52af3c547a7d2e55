"""导入报告: an editor drops report files, checks each as 报告详情 would show it, and loads them.

Each file is read at once, in memory, and shown with its three tables, its findings, its
warnings and who and when it was read as; what the text leaves open (organ, region code,
year) is settled in fields held to the manifest's rules. Confirming stores the files and
their manifest rows under the upload folder and runs one ingest batch in a child process
(``dashboard.upload``), so every page keeps answering while it runs; this page polls the
batch and ends with its summary. Everything the files say (names, organs, sentences,
reasons) is shown as text (``safe``), never as Markdown.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import duckdb
import polars as pl
import streamlit as st

from dashboard import db, fmt, labels, report_tables, safe, ui, upload
from dashboard.auth import require_editor
from dashboard.context import current
from pipelines.warehouse import WarehouseError

JOB = "upload_job"
GENERATION = "upload_generation"  # a new uploader widget (an empty one) after each batch
PREVIEW = "upload_preview"
FETCH_JOB = "fetch_job"
MAX_URL_TEXT = 200_000  # characters of pasted list: 200 URLs of the longest kind, and more
FORMATS = sorted({s.lstrip(".") for s in upload.SUPPORTED} | {"zip"})


def in_warehouse(report_ids: tuple[str, ...]) -> dict[str, tuple[str, int, str]]:
    """``upload.in_warehouse`` on the published warehouse; before the first batch has
    published one (or while it cannot be read) no file is in it, and the upload goes on."""
    try:
        return db.q(upload.in_warehouse, report_ids)
    except (FileNotFoundError, WarehouseError, duckdb.Error):
        return {}


def findings_frame(c: upload.Candidate) -> pl.DataFrame:
    """The file's findings as 报告详情 lists them: Chinese titles, severities, cell names."""
    assert c.report is not None
    return pl.DataFrame(
        {
            "rule": [f.rule for f in c.report.findings],
            "title": [labels.rule_title(f.rule) for f in c.report.findings],
            "severity": [labels.SEVERITIES.get(f.severity, f.severity) for f in c.report.findings],
            "message": [f.message for f in c.report.findings],
            "expected": [_float(f.expected) for f in c.report.findings],
            "actual": [_float(f.actual) for f in c.report.findings],
            "cells": ["；".join(map(labels.metric_label, f.cells)) for f in c.report.findings],
        },
        schema_overrides={"expected": pl.Float64, "actual": pl.Float64},
    )


def _float(v: float | int | None) -> float | None:
    try:
        return None if v is None else float(v)
    except OverflowError:
        return None


def tables(c: upload.Candidate) -> None:
    """Parts 二, 三 and 四 laid out as the template (``report_tables``, as 报告详情 draws them),
    the cells a finding names framed; then the findings."""
    report = c.report
    assert report is not None
    cells = {f.cell: (f.value, f.value is None and not f.unreadable, f.raw) for f in report.facts}
    flagged = report_tables.flag_cells(f.to_json() for f in report.findings)
    editions = report.table_editions
    errors = sum(f.severity == "error" for f in report.findings)
    tabs = st.tabs(
        [
            "二、主动公开",
            "三、依申请公开",
            "四、复议诉讼",
            f"审核发现（{len(report.findings)}）" + (" ⚠" if errors else ""),
        ]
    )
    with tabs[0]:
        st.html(report_tables.active_html(editions.get("active", report.edition), cells, flagged))
    with tabs[1]:
        subrows = any(
            k.startswith("outcome.other.") and not k.startswith("outcome.other.total")
            for k in cells
        )
        edition = editions.get("requests", report.edition)
        st.html(report_tables.requests_html(edition, subrows, cells, flagged))
    with tabs[2]:
        st.html(report_tables.review_html(cells, flagged))
    with tabs[3]:
        if not report.findings:
            st.success("这份报告的数字彼此一致：没有审核发现。", icon=":material/check_circle:")
        else:
            st.dataframe(
                findings_frame(c),
                hide_index=True,
                width="stretch",
                column_config=ui.FINDING_COLUMNS,
            )


def identity_caption(who: upload.Identity, c: upload.Candidate) -> str:
    """Who and when the file is read as, the same facts 报告详情 prints under its title."""
    assert c.report is not None
    region = " / ".join(p for p in (who.province, who.city, who.county) if p) or "地区未识别"
    return (
        f"读取为：{safe.md(who.organ)}（{labels.ORGAN_KINDS.get(who.organ_kind, who.organ_kind)}）"
        f" · {who.year}年 · {safe.md(region)}"
        f"（{safe.md(who.region_code or '无区划代码')}，"
        f"{labels.REGION_STATUS.get(who.region_status, who.region_status)}）"
        f" · {labels.EDITIONS.get(c.report.edition, c.report.edition)}"
        f" · {labels.FORMATS.get(c.report.format, c.report.format)}"
    )


def fields(c: upload.Candidate, existing: dict[str, str]) -> dict[str, str]:
    """Inputs for what the text may leave open; each placeholder says what was read."""
    assert c.report is not None
    read = {
        "organ": c.report.organ,
        "region_code": c.report.region.code,
        "year": str(c.report.year) if c.report.year else None,
    }
    titles = {"organ": "发布机关", "region_code": "行政区划代码（6 位）", "year": "年度"}
    helps = {
        "organ": "报告标题没有写明、或写错发布机关时填写，按填写的名称导入。",
        "region_code": "机关名称未能确定地区（如同名区县）时填写，例如 320812。",
        "year": "报告未写明年度时填写，四位数字。",
    }
    out = {}
    for column, name in zip(st.columns([3, 2, 1]), upload.SETTLED, strict=True):
        with column:
            if existing.get(name):  # an earlier upload of the same bytes settled it
                placeholder = f"已指定：{existing[name]}"
            else:
                placeholder = f"读出：{read[name]}" if read[name] else "未能读出，请填写"
            out[name] = st.text_input(
                titles[name],
                key=f"up_{name}_{c.sha256[:16]}",
                placeholder=placeholder,
                help=helps[name],
                max_chars=120,
            )
    return out


def review(files: Sequence[tuple[str, bytes]], editor: str) -> None:
    """Everything after the upload: ``files`` as (name, bytes), previewed and confirmed."""
    key = tuple((name, hashlib.sha256(data).hexdigest()) for name, data in files)
    cached = st.session_state.get(PREVIEW)
    if cached is None or cached[0] != key:
        with st.spinner(f"正在读取 {len(files)} 个文件……"):
            candidates = [upload.parse(item) for item in upload.expand(files)]
        upload.mark_duplicates(candidates)
        st.session_state[PREVIEW] = cached = (key, candidates)
    candidates = cached[1]

    into = upload.uploads_dir(db.warehouse_path())
    manifest, rows, problem = upload.read_manifest(into)
    if problem:
        st.warning(
            f"上传文件夹的 manifest.csv 无法读取，预览未参照它：{safe.md(problem)}",
            icon=":material/warning:",
        )
    known = in_warehouse(tuple(c.sha256 for c in candidates if c.report))
    ready: list[upload.Upload] = []
    left_out = {"unreadable": 0, "unsettled": 0, "duplicate": 0}
    for i, c in enumerate(candidates):
        with st.container(border=True, key=f"upload_file_{i}"):
            if c.report is None:
                left_out["unreadable"] += 1
                st.markdown(f"**{safe.md(c.name)}** :red-badge[无法读取]")
                st.error(f"{safe.md(c.reason)}。这个文件不会导入。", icon=":material/block:")
                continue
            if c.duplicate_of is not None:
                left_out["duplicate"] += 1
                st.markdown(f"**{safe.md(c.name)}** :gray-badge[重复]")
                st.caption(f"与 {safe.md(c.duplicate_of)} 内容完全相同，只导入一次。")
                continue
            existing = rows.get(c.stored_name, {})
            errors = any(f.severity == "error" for f in c.report.findings)
            title = st.empty()
            settled = fields(c, existing)
            who, given, reason = upload.settle(c, settled, into, manifest, existing)
            badges = [":green-badge[可导入]" if who else ":orange-badge[待补充]"]
            if errors:
                badges.append(ui.badge_errors())
            title.markdown(f"**{safe.md(c.name)}** " + " ".join(badges))
            if who is None:
                left_out["unsettled"] += 1
                st.warning(
                    f"{safe.md(reason)}。请在上方填写后再导入；未补充的文件不会导入。",
                    icon=":material/edit_note:",
                )
            else:
                st.caption(identity_caption(who, c))
                ready.append(
                    upload.Upload(c.name, c.data, c.stored_name, upload.manifest_row(c, given))
                )
            if c.sha256 in known:
                organ, year, status = known[c.sha256]
                st.info(
                    f"仓库中已有这份文件（{safe.md(organ)} · {year}年"
                    f"{'' if status == 'current' else '，已被修订版取代'}），导入时记为“未变化”。",
                    icon=":material/inventory_2:",
                )
            warnings = list(who.warnings if who else map(str, c.report.warnings))
            n_err = sum(f.severity == "error" for f in c.report.findings)
            st.caption(
                f"{len(c.report.facts)} 个单元格 · 审核发现 {len(c.report.findings)} 条"
                f"（错误 {n_err} 条）· 解析提示 {len(warnings)} 条"
            )
            with st.expander("表格与审核发现", expanded=len(candidates) == 1):
                tables(c)
            if warnings:
                with st.expander(f"解析提示（{len(warnings)} 条）"):
                    for w in warnings:
                        st.markdown(f"- {safe.md(w)}")

    notes = [
        f"{n} 份{what}"
        for what, n in (
            ("无法读取", left_out["unreadable"]),
            ("待补充信息", left_out["unsettled"]),
            ("与其他文件重复", left_out["duplicate"]),
        )
        if n
    ]
    if notes:
        st.caption("、".join(notes) + "，不会导入。")
    if st.button(
        f"导入 {len(ready)} 份报告",
        type="primary",
        disabled=not ready,
        icon=":material/upload:",
        key="upload_confirm",
    ):
        try:
            job = upload.start(db.warehouse_path(), ready, editor, into)
        except OSError as exc:
            st.error(
                f"无法保存上传的文件（{safe.md(exc.strerror or exc)}），未导入。",
                icon=":material/error:",
            )
            return
        st.session_state[JOB] = job
        restart_preview()  # the bytes are on disk now: the session need not hold them
        st.rerun()


@st.fragment(run_every=1.0)
def watch(job: upload.Job) -> None:
    """The batch's progress, redrawn every second without rerunning the page; once the
    batch has ended, the whole app reruns so the sidebar and every page read the new
    warehouse."""
    s = upload.state(job)
    if not s.running:
        st.rerun()
    if s.waiting:
        st.progress(0.0, text="另一个导入正在写入仓库，本批次排队等待……")
    elif s.total:
        st.progress(s.done / s.total, text=f"正在导入：已处理 {s.done}/{s.total} 份")
    else:
        st.progress(0.0, text="正在启动导入……")
    st.caption("导入在后台进程中进行，看板的其他页面照常可用；完成后这里显示结果。")


def summary(job: upload.Job, result: dict, ids: tuple[str, ...] | None = None) -> None:
    """The batch's summary, as ``xxgk ingest`` prints it, with links to the reports (``ids``,
    else the job's uploaded files)."""
    editor = result.get("editor", "")
    if result.get("status") != "done":
        st.error(
            f"导入失败：{safe.md(result.get('error', ''))}",
            icon=":material/error:",
        )
        st.caption(
            f"导入人：{safe.md(editor)}。上传的文件已保存在上传文件夹，可稍后重新上传或运行 "
            f"{safe.code('xxgk ingest ' + str(upload.uploads_dir(db.warehouse_path())))}。"
        )
        return
    failed, held, ambiguous = result["failed"], result["held"], result["ambiguous"]
    st.success(
        f"导入完成：批次 {safe.code(result['batch_id'])}，导入人 {safe.md(editor)}。",
        icon=":material/task_alt:",
    )
    cols = st.columns(4)
    for column, label, value in zip(
        cols,
        ("新增", "更新", "未变化", "失败"),
        (result["new"], result["updated"], result["unchanged"], len(failed)),
        strict=True,
    ):
        column.metric(label, fmt.num(value, "份"))
    if failed:
        st.markdown("**失败**")
        for name, reason in failed:
            st.markdown(f"- {safe.md(name)}：{safe.md(reason)}")
    if held:
        st.markdown("**未替换**（仓库中同一机关同一年度的现行报告更完整，新文件作为历史版本保留）")
        for name, reason in held:
            st.markdown(f"- {safe.md(name)}：{safe.md(reason)}")
    if ambiguous:
        st.markdown("**地区待定**（有多个同名地区，可重新上传并填写行政区划代码）")
        for name, organ in ambiguous:
            st.markdown(f"- {safe.md(name)}：{safe.md(organ)}")
    if result.get("cross_year_findings"):
        st.caption(f"跨年度核对发现 {result['cross_year_findings']} 条（见“数据质量”页）。")
    if ids is None:
        ids = tuple(n.split(".", 1)[0] for n in job.request.get("names", {}))
    loaded = in_warehouse(ids)
    if loaded:
        st.markdown("**本批次的报告**")
        for rid in ids:
            if rid in loaded:
                organ, year, _ = loaded[rid]
                ui.report_link(rid, f"{organ} · {year}年", key=f"upload_link_{rid[:16]}")


def fetch_box(editor: str) -> None:
    """A pasted URL list, in ``xxgk fetch``'s format, fetched and loaded by a child job."""
    into = upload.fetched_dir(db.warehouse_path())
    st.caption(
        "粘贴年度报告的网址，每行一个（空行和以 # 开头的行略过）；可在网址后用 Tab 或逗号"
        "写上发布机关和年度，与 xxgk fetch 的网址列表相同。网页本身不含统计表时，下载它链接的"
        "报告附件。每个网站每秒最多请求一次；文件以内容的 SHA-256 命名保存在"
        f"{safe.code(into)}，下载完成后作为一个批次导入仓库。"
    )
    text = st.text_area(
        "网址列表",
        key=f"fetch_urls_{st.session_state.get(GENERATION, 0)}",
        height=160,
        max_chars=MAX_URL_TEXT,
        placeholder="https://www.example.gov.cn/art/2024/1/31/art_1.html,某某区人民政府,2023",
    )
    if not st.button("下载并导入", type="primary", icon=":material/download:", key="fetch_confirm"):
        return
    count = sum(
        1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#")
    )
    if not count:
        st.warning("请先粘贴至少一个网址。", icon=":material/edit_note:")
        return
    if count > upload.MAX_FILES:
        st.error(
            f"一次最多下载 {upload.MAX_FILES} 个网址（这里有 {count} 个）；更长的列表请用 "
            f"{safe.code('xxgk fetch')}。",
            icon=":material/block:",
        )
        return
    try:
        job = upload.start_fetch(db.warehouse_path(), text, editor, into)
    except OSError as exc:
        st.error(
            f"无法开始下载（{safe.md(exc.strerror or exc)}），未导入。", icon=":material/error:"
        )
        return
    st.session_state[FETCH_JOB] = job
    st.rerun()


@st.fragment(run_every=1.0)
def watch_fetch(job: upload.Job) -> None:
    """The download's progress, then the batch's, redrawn every second."""
    s = upload.state(job)
    if not s.running:
        st.rerun()
    fraction = s.done / s.total if s.total else 0.0
    if s.waiting:
        st.progress(0.0, text="下载完成，另一个导入正在写入仓库，本批次排队等待……")
    elif upload.fetch_phase(job) == "fetch":
        st.progress(fraction, text=f"正在下载：已处理 {s.done}/{s.total} 个网址")
    else:
        st.progress(fraction, text=f"正在导入：已处理 {s.done}/{s.total} 份")
    st.caption("下载和导入在后台进程中进行，看板的其他页面照常可用；完成后这里显示结果。")


def fetch_summary(job: upload.Job, result: dict) -> None:
    """What became of each URL, as ``xxgk fetch`` logs it, then the batch's summary."""
    rows = result.get("urls") or []
    if rows:
        st.markdown("**下载结果**")
        for r in rows:
            status = upload.FETCH_STATUS.get(r["status"], r["status"])
            if r["status"] == "failed":
                status += f"：{safe.md(r['reason'])}"
            via = f"（附件 {safe.md(r['attachment'])}）" if r.get("attachment") else ""
            st.markdown(f"- 第{r['line']}行 {status}　{safe.md(r['url'])}{via}")
        counts = {k: sum(r["status"] == k for r in rows) for k in upload.FETCH_STATUS}
        st.caption(
            f"下载：已下载 {counts['fetched']}，未变化 {counts['unchanged']}，"
            f"失败 {counts['failed']}"
        )
    if result.get("status") != "done":
        st.error(f"导入失败：{safe.md(result.get('error', ''))}", icon=":material/error:")
        st.caption(
            f"已下载的文件保存在 {safe.code(job.request.get('into', ''))}，可稍后运行 "
            f"{safe.code('xxgk ingest ' + str(job.request.get('into', '')))}。"
        )
        return
    batch = result.get("batch")
    if batch is None:
        st.info("没有下载到可导入的文件，仓库未改动。", icon=":material/info:")
        return
    ids = tuple(dict.fromkeys(r["file"].split(".", 1)[0] for r in rows if r.get("file")))
    summary(job, batch, ids)


def restart_preview() -> None:
    st.session_state.pop(PREVIEW, None)
    st.session_state[GENERATION] = st.session_state.get(GENERATION, 0) + 1


def restart() -> None:
    st.session_state.pop(JOB, None)
    st.session_state.pop(FETCH_JOB, None)
    restart_preview()


st.title("导入报告")
# every page opens on the sidebar's scope; this one says the scope does not apply to it.
# Before the first reports there is no scope (nor a sidebar of filters): the app publishes
# no context then.
try:
    ctx = current()
except KeyError:
    st.caption("仓库中还没有年度报告：导入的第一批报告完成后，看板的其他页面随即开放")
else:
    st.caption(f"{safe.md(ui.scope_text(ctx.sel, ctx.names))}　｜　导入不受左侧筛选条件影响")
editor = require_editor()

job: upload.Job | None = st.session_state.get(JOB)
if job is not None:
    current = upload.state(job)
    if current.running:
        watch(job)
    else:
        assert current.result is not None
        summary(job, current.result)
        st.button("继续上传", on_click=restart, icon=":material/upload_file:", key="upload_again")
    st.stop()
fetch_job: upload.Job | None = st.session_state.get(FETCH_JOB)
if fetch_job is not None:
    current = upload.state(fetch_job)
    if current.running:
        watch_fetch(fetch_job)
    else:
        assert current.result is not None
        fetch_summary(fetch_job, current.result)
        st.button("继续导入", on_click=restart, icon=":material/download:", key="fetch_again")
    st.stop()

with st.expander("从政府网站下载报告", icon=":material/travel_explore:"):
    fetch_box(editor)
st.caption(
    "上传年度报告文件（文本、网页、PDF、Word，UTF-8 或 GBK 编码），或装有报告的 .zip 压缩包。"
    "每份文件先在这里读出并核对，确认后作为一个批次导入仓库；文件以内容的 SHA-256 命名保存在"
    f"上传文件夹（{safe.code(upload.uploads_dir(db.warehouse_path()))}），"
    "同样的内容再次上传不会重复导入。"
)
uploaded = st.file_uploader(
    "选择报告文件或 .zip 压缩包",
    type=FORMATS,
    accept_multiple_files=True,
    key=f"upload_files_{st.session_state.get(GENERATION, 0)}",
)
if not uploaded:
    st.info(
        f"可一次选择多个文件；压缩包最多 {upload.MAX_FILES} 份报告、解压后不超过 "
        f"{upload.MAX_ZIP_TOTAL // upload.MiB} MB，不解压其中嵌套的压缩包。",
        icon=":material/upload_file:",
    )
    st.stop()
review([(f.name, f.getvalue()) for f in uploaded], editor)
