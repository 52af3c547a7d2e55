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


def expand_spans(rows: list[list[tuple[str, int, int]]]) -> Table:
    """Build a Table from rows of ``(text, rowspan, colspan)`` as HTML and DOCX describe them."""
    grid: dict[tuple[int, int], tuple[str, tuple[int, int]]] = {}
    width = 0
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in grid:
                c += 1
            rowspan = max(1, min(rowspan, 1000))
            colspan = max(1, min(colspan, 1000))
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid.setdefault((r + dr, c + dc), (text, (r, c)))
            c += colspan
            width = max(width, c)
    height = len(rows)
    cells: list[list[str]] = []
    anchors: list[list[tuple[int, int]]] = []
    for r in range(height):
        cells.append([])
        anchors.append([])
        for c in range(width):
            text, anchor = grid.get((r, c), ("", (r, c)))
            cells[r].append(text)
            anchors[r].append(anchor)
    return Table(cells=cells, anchors=anchors)
