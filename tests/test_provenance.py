"""Where a number came from: each fact keeps the place of its cell in the file.

Word files and web pages: the table (in reading order), row and column of the cell. The
test reads those places back with another library (python-docx) and finds the printed text
there, for every fact; a person can check the web page's by counting its tables and cells.
"""

from __future__ import annotations

from pathlib import Path

import docx
import duckdb
import pytest

from pipelines.ingest import ingest
from pipelines.pipeline import parse_file
from tests.helpers import ROOT, SAMPLES

DOCX = sorted((ROOT / "tests" / "fixtures" / "docx").glob("*_20*.docx"))


@pytest.mark.parametrize("path", DOCX, ids=[p.stem for p in DOCX])
def test_every_word_fact_is_found_at_its_place_by_python_docx(path: Path) -> None:
    report = parse_file(path)
    tables = docx.Document(str(path)).tables
    assert report.facts and all(f.origin is not None for f in report.facts)
    for f in report.facts:
        o = f.origin
        assert o is not None and o.table is not None and o.row is not None and o.col is not None
        printed = tables[o.table].cell(o.row, o.col).text.strip()
        # an amount keeps the unit it was read in after its text: "0（万元）"
        assert f.raw in (printed, f"{printed}（{f.unit}）"), f


def test_a_web_page_fact_names_its_table_row_and_column() -> None:
    """沭阳's page: 本年新收 总计 26 is the 10th cell of the 4th row of its 3rd table."""
    report = parse_file(SAMPLES / "shuyang_fgj_2023.html")
    cell = next(
        f for f in report.facts if f.metric == "requests.new_received" and f.applicant == "total"
    )
    assert (cell.value, cell.origin.table, cell.origin.row, cell.origin.col) == (26, 2, 3, 9)


def test_text_has_no_cells_to_point_at() -> None:
    report = parse_file(SAMPLES / "000_seed.txt")
    assert report.facts and all(f.origin is None for f in report.facts)


def test_the_warehouse_keeps_the_places(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "shuyang_fgj_2023.html", SAMPLES / "000_seed.txt"], db, progress=False)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            """
            SELECT r.format, count(*), count(f.source_table), count(f.source_page)
            FROM facts f JOIN reports r USING (report_id) GROUP BY 1 ORDER BY 1
            """
        ).fetchall()
        place = con.execute(
            "SELECT source_table, source_row, source_col FROM facts "
            "WHERE metric = 'requests.new_received' AND applicant = 'total' AND value = 26"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("html", 200, 200, 0), ("text", 198, 0, 0)]
    assert place == [(2, 3, 9)]
