"""pdfplumber is the oracle for the table finder: the reader's cells are pdfplumber's.

The reader parses pages with PDFium and finds ruled tables with a port of pdfplumber's
``lines`` strategy (``pipelines/readers/pdf_tables.py``), so that a page costs a few
milliseconds instead of pdfminer's sixty. These tests hold the port to the library it
reproduces, on every page of every PDF fixture, from every producer:

* *same settings*: the port given every shape on the page finds exactly the cells
  ``pdfplumber.Page.find_tables()`` finds (default settings), to 0.05 pt;
* *as the reader reads*: the reader then keeps only what draws something (white shapes
  draw nothing) and runs the finder once per band of shapes; pdfplumber given the same
  objects (its own, from pdfminer), band by band, with the same extra closing edges as
  ``explicit_horizontal_lines``, finds the same cells.

Where pdfplumber itself reads a producer wrongly, the tests say so and check what the
reader does instead: WPS's white line backgrounds (phantom one-column "tables"), edges of
two tables snapped together across the page (a lost column), and tables with no ruling,
which its ``text`` strategy cannot read (``pdf_unruled`` does).
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
import pytest

from pipelines.document import Budget, Table
from pipelines.readers import pdf_layout, read_bytes
from pipelines.readers.pdf import _read_pages
from pipelines.readers.pdf_layout import TableBox
from pipelines.readers.pdf_page import read_page
from pipelines.readers.pdf_tables import find_tables as port_tables
from tests.test_pdf_producers import CASES

TOLERANCE = 0.05  # points: PDFium reports coordinates as floats, pdfminer as doubles
PAGES = [
    (path, number) for path, *_ in CASES for number in range(len(pdfium.PdfDocument(str(path))))
]
PAGE_IDS = [f"{path.name}:p{number + 1}" for path, number in PAGES]


@functools.cache
def _plumber(path: Path) -> pdfplumber.PDF:
    return pdfplumber.open(path)


@functools.cache
def _shapes(path: Path, number: int) -> list[dict]:
    pdf = pdfium.PdfDocument(str(path))
    page = pdf[number]
    return read_page(page, page.get_textpage()).shapes


def _same_cells(ours: list[list[tuple]], theirs: list[list[tuple]]) -> bool:
    """Tables equal as sets of cells, each coordinate within ``TOLERANCE``."""

    def key(table: list[tuple]) -> tuple:
        return min(table)

    if len(ours) != len(theirs):
        return False
    pairs = zip(
        sorted(map(sorted, ours), key=key), sorted(map(sorted, theirs), key=key), strict=True
    )
    for a, b in pairs:
        if len(a) != len(b):
            return False
        for p, q in zip(a, b, strict=True):
            if any(abs(x - y) > TOLERANCE for x, y in zip(p, q, strict=True)):
                return False
    return True


def _inked(color: object) -> bool:
    """pdfplumber's colour (gray, RGB or CMYK, 0..1; a pattern name) shows on paper."""
    if not isinstance(color, (tuple, list)) or not color:
        return not isinstance(color, (int, float)) or color < 250 / 255
    values = [float(v) for v in color if isinstance(v, (int, float))]
    if len(values) != len(color):
        return True  # a pattern
    if len(values) == 4:  # CMYK: white is no ink at all
        return max(values) > 1 - 250 / 255
    return min(values) < 250 / 255


def _plumber_shapes(page: pdfplumber.page.Page) -> list[dict]:
    shapes = []
    for obj in page.lines + page.rects + page.curves:
        visible = (obj["stroke"] and _inked(obj.get("stroking_color"))) or (
            obj["fill"] and _inked(obj.get("non_stroking_color"))
        )
        shapes.append({**obj, "visible": visible, "original": obj})
    return shapes


@pytest.mark.parametrize(("path", "number"), PAGES, ids=PAGE_IDS)
def test_same_cells_as_pdfplumber_with_the_same_settings(path: Path, number: int) -> None:
    ours = [t.cells for t in port_tables(_shapes(path, number))]
    theirs = [t.cells for t in _plumber(path).pages[number].find_tables()]
    assert _same_cells(ours, theirs), (len(ours), len(theirs))


@pytest.mark.parametrize(("path", "number"), PAGES, ids=PAGE_IDS)
def test_same_cells_as_pdfplumber_given_what_the_reader_keeps(path: Path, number: int) -> None:
    page = _plumber(path).pages[number]
    mine = _shapes(path, number)
    theirs_shapes = _plumber_shapes(page)
    assert sum(s["visible"] for s in mine) == sum(s["visible"] for s in theirs_shapes)
    ours: list[list[tuple]] = []
    for band, group in pdf_layout.band_shapes(mine):
        rulings = [s for s in group if pdf_layout._is_ruling(s)]
        ours += [t.cells for t in port_tables(group, pdf_layout._closing_edges(rulings, [band]))]
    theirs: list[list[tuple]] = []
    for band, group in pdf_layout.band_shapes(theirs_shapes):
        keep = {id(s["original"]) for s in group}
        rulings = [s for s in group if pdf_layout._is_ruling(s)]
        closing = [
            {
                "x0": x0,
                "x1": x1,
                "top": y,
                "bottom": y,
                "width": x1 - x0,
                "height": 0.0,
                "object_type": "line",
            }
            for x0, y, x1, _ in pdf_layout._closing_edges(rulings, [band])
        ]
        sub = page.filter(
            lambda o, keep=keep: (
                o.get("object_type") not in ("line", "rect", "curve") or id(o) in keep
            )
        )
        found = sub.find_tables({"explicit_horizontal_lines": closing})
        theirs += [t.cells for t in found]
    assert _same_cells(ours, theirs), (len(ours), len(theirs))


# --- where pdfplumber is wrong -------------------------------------------------------------------


def _tables_read(path: Path) -> list[tuple[int, TableBox]]:
    _, _, pages = _read_pages(path.read_bytes(), str(path), Budget(str(path)))
    return [(p.number, it) for p in pages for it in p.items if isinstance(it, TableBox)]


def test_wps_line_backgrounds_are_no_tables() -> None:
    """WPS lays a white rectangle under each line of prose: pdfplumber reads each page of
    prose as a one-column table; the reader sees white as paper, and reads prose."""
    path = Path(CASES[0][0])  # hzq_2023
    first = _plumber(path).pages[0].find_tables()
    assert first and all(len(t.columns) == 1 for t in first)
    assert not [t for n, t in _tables_read(path) if n == 0]


def _two_tables() -> bytes:
    """Table A (three columns, right border at x=300) above table B, whose borders are
    drawn double, as bevelled cell boxes are (two lines 2-2.5 pt apart), at 302 … 308.5."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(595, 842))
    c.setFont("Helvetica", 10)
    for y in (760, 740, 720):
        c.line(60, y, 300, y)
    for x in (60, 160, 230, 300):
        c.line(x, 760, x, 720)
    for row, y in enumerate((746, 726)):
        for col, x in enumerate((70, 170, 240)):
            c.drawString(x, y, f"A{row}{col}")
    for y in (600, 580, 560):
        c.line(200, y, 400, y)
    for x in (200, 302, 304.5, 306, 308.5, 400):
        c.line(x, 600, x, 560)
    c.drawString(210, 586, "B")
    c.showPage()
    c.save()
    return buffer.getvalue()


def test_two_tables_are_snapped_apart() -> None:
    """pdfplumber snaps edges over the whole page: A's right border joins B's double
    borders, its mean moves 4 pt right, off the ends of A's rows, and A loses its last
    column. The reader runs the finder on each band of shapes, as on a page cropped to it."""
    data = _two_tables()
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        plumber_a = min(pdf.pages[0].find_tables(), key=lambda t: t.bbox[1])
        assert len(plumber_a.columns) == 2
    doc = read_bytes(data, "two_tables.pdf")
    table_a = next(b for b in doc.blocks if isinstance(b, Table))
    assert table_a.cells == [["A00", "A01", "A02"], ["A10", "A11", "A12"]]


def _requests(path: Path) -> tuple[int, TableBox]:
    return next(
        (n, t)
        for n, t in _tables_read(path)
        if any("本年新收" in c for row in t.table.cells for c in row)
    )


def test_text_strategy_cannot_read_a_table_with_no_ruling() -> None:
    """沭阳 printed with no ruling: pdfplumber's ``text`` strategy, on the very box where
    the reader found part 三, sees 4 columns (a column needs three aligned words, and the
    five 法人 columns are blank under their headers) and cuts every wrapped label into rows
    of its own. The reader keeps the seven columns of numbers and one row per row."""
    path = next(p for p, *_ in CASES if p.name == "shuyang_fgj_2023_plain.pdf")
    number, table = _requests(path)
    x0, top, x1, bottom = table.bbox
    crop = _plumber(path).pages[number].crop((x0 - 1, top - 1, x1 + 1, bottom + 1))
    text = crop.find_tables({"vertical_strategy": "text", "horizontal_strategy": "text"})
    assert len(text) == 1 and len(text[0].columns) == 4
    rows = text[0].extract()
    assert ["（三）不予", "4.保护第三方合法权益", "0", "0"] in rows
    assert len(rows) > 2 * len(table.table.cells)
    row = next(r for r in table.table.cells if "4.保护第三方合法权益" in r)
    assert row[-7:] == ["0", "", "", "", "", "", "0"]
