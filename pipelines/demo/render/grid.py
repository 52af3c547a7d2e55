"""Merged cells laid onto the grid they cover, shared by the renderers that flatten them."""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.demo.content import Cell, Grid


@dataclass(frozen=True, slots=True)
class Slot:
    """One grid position: the cell covering it and whether this is its top-left corner."""

    cell: Cell
    row: int  # the anchor's row
    col: int  # the anchor's column

    def is_anchor(self, r: int, c: int) -> bool:
        return (self.row, self.col) == (r, c)


def lay_out(grid: Grid) -> list[list[Slot | None]]:
    """``slots[r][c]`` for every position of the grid (None where no cell reaches)."""
    height, width = len(grid.rows), grid.width
    slots: list[list[Slot | None]] = [[None] * width for _ in range(height)]
    for r, row in enumerate(grid.rows):
        c = 0
        for cell in row:
            while c < width and slots[r][c] is not None:
                c += 1
            if c >= width:
                raise ValueError(f"row {r} of the {grid.part} grid is wider than {width}")
            slot = Slot(cell, r, c)
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    slots[r + dr][c + dc] = slot
            c += cell.colspan
    return slots
