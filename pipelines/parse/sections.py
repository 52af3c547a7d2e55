"""Finding the six parts of a report in the stream of rows.

A part starts at its heading (``二、主动公开政府信息情况``), recognised by its numeral and a
keyword, in increasing order, on a row with nothing else in it. When a heading is missing,
the tables themselves say where parts 二, 三 and 四 are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.parse.labels import normalize

_HEADING = re.compile(r"^([一二三四五六])[、.,:]")
_PART_NUMERALS = "一二三四五六"
_PART_KEYWORDS: dict[int, tuple[str, ...]] = {
    1: ("总体情况", "概述", "总体"),
    2: ("主动公开",),
    3: ("收到和处理", "依申请", "申请情况", "处理政府信息公开申请"),
    4: ("复议", "诉讼"),
    5: ("问题", "改进", "整改"),
    6: ("其他需要报告", "其他事项", "其他"),
}
_FOOTER = re.compile(
    r"^(?:[-—–－_\s]*\d{1,3}[-—–－_\s]*|第\d{1,3}页(?:共\d{1,3}页)?|\d{1,3}/\d{1,3})$"
)


def only_cell(cells: list[str]) -> str | None:
    """The one non-empty cell of a row, or None when it has none or several."""
    found: str | None = None
    for c in cells:
        if c and not c.isspace():
            if found is not None:
                return None
            found = c
    return found


def is_page_footer(cells: list[str]) -> bool:
    """``-3-``, ``— 5 —``, ``第3页 共5页``: page furniture left between rows by converters."""
    text = only_cell(cells)
    if text is None or len(text) > 24:
        return False
    text = text.strip()
    return bool(_FOOTER.match(normalize(text))) and any(ch in text for ch in "-—–－页/ ")


@dataclass(slots=True)
class Sections:
    rows: list[list[str]]
    # part number -> (where the part before it ends, where its own rows begin): the heading
    # row sits between the two; a part found by its table instead has no heading row.
    bounds: dict[int, tuple[int, int]]

    def part(self, n: int) -> list[list[str]]:
        if n not in self.bounds:
            return []
        start = self.bounds[n][1]
        later = [b for k, (b, _) in self.bounds.items() if b >= start and k != n]
        return self.rows[start : min(later) if later else len(self.rows)]

    def before(self, n: int) -> list[list[str]]:
        """Everything before part ``n`` (the title, the preamble, part 一)."""
        later = [b for k, (b, _) in self.bounds.items() if k >= n]
        return self.rows[: min(later) if later else len(self.rows)]


def _heading_part(cells: list[str]) -> int | None:
    cell = only_cell(cells)
    if cell is None:
        return None
    text = normalize(cell)
    if len(text) > 40:
        return None
    m = _HEADING.match(text)
    if not m:
        return None
    part = _PART_NUMERALS.index(m.group(1)) + 1
    if any(k in text for k in _PART_KEYWORDS[part]):
        return part
    return None


def _first(rows: list[list[str]], start: int, words: tuple[str, ...]) -> int | None:
    for i in range(start, len(rows)):
        text = normalize("".join(rows[i]))
        if any(w in text for w in words):
            return i
    return None


def find_sections(rows: list[list[str]]) -> Sections:
    bounds: dict[int, tuple[int, int]] = {}
    last = 0
    for i, cells in enumerate(rows):
        part = _heading_part(cells)
        if part is not None and part > last:
            # Part 三's row "四、结转下年度继续办理" and the like are excluded by the keywords.
            bounds[part] = (i, i + 1)
            last = part

    def fits(n: int, i: int) -> bool:
        return all(i < b for k, (b, _) in bounds.items() if k > n)

    # Fall back on the tables when a heading is missing: the part starts at its first row.
    if 2 not in bounds:
        i = _first(rows, 0, ("第二十条第",))
        if i is not None and fits(2, i):
            bounds[2] = (i, i)
    if 3 not in bounds:
        i = _first(rows, bounds.get(2, (0, 0))[1], ("申请人情况", "本年新收"))
        if i is not None and fits(3, i):
            bounds[3] = (i, i)
    if 4 not in bounds and 3 in bounds:
        i = _first(rows, bounds[3][1], ("行政复议",))
        if i is not None and fits(4, i):
            bounds[4] = (i, i)
    return Sections(rows=rows, bounds=dict(sorted(bounds.items(), key=lambda kv: kv[1])))
