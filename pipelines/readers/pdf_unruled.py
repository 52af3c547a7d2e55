"""Tables printed with no ruling at all: columns from where the text stands.

A table without lines (a Word table with borders switched off, a page printed without its
style sheet, a table whose only lines run one way) is still a table to the eye: its numbers
stand in columns under their headers. This module finds such tables among the lines of text
that no ruled table took, and rebuilds their grid:

1. **Pieces.** Each line splits into pieces where the gap between two characters is wider
   than ``GAP`` em; justified prose never leaves such a gap, cells of a table do. A piece
   that is a number (``12``, ``-3``, ``251000元``, ``—``) is a *value*.
2. **Regions.** A table is a run of lines none of which is prose (one piece as wide as most
   of the page), beginning and ending with a line of several pieces, holding two *value
   lines* or more (a line whose pieces include a value after a label, or two values).
3. **Blocks.** One region may hold several tables (part 二, the heading of part 三, part 三):
   a value line whose values do not stand under the columns of the value lines before it
   begins a new table; the lines between the two go with the new one, as its header.
4. **Columns.** Pieces that straddle two pieces of another line (``申请人情况`` over the
   seven columns of numbers, a label over three label columns, a heading) are set aside;
   the rest, headers and values alike, are clustered where they overlap horizontally. A
   column left blank in every row still has its header, so it is still a column.
5. **Rows.** Every value line is a row, and so is every line with a piece over a value
   column before the first value line (a header row). Any other line (a label wrapped over
   two lines, a group label centred beside its rows) joins the nearest row: a cell's lines
   are nearer each other than the next row's. A straddling piece becomes a cell merged
   over the columns it covers.

pdfplumber's ``text`` strategy cannot read these tables: it needs three words aligned to
make a column (a column of blanks under one header has one) and cuts a row at every line
of text, so it merges the 自然人 and 商业企业 columns and splits wrapped labels in two;
``tests/test_pdf_oracle.py`` shows it on the fixture printed without ruling.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from pipelines.document import Budget, Cell, Origin, Table
from pipelines.readers.pdf_layout import TableBox, join_lines, line_text
from pipelines.readers.pdf_page import Char

GAP = 0.6  # em: a wider gap between two characters of a line separates two cells
_PROSE_WIDTH = 0.6  # a one-piece line this share of the widest line's width is prose
_OVERLAP = 0.5  # points: pieces closer than this horizontally stand in one column
_WRAP_GAP = 0.8  # em: lines of one cell stand no further apart than this
_SPLIT = 0.4  # em: a gap this wide inside a spanning piece may separate two headers
_STRADDLE = 1.0  # points: a piece overlapping two of another line by this much spans both
_VALUE = re.compile(
    r"[+\-−－]?[0-9０-９][0-9０-９,，.．]*(?:万元|元|件|个|条|项|%|％)?|[—–\-－/／]+"
)


def is_value(text: str) -> bool:
    """Whether a cell's text is one number (or a dash standing for none)."""
    return _VALUE.fullmatch("".join(text.split())) is not None


@dataclass(slots=True)
class Piece:
    """Characters of one line standing together, as one table cell would hold them."""

    chars: list[Char]
    x0: float
    x1: float
    top: float
    bottom: float
    value: bool
    _text: str | None = None

    @classmethod
    def of(cls, chars: list[Char], alone: bool = False) -> Piece:
        """The piece of ``chars``; one ``alone`` on its line is never a value (a line of one
        piece is no row of numbers), so its text is only worked out if it is asked for."""
        text = None if alone else line_text(chars)
        return cls(
            chars=chars,
            x0=min(c["x0"] for c in chars),
            x1=max(c["x1"] for c in chars),
            top=min(c["top"] for c in chars),
            bottom=max(c["bottom"] for c in chars),
            value=text is not None and is_value(text),
            _text=text,
        )

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = line_text(self.chars)
        return self._text

    def overlaps(self, x0: float, x1: float) -> bool:
        return min(self.x1, x1) - max(self.x0, x0) > -_OVERLAP


@dataclass(slots=True)
class _Line:
    chars: list[Char]
    pieces: list[Piece]
    top: float = 0.0
    bottom: float = 0.0
    beside_ruled: bool = False

    def __post_init__(self) -> None:
        self.top = min(p.top for p in self.pieces)
        self.bottom = max(p.bottom for p in self.pieces)

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def is_value_line(self) -> bool:
        values = [p for p in self.pieces if p.value]
        return len(values) >= 2 or (len(values) == 1 and not self.pieces[0].value)

    def values(self) -> list[Piece]:
        return [p for p in self.pieces if p.value]


def pieces(chars: Sequence[Char]) -> list[Piece]:
    """One line's characters cut where they stand more than ``GAP`` em apart."""
    ordered = sorted(chars, key=lambda c: c["x0"])
    out: list[list[Char]] = [[ordered[0]]]
    for previous, ch in pairwise(ordered):
        size = max(float(ch.get("size") or 0), float(previous.get("size") or 0), 1.0)
        if ch["x0"] - previous["x1"] > GAP * size:
            out.append([])
        out[-1].append(ch)
    return [Piece.of(group, alone=len(out) == 1) for group in out]


@dataclass(slots=True)
class _Block:
    lines: list[_Line] = field(default_factory=list)
    value_spans: list[tuple[float, float]] = field(default_factory=list)

    def fits(self, line: _Line) -> bool:
        """Whether a value line's values stand under this block's value columns (or the
        block's under the line's: the first rows may leave columns blank)."""
        if not self.value_spans:
            return True
        mine = line.values()
        inside = all(any(p.overlaps(a, b) for a, b in self.value_spans) for p in mine)
        around = all(any(p.overlaps(a, b) for p in mine) for a, b in self.value_spans)
        return inside or around

    def headed(self, line: _Line) -> bool:
        """Whether ``line``, met after this block's values, heads a table of its own: it
        has text standing over the values (a sub-table's header, as in part 二)."""
        return any(
            not p.value and any(p.overlaps(a, b) for a, b in self.value_spans) for p in line.pieces
        )

    def add_values(self, line: _Line) -> None:
        for p in line.values():
            for i, (a, b) in enumerate(self.value_spans):
                if p.overlaps(a, b):
                    self.value_spans[i] = (min(a, p.x0), max(b, p.x1))
                    break
            else:
                self.value_spans.append((p.x0, p.x1))


def _regions(
    lines: list[_Line], prose_width: float, opening: _Line | None = None
) -> list[list[_Line]]:
    """Runs of non-prose lines holding a table: from the first line of several pieces (or
    a single line above it standing over the values: a header, a centred caption) to the
    last value line and the rest of its labels."""
    runs: list[list[_Line]] = [[]]
    for line in lines:
        if _is_prose(line, prose_width):
            runs.append([])
        else:
            runs[-1].append(line)
    out = []
    for n, run in enumerate(runs):
        several = [i for i, ln in enumerate(run) if len(ln.pieces) > 1]
        values = [i for i, ln in enumerate(run) if ln.is_value_line]
        if not several or not values:
            continue
        if len(values) < 2 and len(run[values[0]].values()) < 3 and opening not in run:
            continue
        spans = [(p.x0, p.x1) for i in values for p in run[i].values()]
        start = several[0]
        while start > 0 and any(run[start - 1].pieces[0].overlaps(a, b) for a, b in spans):
            start -= 1
        end = values[-1] + 1
        if n == len(runs) - 1:  # the table runs on past the page: keep what follows it
            out.append(run[start:])
        else:
            out.append(run[start:end] + _tail(run[end:], run[values[-1]]))
    return out


def _tail(after: list[_Line], last: _Line) -> list[_Line]:
    """Lines after the last value line that are the rest of its labels: one line apart."""
    out: list[_Line] = []
    previous = last
    for line in after:
        size = max(c["bottom"] - c["top"] for c in line.chars)
        if line.top - previous.bottom > 0.6 * size or line.pieces[0].x0 >= _value_left(last):
            break
        out.append(line)
        previous = line
    return out


def _value_left(line: _Line) -> float:
    return min((p.x0 for p in line.values()), default=float("inf"))


def _blocks(region: list[_Line]) -> list[_Block]:
    blocks: list[_Block] = []
    pending: list[_Line] = []
    for line in region:
        if not line.is_value_line:
            pending.append(line)
            continue
        if not blocks or not blocks[-1].fits(line) or any(blocks[-1].headed(p) for p in pending):
            blocks.append(_Block())
        blocks[-1].lines += pending
        pending = []
        blocks[-1].lines.append(line)
        blocks[-1].add_values(line)
    if blocks:
        blocks[-1].lines += pending
    return blocks


class _Spans:
    """The pieces of a block by horizontal position, to ask which ones overlap a span.

    Pieces are sorted by their left edge; a piece overlapping ``[x0, x1]`` starts before
    ``x1`` and, being at most ``widest`` wide, after ``x0 - widest``. The few wide pieces
    (headings, notes) are kept apart so that ``widest`` stays the width of a cell.
    """

    _WIDE = 60.0  # points

    def __init__(self, items: list[tuple[float, float, int]]) -> None:
        narrow = sorted(i for i in items if i[1] - i[0] <= self._WIDE)
        self.starts = [i[0] for i in narrow]
        self.narrow = narrow
        self.wide = [i for i in items if i[1] - i[0] > self._WIDE]
        self.widest = max((i[1] - i[0] for i in narrow), default=0.0)

    def overlapping(self, x0: float, x1: float, by: float) -> Iterator[tuple[float, float, int]]:
        """Pieces overlapping ``[x0, x1]`` by more than ``by`` points."""
        first = bisect_left(self.starts, x0 - self.widest)
        last = bisect_left(self.starts, x1 - by)
        for item in self.narrow[first:last]:
            if min(x1, item[1]) - max(x0, item[0]) > by:
                yield item
        for item in self.wide:
            if min(x1, item[1]) - max(x0, item[0]) > by:
                yield item


def _index(lines: list[_Line]) -> _Spans:
    return _Spans([(p.x0, p.x1, n) for n, line in enumerate(lines) for p in line.pieces])


def _straddles(piece: Piece, line: int, spans: _Spans) -> bool:
    """Whether ``piece`` (of line number ``line``) spans two pieces of one other line:
    ``申请人情况`` over the numbers, ``法人或其他组织`` over five headers, a heading over a
    label and its numbers."""
    seen: set[int] = set()
    for _, _, other in spans.overlapping(piece.x0, piece.x1, _STRADDLE):
        if other == line:
            continue
        if other in seen:
            return True
        seen.add(other)
    return False


def _columns(lines: list[_Line], carry: Sequence[tuple[float, float]]) -> list[list[float]]:
    """Column extents [x0, x1], left to right.

    Pieces that straddle nothing are joined into columns where they overlap, the most
    overlapping pairs first, never so that one column would hold two pieces of one line
    (those are two cells side by side). A piece that still overlaps another column (a
    label merged over two label columns, centred across both) does not widen its own.
    """
    spans = _index(lines)
    items: list[tuple[float, float, int]] = [
        (p.x0, p.x1, n)
        for n, line in enumerate(lines)
        for p in line.pieces
        if not _straddles(p, n, spans)
    ]
    items += [(a, b, len(lines)) for a, b in carry]  # one "line": the carried columns stay apart
    items.sort()
    pairs: list[tuple[float, int, int]] = []
    for i, (_, x1, _) in enumerate(items):
        for j in range(i + 1, len(items)):
            if items[j][0] > x1 + _OVERLAP:
                break
            pairs.append((min(x1, items[j][1]) - items[j][0], i, j))
    parent = list(range(len(items)))
    rows_of = [{n} for _, _, n in items]

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for _, i, j in sorted(pairs, reverse=True):
        a, b = root(i), root(j)
        if a != b and not rows_of[a] & rows_of[b]:
            parent[b] = a
            rows_of[a] |= rows_of[b]
    cluster = [root(i) for i in range(len(items))]
    # A piece overlapping a piece of another column is a bridge: it does not widen its own.
    bridge = [False] * len(items)
    for i, j in ((i, j) for _, i, j in pairs if cluster[i] != cluster[j]):
        overlap = min(items[i][1], items[j][1]) - max(items[i][0], items[j][0])
        if overlap > _STRADDLE:
            bridge[i] = bridge[j] = True
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(cluster):
        groups.setdefault(c, []).append(i)
    columns: list[list[float]] = []
    for members in groups.values():
        core = [i for i in members if not bridge[i]] or members
        columns.append([min(items[i][0] for i in core), max(items[i][1] for i in core)])
    columns.sort()
    merged: list[list[float]] = []
    for column in columns:
        if merged and column[0] <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], column[1])
        else:
            merged.append(column)
    return merged


def _split_straddlers(lines: list[_Line]) -> None:
    """Cut a piece that spans pieces of another line at its gaps wider than ``_SPLIT`` em,
    where every part then stands in one column: two headers set close together
    (``本年新制作数量  本年新公开数量``), not one header over several (``申请人情况``)."""
    spans = _index(lines)
    for n, line in enumerate(lines):
        out: list[Piece] = []
        for piece in line.pieces:
            if not _straddles(piece, n, spans):
                out.append(piece)
                continue
            chars = sorted(piece.chars, key=lambda c: c["x0"])
            parts: list[list[Char]] = [[chars[0]]]
            for previous, ch in pairwise(chars):
                size = max(float(ch.get("size") or 0), float(previous.get("size") or 0), 1.0)
                if ch["x0"] - previous["x1"] > _SPLIT * size:
                    parts.append([])
                parts[-1].append(ch)
            split = [Piece.of(part) for part in parts]
            if len(split) > 1 and not any(_straddles(p, n, spans) for p in split):
                out += split
            else:
                out.append(piece)
        line.pieces = out


def _covered(piece: Piece, columns: list[list[float]]) -> tuple[int, int]:
    hit = [i for i, (a, b) in enumerate(columns) if piece.overlaps(a, b)]
    if hit:
        return hit[0], hit[-1]
    middle = (piece.x0 + piece.x1) / 2
    nearest = min(range(len(columns)), key=lambda i: abs(sum(columns[i]) / 2 - middle))
    return nearest, nearest


def _rows(lines: list[_Line], columns: list[list[float]]) -> list[list[_Line]]:
    """Lines grouped into rows.

    Every value line is a row, and so is every *header line*, a line with a piece over a
    value column, unless each of its pieces lies under a piece of an earlier header row in
    the same column (a header cell's text wrapped onto a second line). A line standing
    only over the label columns is a row of its own when it comes before the first row or
    right before a header line (a heading, a caption); otherwise it is part of a label
    wrapped over several lines, or a group label centred beside its rows, and joins the
    nearest row if it stands close enough to it (``_WRAP_GAP``), or else stands alone.
    """
    values = {
        c
        for ln in lines
        if ln.is_value_line
        for p in ln.values()
        for c in _covered_range(p, columns)
    }
    first_value = min(values)

    def is_header(line: _Line) -> bool:
        return any(_covered(p, columns)[1] >= first_value for p in line.pieces)

    rows: list[list[_Line]] = []
    anchored: list[bool] = []  # rows other lines may join
    headers: list[int] = []  # header rows since the last value row
    loose: list[_Line] = []
    for i, line in enumerate(lines):
        if line.is_value_line:
            rows.append([line])
            anchored.append(True)
            headers = []
        elif is_header(line):
            home = next((r for r in reversed(headers) if _continues(line, rows[r], columns)), None)
            if home is None:
                rows.append([line])
                anchored.append(True)
                headers.append(len(rows) - 1)
            else:
                rows[home].append(line)
        elif i + 1 < len(lines) and not lines[i + 1].is_value_line and is_header(lines[i + 1]):
            rows.append([line])
            anchored.append(False)
        else:
            loose.append(line)
    # Each loose line goes to the row whose own line (a value or header line) is nearest,
    # nearest first, so that a label wrapped over several lines joins up line by line.
    candidates = [r for r in range(len(rows)) if anchored[r]]
    heads = {r: rows[r][0] for r in candidates}

    def nearest(line: _Line) -> tuple[float, int]:
        return min((abs(heads[r].middle - line.middle), r) for r in candidates)

    for line in sorted(loose, key=nearest):
        size = max(c["bottom"] - c["top"] for c in line.chars)
        _, home = nearest(line)
        if _gap(line, rows[home]) <= _WRAP_GAP * size:
            rows[home].append(line)
        else:  # too far from any row to be part of one: a line of its own
            rows.append([line])
            anchored.append(False)
    order = sorted(range(len(rows)), key=lambda r: rows[r][0].top)
    return [sorted(rows[r], key=lambda ln: ln.top) for r in order]


def _gap(line: _Line, row: list[_Line]) -> float:
    """The white space between ``line`` and the nearest line of ``row``, vertically."""
    return min(max(0.0, line.top - ln.bottom, ln.top - line.bottom) for ln in row)


def _continues(line: _Line, row: list[_Line], columns: list[list[float]]) -> bool:
    """Whether ``line`` belongs to the header row ``row``: each of its pieces lies in a
    column where the row has a piece of that one column (the same cells, wrapped), or none
    of them does and the two are a line apart (short cells centred in a taller row, beside
    wrapped ones)."""
    own: set[int] = set()
    taken: set[int] = set()
    for ln in row:
        for p in ln.pieces:
            first, last = _covered(p, columns)
            taken.update(range(first, last + 1))
            if first == last:
                own.add(first)
    spans = [_covered(p, columns) for p in line.pieces]
    if all(a == b and a in own for a, b in spans):
        return True
    size = max(c["bottom"] - c["top"] for c in line.chars)
    near = min(abs(ln.middle - line.middle) for ln in row) <= 1.2 * size
    return near and all((a == b and a in own) or not taken & set(range(a, b + 1)) for a, b in spans)


def _covered_range(piece: Piece, columns: list[list[float]]) -> range:
    first, last = _covered(piece, columns)
    return range(first, last + 1)


def _grid(
    rows: list[list[_Line]], columns: list[list[float]], budget: Budget
) -> tuple[list[list[str]], list[list[tuple[int, int]]]]:
    width = len(columns)
    budget.column(width - 1)
    budget.claim(len(rows), width * len(rows))
    cells: list[list[str]] = []
    anchors: list[list[tuple[int, int]]] = []
    for r, row in enumerate(rows):
        texts: list[list[Piece]] = [[] for _ in range(width)]
        spans: list[tuple[int, int]] = []
        for line in row:
            for p in line.pieces:
                first, last = _covered(p, columns)
                texts[first].append(p)
                if last > first:
                    spans.append((first, last))
        row_anchors = [(r, c) for c in range(width)]
        for first, last in spans:
            if all(not texts[c] for c in range(first + 1, last + 1)):
                for c in range(first + 1, last + 1):
                    row_anchors[c] = (r, first)
        top, bottom = min(ln.top for ln in row), max(ln.bottom for ln in row)
        row_cells: list[str] = []
        for c in range(width):
            a = row_anchors[c][1]
            last = max(k for k in range(width) if row_anchors[k][1] == a)
            ordered = sorted(texts[a], key=lambda p: (round(p.top), p.x0))
            box = (columns[a][0], top, columns[last][1], bottom)
            row_cells.append(Cell(join_lines(p.text for p in ordered), Origin(box=box)))
        cells.append(row_cells)
        anchors.append(row_anchors)
    return cells, anchors


def find_unruled(
    lines: list[list[Char]],
    budget: Budget,
    carry: TableBox | None = None,
    ruled: Sequence[tuple[float, float, float, float]] = (),
) -> tuple[list[TableBox], list[list[Char]]]:
    """Tables among a page's ``lines`` of text (top to bottom) and the lines left over.

    ``carry`` is the unruled table that ended the previous page: the first table of this
    page, when nothing but short lines stands above it and its values stand under those
    columns, continues it and keeps its columns (a continuation without its header would
    lose its blank ones).
    ``ruled`` is the boxes of the ruled tables found on the page: a line beside one of
    them is what a ruled table left over (a broken grid), not part of an unruled table,
    whose numbers would then come out blank.
    """
    if len(lines) < 2:
        return [], lines
    parsed = [_Line(chars=ln, pieces=pieces(ln)) for ln in lines]
    widest = max(ln.pieces[-1].x1 - ln.pieces[0].x0 for ln in parsed)
    prose_width = _PROSE_WIDTH * widest
    for line in parsed:
        line.beside_ruled = any(top <= line.middle <= bottom for _, top, _, bottom in ruled)
    opening = _opening_line(parsed, prose_width) if carry is not None else None
    tables: list[TableBox] = []
    used: set[int] = set()
    for region in _regions(parsed, prose_width, opening):
        for block in _blocks(region):
            inherit: Sequence[tuple[float, float]] = ()
            if carry is not None and opening is not None and not tables and opening in block.lines:
                under = all(
                    any(p.overlaps(a, b) for a, b in carry.intervals)
                    for ln in block.lines
                    for p in ln.values()
                )
                inherit = carry.intervals if under else ()
            _split_straddlers(block.lines)
            columns = _columns(block.lines, inherit)
            if len(columns) < 2:
                continue
            rows = _rows(block.lines, columns)
            cells, anchors = _grid(rows, columns, budget)
            chars = [c for ln in block.lines for c in ln.chars]
            bounds = (
                [columns[0][0]]
                + [(a[1] + b[0]) / 2 for a, b in pairwise(columns)]
                + [columns[-1][1]]
            )
            if inherit and carry is not None and len(bounds) == len(carry.columns):
                bounds = list(carry.columns)  # the same table, run on: the same columns
            box = (
                min(c["x0"] for c in chars),
                min(c["top"] for c in chars),
                max(c["x1"] for c in chars),
                max(c["bottom"] for c in chars),
            )
            tables.append(
                TableBox(
                    Table(cells=cells, anchors=anchors),
                    box,
                    bounds,
                    {id(c) for c in chars},
                    intervals=tuple((a, b) for a, b in columns),
                )
            )
            used.update(id(ln) for ln in block.lines)
    rest = [ln.chars for ln in parsed if id(ln) not in used]
    return tables, rest


def _is_prose(line: _Line, prose_width: float) -> bool:
    """A line no table holds: prose as wide as most of the page, or text beside a ruled
    table."""
    wide = len(line.pieces) == 1 and line.pieces[0].x1 - line.pieces[0].x0 >= prose_width
    return wide or line.beside_ruled


def _opening_line(lines: list[_Line], prose_width: float) -> _Line | None:
    """The page's first line of several pieces, if no prose stands above it."""
    for line in lines:
        if len(line.pieces) > 1:
            return line
        if _is_prose(line, prose_width):
            return None
    return None
