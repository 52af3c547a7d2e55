"""Plain text, as a report page copied out of a browser (the seed's shape).

Table cells are separated by tabs. Merged cells are flattened the way a copy flattens
them: a cell merged down leaves an empty cell in each row below it, so sub-rows start with
tabs and a group label appears only on its first sub-row; a cell merged across leaves empty
cells after it, or none (copies differ). A page break inside part 三 leaves debris: the tail
of the vertical group label, either alone on a line or as the first cell of the next row,
as in the seed (``理\t2. 重复申请\t…``). Encodings and line endings vary as they do in
files people save: UTF-8, GB18030, UTF-8 with a BOM; ``\\n`` or ``\\r\\n``.
"""

from __future__ import annotations

import random

from pipelines.demo.content import Content, Grid, Heading, Para
from pipelines.demo.random_tools import chance, pick
from pipelines.demo.render.grid import lay_out


def flatten(grid: Grid, drop_colspan: bool, trailing_tab: bool) -> list[list[str]]:
    out: list[list[str]] = []
    for r, row in enumerate(lay_out(grid)):
        cells: list[str] = []
        for c, slot in enumerate(row):
            if slot is None:
                cells.append("")
            elif slot.is_anchor(r, c):
                cells.append(slot.cell.text)
            elif slot.row == r:  # covered by a cell merged across
                if not drop_colspan:
                    cells.append("")
            else:  # covered by a cell merged down
                cells.append("")
        if trailing_tab:
            cells.append("")
        out.append(cells)
    return out


def _debris(grid: Grid, lines: list[list[str]], rng: random.Random) -> list[list[str]]:
    """A page break inside a merged group label: its last character lands in the next rows."""
    slots = lay_out(grid)
    candidates = []
    for r in range(1, len(slots)):
        group = slots[r][1]
        if group is not None and group.row < r and group.cell.rowspan > 1 and group.col == 1:
            candidates.append((r, group.cell.text.strip()[-1]))
    if not candidates:
        return lines
    r, char = rng.choice(candidates)
    out = list(lines)
    if chance(rng, 0.5):  # the seed: "理\t2. 重复申请\t…"
        out[r] = [char, *lines[r][2:]]
        out.insert(r, [])
    else:  # the tail alone on a line
        out[r:r] = [[], [char]]
    return out


def render_text(content: Content, rng: random.Random) -> bytes:
    encoding = pick(rng, (("utf-8", 0.65), ("gb18030", 0.25), ("utf-8-sig", 0.1)))
    newline = "\r\n" if chance(rng, 0.25) else "\n"
    drop_colspan = chance(rng, 0.5)
    trailing_tab = chance(rng, 0.5)
    debris = chance(rng, 0.35)
    lines: list[str] = ["", ""] if chance(rng, 0.5) else []
    for block in content.blocks:
        if isinstance(block, Heading | Para):
            lines.extend([block.text, ""])
            continue
        rows = flatten(block, drop_colspan, trailing_tab)
        if debris and block.part == "requests":
            rows = _debris(block, rows, rng)
        lines.extend("\t".join(cells) for cells in rows)
        lines.append("")
    return newline.join(lines).encode(encoding)
