"""The warehouse on a real DuckDB file: idempotent, revisions, failures, regions, migrations."""

from __future__ import annotations

import re

import duckdb
import pytest

from pipelines.ingest import ingest
from pipelines.warehouse import WarehouseError, building, open_readonly
from pipelines.warehouse.schema import MIGRATIONS, SCHEMA_VERSION, migrate
from tests.helpers import SAMPLES
from tests.warehouse_helpers import SEED_TEXT, SHUYANG_HTML, seed_as, write


def rows(db, sql: str, params: list | None = None) -> list[tuple]:
    con = open_readonly(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_ingesting_twice_changes_nothing(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    first = ingest([SAMPLES], db, progress=False)
    assert (first.new, first.updated, first.unchanged, first.failed) == (
        len(list(SAMPLES.iterdir())),
        0,
        0,
        [],
    )
    before = rows(db, "SELECT report_id, status FROM reports ORDER BY 1")
    n_facts = rows(db, "SELECT count(*) FROM facts")[0][0]
    second = ingest([SAMPLES], db, progress=False)
    assert (second.new, second.updated, second.failed) == (0, 0, [])
    assert second.unchanged == first.new
    assert rows(db, "SELECT report_id, status FROM reports ORDER BY 1") == before
    assert rows(db, "SELECT count(*) FROM facts")[0][0] == n_facts


def test_seed_numbers_land_as_printed(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    assert rows(
        db,
        "SELECT received, granted, denied, closed FROM report_figures "
        "JOIN current_reports USING (report_id)",
    ) == [(4.0, 3.0, 1.0, 0.0)]
    assert rows(
        db, "SELECT organ_id, province, city, county, region_code, organ_kind FROM current_reports"
    ) == [("230804:人民政府办公室", "黑龙江省", "佳木斯市", "前进区", "230804", "department")]
    assert rows(db, "SELECT rule, count(*) FROM findings GROUP BY 1 ORDER BY 1") == [
        ("H1", 2),
        ("H2", 2),
    ]
    assert rows(db, "SELECT has_errors FROM current_reports") == [(True,)]


def test_shuyang_blank_cells_stay_null(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "shuyang_fgj_2023.html"], db, progress=False)
    assert rows(db, "SELECT count(*) FROM facts WHERE blank AND value IS NULL") == [(125,)]
    assert rows(db, "SELECT count(*) FROM facts WHERE blank AND value IS NOT NULL") == [(0,)]


def test_revised_report_supersedes_and_history_is_kept(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    original = write(tmp_path / "in" / "seed.txt", SEED_TEXT)
    ingest([original], db, progress=False)
    zero_total = "(七) 总计\t0\t0\t0\t0\t0\t0\t0"
    revised_text = SEED_TEXT.replace(zero_total, "(七) 总计\t4\t0\t0\t0\t0\t0\t4")
    assert revised_text != SEED_TEXT
    revised = write(tmp_path / "in" / "seed_revised.txt", revised_text)
    summary = ingest([revised], db, progress=False)
    assert (summary.new, summary.updated) == (0, 1)
    history = rows(
        db,
        "SELECT source_path, status, superseded_by IS NOT NULL FROM reports "
        "ORDER BY ingested_at, status",
    )
    assert sorted(history) == [
        (str(original), "superseded", True),
        (str(revised), "current", False),
    ]
    assert rows(db, "SELECT closed FROM report_figures JOIN current_reports USING (report_id)") == [
        (4.0,)
    ]
    # The revision fixed the total row: no errors left on the current report.
    assert rows(db, "SELECT count(*) FROM current_findings WHERE severity = 'error'") == [(0,)]


def test_one_organ_however_it_is_named(tmp_path) -> None:
    """洪泽区人民政府 (2023) and 淮安市洪泽区人民政府 (2024) are one organ."""
    db = tmp_path / "w.duckdb"
    a = write(tmp_path / "a.txt", seed_as("洪泽区人民政府"))
    b = write(tmp_path / "b.txt", seed_as("淮安市洪泽区人民政府").replace("2020", "2021"))
    ingest([a, b], db, progress=False)
    assert rows(db, "SELECT DISTINCT organ_id FROM current_reports") == [("320813:人民政府",)]
    assert rows(db, "SELECT year FROM current_reports ORDER BY 1") == [(2020,), (2021,)]


def test_a_broken_file_among_good_ones(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    folder = tmp_path / "in"
    write(folder / "good.txt", SEED_TEXT)
    write(folder / "also_good.html", SHUYANG_HTML)
    (folder / "broken.html").write_bytes(b"\x00\x01\x02 not a page" * 100)
    write(folder / "weather.txt", "今日天气\n晴\n")
    summary = ingest([folder], db, progress=False)
    assert summary.new == 2
    failed = dict(summary.failed)
    assert set(failed) == {str(folder / "broken.html"), str(folder / "weather.txt")}
    assert "二进制" in failed[str(folder / "broken.html")]
    assert "未找到年度报告的统计表" in failed[str(folder / "weather.txt")]
    assert rows(db, "SELECT count(*) FROM current_reports") == [(2,)]
    assert sorted(rows(db, "SELECT path, error_kind FROM ingest_errors")) == [
        (str(folder / "broken.html"), "unreadable"),
        (str(folder / "weather.txt"), "not_a_report"),
    ]


def test_ambiguous_region_is_flagged_then_settled_by_manifest(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    report = write(tmp_path / "in" / "chaoyang.txt", seed_as("朝阳区人民政府"))
    summary = ingest([report], db, progress=False)
    assert summary.ambiguous == [(str(report), "朝阳区人民政府")]
    assert rows(db, "SELECT region_code, region_status FROM current_reports") == [
        (None, "ambiguous")
    ]
    write(tmp_path / "in" / "manifest.csv", "file,region_code\nchaoyang.txt,220104\n")
    # The same bytes again, now with a manifest: the report moves to its region.
    summary2 = ingest([tmp_path / "in"], db, progress=False)
    assert (summary2.ambiguous, summary2.new, summary2.updated) == ([], 0, 1)
    assert rows(
        db, "SELECT province, city, county, region_code, region_status FROM current_reports"
    ) == [("吉林省", "长春市", "朝阳区", "220104", "manifest")]
    assert rows(db, "SELECT count(*) FROM reports") == [(1,)]
    # And once settled, nothing changes on the next run.
    summary3 = ingest([tmp_path / "in"], db, progress=False)
    assert (summary3.new, summary3.updated, summary3.unchanged) == (0, 0, 1)


def test_manifest_by_organ_name(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    write(tmp_path / "in" / "a.txt", seed_as("朝阳区人民政府"))
    write(tmp_path / "m.csv", "organ,region_code,organ_kind\n朝阳区人民政府,110105,government\n")
    ingest([tmp_path / "in"], db, manifest_paths=[tmp_path / "m.csv"], progress=False)
    assert rows(db, "SELECT organ_id, city, region_status FROM current_reports") == [
        ("110105:人民政府", "北京市", "manifest")
    ]


def test_folder_names_settle_an_ambiguous_region(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    report = write(tmp_path / "raw" / "北京市" / "朝阳区" / "2020.txt", seed_as("朝阳区人民政府"))
    ingest([report], db, progress=False)
    assert rows(db, "SELECT region_code, region_status FROM current_reports") == [
        ("110105", "folder")
    ]


def test_cross_year_carry_over_is_checked(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    y2020 = write(tmp_path / "2020.txt", SEED_TEXT)
    carried = "二、上年结转政府信息公开申请数量\t\t0\t0\t0\t0\t0\t0\t0"
    assert carried in SEED_TEXT
    text_2021 = SEED_TEXT.replace("2020", "2021").replace(
        carried, "二、上年结转政府信息公开申请数量\t\t5\t0\t0\t0\t0\t0\t5"
    )
    y2021 = write(tmp_path / "2021.txt", text_2021)
    ingest([y2020, y2021], db, progress=False)
    found = rows(
        db,
        "SELECT year, rule, cells[1], expected, actual FROM current_findings "
        "WHERE scope = 'cross_year' ORDER BY 3",
    )
    assert found == [
        (2021, "S1", "requests.carried_over@natural_person", 0.0, 5.0),
        (2021, "S1", "requests.carried_over@total", 0.0, 5.0),
    ]


def test_an_older_warehouse_is_upgraded(tmp_path) -> None:
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    migrate(con, target=1)  # a warehouse written before report_texts existed
    con.close()
    assert SCHEMA_VERSION == len(MIGRATIONS) >= 2
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    assert rows(db, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]
    assert rows(db, "SELECT count(*) FROM report_texts") == [(1,)]


def test_a_version_2_warehouse_keeps_its_reports_and_gains_its_figures(tmp_path) -> None:
    """Rows as xxgk wrote them before migrations 3 and 4: the seed loaded into schema 2."""
    db = tmp_path / "v2.duckdb"
    ingest([SAMPLES / "000_seed.txt"], tmp_path / "new.duckdb", progress=False)
    con = duckdb.connect(str(db))
    migrate(con, target=2)
    con.execute(f"ATTACH '{tmp_path / 'new.duckdb'}' AS new (READ_ONLY)")
    columns = [
        c
        for (c,) in con.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_name = 'reports' "
            "ORDER BY ordinal_position"
        ).fetchall()
    ]
    con.execute(f"INSERT INTO reports SELECT {', '.join(columns)} FROM new.reports")
    con.execute(
        'INSERT INTO facts SELECT report_id, "table", metric, applicant, value, blank, raw, '
        "unit FROM new.facts"
    )
    for table in ("findings", "prose_counts", "report_texts", "organs"):
        con.execute(f"INSERT INTO {table} SELECT * FROM new.{table}")
    con.close()
    ingest([SAMPLES / "hzq_2024.pdf"], db, progress=False)
    assert rows(db, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]
    assert rows(
        db, "SELECT organ, has_errors, cells FROM reports WHERE organ = '前进区政府办'"
    ) == [("前进区政府办", True, 198)]
    assert rows(
        db,
        "SELECT r.organ, f.received FROM current_reports r JOIN report_figures f "
        "USING (report_id) ORDER BY 1",
    ) == [("前进区政府办", 4.0), ("淮安市洪泽区人民政府", 95.0)]
    assert rows(
        db,
        "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
        "AND table_name IN ('reports', 'organs', 'report_texts')",
    ) == [(0,)]


def test_a_reader_asks_for_an_upgrade_and_xxgk_upgrade_does_it(tmp_path, capsys) -> None:
    """A warehouse of an older schema: export and the dashboard say so; upgrade fixes it."""
    from pipelines.cli import main

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    migrate(con, target=2)
    con.close()
    with pytest.raises(WarehouseError, match="xxgk upgrade"):
        open_readonly(db)
    assert main(["export", str(tmp_path / "out.parquet"), "--db", str(db)]) == 2
    assert "xxgk upgrade" in capsys.readouterr().err
    assert main(["upgrade", "--db", str(db)]) == 0
    assert rows(db, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]
    assert main(["export", str(tmp_path / "out.parquet"), "--db", str(db)]) == 0


def test_a_failed_batch_publishes_nothing(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    before = db.read_bytes()
    with pytest.raises(RuntimeError), building(db) as con:
        con.execute("DELETE FROM facts")
        raise RuntimeError("boom")
    assert db.read_bytes() == before
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


def test_cli_ingest_summary_names_each_failure(tmp_path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "in"
    write(folder / "good.txt", SEED_TEXT)
    (folder / "empty.txt").write_bytes(b"")
    db = tmp_path / "w.duckdb"
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "ingest", str(folder), "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1  # something failed; the rest is loaded
    assert "新增 1" in result.stdout and "失败 1" in result.stdout
    assert f"失败 {folder / 'empty.txt'}: 文件为空" in result.stdout
    assert "导入" in result.stderr  # the progress line
    assert rows(db, "SELECT count(*) FROM current_reports") == [(1,)]


def test_two_versions_in_one_batch_leave_one_current(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    write(tmp_path / "in" / "a.txt", SEED_TEXT)
    write(tmp_path / "in" / "b.txt", SEED_TEXT.replace("规章\t0\t0\t0", "规章\t1\t1\t1"))
    summary = ingest([tmp_path / "in"], db, progress=False)
    assert (summary.new, summary.updated) == (1, 1)
    assert sorted(rows(db, "SELECT source_path, status FROM reports")) == [
        (str(tmp_path / "in" / "a.txt"), "superseded"),
        (str(tmp_path / "in" / "b.txt"), "current"),
    ]
    assert rows(db, "SELECT count(*) FROM current_reports") == [(1,)]


# ---------------------------------------------------------------------------------------------
# Cross-year audit with blank cells; a batch that fails as a whole
# ---------------------------------------------------------------------------------------------

CARRIED_OVER = "二、上年结转政府信息公开申请数量\t\t0\t0\t0\t0\t0\t0\t0"
CARRIED_FORWARD = "四、结转下年度继续办理\t\t0\t0\t0\t0\t0\t0\t0"


def test_cross_year_skips_blank_cells_and_keeps_the_batch(tmp_path) -> None:
    """A blank cell on either side is not a number: S1 skips that column, the batch loads.

    Before: the blank made the finding's message NULL (findings.message is NOT NULL), and
    the constraint error threw away the whole batch.
    """
    db = tmp_path / "w.duckdb"
    assert CARRIED_FORWARD in SEED_TEXT and CARRIED_OVER in SEED_TEXT
    # 2020: 自然人 carried forward left blank.
    y2020 = SEED_TEXT.replace(CARRIED_FORWARD, "四、结转下年度继续办理\t\t—\t0\t0\t0\t0\t0\t0")
    # 2021: 5 carried over from 自然人 (last year's cell is blank), 商业企业 left blank
    # (last year's is 0), and 5 in 总计 (last year's is 0: a real mismatch).
    y2021 = SEED_TEXT.replace("2020", "2021").replace(
        CARRIED_OVER, "二、上年结转政府信息公开申请数量\t\t5\t—\t0\t0\t0\t0\t5"
    )
    write(tmp_path / "in" / "2020.txt", y2020)
    write(tmp_path / "in" / "2021.txt", y2021)
    summary = ingest([tmp_path / "in"], db, progress=False)
    assert (summary.new, summary.failed) == (2, [])
    assert rows(
        db,
        "SELECT rule, cells, expected, actual, message FROM current_findings "
        "WHERE scope = 'cross_year'",
    ) == [
        (
            "S1",
            ["requests.carried_over@total", "2020:requests.carried_forward@total"],
            0.0,
            5.0,
            "第三部分“总计”列：本年上年结转为5件，但2020年报告的结转下年度为0件",
        )
    ]


def _with_active_2021(text: str, rules: str, normative: str) -> str:
    """The seed with its part 二（一） table printed in the 2021 edition's columns."""
    table_2019 = "\n".join(
        [
            "信息内容\t本年新制作数量\t本年新公开数量\t对外公开总数量",
            "规章\t0\t0\t0",
            "规范性文件\t0\t0\t0",
        ]
    )
    assert table_2019 in text
    return text.replace(
        table_2019,
        f"信息内容\t本年制发件数\t本年废止件数\t现行有效件数\n规章\t{rules}\n行政规范性文件\t{normative}",
    )


def test_documents_in_force_across_years(tmp_path) -> None:
    """S2, both checks of spec §7.2, and a blank cell that is never read as 0."""
    db = tmp_path / "w.duckdb"
    y2021 = _with_active_2021(SEED_TEXT.replace("2020", "2021"), "0\t0\t10", "0\t0\t5")
    # 规章: in force left blank (no balance check), but 20 repealed of at most 10 + 1.
    # 规范性文件: 5 + 2 - 1 = 6 in force, 7 printed.
    y2022 = _with_active_2021(SEED_TEXT.replace("2020", "2022"), "1\t20\t—", "2\t1\t7")
    write(tmp_path / "in" / "2021.txt", y2021)
    write(tmp_path / "in" / "2022.txt", y2022)
    ingest([tmp_path / "in"], db, progress=False)
    found = rows(
        db,
        "SELECT year, rule, cells, expected, actual, message FROM current_findings "
        "WHERE scope = 'cross_year' ORDER BY cells[1]",
    )
    assert found == [
        (
            2022,
            "S2",
            ["active.normative_docs.in_force", "2021:active.normative_docs.in_force"],
            6.0,
            7.0,
            "“规范性文件·现行有效件数”：现行有效件数为7，但上年现行有效5＋本年制发2－本年废止1＝6",
        ),
        (
            2022,
            "S2",
            ["active.rules.repealed", "2021:active.rules.in_force", "active.rules.issued"],
            11.0,
            20.0,
            "“规章·本年废止件数”：本年废止20件，多于上年现行有效10＋本年制发1＝11件",
        ),
    ]


def test_a_batch_that_fails_as_a_whole_is_one_line_and_publishes_nothing(
    tmp_path, monkeypatch, capsys
) -> None:
    from pipelines.cli import main
    from pipelines.warehouse import derived

    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    before = db.read_bytes()

    def broken(con, organs) -> int:
        raise duckdb.ConstraintException("NOT NULL constraint failed:\nfindings.message")

    monkeypatch.setattr(derived, "refresh", broken)
    new = write(tmp_path / "in" / "2021.txt", SEED_TEXT.replace("2020", "2021"))
    status = main(["ingest", str(new), "--db", str(db), "--quiet"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("xxgk: ")
    assert "导入失败" in err and "ConstraintException" in err and "findings.message" in err
    assert db.read_bytes() == before
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


# ---------------------------------------------------------------------------------------------
# One current report per organ and year, whatever a manifest moves
# ---------------------------------------------------------------------------------------------


def _current_per_slot(db) -> dict[tuple[str, int], int]:
    """How many current reports each organ and year has (the guard: never more than one)."""
    found = rows(
        db, "SELECT organ_id, year, count(*) FROM reports WHERE status = 'current' GROUP BY ALL"
    )
    return {(o, y): n for o, y, n in found}


def test_moves_never_leave_two_current_reports_for_an_organ_and_year(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    folder = tmp_path / "in"
    ambiguous = write(folder / "chaoyang.txt", seed_as("朝阳区人民政府"))
    placed = write(
        folder / "北京市" / "bj.txt",
        seed_as("北京市朝阳区人民政府").replace("规章\t0\t0\t0", "规章\t1\t1\t1"),
    )
    later = write(folder / "y2021.txt", seed_as("北京市朝阳区人民政府").replace("2020", "2021"))
    organ = "110105:人民政府"

    ingest([folder], db, progress=False)
    assert max(_current_per_slot(db).values()) == 1
    assert (organ, 2020) in _current_per_slot(db)

    # The manifest places the ambiguous report where a current 2020 report already is:
    # the moved one supersedes it, as a new file for that organ and year would.
    write(folder / "manifest.csv", "file,region_code\nchaoyang.txt,110105\n")
    ingest([folder], db, progress=False)
    assert max(_current_per_slot(db).values()) == 1
    ids = dict(rows(db, "SELECT source_path, report_id FROM reports"))
    assert rows(db, "SELECT year, source_path FROM current_reports ORDER BY year") == [
        (2020, str(ambiguous)),
        (2021, str(later)),
    ]
    assert rows(
        db, "SELECT status, superseded_by FROM reports WHERE report_id = ?", [ids[str(placed)]]
    ) == [("superseded", ids[str(ambiguous)])]

    # Then the years of the two current reports are swapped: both stay current.
    swap = "file,region_code,year\nchaoyang.txt,110105,2021\ny2021.txt,,2020\n"
    write(folder / "manifest.csv", swap)
    ingest([folder], db, progress=False)
    assert _current_per_slot(db) == {(organ, 2020): 1, (organ, 2021): 1}
    assert rows(db, "SELECT year, source_path FROM current_reports ORDER BY year") == [
        (2020, str(later)),
        (2021, str(ambiguous)),
    ]
    # And a rerun changes nothing.
    again = ingest([folder], db, progress=False)
    assert (again.new, again.updated) == (0, 0)
    assert _current_per_slot(db) == {(organ, 2020): 1, (organ, 2021): 1}


def test_a_year_in_an_organ_row_is_refused(tmp_path) -> None:
    """An organ row speaks for all of the organ's reports: one year for all is never right.

    The row is not applied, and the reports it speaks for fail, named, with its reason; the
    rest of the batch loads.
    """
    db = tmp_path / "w.duckdb"
    a = write(tmp_path / "in" / "a.txt", SEED_TEXT)
    write(tmp_path / "in" / "b.txt", seed_as("佳木斯市向阳区人民政府"))
    write(tmp_path / "m.csv", "organ,region_code,year\n前进区政府办,230804,2021\n")
    summary = ingest([tmp_path / "in"], db, manifest_paths=[tmp_path / "m.csv"], progress=False)
    assert [p for p, _ in summary.failed] == [str(a)]
    assert re.search(r"m\.csv 第2行.*year only with a file row", summary.failed[0][1])
    assert rows(db, "SELECT organ, year FROM current_reports") == [("佳木斯市向阳区人民政府", 2020)]


# ---------------------------------------------------------------------------------------------
# Organ kinds; a warehouse from a newer xxgk
# ---------------------------------------------------------------------------------------------


def test_a_government_and_its_general_office_are_two_organs_of_two_kinds(tmp_path) -> None:
    """前进区政府办 (the real 2020 report) is a department; 前进区人民政府 is the government."""
    db = tmp_path / "w.duckdb"
    write(tmp_path / "in" / "office.txt", SEED_TEXT)
    write(tmp_path / "in" / "government.txt", seed_as("佳木斯市前进区人民政府"))
    ingest([tmp_path / "in"], db, progress=False)
    assert rows(db, "SELECT organ_id, organ, organ_kind FROM current_reports ORDER BY 1") == [
        ("230804:人民政府", "佳木斯市前进区人民政府", "government"),
        ("230804:人民政府办公室", "前进区政府办", "department"),
    ]


def _newer_warehouse(tmp_path):
    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    con.close()
    return db


def test_a_newer_warehouse_is_a_message_not_a_traceback(tmp_path, capsys) -> None:
    from pipelines.cli import main
    from pipelines.export import Filters, export

    db = _newer_warehouse(tmp_path)
    before = db.read_bytes()
    with pytest.raises(WarehouseError, match=r"更新版本的 xxgk.*newer xxgk"):
        ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    with pytest.raises(WarehouseError, match="newer xxgk"):
        export(db, tmp_path / "out.parquet", Filters())
    for argv in (
        ["ingest", str(SAMPLES / "000_seed.txt"), "--db", str(db), "--quiet"],
        ["export", str(tmp_path / "out.parquet"), "--db", str(db)],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"xxgk: {db.resolve()}")
        assert "请升级 xxgk" in err
    assert db.read_bytes() == before
    assert not (tmp_path / "out.parquet").exists()


def test_a_cell_that_is_not_a_number_is_unread_not_blank(tmp_path) -> None:
    """规章's first cell printed as 二千: stored without a value, but not as a blank cell."""
    db = tmp_path / "w.duckdb"
    text = SEED_TEXT.replace("规章\t0\t0\t0", "规章\t二千\t0\t0")
    assert text != SEED_TEXT
    write(tmp_path / "in" / "seed.txt", text)
    ingest([tmp_path / "in"], db, progress=False)
    assert rows(
        db,
        "SELECT value, blank, raw FROM facts WHERE metric = 'active.rules.new_made'",
    ) == [(None, False, "二千")]
    assert rows(db, "SELECT count(*) FROM facts WHERE blank AND raw = '二千'") == [(0,)]


# ---------------------------------------------------------------------------------------------
# Identity settled once: an organ the title cannot name, a region the name cannot place
# ---------------------------------------------------------------------------------------------

SEED_TITLE = "前进区政府办政府信息公开工作年度报告"


def _stored_warnings(db) -> list[str]:
    return [w for (ws,) in rows(db, "SELECT warnings FROM current_reports") for w in ws]


def test_a_region_settled_by_the_manifest_keeps_no_stale_warning(tmp_path) -> None:
    """朝阳区 is in Beijing and in Changchun: one warning while it is open, none on a report
    a manifest row settles."""
    db = tmp_path / "w.duckdb"
    write(tmp_path / "open" / "chaoyang.txt", seed_as("朝阳区人民政府"))
    ingest([tmp_path / "open"], db, progress=False)
    assert [w for w in _stored_warnings(db) if "同名" in w] == [
        "“朝阳区”有多个同名地区（北京市朝阳区 110105、吉林省长春市朝阳区 220104），未能确定，"
        "请在 manifest.csv 中指定 region_code"
    ]
    db2 = tmp_path / "w2.duckdb"
    write(tmp_path / "in" / "chaoyang.txt", seed_as("朝阳区人民政府"))
    write(tmp_path / "in" / "manifest.csv", "file,region_code\nchaoyang.txt,220104\n")
    ingest([tmp_path / "in"], db2, progress=False)
    assert rows(db2, "SELECT region_code, region_status FROM current_reports") == [
        ("220104", "manifest")
    ]
    assert [w for w in _stored_warnings(db2) if "未能确定" in w or "同名" in w] == []


def test_a_report_a_manifest_moves_drops_its_stale_warning(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    write(tmp_path / "in" / "chaoyang.txt", seed_as("朝阳区人民政府"))
    ingest([tmp_path / "in"], db, progress=False)
    write(tmp_path / "in" / "manifest.csv", "file,region_code\nchaoyang.txt,220104\n")
    ingest([tmp_path / "in"], db, progress=False)
    assert rows(db, "SELECT region_code, region_status FROM current_reports") == [
        ("220104", "manifest")
    ]
    assert [w for w in _stored_warnings(db) if "未能确定" in w] == []


def test_a_region_settled_by_a_folder_keeps_no_stale_warning(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    write(tmp_path / "raw" / "北京市" / "朝阳区" / "2020.txt", seed_as("朝阳区人民政府"))
    ingest([tmp_path / "raw"], db, progress=False)
    assert rows(db, "SELECT region_code, region_status FROM current_reports") == [
        ("110105", "folder")
    ]
    assert [w for w in _stored_warnings(db) if "未能确定" in w] == []


def test_an_unreadable_title_fails_until_the_manifest_names_the_organ(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    text = SEED_TEXT.replace(SEED_TITLE, "=HYPERLINK(1)前进区政府办政府信息公开工作年度报告")
    report = write(tmp_path / "in" / "formula.txt", text)
    summary = ingest([tmp_path / "in"], db, progress=False)
    assert summary.new == 0
    assert [p for p, _ in summary.failed] == [str(report)]
    assert "请在 manifest.csv 中指定 organ" in summary.failed[0][1]
    assert rows(db, "SELECT count(*) FROM organs") == [(0,)]
    write(tmp_path / "in" / "manifest.csv", "file,organ\nformula.txt,前进区政府办\n")
    summary = ingest([tmp_path / "in"], db, progress=False)
    assert (summary.new, summary.failed) == (1, [])
    assert rows(db, "SELECT organ, organ_id, region_code, region_status FROM current_reports") == [
        ("前进区政府办", "230804:人民政府办公室", "230804", "resolved")
    ]
    assert [w for w in _stored_warnings(db) if "机关不详" in w] == []


def test_a_file_row_organ_meets_its_organ_row(tmp_path) -> None:
    """The file row names the organ; the row for that organ settles its region: neither
    机关不详 nor 未能确定 is left on the stored report."""
    db = tmp_path / "w.duckdb"
    text = SEED_TEXT.replace(SEED_TITLE, "2020年政府信息公开工作年度报告")
    write(tmp_path / "in" / "untitled.txt", text)
    write(
        tmp_path / "in" / "manifest.csv",
        "file,organ,region_code\nuntitled.txt,朝阳区人民政府,\n,朝阳区人民政府,220104\n",
    )
    ingest([tmp_path / "in"], db, progress=False)
    assert rows(db, "SELECT organ, organ_id, region_status FROM current_reports") == [
        ("朝阳区人民政府", "220104:人民政府", "manifest")
    ]
    assert [w for w in _stored_warnings(db) if "机关不详" in w or "未能确定" in w] == []


def test_a_folder_named_like_an_organ_names_an_untitled_report(tmp_path) -> None:
    """raw/江苏省/淮安市/淮安市洪泽区人民政府/2020.txt (the demo corpus's layout) names the
    organ of a title that names none; a folder named after a place does not."""
    db = tmp_path / "w.duckdb"
    text = SEED_TEXT.replace(SEED_TITLE, "2020年政府信息公开工作年度报告")
    raw = tmp_path / "raw" / "江苏省" / "淮安市"
    write(raw / "淮安市洪泽区人民政府" / "2020.txt", text)
    placeless = write(
        raw / "2020.txt", text.replace("收到依申请公开政府信息 4 条", "收到申请 4 件")
    )
    summary = ingest([tmp_path / "raw"], db, progress=False)
    assert rows(db, "SELECT organ, organ_id, region_status FROM current_reports") == [
        ("淮安市洪泽区人民政府", "320813:人民政府", "resolved")
    ]
    assert [w for w in _stored_warnings(db) if "机关" in w] == [
        "标题未写明发布机关，取自文件夹名“淮安市洪泽区人民政府”"
    ]
    assert [p for p, _ in summary.failed] == [str(placeless)]
    assert "请在 manifest.csv 中指定 organ" in summary.failed[0][1]


def test_a_file_row_with_folders_names_that_file_only(tmp_path) -> None:
    """Every organ's folder may hold a 2020.txt: a row naming a/2020.txt says nothing of
    b/2020.txt (a bare 2020.txt would speak for both)."""
    db = tmp_path / "w.duckdb"
    text = SEED_TEXT.replace(SEED_TITLE, "2020年政府信息公开工作年度报告")
    write(tmp_path / "in" / "a" / "2020.txt", text)
    other = write(tmp_path / "in" / "b" / "2020.txt", text.replace("4 条", "4 件"))
    write(tmp_path / "in" / "manifest.csv", "file,organ\na/2020.txt,前进区政府办\n")
    summary = ingest([tmp_path / "in"], db, progress=False)
    assert rows(db, "SELECT organ FROM current_reports") == [("前进区政府办",)]
    assert [p for p, _ in summary.failed] == [str(other)]
