"""The format-neutral Document every reader yields and the parser consumes.

Readers know file formats and nothing of the template; the parser knows the template and
nothing of file formats. This module is the only thing they share.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(slots=True)
class Table:
    """A grid with merged cells expanded.

    ``cells[r][c]`` holds the text of the cell covering that position, so a merged cell's
    text appears in every position it spans. ``anchors[r][c]`` names the top-left position
    of that cell, which tells a real horizontal merge from two neighbours that happen to
    hold the same text. Readers of formats without merges (plain text) leave every cell
    its own anchor.
    """

    cells: list[list[str]]
    anchors: list[list[tuple[int, int]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.anchors:
            self.anchors = [[(r, c) for c in range(len(row))] for r, row in enumerate(self.cells)]

    def rows(self) -> Iterator[list[str]]:
        """Each row as its distinct cells, left to right.

        A cell merged across columns appears once; a cell merged across rows appears in each
        row it covers, so every row carries its group label.
        """
        for row, anchor_row in zip(self.cells, self.anchors, strict=True):
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


MAX_SPAN = 64


def expand_spans(rows: list[list[tuple[str, int, int]]]) -> Table:
    """Build a Table from rows of ``(text, rowspan, colspan)`` as HTML and DOCX describe them.

    A rowspan is clamped to the rows that exist and a colspan to ``MAX_SPAN``, so a hostile
    ``colspan=100000`` cannot blow the grid up.
    """
    height = len(rows)
    occupied: list[dict[int, tuple[str, tuple[int, int]]]] = [{} for _ in range(height)]
    width = 0
    for r, row in enumerate(rows):
        occ = occupied[r]
        c = 0
        for text, rowspan, colspan in row:
            while c in occ:
                c += 1
            rowspan = max(1, min(rowspan, height - r))
            colspan = max(1, min(colspan, MAX_SPAN))
            entry = (text, (r, c))
            for dr in range(rowspan):
                target = occupied[r + dr]
                for dc in range(colspan):
                    target.setdefault(c + dc, entry)
            c += colspan
        width = max(width, c, max(occ, default=-1) + 1)
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
