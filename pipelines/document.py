"""The format-neutral Document every reader yields and the parser consumes.

Readers know file formats and nothing of the template; the parser knows the template and
nothing of file formats. This module is the only thing they share, and so it also holds the
one set of limits on what a reader may build from a file (see ``Budget``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pipelines.errors import UnreadableFile


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a table cell was printed in its file, so a number can be traced back to it.

    PDF: ``page`` (1-based) and ``box`` (x0, top, x1, bottom in PDF points, measured from
    the page's top-left corner). Word and web pages: ``table`` (0-based, in the file's
    order), ``row`` and ``col`` of the cell in that table's grid (merged cells expanded).
    """

    page: int | None = None
    box: tuple[float, float, float, float] | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None


class Cell(str):
    """A cell's text that remembers its ``Origin``; it is a ``str`` everywhere else.

    The parser handles cells as text; a reader that knows where a cell sits gives a ``Cell``
    instead, and the parser reads ``origin`` off it when the cell becomes a fact. Text made
    from it (stripped, split, joined) is plain text again: only a whole cell is located.
    """

    origin: Origin

    def __new__(cls, text: str, origin: Origin) -> Cell:
        cell = super().__new__(cls, text)
        cell.origin = origin
        return cell

    def __reduce__(self) -> tuple[type[Cell], tuple[str, Origin]]:
        return (Cell, (str(self), self.origin))


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


class Table:
    """A grid with merged cells expanded.

    ``cells[r][c]`` holds the text of the cell covering that position, so a merged cell's
    text appears in every position it spans. ``anchors[r][c]`` names the top-left position
    of that cell, which tells a real horizontal merge from two neighbours that happen to
    hold the same text. A reader of a format without merges (plain text) gives no anchors:
    every cell is then its own, and nothing is built for it until someone asks.
    """

    __slots__ = ("_anchors", "cells")

    def __init__(
        self, cells: list[list[str]], anchors: list[list[tuple[int, int]]] | None = None
    ) -> None:
        self.cells = cells
        self._anchors = anchors or None

    @property
    def anchors(self) -> list[list[tuple[int, int]]]:
        if self._anchors is None:
            self._anchors = [[(r, c) for c in range(len(row))] for r, row in enumerate(self.cells)]
        return self._anchors

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return self.cells == other.cells and self.anchors == other.anchors

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it replaces

    def __repr__(self) -> str:
        return f"Table(cells={self.cells!r})"

    def rows(self) -> Iterator[list[str]]:
        """Each row as its distinct cells, left to right.

        A cell merged across columns appears once; a cell merged across rows appears in each
        row it covers, so every row carries its group label.
        """
        if self._anchors is None:
            yield from self.cells
            return
        for row, anchor_row in zip(self.cells, self._anchors, strict=True):
            out: list[str] = []
            previous: tuple[int, int] | None = None
            for text, anchor in zip(row, anchor_row, strict=True):
                if anchor != previous:
                    out.append(text)
                previous = anchor
            yield out


Block = Paragraph | Table


@dataclass(slots=True)
class Document:
    """Blocks in reading order, plus what the container itself says about the report."""

    blocks: list[Block]
    source: str = ""
    format: str = ""
    encoding: str | None = None
    title: str | None = None
    pages: int | None = None
    # What the reader had to repair to read the file at all (undecodable bytes replaced):
    # the parser passes these on as the report's first warnings.
    warnings: list[str] = field(default_factory=list)

    def locate_cells(self) -> None:
        """Give every table cell its place: the table's index among the tables read (in
        reading order), and the row and column of the cell that covers it (a merged cell's
        top-left corner). For formats whose grid is the file's own (Word, web pages)."""
        number = 0
        for block in self.blocks:
            if not isinstance(block, Table):
                continue
            block.cells = [
                [
                    Cell(text, Origin(table=number, row=a[0], col=a[1]))
                    for text, a in zip(row, anchor_row, strict=True)
                ]
                for row, anchor_row in zip(block.cells, block.anchors, strict=True)
            ]
            number += 1

    def rows(self) -> Iterator[list[str]]:
        """The whole document as one stream of rows: a paragraph is a one-cell row.

        The parser reads this stream, so a table split by a page break, or cut into
        pieces by a footer line, is read as the one table it is.
        """
        for block in self.blocks:
            if isinstance(block, Paragraph):
                yield [block.text]
            else:
                yield from block.rows()


# --- limits -------------------------------------------------------------------------------------
#
# A few bytes of markup can describe a huge grid (a cell with rowspan=99999 colspan=99999, a
# Word gridSpan) or hundreds of thousands of rows, and the parser's time and memory follow
# the rows and grid positions it is given, not the size of the file. A real report prints
# about 1,000 grid positions in its three tables (part 三 is 9 columns by about 30 rows) and a
# few hundred paragraphs; a whole portal page around it, a few thousand rows. The limits
# below are far above that and far below what hurts: a document at either limit is read,
# parsed and audited in well under a second and 100 MB (measured on 49,000 rows of part 三, and
# on 500,000 positions of colspan=256 cells).

MAX_COLUMNS = 256  # Word itself stops at 63 columns
MAX_ROWS = 50_000  # paragraphs plus table rows of one document
MAX_CELLS = 500_000  # grid positions of all tables of one document, merged cells expanded


class Budget:
    """What one document may still build; each reader spends from one Budget per file.

    The checks run before the building they guard (a span is counted before it is
    expanded, a row before it is stored), so a crafted file is refused while it is still
    small in memory, as one ``UnreadableFile`` naming the file.
    """

    __slots__ = ("cells", "path", "rows")

    def __init__(self, path: str) -> None:
        self.path = path
        self.rows = 0
        self.cells = 0

    def column(self, start: int) -> None:
        """Refuse a cell that would start past the widest table a report can print."""
        if start >= MAX_COLUMNS:
            raise UnreadableFile(
                self.path, f"表格超过 {MAX_COLUMNS} 列 / table wider than {MAX_COLUMNS} columns"
            )

    def claim(self, rows: int, cells: int) -> None:
        """Count ``rows`` rows and ``cells`` grid positions against the document's limits."""
        self.rows += rows
        self.cells += cells
        if self.cells > MAX_CELLS:
            raise UnreadableFile(
                self.path,
                f"表格过大（超过 {MAX_CELLS} 个单元格）/ tables too large (over {MAX_CELLS} cells)",
            )
        if self.rows > MAX_ROWS:
            raise UnreadableFile(
                self.path,
                f"文档过长（超过 {MAX_ROWS} 行）/ document too long (over {MAX_ROWS} rows)",
            )

    def paragraph(self) -> None:
        self.claim(1, 0)

    def row(self, width: int) -> None:
        """One table row of ``width`` cells, as a reader without merged cells stores it."""
        self.column(width - 1)
        self.claim(1, width)


def expand_spans(rows: list[list[tuple[str, int, int]]], budget: Budget) -> Table:
    """Build a Table from rows of ``(text, rowspan, colspan)`` as HTML and DOCX describe them.

    A rowspan is clipped to the rows that exist and a colspan to ``MAX_COLUMNS``; every
    position a span would fill is charged to ``budget`` before it is filled, and so is the
    finished grid, so ``rowspan=99999 colspan=99999`` in every cell of a small file ends as
    one refusal instead of a grid of billions of positions.
    """
    height = len(rows)
    if budget.rows + height > MAX_ROWS:
        budget.claim(height, 0)  # refuses before a row is laid out
    occupied: list[dict[int, tuple[str, tuple[int, int]]]] = [{} for _ in range(height)]
    width = 0
    filled = 0  # positions written so far, overlapping spans counted twice
    for r, row in enumerate(rows):
        occ = occupied[r]
        c = 0
        for text, rowspan, colspan in row:
            while c in occ:
                c += 1
            budget.column(c)
            rowspan = max(1, min(rowspan, height - r))
            colspan = max(1, min(colspan, MAX_COLUMNS - c))
            filled += rowspan * colspan
            if budget.cells + filled > MAX_CELLS:
                budget.claim(0, filled)  # refuses, naming the limit
            entry = (text, (r, c))
            for dr in range(rowspan):
                target = occupied[r + dr]
                for dc in range(colspan):
                    target.setdefault(c + dc, entry)
            c += colspan
        width = max(width, c, max(occ, default=-1) + 1)
    budget.claim(height, height * width)
    cells: list[list[str]] = []
    anchors: list[list[tuple[int, int]]] = []
    for r, occ in enumerate(occupied):
        row_cells: list[str] = []
        row_anchors: list[tuple[int, int]] = []
        for c in range(width):
            text, anchor = occ.get(c, ("", (r, c)))
            row_cells.append(text)
            row_anchors.append(anchor)
        cells.append(row_cells)
        anchors.append(row_anchors)
    return Table(cells=cells, anchors=anchors)
