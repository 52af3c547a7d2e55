"""人工更正: a correction changes what is published, never what was parsed, and has a trail."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines import corrections
from pipelines.cli import main
from pipelines.corrections import CorrectionError, Item
from pipelines.export import export
from pipelines.filters import Filters
from pipelines.ingest import ingest
from pipelines.warehouse import derived, open_readonly
from tests.warehouse_helpers import SEED_TEXT, write

TOTAL_ROW = "(七) 总计\t0\t0\t0\t0\t0\t0\t0\t"
FIX = [
    ("outcome.total@natural_person", "4"),
    ("outcome.total@total", "4"),
]


def _seed(folder: Path, text: str = SEED_TEXT, name: str = "seed.txt") -> Path:
    assert TOTAL_ROW in SEED_TEXT
    return write(folder / name, text)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    db = tmp_path / "w.duckdb"
    ingest([_seed(tmp_path / "in")], db, progress=False, workers=0)
    return db


def _report_id(db: Path) -> str:
    con = open_readonly(db)
    try:
        return con.execute("SELECT report_id FROM current_reports").fetchall()[0][0]
    finally:
        con.close()


def _items(
    report_id: str, reason: str = "原表（七）总计误填为 0，依第一项与第四项更正"
) -> list[Item]:
    return [Item(report_id, target, value, reason) for target, value in FIX]


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = open_readonly(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _h_errors(db: Path) -> set[tuple[str, str]]:
    rows = _query(
        db,
        "SELECT rule, cells[1] FROM current_findings WHERE rule IN ('H1', 'H2') "
        "AND severity = 'error'",
    )
    return {(rule, cell.split("@")[1]) for rule, cell in rows}


def test_a_correction_changes_what_is_published_and_not_what_was_parsed(db, tmp_path) -> None:
    report_id = _report_id(db)
    assert _h_errors(db) >= {("H1", "total"), ("H2", "total"), ("H1", "natural_person")}
    summary = corrections.apply(db, _items(report_id), "张三")
    assert len(summary.applied) == 2 and summary.reports == [report_id]

    published = _query(
        db,
        "SELECT applicant, value, corrected FROM current_facts "
        "WHERE metric = 'outcome.total' AND applicant IN ('natural_person', 'total') ORDER BY 1",
    )
    assert published == [("natural_person", 4.0, True), ("total", 4.0, True)]
    assert _query(db, "SELECT closed FROM report_figures") == [(4.0,)]
    # the parsed fact is as printed
    printed = _query(
        db, "SELECT value FROM facts WHERE metric = 'outcome.total' AND applicant = 'total'"
    )
    assert printed == [(0.0,)]
    # the findings the zeros caused are gone for those columns, and the error flag with them
    assert not {("H1", "total"), ("H2", "total"), ("H1", "natural_person")} & _h_errors(db)
    assert _query(db, "SELECT has_errors FROM current_reports") == [(False,)]
    # the trail: the table and the audit log
    rows = _query(db, "SELECT target, old_value, new_value, who, status FROM corrections")
    assert sorted(rows) == [
        ("outcome.total@natural_person", "0", "4", "张三", "active"),
        ("outcome.total@total", "0", "4", "张三", "active"),
    ]
    assert _query(db, "SELECT count(*) FROM audit_log WHERE action = 'correct'") == [(2,)]

    # an exported Parquet file carries the corrected value, marked, and lists the correction
    out = tmp_path / "long.parquet"
    export(db, out, Filters(), form="long")
    table = pq.read_table(out).to_pylist()
    fixed = [r for r in table if r["corrected"]]
    assert {(r["metric"], r["applicant"], r["value"]) for r in fixed} == {
        ("outcome.total", "natural_person", 4.0),
        ("outcome.total", "total", 4.0),
    }
    wide = tmp_path / "wide.parquet"
    export(db, wide, Filters(), form="wide")
    meta = pq.read_schema(wide).metadata
    listed = json.loads(meta[b"xxgk.corrections"])
    assert {e["cell"] for e in listed} == {t for t, _ in FIX}
    assert all(e["old_value"] == "0" and e["who"] == "张三" and e["reason"] for e in listed)
    assert pq.read_table(wide).to_pylist()[0]["三、本年度办理结果/(七)总计（总计）"] == 4.0

    # a rebuild from the facts and the corrections leaves the same figures and findings
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(db.read_bytes())
    con = duckdb.connect(str(copy))
    try:
        before = con.execute("SELECT * FROM report_figures").fetchall()
        findings = sorted(con.execute("SELECT * FROM findings").fetchall())
        derived.rebuild(con)
        corrections.reaudit(con, report_id)
        assert con.execute("SELECT * FROM report_figures").fetchall() == before
        assert sorted(con.execute("SELECT * FROM findings").fetchall()) == findings
    finally:
        con.close()


def test_the_audit_again_on_uncorrected_values_is_the_parsers_audit(tmp_path) -> None:
    from tests.helpers import SAMPLES

    db = tmp_path / "w.duckdb"
    ingest([SAMPLES], db, progress=False, workers=0)
    con = duckdb.connect(str(db))
    try:
        before = sorted(con.execute("SELECT * FROM findings").fetchall())
        for (report_id,) in con.execute("SELECT report_id FROM reports").fetchall():
            corrections.reaudit(con, report_id)
        assert sorted(con.execute("SELECT * FROM findings").fetchall()) == before
    finally:
        con.close()


def test_a_bad_item_is_refused_and_nothing_is_applied(db) -> None:
    report_id = _report_id(db)
    before = db.read_bytes()
    cases = [
        (Item(report_id, "outcome.granted@total", "4", "  "), "理由"),
        (Item("0" * 64, "outcome.granted@total", "4", "理由"), "没有该报告"),
        (Item(report_id, "outcome.nonsense@total", "4", "理由"), "不是模板中的单元格"),
        (Item(report_id, "outcome.total", "4", "理由"), "申请人类型"),
        (Item(report_id, "outcome.granted@total", "四", "理由"), "不是数字"),
        (Item(report_id, "outcome.granted@total", "-1", "理由"), "负数"),
        (Item(report_id, "outcome.granted@total", "2.5", "理由"), "整数"),
        (Item(report_id, "outcome.granted@total", "1e12", "理由"), "合理范围"),
        (Item(report_id, "year", "1999", "理由"), "年度"),
        (Item(report_id, "region_code", "999999", "理由"), "行政区划代码"),
    ]
    for bad, words in cases:
        with pytest.raises(CorrectionError) as caught:
            corrections.apply(db, [*_items(report_id), bad], "张三")
        assert words in str(caught.value), (bad, str(caught.value))
        assert caught.value.problems[0][0] == 3  # the third item, named
    assert db.read_bytes() == before
    assert _query(db, "SELECT count(*) FROM corrections") == [(0,)]


def test_reingest_keeps_it_and_a_new_revision_takes_it_over_or_marks_it_stale(db, tmp_path) -> None:
    report_id = _report_id(db)
    corrections.apply(db, _items(report_id), "张三")
    # the same file again: unchanged, the correction applies
    summary = ingest([tmp_path / "in"], db, progress=False, workers=0)
    assert summary.unchanged == 1
    assert _query(
        db, "SELECT closed FROM report_figures r JOIN current_reports USING (report_id)"
    ) == [(4.0,)]
    # a revision printing the same zeros (another file): the corrections follow it
    same = _seed(tmp_path / "rev1", SEED_TEXT + "\n（本报告重新发布）\n")
    summary = ingest([same], db, progress=False, workers=0)
    assert summary.updated == 1
    current = _report_id(db)
    assert current != report_id
    assert _query(db, "SELECT report_id, status FROM corrections ORDER BY id") == [
        (current, "active"),
        (current, "active"),
    ]
    assert _query(
        db, "SELECT closed FROM report_figures JOIN current_reports USING (report_id)"
    ) == [(4.0,)]
    # a revision that prints other numbers there: stale, kept, not applied
    fixed = SEED_TEXT.replace(TOTAL_ROW, "(七) 总计\t3\t0\t0\t0\t0\t0\t3\t")
    summary = ingest([_seed(tmp_path / "rev2", fixed)], db, progress=False, workers=0)
    assert summary.updated == 1
    assert _query(db, "SELECT status FROM corrections ORDER BY id") == [("stale",), ("stale",)]
    assert _query(
        db,
        "SELECT value, corrected FROM current_facts WHERE metric = 'outcome.total' "
        "AND applicant = 'total'",
    ) == [(3.0, False)]
    assert _query(db, "SELECT count(*) FROM audit_log WHERE action = 'correction_stale'") == [(2,)]


def test_export_and_import_round_trip_and_import_is_idempotent(db, tmp_path, capsys) -> None:
    report_id = _report_id(db)
    corrections.apply(db, _items(report_id, reason='=HYPERLINK("x") 依原件'), "张三")
    out = tmp_path / "c.csv"
    assert main(["corrections", "export", str(out), "--db", str(db)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text  # a spreadsheet does not run it

    other = tmp_path / "other.duckdb"
    ingest([tmp_path / "in"], other, progress=False, workers=0)
    assert main(["corrections", "import", str(out), "--db", str(other), "--who", "李四"]) == 0
    assert "应用 2 条" in capsys.readouterr().out
    assert main(["corrections", "import", str(out), "--db", str(other), "--who", "李四"]) == 0
    assert "应用 0 条更正，已存在 2 条" in capsys.readouterr().out
    rows = _query(other, "SELECT target, old_value, new_value, reason, who FROM corrections")
    assert sorted(rows) == sorted((t, "0", v, '=HYPERLINK("x") 依原件', "李四") for t, v in FIX)
    assert _query(other, "SELECT closed FROM report_figures") == [(4.0,)]
    # an old value that no longer matches is refused, named, and nothing applied
    out.write_text(text.replace(",0,4,", ",7,4,", 1).replace("\ufeff", ""), encoding="utf-8-sig")
    fresh = tmp_path / "fresh.duckdb"
    ingest([tmp_path / "in"], fresh, progress=False, workers=0)
    assert main(["corrections", "import", str(out), "--db", str(fresh), "--who", "李四"]) == 2
    assert "原值已变化" in capsys.readouterr().err
    assert _query(fresh, "SELECT count(*) FROM corrections") == [(0,)]


def test_a_report_field_correction_moves_the_report(db) -> None:
    report_id = _report_id(db)
    corrections.apply(db, [Item(report_id, "year", "2021", "标题年度印错，正文为2021年")], "张三")
    assert _query(db, "SELECT year FROM current_reports") == [(2021,)]
    assert _query(db, "SELECT old_value, new_value FROM corrections") == [("2020", "2021")]
    # the same again is one
    again = corrections.apply(db, [Item(report_id, "year", "2021", "再次")], "张三")
    assert (again.applied, again.unchanged) == ([], 1)


def test_kill_9_during_an_ingest_leaves_corrections_intact(db, tmp_path) -> None:
    from tests.test_warehouse_processes import many_reports, xxgk

    corrections.apply(db, _items(_report_id(db)), "张三")
    before = db.read_bytes()
    folder = many_reports(tmp_path / "many", 400)
    proc = xxgk("ingest", str(folder), "--db", str(db), "--quiet", "--workers", "2")
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".w.duckdb.building-*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)
    assert proc.poll() is None, "the batch finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert db.read_bytes() == before
    assert _query(db, "SELECT count(*) FROM corrections WHERE status = 'active'") == [(2,)]
    assert _query(db, "SELECT closed FROM report_figures") == [(4.0,)]
    # and a batch after it keeps them
    ingest([folder], db, progress=False, workers=2)
    assert _query(db, "SELECT count(*) FROM corrections WHERE status = 'active'") == [(2,)]
    rid = _report_id_of(db, "前进区政府办")
    assert _query(db, "SELECT closed FROM report_figures WHERE report_id = ?", [rid]) == [(4.0,)]


def _report_id_of(db: Path, organ: str) -> str:
    return _query(db, "SELECT report_id FROM current_reports WHERE organ = ?", [organ])[0][0]


def test_the_report_page_shows_the_corrected_value_marked(db, monkeypatch) -> None:
    import re

    from streamlit.testing.v1 import AppTest

    report_id = _report_id(db)
    corrections.apply(db, _items(report_id, reason="<b>依原件</b> 更正"), "张三")
    monkeypatch.setenv("XXGK_DB", str(db))
    app = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60)
    at.query_params["report"] = report_id
    at.run()
    at.switch_page("views/report.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("含 2 处人工更正" in i.value for i in at.info)
    part_three = at.get("html")[1].proto.body
    fixed = re.findall(r'class="num[^"]* fixed" data-cell="([^"]+)"[^>]*>4<', part_three)
    assert sorted(fixed) == ["outcome.total@natural_person", "outcome.total@total"]
    assert "原表为 0；张三" in part_three
    assert "&lt;b&gt;依原件&lt;/b&gt;" in part_three  # typed text is escaped, never markup
    assert not re.search(r'class="num bad" data-cell="outcome.total@total"', part_three)


def test_the_new_revision_lists_the_corrections_it_no_longer_bears_out(db, tmp_path, app) -> None:
    """报告详情 of the revision that prints 3 where the correction had turned 0 into 4: the
    two corrections are listed for review with what this revision prints, not applied."""
    from dashboard import queries

    corrections.apply(db, _items(_report_id(db)), "张三")
    fixed = SEED_TEXT.replace(TOTAL_ROW, "(七) 总计\t3\t0\t0\t0\t0\t0\t3\t")
    ingest([_seed(tmp_path / "rev2", fixed)], db, progress=False, workers=0)
    current = _report_id(db)
    con = open_readonly(db)
    try:
        stale = queries.stale_corrections(con, current)
    finally:
        con.close()
    assert sorted(stale.select("target", "old_value", "new_value", "now").rows()) == [
        ("outcome.total@natural_person", "0", "4", "3"),
        ("outcome.total@total", "0", "4", "3"),
    ]
    app.query_params["report"] = current
    at = app.switch_page("views/report.py").run()
    assert not at.exception
    warned = [w.value for w in at.warning if "不再适用" in w.value]
    assert warned and "2 处人工更正不再适用" in warned[0]
    shown = [d.value for d in at.dataframe if "当时更正为" in d.value.columns]
    assert len(shown) == 1 and shown[0]["本版本"].to_list() == ["3", "3"]
