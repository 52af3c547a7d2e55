"""Where a number came from: each fact keeps the place of its cell in the file.

Word files and web pages: the table (in reading order), row and column of the cell. The
test reads those places back with another library (python-docx) and finds the printed text
there, for every fact; a person can check the web page's by counting its tables and cells.

PDF: the page and the cell's box. Another library (pdfplumber, on pdfminer) lists the
characters whose centre lies in that box: they spell the fact's printed text, for every fact
of every producer's PDF.
"""

from __future__ import annotations

from pathlib import Path

import docx
import duckdb
import pdfplumber
import pytest

from pipelines.ingest import ingest
from pipelines.pipeline import parse_file
from tests.helpers import CORPUS, ROOT, SAMPLES
from tests.test_pdf_producers import CASES as PDF_CASES

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


@pytest.mark.parametrize("path", [c[0] for c in PDF_CASES], ids=[c[0].name for c in PDF_CASES])
def test_every_pdf_fact_is_found_in_its_box_by_pdfplumber(path: Path) -> None:
    report = parse_file(path)
    assert report.facts
    with pdfplumber.open(path) as pdf:
        for f in report.facts:
            o = f.origin
            assert o is not None and o.page is not None and o.box is not None, f
            x0, top, x1, bottom = o.box
            assert x0 < x1 and top < bottom, f
            chars = pdf.pages[o.page - 1].chars
            inside = "".join(
                c["text"]
                for c in chars
                if x0 <= (c["x0"] + c["x1"]) / 2 <= x1
                and top <= (c["top"] + c["bottom"]) / 2 <= bottom
            )
            printed = "".join(f.raw.split())
            assert "".join(inside.split()) in (printed, printed.removesuffix(f"（{f.unit}）")), f


def test_a_pdf_fact_names_its_page_and_box() -> None:
    """洪泽区 2023 (WPS): 行政复议 结果维持 (part 五's first number) is 10, on page 4, in the
    box of the 10 printed there."""
    report = parse_file(CORPUS / "pdf" / "hzq_2023.pdf")
    cell = next(f for f in report.facts if f.metric == "review.upheld")
    assert (cell.value, cell.origin.page) == (10, 4)
    with pdfplumber.open(CORPUS / "pdf" / "hzq_2023.pdf") as pdf:
        text = pdf.pages[3].within_bbox(cell.origin.box).extract_text()
    assert text.strip() == "10"


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


def test_the_warehouse_keeps_a_pdf_fact_page_and_box(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    ingest([CORPUS / "pdf" / "hzq_2023.pdf"], db, progress=False)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT count(*), count(source_page), count(*) FILTER (len(source_box) = 4), "
            "min(source_page), max(source_page) FROM facts"
        ).fetchone()
    finally:
        con.close()
    assert rows == (186, 186, 186, 2, 4)
