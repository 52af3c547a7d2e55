"""Whole-row 人工更正 and the note every analysis page carries: a row's changed cells are one
``apply`` (all or none), and the pages that show figures say when they include corrections."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from dashboard import correct, report_diff
from tests import test_corrections_ui as single
from tests.test_corrections_ui import (
    EDITOR,
    corrections_rows,
    ok,
    open_report,
    query,
    report_id,
    sign_in,
    texts,
)

ROW = "outcome.total"  # the seed prints （七）总计 as all zeros under columns that sum to 4
REASON = "原表（七）总计整行误填为 0，依各项之和更正"
NOTE = "处人工更正"
db = single.db  # the same fixtures: the seed's warehouse, an editor's account
app = single.app
PAGES = {"申请趋势": "views/trends.py", "地区比较": "views/compare.py"}


def row_button(at: AppTest):
    return next((b for b in at.main.button if b.label == "提交整行更正"), None)


def ask_row(at: AppTest, rid: str, values: dict[str, float | None], reason: str) -> AppTest:
    """Choose 整行 and the row, type ``values`` (applicant -> number) and submit; then wait for
    the job's result."""
    at.radio(key="fix_mode").set_value("row").run()
    at.selectbox(key=f"fix_row_{rid[:16]}").set_value(ROW).run()
    ok(at)
    generation = at.session_state.get("fix_generation", 0)
    for applicant, value in values.items():
        at.number_input(key=f"fix_row_{ROW}@{applicant}_{generation}").set_value(value)
    at.text_area(key=f"fix_rowreason_{generation}").input(reason)
    row_button(at).click().run()
    ok(at)
    return single.wait_for_job(at)


def h_errors(db) -> set[tuple[str, str]]:
    rows = query(
        db,
        "SELECT rule, cells[1] FROM current_findings WHERE rule IN ('H1', 'H2') "
        "AND severity = 'error'",
    )
    return {(rule, cell.split("@")[1]) for rule, cell in rows}  # as test_corrections reads them


def notes(at: AppTest) -> list[str]:
    return [c for c in texts(at, "caption") if NOTE in c]


def test_row_options_group_a_rows_cells_and_only_changes_are_asked() -> None:
    cells = {
        report_diff.cell_key("outcome.total", a): ("requests", 0.0, False)
        for a in ("natural_person", "legal.commercial", "total")
    }
    cells["received"] = ("requests", 4.0, False)  # not of a row: no applicant column
    rows = correct.row_options(cells, {"active": "2021", "requests": "2021", "review": "2021"})
    assert list(rows) == ["outcome.total"]
    label, targets = rows["outcome.total"]
    assert label.startswith("三、依申请公开 · ") and "总计" in label
    assert targets == [
        "outcome.total@natural_person",
        "outcome.total@legal.commercial",
        "outcome.total@total",
    ]
    now = {"a": 0.0, "b": 4.0, "c": None, "d": 7730.28}
    wanted = {"a": 4, "b": 4, "c": None, "d": 7730.28}
    assert correct.row_changes(now, wanted) == {"a": "4"}
    assert correct.row_changes({"a": 4.0}, {"a": None}) == {"a": None}  # cleared: blank


def test_an_editor_corrects_a_whole_row_and_every_page_says_so(app: AppTest, db) -> None:
    rid = report_id(db)
    at = ok(app)
    at.run()
    for title, page in PAGES.items():  # before: no note
        at = ok(at.switch_page(page).run())
        assert at.title[0].value == title
        assert not notes(at), (title, notes(at))
    at = sign_in(open_report(at, rid))
    errors = h_errors(db)
    assert {("H1", "total"), ("H2", "total"), ("H1", "natural_person")} <= errors

    # the row as it is now: seven inputs, all 0
    at.radio(key="fix_mode").set_value("row").run()
    at.selectbox(key=f"fix_row_{rid[:16]}").set_value(ROW).run()
    inputs = [n for n in ok(at).main.number_input if n.key and n.key.startswith("fix_row_")]
    assert len(inputs) == 7 and [n.value for n in inputs] == [0] * 7
    assert inputs[0].label == "自然人" and inputs[-1].label == "总计"

    at = ask_row(at, rid, {"natural_person": 4, "total": 4}, REASON)
    assert any(s.startswith("已更正：") and "2 处" in s for s in texts(at, "success")), texts(
        at, "success"
    )
    # exactly the changed cells, one reason, one editor; the unchanged five are not corrected
    assert sorted(corrections_rows(db)) == [
        ("outcome.total@natural_person", "0", "4", REASON, EDITOR, "active"),
        ("outcome.total@total", "0", "4", REASON, EDITOR, "active"),
    ]
    assert query(db, "SELECT count(*) FROM audit_log WHERE action = 'correct'") == [(2,)]
    assert not {("H1", "total"), ("H2", "total"), ("H1", "natural_person")} & h_errors(db)
    # the next form shows the corrected row
    generation = at.session_state["fix_generation"]
    assert at.number_input(key=f"fix_row_{ROW}@total_{generation}").value == 4

    # after: every analysis page says its figures include them, the overview once
    for title, page in {**PAGES, "总览": "views/overview.py"}.items():
        at = ok(at.switch_page(page).run())
        assert at.title[0].value == title
        assert [n for n in notes(at) if "含 2 处人工更正" in n], (title, texts(at, "caption"))
        assert len(notes(at)) == 1, (title, notes(at))


def test_a_row_with_one_invalid_value_applies_nothing(app: AppTest, db) -> None:
    rid = report_id(db)
    at = sign_in(open_report(app, rid))
    errors = h_errors(db)
    at = ask_row(at, rid, {"natural_person": 4, "legal.other": -1, "total": 4}, REASON)
    refused = [e for e in texts(at, "error") if "更正未应用" in e]
    assert refused and "不能为负数" in refused[0] and "其他" in refused[0], texts(at, "error")
    assert corrections_rows(db) == []
    assert h_errors(db) == errors
    # the row as it was sent, to be put right
    assert at.radio(key="fix_mode").value == "row"
    assert at.number_input(key=f"fix_row_{ROW}@legal.other_0").value == -1
    assert at.text_area(key="fix_rowreason_0").value == REASON
