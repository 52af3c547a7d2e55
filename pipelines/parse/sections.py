"""Finding the six parts of a report in the stream of rows.

A part starts at its heading (``二、主动公开政府信息情况``), recognised by its numeral and a
keyword on a row with nothing else in it. Headings are taken in increasing order first, so
a numbered line inside a part (``三、加强依申请公开工作`` in part 五) is not a heading; a
heading printed out of order (四 before 三) is taken when its part has no heading yet and
the rows under it hold that part's table. When a heading is missing, the tables themselves
say where parts 二, 三 and 四 are, wherever they are printed.
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
_DIGITS = re.compile(r"[0-9０-９]+")
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
    if len(_DIGITS.findall(text)) > 1 and not any(ch in text for ch in "页/"):
        return False  # "0   0": two numbers of a row printed with spaces, not "- 3 -"
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


# What each table part's rows hold, whatever its heading says.
_TABLE_WORDS: dict[int, tuple[str, ...]] = {
    2: ("第二十条第",),
    3: ("申请人情况", "本年新收"),
    4: ("行政复议",),
}


def _first(rows: list[list[str]], start: int, words: tuple[str, ...]) -> int | None:
    for i in range(start, len(rows)):
        text = normalize("".join(rows[i]))
        if any(w in text for w in words):
            return i
    return None


def _first_table_row(
    rows: list[list[str]], start: int, words: tuple[str, ...], end: int | None = None
) -> int | None:
    """The first row from ``start`` whose table cell holds one of ``words``: a short cell,
    not a sentence that mentions the same words (``本年新收政府信息公开申请4件。``)."""
    for i in range(start, len(rows) if end is None else end):
        for cell in rows[i]:
            text = normalize(cell)
            if len(text) <= 40 and "。" not in text and any(w in text for w in words):
                return i
    return None


def _next_bound(bounds: dict[int, tuple[int, int]], i: int, n: int) -> int:
    return min((b for _, (b, _) in bounds.items() if b > i), default=n)


def find_sections(rows: list[list[str]]) -> Sections:
    bounds: dict[int, tuple[int, int]] = {}
    headings: list[tuple[int, int]] = []
    last = 0
    for i, cells in enumerate(rows):
        part = _heading_part(cells)
        if part is None:
            continue
        # Part 三's row "四、结转下年度继续办理" and the like are excluded by the keywords.
        headings.append((i, part))
        if part > last:
            bounds[part] = (i, i + 1)
            last = part
    # A heading printed out of order (四 before 三): taken when its part has none yet and
    # the rows under it, up to the next heading, hold that part's table.
    for i, part in headings:
        if part not in bounds and part in _TABLE_WORDS:
            end = _next_bound(bounds, i, len(rows))
            if _first_table_row(rows, i + 1, _TABLE_WORDS[part], end) is not None:
                bounds[part] = (i, i + 1)

    def fits(n: int, i: int) -> bool:
        return all(i < b for k, (b, _) in bounds.items() if k > n)

    def fallback(n: int, start: int | None) -> None:
        """A part without a heading starts at its table's first row: looked for after the
        part before it (the template's order), then as a table cell anywhere."""
        i = None if start is None else _first(rows, start, _TABLE_WORDS[n])
        if i is None or not fits(n, i):
            # Anywhere after part 一 (its sub-headings name 行政复议 and the like).
            after_part_one = min(
                (b for k, (b, _) in bounds.items() if k in _TABLE_WORDS), default=0
            )
            i = _first_table_row(rows, after_part_one, _TABLE_WORDS[n])
        if i is not None:
            bounds[n] = (i, i)

    if 2 not in bounds:
        fallback(2, 0)
    if 3 not in bounds:
        fallback(3, bounds.get(2, (0, 0))[1])
    if 4 not in bounds:
        # Part 一 may well mention 行政复议 in a sentence: search in order only after 三.
        fallback(4, bounds[3][1] if 3 in bounds else None)
    return Sections(rows=rows, bounds=dict(sorted(bounds.items(), key=lambda kv: kv[1])))
