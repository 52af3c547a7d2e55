"""8 报告详情: one report as published — its tables, its findings, its numbers in the prose.

Opened from any chart or table through ``?report=<report_id>``; otherwise the reader picks
an organ and a year among the reports in the sidebar's selection. Two tabs answer the two
questions a reader asks of a number: how it moved since another year of the same organ
(every cell of both reports side by side, ``report_diff``), and where in the file it was
printed (the PDF page with the cell framed, ``pdf_preview``; the table, row and column of
a Word file or web page).
"""

from __future__ import annotations

import json
import re

import polars as pl
import streamlit as st

from dashboard import (
    correct,
    db,
    fmt,
    labels,
    pdf_preview,
    queries,
    report_diff,
    report_tables,
    safe,
    ui,
    upload,
)
from dashboard.auth import current_editor
from dashboard.context import current
from dashboard.db import q
from pipelines import catalog
from pipelines.corrections import MAX_REASON, target_label

FIX_JOB = "fix_job"  # the correction job of this session, with what it asked for
FIX_CHOSEN = "fix_chosen"  # report id -> the cell last chosen in its form
FIX_GENERATION = "fix_generation"  # a new (empty) form after each applied correction
FIX_MODE = "fix_mode_chosen"  # the form last used: one cell or a whole row
FIX_ROW = "fix_row_chosen"  # report id -> the row last chosen in its row form
MODES = {"cell": "一处", "row": "整行"}

STATE_TEXT = {
    report_diff.MISSING: "未读到",
    report_diff.UNREAD: "无法识别",
}


def findings_frame(found: pl.DataFrame) -> pl.DataFrame:
    """A report's findings with Chinese titles and cell names, as both tabs list them."""
    return found.with_columns(
        pl.col("rule").map_elements(labels.rule_title, return_dtype=pl.String).alias("title"),
        pl.col("severity").replace_strict(labels.SEVERITIES, default=None),
        pl.col("cells")
        .list.eval(pl.element().map_elements(labels.metric_label, return_dtype=pl.String))
        .list.join("；"),
    ).select("rule", "title", "severity", "message", "expected", "actual", "cells")


def number(v: float) -> str:
    """A cell's number as printed (no 万: the reader compares it with the file)."""
    return f"{v:.15g}"


def shown(state: str, value: float | None, raw: str | None, edition: str) -> str:
    """One side of a compared cell: its number, or what stands in its place. A blank is
    never shown as 0, and a cell the report's form lacks says which form it was."""
    if state == report_diff.VALUE and value is not None:
        return number(value)
    if state == report_diff.BLANK:
        mark = (raw or "").strip()
        return f"空白（{mark}）" if mark else "空白"
    if state == report_diff.NOT_IN_FORM:
        return f"{edition}版表式无此格"
    if state == report_diff.UNREAD:
        return f"无法识别：{raw}"
    return STATE_TEXT.get(state, state)


def change_text(change: float | None) -> str:
    if change is None:
        return ""
    return "0" if change == 0 else f"{change:+.15g}"


def source_panel(head: dict, sources: pl.DataFrame, key: str) -> None:
    """Where cell ``key`` of the report ``head`` was printed: the PDF page with the cell
    framed, or the table, row and column of a Word file or web page."""
    metric, _, applicant = key.partition("@")
    match = sources.filter(
        (pl.col("metric") == metric)
        & (pl.col("applicant").is_null() if not applicant else pl.col("applicant") == applicant)
    )
    year = head["year"]
    label = report_diff.cell_label(key)
    if match.is_empty():
        st.info(f"{year}年报告中没有读到“{label}”这一格。", icon=":material/search:")
        return
    fact = match.row(0, named=True)
    page, box = fact["source_page"], fact["source_box"]
    if page is not None:
        where = f"{year}年报告 第{page}页 · {label}"
        try:
            pv = pdf_preview.preview(head["source_path"], head["report_id"], page, box)
        except pdf_preview.Unavailable as exc:
            file_name = re.split(r"[/\\]", str(head["source_path"]))[-1]
            st.warning(
                f"{where}：{safe.md(exc)}（源文件 {safe.code(file_name)}）",
                icon=":material/block:",
            )
            return
        st.caption(
            f"{where}（"
            + ("紫红框为该单元格；" if box is not None else "没有记录单元格的位置，显示整页；")
            + "源文件已核对，与导入时一致）"
        )
        st.image(pv.close_up() if box is not None else pv.image, output_format="PNG")
        if box is not None:
            with st.expander(f"查看第{page}页整页"):
                st.image(pv.image, output_format="PNG")
        return
    if fact["source_table"] is not None:
        st.markdown(
            f"{year}年报告 · {label}：第{fact['source_table'] + 1}张表 "
            f"第{fact['source_row'] + 1}行 第{fact['source_col'] + 1}列"
        )
        return
    st.info(
        f"{year}年报告是纯文本，“{label}”没有可指出的页面或表格位置。",
        icon=":material/notes:",
    )


def cell_sources(head: dict, facts: pl.DataFrame, editions: dict[str, str]) -> None:
    """The report's cells as grids in template order; a clicked cell shows where it was
    printed."""
    if head["format"] == "text":
        st.info(
            "这份报告是纯文本文件，表格单元格没有页面或表格位置，无法定位原文。",
            icon=":material/notes:",
        )
        return
    st.caption(
        "点选下表中的一个数字，查看它在原文件中的位置"
        + (
            "：显示 PDF 原页面，并框出该单元格。"
            if head["format"] == "pdf"
            else "：第几张表、第几行、第几列。"
        )
    )
    part = st.radio(
        "表格",
        report_diff.PARTS,
        index=report_diff.PARTS.index("requests"),
        format_func=report_diff.PART_TITLES.__getitem__,
        horizontal=True,
        key="source_part",
        label_visibility="collapsed",
    )
    cells = {
        report_diff.cell_key(m, a): (v, b, r)
        for t, m, a, v, b, r in facts.select(
            "table", "metric", "applicant", "value", "blank", "raw"
        ).iter_rows()
        if t == part
    }
    keys = report_diff.layout(editions, cells)[part]
    keys += [k for k in cells if k not in set(keys)]
    rows, columns, at = report_diff.grid(keys)
    by_label = {report_diff.column_label(rows[0], c): c for c in columns} if rows else {}
    data: dict[str, list[str]] = {"项目": [report_diff.row_label(r) for r in rows]}
    for label, column in by_label.items():
        values = []
        for row in rows:
            key = at.get((row, column))
            if key is None:
                values.append("")
            elif key not in cells:
                values.append("未读到")
            else:
                value, blank, raw = cells[key]
                values.append(
                    number(value) if value is not None else "空白" if blank else f"无法识别：{raw}"
                )
        data[label] = values
    event = st.dataframe(
        pl.DataFrame(data),
        hide_index=True,
        width="stretch",
        key=f"source_grid_{part}_{head['report_id'][:12]}",
        on_select="rerun",
        selection_mode="single-cell",
        column_config={
            label: st.column_config.TextColumn(label, alignment="right") for label in by_label
        },
    )
    picked = [tuple(c) for c in event.selection.cells]  # type: ignore[union-attr]
    if not picked:
        return
    row_index, column_label = picked[0]
    if column_label not in by_label or not 0 <= int(row_index) < len(rows):
        st.caption("请点选一个数字单元格（不是项目名称）。")
        return
    key = at.get((rows[int(row_index)], by_label[column_label]))
    if key is None:
        st.caption("这一格不在这份报告的表式中。")
        return
    source_panel(head, q(queries.report_fact_sources, head["report_id"]), key)


def year_comparison(
    head: dict, facts: pl.DataFrame, found: pl.DataFrame, years_of: pl.DataFrame
) -> None:
    """Every cell of this report and of another year's report of the same organ, side by
    side in template order, with the change; and each report's findings."""
    others = years_of.filter(pl.col("report_id") != head["report_id"])
    if others.is_empty():
        st.info("同一机关在仓库中没有其他年度的报告，无法对比。", icon=":material/search:")
        return
    options = others["year"].to_list()
    before = [y for y in options if y < head["year"]]
    default = before[-1] if before else options[0]
    other_year = st.selectbox(
        "对比年度",
        options,
        index=options.index(default),
        format_func=lambda y: f"{y}年",
        key=f"compare_year_{head['report_id']}",
    )
    other_id = others.filter(pl.col("year") == other_year)["report_id"][0]
    other = q(queries.report_header, other_id).row(0, named=True)
    sides = sorted(
        [
            (head, facts, found),
            (other, q(queries.report_facts, other_id), q(queries.report_findings, other_id)),
        ],
        key=lambda side: (side[0]["year"], side[0]["status"] == "current"),
    )
    (a, facts_a, _), (b, facts_b, _) = sides
    ed_a = report_diff.table_editions(a["table_editions"], a["edition"])
    ed_b = report_diff.table_editions(b["table_editions"], b["edition"])
    frame = report_diff.diff(facts_a, facts_b, ed_a, ed_b)
    ya, yb = f"{a['year']}年", f"{b['year']}年"
    if ya == yb:  # a superseded report against the revision that replaced it
        ya, yb = f"{ya}（被取代版）", f"{yb}（现行版）"
    both = frame.filter(pl.col("change").is_not_null())
    moved = both.filter(pl.col("change") != 0).height
    st.caption(
        f"{ya}（{labels.EDITIONS.get(a['edition'], a['edition'])}）与 "
        f"{yb}（{labels.EDITIONS.get(b['edition'], b['edition'])}）逐格对比：变化 = {yb} − {ya}。"
        f"两年都有数字的 {both.height} 格中 {moved} 格不同。空白格保持空白、不按 0 计算，"
        "所以不计变化；“某版表式无此格”：2021 年起模板改版，该年报告的表格没有这一格。"
    )
    ui.report_link(other_id, f"打开{other['year']}年报告")
    only_changed = st.toggle("只看两年不同的单元格", key="compare_only_changed")
    flags = {
        name: report_tables.flag_cells(side[2].iter_rows(named=True))
        for name, side in zip((ya, yb), sides, strict=True)
    }

    def audit(key: str) -> str:
        """Which report's findings name the cell, and how (错误/提示), as the tables frame it."""
        marks = []
        for name, flagged in flags.items():
            if key in flagged:
                marks.append(f"{name}{'提示' if flagged[key][0] == 'warn' else '错误'}")
        return "、".join(marks)

    # A selection outlives a rerun by its key: a new pair of reports or a filtered list is a
    # new table, so a row number never points at another cell than the one clicked.
    pair = f"{a['report_id'][:12]}_{b['report_id'][:12]}_{int(only_changed)}"

    for part in report_diff.PARTS:
        rows = frame.filter(pl.col("part") == part)
        if only_changed:
            rows = rows.filter(pl.col("differs"))
        st.markdown(f"**{report_diff.PART_TITLES[part]}**")
        if rows.is_empty():
            st.caption("两年这部分的每一格都相同。")
            continue
        shown_rows = pl.DataFrame(
            {
                "key": rows["key"],
                "项目": rows["row"],
                "列": rows["column"],
                ya: [
                    shown(s, v, r, ed_a[part])
                    for s, v, r in zip(rows["state_a"], rows["value_a"], rows["raw_a"], strict=True)
                ],
                yb: [
                    shown(s, v, r, ed_b[part])
                    for s, v, r in zip(rows["state_b"], rows["value_b"], rows["raw_b"], strict=True)
                ],
                "变化": [change_text(c) for c in rows["change"]],
                "审核发现": [audit(k) for k in rows["key"]],
            }
        )
        event = st.dataframe(
            shown_rows,
            hide_index=True,
            width="stretch",
            key=f"compare_{part}_{pair}",
            on_select="rerun",
            selection_mode="single-row",
            column_order=[c for c in shown_rows.columns if c != "key"],
            column_config={
                "项目": st.column_config.TextColumn("项目", width="large"),
                ya: st.column_config.TextColumn(ya, alignment="right"),
                yb: st.column_config.TextColumn(yb, alignment="right"),
                "变化": st.column_config.TextColumn("变化", alignment="right"),
            },
        )
        picked = event.selection.rows  # type: ignore[union-attr]
        if picked and 0 <= picked[0] < rows.height:
            key = rows["key"][picked[0]]
            left, right = st.columns(2)
            for column, side in ((left, a), (right, b)):
                with column:
                    source_panel(side, q(queries.report_fact_sources, side["report_id"]), key)
    st.markdown("**两年报告各自的审核发现**")
    for column, (side, _, side_found) in zip(st.columns(2), sides, strict=True):
        with column:
            st.markdown(f"{side['year']}年（{side_found.height} 条）")
            if side_found.is_empty():
                st.success("数字彼此一致：没有审核发现。", icon=":material/check_circle:")
            else:
                st.dataframe(
                    findings_frame(side_found),
                    hide_index=True,
                    width="stretch",
                    column_config=ui.FINDING_COLUMNS,
                    key=f"compare_findings_{side['report_id'][:12]}",
                )


def _corrections_table(
    fixes: pl.DataFrame,
    options: dict[str, str],
    then: str = "",
    extra: dict[str, list[str]] | None = None,
) -> None:
    """Corrections as a table: which cell, from what to what (``then``: "当时" for an earlier
    revision's; ``extra`` columns after), who, when and why (typed text, shown as text)."""

    def shown(values: pl.Series) -> list[str]:
        return [v if v is not None else "空白" for v in values]

    st.dataframe(
        pl.DataFrame(
            {
                "单元格": [options.get(t) or target_label(t) for t in fixes["target"]],
                f"{then}原表": shown(fixes["old_value"]),
                f"{then}更正为": shown(fixes["new_value"]),
                **(extra or {}),
                "更正人": fixes["who"],
                "时间（UTC）": [f"{t:%Y-%m-%d %H:%M}" for t in fixes["at_utc"]],
                "理由": fixes["reason"],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={"理由": st.column_config.TextColumn("理由", width="large")},
    )


def stale_list(stale: pl.DataFrame, options: dict[str, str]) -> None:
    """Corrections of an earlier revision that this one no longer bears out: kept, not
    applied, shown so an editor can correct this revision again or leave it as printed."""
    if stale.is_empty():
        return
    st.warning(
        f"上一版本的 {stale.height} 处人工更正不再适用：本版本在这些单元格印的数与当时更正的原数"
        "不同，更正未沿用，请编辑人员复核（需要时在下方重新更正）。",
        icon=":material/history:",
    )
    now = [v if v else "空白或未印" for v in stale["now"]]
    _corrections_table(stale, options, "当时", {"本版本": now})


def corrections_list(fixes: pl.DataFrame, options: dict[str, str]) -> None:
    """The report's corrections in force, for every reader."""
    if not fixes.is_empty():
        _corrections_table(fixes, options)


@st.fragment(run_every=1.0)
def watch_fix(job: correct.Job) -> None:
    """The correction's job, looked at every second without rerunning the page; once it has
    ended, the whole app reruns so every page reads the corrected warehouse."""
    s = correct.state(job)
    if not s.running:
        st.rerun()
    if s.waiting:
        st.progress(0.0, text="另一个导入或更正正在写入仓库，本更正排队等待……")
    else:
        st.progress(0.5, text="正在写入更正，并重新审核这份报告……")
    st.caption("更正在后台进程中写入，看板的其他页面照常可用；完成后这里显示结果。")


def fix_result(asked: dict, result: dict) -> None:
    """What became of the correction: applied, already so, or refused with the reasons."""
    what = f"“{safe.md(asked['label'])}”"
    new = asked["value"] if asked["value"] is not None else "空白"
    if asked.get("row") and result.get("status") == "done":
        st.success(
            f"已更正：{what}一行中改动的 {len(result.get('applied') or [])} 处"
            f"（更正人 {safe.md(result.get('editor', ''))}）。"
            "各页的数字和这份报告的审核发现已按更正后的数值更新。",
            icon=":material/task_alt:",
        )
    elif result.get("status") == "done":
        if result.get("applied"):
            st.success(
                f"已更正：{what}改为 {safe.md(new)}（更正人 {safe.md(result.get('editor', ''))}）。"
                "各页的数字和这份报告的审核发现已按更正后的数值更新。",
                icon=":material/task_alt:",
            )
        else:
            st.info(f"{what}已经是 {safe.md(new)}，无需更正，未写入。", icon=":material/info:")
    elif result.get("status") == "refused":
        st.error(
            f"更正未应用，仓库未改变：{what} "
            + "；".join(safe.md(p) for p in result.get("problems", [])),
            icon=":material/block:",
        )
    else:
        st.error(f"更正失败：{safe.md(result.get('error', ''))}", icon=":material/error:")


def current_text(key: str, facts: pl.DataFrame, fixes: pl.DataFrame, head: dict) -> str:
    """What the report shows now for ``key`` (and what it printed, when corrected)."""
    fixed = {t: o for t, o in zip(fixes["target"], fixes["old_value"], strict=True)}
    if key in correct.FIELD_LABELS:
        now = {"organ": head["organ"], "region_code": head["region_code"], "year": head["year"]}
        text = f"现为：{now[key] if now[key] is not None else '空白'}"
    else:
        metric, _, applicant = key.partition("@")
        row = facts.filter(
            (pl.col("metric") == metric)
            & (pl.col("applicant").is_null() if not applicant else pl.col("applicant") == applicant)
        )
        value = row["value"][0] if row.height else None
        text = f"现为：{number(value) if value is not None else '空白'}"
    if key in fixed:
        text += f"（已更正，原表为 {fixed[key] if fixed[key] is not None else '空白'}）"
    return text


def corrections_panel(head: dict, facts: pl.DataFrame, fixes: pl.DataFrame, flagged: dict) -> None:
    """人工更正: the list for everyone; the form for a signed-in editor only. Nothing but the
    form's submit button, in a session an editor signed in to, starts a correction."""
    rid = head["report_id"]
    cells = {
        report_diff.cell_key(m, a): (t, v, b)
        for t, m, a, v, b in facts.select(
            "table", "metric", "applicant", "value", "blank"
        ).iter_rows()
    }
    options = correct.cell_options(
        cells, report_diff.table_editions(head["table_editions"], head["edition"])
    )
    st.markdown("**人工更正**")
    corrections_list(fixes, options)
    stale_list(q(queries.stale_corrections, rid), options)
    editor = current_editor()
    if editor is None:
        st.caption(
            "报告中印错的数字或报告信息可由编辑人员更正（原表数值保留，更正留有记录）："
            "编辑人员在侧栏“登录”后可在此更正。"
        )
        return
    asked = st.session_state.get(FIX_JOB)
    if asked is not None and asked["report"] == rid:
        s = correct.state(asked["job"])
        if s.running:
            watch_fix(asked["job"])
            return
        assert s.result is not None
        if not asked.get("ended"):
            asked["ended"] = True
            generation = st.session_state.get(FIX_GENERATION, 0)
            if s.result.get("status") == "done":  # an empty form for the next correction
                st.session_state[FIX_GENERATION] = generation + 1
            else:  # the form as it was sent (its widgets' state went while the job ran)
                for name, typed in asked["typed"].items():
                    st.session_state[f"fix_{name}_{generation}"] = typed
        fix_result(asked, s.result)
    if head["status"] not in ("current", "pending"):  # pending: held for review, correctable
        st.caption("这份报告已被修订版取代，只能更正现行版本。")
        return
    rows = correct.row_options(
        cells, report_diff.table_editions(head["table_editions"], head["edition"])
    )
    if rows:
        # Kept outside the widget's state, which is dropped while a job hides the form.
        st.session_state.setdefault("fix_mode", st.session_state.get(FIX_MODE, "cell"))
        mode = st.radio(
            "更正范围",
            list(MODES),
            format_func=MODES.__getitem__,
            key="fix_mode",
            horizontal=True,
            help="一处：一个单元格或报告信息；整行：表中印出的一整行（如三、（七）总计的七列），"
            "改动的各格一并更正，全部写入或全部不写入。",
        )
        st.session_state[FIX_MODE] = mode
        if mode == "row":
            row_form(head, facts, rows, editor)
            return
    targets = list(options)
    key = f"fix_target_{rid[:16]}"
    if st.session_state.get(key) not in options:
        # The editor's last choice (a widget's state is dropped while the job hides it), at
        # first the cell the findings most likely blame. Not an index argument: that would
        # change with the findings and reset the choice.
        wrong = [k for k in targets if flagged.get(k, ("",))[0] == "bad"]
        chosen = st.session_state.get(FIX_CHOSEN, {}).get(rid)
        st.session_state[key] = chosen if chosen in options else wrong[0] if wrong else targets[0]
    target = st.selectbox(
        "更正哪一处",
        targets,
        format_func=options.__getitem__,
        key=key,
        help="报告印出的单元格（部分 · 项目 · 列），或报告的发布机关、行政区划代码、年度。",
    )
    st.session_state[FIX_CHOSEN] = {rid: target}
    st.caption(safe.md(current_text(target, facts, fixes, head)))
    is_cell = target not in correct.FIELD_LABELS
    generation = st.session_state.get(FIX_GENERATION, 0)
    with st.form(f"fix_form_{generation}", border=True):
        value = st.text_input(
            "更正为" + ("（数字）" if is_cell else ""), key=f"fix_value_{generation}", max_chars=120
        )
        blank = (
            st.checkbox("改为空白（原表此格应为空白，不是 0）", key=f"fix_blank_{generation}")
            if is_cell
            else False
        )
        reason = st.text_area(
            "更正理由（必填）",
            key=f"fix_reason_{generation}",
            max_chars=MAX_REASON,
            placeholder="例如：原表（七）总计误填为 0，依各项之和更正",
        )
        submitted = st.form_submit_button("提交更正", type="primary", icon=":material/edit_note:")
    st.caption(
        f"更正以 {safe.md(editor)} 的名义写入仓库并记入操作记录；原表数值保留，"
        "报告的审核发现按更正后的数值重新计算。"
    )
    if not submitted:
        return
    value = value.strip()
    if is_cell and blank and value:
        st.warning("请只填写新数值，或只勾选“改为空白”。", icon=":material/edit_note:")
        return
    if is_cell and not blank and not value:
        st.warning("请填写新数值，或勾选“改为空白”。", icon=":material/edit_note:")
        return
    new_value = None if blank else value
    try:
        job = correct.start(db.warehouse_path(), rid, target, new_value, reason, editor)
    except OSError as exc:
        st.error(
            f"无法启动更正（{safe.md(exc.strerror or exc)}），未写入。", icon=":material/error:"
        )
        return
    st.session_state[FIX_JOB] = {
        "report": rid,
        "job": job,
        "label": options[target],
        "value": new_value,
        "typed": {"value": value, "blank": blank, "reason": reason},
    }
    st.rerun()


def row_form(
    head: dict, facts: pl.DataFrame, rows: dict[str, tuple[str, list[str]]], editor: str
) -> None:
    """A whole printed row in one form: its cells as they are now, one reason, and one job
    for the cells the editor changed, so the row is never published half-corrected."""
    rid = head["report_id"]
    key = f"fix_row_{rid[:16]}"
    if st.session_state.get(key) not in rows:
        chosen = st.session_state.get(FIX_ROW, {}).get(rid)
        st.session_state[key] = chosen if chosen in rows else next(iter(rows))
    row = st.selectbox("更正哪一行", list(rows), format_func=lambda r: rows[r][0], key=key)
    st.session_state[FIX_ROW] = {rid: row}
    label, targets = rows[row]
    now: dict[str, float | None] = {}
    for target in targets:
        metric, _, applicant = target.partition("@")
        found = facts.filter(
            (pl.col("metric") == metric)
            & (pl.col("applicant").is_null() if not applicant else pl.col("applicant") == applicant)
        )
        now[target] = found["value"][0] if found.height else None
    generation = st.session_state.get(FIX_GENERATION, 0)
    whole = {t: catalog.METRICS_BY_KEY[t.partition("@")[0]].unit != "万元" for t in targets}
    for target in targets:  # the row as it is now, unless the editor's typing is kept
        name = f"fix_row_{target}_{generation}"
        if name not in st.session_state:
            value = now[target]
            st.session_state[name] = (
                None if value is None else int(value) if whole[target] else float(value)
            )
    with st.form(f"fix_row_form_{generation}", border=True):
        st.caption("这一行现在的数值；改动需要更正的格子，清空某格即改为空白。未改动的格子不更正。")
        wanted: dict[str, float | None] = {}
        for column, target in zip(st.columns(len(targets)), targets, strict=True):
            with column:
                wanted[target] = st.number_input(
                    report_diff.column_label(*report_diff.split_key(target)),
                    value=None,
                    step=1 if whole[target] else 0.01,
                    key=f"fix_row_{target}_{generation}",
                )
        reason = st.text_area(
            "更正理由（必填，用于这一行改动的每一格）",
            key=f"fix_rowreason_{generation}",
            max_chars=MAX_REASON,
            placeholder="例如：原表（七）总计整行误填为 0，依各项之和更正",
        )
        submitted = st.form_submit_button(
            "提交整行更正", type="primary", icon=":material/edit_note:"
        )
    st.caption(
        f"更正以 {safe.md(editor)} 的名义写入仓库并记入操作记录；原表数值保留，"
        "报告的审核发现按更正后的数值重新计算。"
    )
    if not submitted:
        return
    changes = correct.row_changes(now, wanted)
    if not changes:
        st.info("这一行没有改动，未写入。", icon=":material/info:")
        return
    if not reason.strip():
        st.warning("请填写更正理由。", icon=":material/edit_note:")
        return
    names = {t: report_diff.cell_label(t) for t in changes}
    try:
        job = correct.start_many(db.warehouse_path(), rid, changes, reason, editor, names)
    except OSError as exc:
        st.error(
            f"无法启动更正（{safe.md(exc.strerror or exc)}），未写入。", icon=":material/error:"
        )
        return
    typed: dict[str, object] = {f"row_{t}": v for t, v in wanted.items()}
    typed["rowreason"] = reason
    st.session_state[FIX_JOB] = {
        "report": rid,
        "job": job,
        "label": label,
        "value": None,
        "row": True,
        "typed": typed,
    }
    st.rerun()


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
held = head["status"] == "pending" and year == head["year"]  # 待审核: not among current ones
if chosen and chosen[0] != head["report_id"] and not held:
    wanted = chosen[0]
    head = q(queries.report_header, wanted).row(0, named=True)
st.query_params["report"] = head["report_id"]

# --- title and facts about the file -----------------------------------------------------------
badges = [ui.badge_demo() if head["is_demo"] else ui.badge_real()]
if head["has_errors"]:
    badges.append(ui.badge_errors())
if head["status"] == "pending":
    badges.append(":violet-badge[待审核：未发布]")
elif head["status"] != "current":
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
# Where it was downloaded from (``xxgk fetch``, 导入报告's 从网站下载), and when if its sidecar
# is still beside the file.
source = (
    upload.source_note(
        head["source_url"], upload.fetched_at(head["source_path"], head["report_id"])
    )
    if head["source_url"]
    else ""
)
st.caption(
    f"{safe.md(region)}（{safe.md(head['region_code'] or '无区划代码')}，"
    f"{safe.md(labels.REGION_STATUS.get(head['region_status'], head['region_status']))}）· "
    f"{safe.md(labels.ORGAN_KINDS.get(head['organ_kind'], head['organ_kind']))} · "
    f"{safe.md(labels.EDITIONS.get(head['edition'], head['edition']))} · "
    f"源文件 {safe.code(file_name)}"
    f"（{safe.md(labels.FORMATS.get(head['format'], head['format']))}）· "
    f"导入于 {head['ingested_at']:%Y-%m-%d %H:%M}" + (f" · {source}" if source else "")
)
if head["status"] != "current" and head["superseded_by"]:
    ui.report_link(head["superseded_by"], "打开取代它的修订版")
if head["status"] == "pending":
    st.warning(
        "待审核：未发布。这份报告有审核错误，已导入但尚未发布，各页统计和数据下载都不含它；"
        "编辑人员可在“待审核”页确认发布，或在下方更正（更正后无错误即发布）。",
        icon=":material/pending_actions:",
    )
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
fixes = q(queries.report_corrections, rid)
corrected = report_tables.correction_notes(fixes.iter_rows(named=True))
if corrected:
    st.info(
        f"含 {len(corrected)} 处人工更正：表中标“已更正”的单元格为更正后的数值，"
        "鼠标悬停可看原值、更正人、时间与理由。",
        icon=":material/edit_note:",
    )

errors = found.filter(pl.col("severity") == "error").height
tabs = st.tabs(
    [
        "二、主动公开",
        "三、依申请公开",
        "四、复议诉讼",
        f"审核发现（{found.height}）" + (" ⚠" if errors else ""),
        "年度对比",
        "数字出处",
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
    st.html(
        report_tables.active_html(
            editions.get("active", head["edition"]), cells, flagged, corrected
        )
    )
with tabs[1]:
    edition = editions.get("requests", head["edition"])
    subrows = any(
        k.startswith("outcome.other.") and not k.startswith("outcome.other.total") for k in cells
    )
    st.html(report_tables.requests_html(edition, subrows, cells, flagged, corrected))
with tabs[2]:
    st.html(report_tables.review_html(cells, flagged, corrected))
with tabs[3]:
    if found.is_empty():
        st.success("这份报告的数字彼此一致：没有审核发现。", icon=":material/check_circle:")
    else:
        st.dataframe(
            findings_frame(found),
            hide_index=True,
            width="stretch",
            column_config=ui.FINDING_COLUMNS,
        )
with tabs[4]:
    year_comparison(head, facts, found, years_of)
with tabs[5]:
    cell_sources(head, facts, report_diff.table_editions(head["table_editions"], head["edition"]))
with tabs[6]:
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
with tabs[7]:
    text = q(queries.report_text, rid)
    if text:
        st.caption(f"导入时从源文件读出的文本（{fmt.num(len(text))} 字）。")
        st.code(text, language=None, wrap_lines=True, height=520)
    else:
        st.info("仓库中没有这份报告的原文文本。", icon=":material/search:")

corrections_panel(head, facts, fixes, flagged)

others = years_of.filter(pl.col("report_id") != rid)
if others.height:
    st.markdown("**同一机关的其他年度**")
    cols = st.columns(min(6, others.height))
    for i, r in enumerate(others.iter_rows(named=True)):
        with cols[i % len(cols)]:
            ui.report_link(r["report_id"], f"{r['year']}年" + (" ⚠" if r["has_errors"] else ""))
