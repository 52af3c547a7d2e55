"""The format-neutral Document every reader yields and the parser consumes.

Readers know file formats and nothing of the template; the parser knows the template and
nothing of file formats. This module is the only thing they share.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


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
