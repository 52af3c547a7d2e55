"""PDF reports with a text layer: paragraphs in reading order and tables as grids.

PDFium (through pypdfium2, Apache/BSD; PyMuPDF is AGPL and is not used) does all the
parsing, in C: its error codes tell a password from a broken file, and it counts
characters and images as each page is read, so a scanned or encrypted PDF is refused with
the real reason. It never looks at the machine's fonts (``pdf_fonts``), so a PDF reads the
same everywhere. Each page is loaded once and gives character boxes and drawn shapes
(``pdf_page``), from which tables are rebuilt: drawn ones, whether their lines are stroked
(WPS, LibreOffice), filled thin rectangles (Chromium) or cell shading, by pdfplumber's
algorithm (``pdf_tables``, ``pdf_layout``; pdfplumber is the oracle of its tests), and
tables drawn with no ruling at all from where their text stands (``pdf_unruled``).

Each page becomes a sequence of text lines and tables ordered top to bottom. Lines are
joined into paragraphs where the previous line runs to the right margin and the next one is
not indented, also across a page break. Page numbers (``-3-``) in the margins are dropped.
A table cut by a page break is stitched back together when the next page opens with a
table of the same columns: a repeated header row on the continuation is dropped, a cell
merged down over the break keeps its text, and a row cut in two joins up again.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pypdfium2 as pdfium

from pipelines.document import Block, Budget, Cell, Document, Paragraph, Table
from pipelines.errors import UnreadableFile
from pipelines.readers.pdf_layout import (
    Line,
    TableBox,
    find_tables,
    group_lines,
    join_lines,
)
from pipelines.readers.pdf_page import PageContent, read_page
from pipelines.readers.pdf_unruled import find_unruled, is_value

MAX_PAGES = 300
MIN_TEXT_CHARS = 20  # per page, on average: less than a line of text is a scan

_FOOTER = re.compile(
    r"^(?:[-—–－_~\s]*[0-9]{1,3}[-—–－_~\s]*"
    r"|第\s*[0-9]{1,3}\s*页(?:\s*[,，/]?\s*共\s*[0-9]{1,3}\s*页)?"
    r"|[0-9]{1,3}\s*/\s*[0-9]{1,3})$"
)
_MARGIN_TOP = 0.08  # share of the page height where a running header may sit
_MARGIN_BOTTOM = 0.12
_COLUMN_TOLERANCE = 3.0  # points: two page pieces of one table share their column edges

# PDFium is not thread-safe, not even across documents, and ctypes releases the GIL while
# it runs: two threads reading PDFs at once could corrupt it. One at a time per process
# (the ingest's worker processes each have their own PDFium).
_PDFIUM = threading.Lock()


@dataclass(slots=True)
class _TextCheck:
    """Whether a file has a text layer, counted as its pages are read.

    A scan may carry a little text (a stamped page number): what counts is whether there
    is about a line of text per page, on average. Counting stops once there is.
    """

    needed: int
    text_chars: int = 0
    images: int = 0

    def see(self, page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> None:
        if self.text_chars >= self.needed:
            return
        self.text_chars += len("".join(textpage.get_text_range().split()))
        if self.text_chars < self.needed:
            self.images += sum(1 for _ in page.get_objects(filter=(pdfium.raw.FPDF_PAGEOBJ_IMAGE,)))

    def refuse(self, path: str) -> None:
        """Raise for a scan (images, too little text) or a file with no text at all."""
        if self.text_chars < self.needed and self.images:
            raise UnreadableFile(path, "扫描件，无可提取文字 / scanned PDF, no text layer")
        if self.text_chars == 0:
            raise UnreadableFile(path, "PDF 中没有可提取的文字 / PDF has no text")


def _open(data: bytes, path: str) -> pdfium.PdfDocument:
    """Open with PDFium, telling an encrypted file from a broken one by its error code."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == 4:  # FPDF_ERR_PASSWORD
            raise UnreadableFile(path, "PDF 已加密，需要密码才能打开 / encrypted PDF") from exc
        if code == 6:  # FPDF_ERR_SECURITY
            raise UnreadableFile(
                path, "PDF 使用了不支持的加密方式 / unsupported PDF security handler"
            ) from exc
        raise UnreadableFile(
            path, "PDF 文件已损坏或不完整，无法打开 / corrupt or truncated PDF"
        ) from exc


def _count_pages(pdf: pdfium.PdfDocument, path: str) -> int:
    pages = len(pdf)
    if pages == 0:
        raise UnreadableFile(path, "PDF 没有页面 / PDF has no pages")
    if pages > MAX_PAGES:
        raise UnreadableFile(
            path, f"PDF 共{pages}页，超过{MAX_PAGES}页上限 / too many pages ({pages})"
        )
    return pages


def _load(
    pdf: pdfium.PdfDocument, index: int, path: str
) -> tuple[pdfium.PdfPage, pdfium.PdfTextPage]:
    """One page and its text; a page PDFium cannot load makes the file corrupt."""
    try:
        page = pdf[index]
    except pdfium.PdfiumError as exc:
        raise _corrupt(path, exc) from exc
    try:
        return page, page.get_textpage()
    except pdfium.PdfiumError as exc:
        page.close()
        raise _corrupt(path, exc) from exc


def _corrupt(path: str, exc: Exception) -> UnreadableFile:
    return UnreadableFile(
        path, f"PDF 文件已损坏，无法解析版面 / corrupt PDF ({type(exc).__name__})"
    )


# --- pages to items -------------------------------------------------------------------------


@dataclass(slots=True)
class _Page:
    number: int
    height: float
    items: list[Line | TableBox]


def _is_furniture(line: Line, height: float) -> bool:
    """A page number in the top or bottom margin."""
    in_margin = line.bottom > height * (1 - _MARGIN_BOTTOM) or line.top < height * _MARGIN_TOP
    return in_margin and bool(_FOOTER.match(line.text.strip()))


def _read_page(content: PageContent, number: int, budget: Budget, carry: TableBox | None) -> _Page:
    """One page's characters and shapes as lines and tables.

    ``carry`` is the unruled table that ended the previous page, if one did.
    """
    chars = content.chars
    tables = find_tables(content.shapes, chars, budget)
    used = set().union(*(t.chars for t in tables)) if tables else set()
    prose = [c for c in chars if id(c) not in used and c["upright"]]
    grouped = group_lines(prose)
    lines_of = {id(g): Line.of(g) for g in grouped}
    groups = [g for g in grouped if not _is_furniture(lines_of[id(g)], content.height)]
    unruled, groups = find_unruled(groups, budget, carry, [t.bbox for t in tables])
    lines = [ln for ln in (lines_of[id(g)] for g in groups) if ln.text]
    for found in (*tables, *unruled):
        _on_page(found.table, number + 1)
    items: list[Line | TableBox] = [*lines, *tables, *unruled]
    items.sort(key=lambda it: it.top if isinstance(it, Line) else it.bbox[1])
    return _Page(number=number, height=content.height, items=items)


def _on_page(table: Table, page: int) -> None:
    """Adds the (1-based) page to the origin of every cell the table finders located."""
    table.cells = [
        [Cell(t, replace(t.origin, page=page)) if isinstance(t, Cell) else t for t in row]
        for row in table.cells
    ]


def _carry(page: _Page) -> TableBox | None:
    """The unruled table that ends ``page``, for the page after it."""
    last = page.items[-1] if page.items else None
    return last if isinstance(last, TableBox) and last.intervals else None


# --- items to blocks ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Margins:
    left: float
    right: float


def _margins(pages: list[_Page]) -> _Margins:
    """The body text's left and right edges: the most common line start and full-line end."""
    lines = [it for p in pages for it in p.items if isinstance(it, Line)]
    if not lines:
        return _Margins(0.0, 0.0)
    left = Counter(round(ln.x0 / 2) for ln in lines).most_common(1)[0][0] * 2
    widest = max(ln.x1 - ln.x0 for ln in lines)
    full = [ln for ln in lines if ln.x1 - ln.x0 >= 0.6 * widest] or lines
    right = Counter(round(ln.x1 / 2) for ln in full).most_common(1)[0][0] * 2
    return _Margins(float(left), float(right))


def _continues(prev: Line, line: Line, margins: _Margins, same_page: bool) -> bool:
    """Whether ``line`` carries on the paragraph that ``prev`` ended."""
    size = max(prev.size, line.size)
    if abs(prev.size - line.size) > 0.15 * size:
        return False
    runs_to_margin = prev.x1 >= margins.right - 1.5 * size
    indented = line.x0 > margins.left + 0.6 * size
    if not runs_to_margin or indented:
        return False
    if not same_page:
        return True
    gap = line.top - prev.bottom
    return -0.5 * size <= gap <= 1.2 * max(prev.bottom - prev.top, line.bottom - line.top)


def _same_columns(a: TableBox, b: TableBox) -> bool:
    return len(a.columns) == len(b.columns) and all(
        abs(x - y) <= _COLUMN_TOLERANCE for x, y in zip(a.columns, b.columns, strict=True)
    )


def _append_rows(table: Table, piece: TableBox) -> None:
    """Stitch a page's piece of a table under ``table``.

    Header rows the piece repeats are dropped. An empty first-row cell with no border drawn
    on top is the rest of a cell merged down across the page break (WPS draws no border
    there): it takes the text and anchor of the cell above it. A first row that is the rest
    of the last row above (``_rest_of_row``) gives its text to that row's cells.
    """
    more = piece.table
    key = ["".join("".join(row).split()) for row in table.cells]
    skip = 0
    while (
        skip < min(len(more.cells), len(key))
        and "".join("".join(more.cells[skip]).split()) == key[skip]
    ):
        skip += 1
    offset = len(table.cells) - skip
    carried: dict[tuple[int, int], tuple[str, tuple[int, int]]] = {}
    if skip == 0 and table.cells:
        for c in piece.open_top:
            if not more.cells[0][c].strip():
                carried[more.anchors[0][c]] = (table.cells[-1][c], table.anchors[-1][c])
        if _rest_of_row(table, more):
            skip = 1  # its text went into the row above; the row itself is gone
            offset = len(table.cells) - 1
            for c, text in enumerate(more.cells[0]):
                if not text.strip() or more.anchors[0][c] in carried:
                    continue
                above = table.anchors[-1][c]
                joined = join_lines([table.cells[-1][c], text])
                for r, row_anchors in enumerate(table.anchors):
                    for k, a in enumerate(row_anchors):
                        if a == above:
                            table.cells[r][k] = joined
                carried[more.anchors[0][c]] = (joined, above)
    for row, anchors in zip(more.cells[skip:], more.anchors[skip:], strict=True):
        new_row: list[str] = []
        new_anchors: list[tuple[int, int]] = []
        for text, anchor in zip(row, anchors, strict=True):
            text, moved = carried.get(anchor, (text, (anchor[0] + offset, anchor[1])))
            new_row.append(text)
            new_anchors.append(moved)
        table.cells.append(new_row)
        table.anchors.append(new_anchors)


def _rest_of_row(table: Table, more: Table) -> bool:
    """Whether the first row of a table's next page is the rest of its last row, cut by the
    page break (LibreOffice lets a row break across pages): it holds text and no number,
    where the row above holds numbers, and each of its cells lies under a text cell of that
    row of the same width (a caption spanning the table is a row of its own)."""
    last, first = table.cells[-1], more.cells[0]
    if any(is_value(text) for text in first) or not any(is_value(text) for text in last):
        return False
    width = len(first)

    def extent(anchors: list[tuple[int, int]], c: int) -> tuple[int, int]:
        same = [k for k in range(width) if anchors[k] == anchors[c]]
        return same[0], same[-1]

    cells = [c for c in range(width) if first[c].strip()]
    return bool(cells) and all(
        last[c].strip()
        and not is_value(last[c])
        and extent(more.anchors[0], c) == extent(table.anchors[-1], c)
        for c in cells
    )


def _blocks(pages: list[_Page]) -> Iterator[Block]:
    margins = _margins(pages)
    lines: list[Line] = []  # the paragraph being built
    pending: Table | None = None  # the last table seen, not yet yielded: it may continue
    last_table: TableBox | None = None  # the page piece ``pending`` ends with
    page_of_last_line = -1

    def flush_paragraph() -> Iterator[Block]:
        if lines:
            yield Paragraph(join_lines(ln.text for ln in lines))
            lines.clear()

    for page in pages:
        for index, item in enumerate(page.items):
            if isinstance(item, TableBox):
                yield from flush_paragraph()
                opens_page = index == 0 and last_table is not None
                if pending is not None and opens_page and _same_columns(last_table, item):
                    _append_rows(pending, item)
                    last_table = item
                    continue
                if pending is not None:
                    yield pending
                pending, last_table = item.table, item
                continue
            if pending is not None:
                yield pending
                pending, last_table = None, None
            if lines and _continues(lines[-1], item, margins, page.number == page_of_last_line):
                lines.append(item)
            else:
                yield from flush_paragraph()
                lines.append(item)
            page_of_last_line = page.number
    yield from flush_paragraph()
    if pending is not None:
        yield pending


def read_pdf(data: bytes, path: str) -> Document:
    budget = Budget(path)  # tables are charged as each page is read, paragraphs here
    with _PDFIUM:
        count, title, pages = _read_pages(data, path, budget)
    blocks: list[Block] = []
    for block in _blocks(pages):
        if isinstance(block, Paragraph):
            budget.paragraph()
        blocks.append(block)
    if not blocks:
        raise UnreadableFile(path, "PDF 中没有可提取的文字 / PDF has no text")
    return Document(blocks=blocks, source=path, format="pdf", title=title, pages=count)


def _read_pages(data: bytes, path: str, budget: Budget) -> tuple[int, str | None, list[_Page]]:
    """Page count, title and every page's lines and tables, each page loaded once."""
    pdf = _open(data, path)
    try:
        count = _count_pages(pdf, path)
        check = _TextCheck(needed=MIN_TEXT_CHARS * count)
        pages: list[_Page] = []
        for number in range(count):
            page, textpage = _load(pdf, number, path)
            try:
                check.see(page, textpage)
                content = read_page(page, textpage)
            finally:
                textpage.close()  # memory stays one page deep
                page.close()
            carry = _carry(pages[-1]) if pages else None
            pages.append(_read_page(content, number, budget, carry))
        check.refuse(path)
        title = (pdf.get_metadata_dict().get("Title") or "").strip() or None
    finally:
        pdf.close()
    return count, title, pages
