"""Page layout for the PDF reader: characters into lines, drawn shapes into table grids.

``pdf_tables`` finds the cells of a table from drawn edges (pdfplumber's algorithm); the
text is rebuilt here from character boxes rather than by a text extractor, because those
insert a space wherever the gap between two glyphs is wide (``总 计``, ``2023 年``,
justified ``邮 编 ：``) and the text layer of a Chinese report has no spaces to give. A
space is kept only between two narrow (Latin, digit) characters that are visibly apart.

Producers draw tables in different ways, and all of them come down to edges:

* ruled lines, stroked (WPS, LibreOffice, Word);
* thin filled rectangles (Chromium prints every border as one), which pdfplumber turns into
  edges too (``rect_to_edges``); borders up to ``_BORDER`` thick count as lines;
* cell shading with no lines: each shaded cell is a filled rectangle whose sides are the
  cell's edges. Shading alone makes a table only where it closes at least two rows (a
  zebra table shades every other row, and its unshaded rows would be lost); otherwise
  the text is left to ``pdf_unruled``, which also reads tables with no ruling at all.

What is drawn in white draws nothing: WPS puts every prose line on a white filled
rectangle, and pdfplumber turns those into one-column "tables" swallowing the prose. A
white shape counts only inside a band of visible ones, as the cell background WPS also
uses to close a table cut by a page break, where it draws no border.

The finder runs once per *band* (shapes overlapping vertically): pdfplumber snaps edges
across the whole page, so the right border of one table could be pulled towards a column
of another table further down and miss its own rows (Chromium's bevelled ``border=1``
tables did this). ``tests/test_pdf_oracle.py`` gives pdfplumber the same shapes, band by
band, and checks that it finds the same cells, on every page of every PDF fixture.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipelines.document import Budget, Cell, Origin, Table
from pipelines.readers.pdf_page import Char, Shape
from pipelines.readers.pdf_tables import FoundTable
from pipelines.readers.pdf_tables import find_tables as ruled_tables

_HAIRLINE = 2.0  # a shape this thin is a line, for closing edges and borders on top
_BORDER = 4.5  # points: a filled shape no thicker than this is a border (Chromium: 6px)
_BAND_PAD = 2.0  # shapes closer than this vertically belong to one table band
_EDGE_SNAP = 2.0  # cell edges closer than this are one grid line


# --- characters to text ---------------------------------------------------------------------

# Fonts share one glyph between a radical and the ideograph it looks like, and PDF writers
# (Chromium, some WPS versions) then map the glyph back to the radical: ``⼀、总体情况``,
# ``改⾰``, ``⼈⺠``. Kangxi radicals fold to the ideograph by NFKC; the CJK Radicals
# Supplement forms that are whole simplified characters need this table.
_RADICALS = {
    **{chr(cp): unicodedata.normalize("NFKC", chr(cp)) for cp in range(0x2F00, 0x2FD6)},
    **dict(
        zip(
            "⺟⺠⻄⻅⻆⻋⻓⻔⻘⻙⻚⻛⻜⻝⻢⻣⻤⻥⻦⻨⻩⻪⻬⻮⻰⻳",
            "母民西见角车长门青韦页风飞食马骨鬼鱼鸟麦黄黾齐齿龙龟",
            strict=True,
        )
    ),
}
_FOLD_RADICALS = str.maketrans(_RADICALS)


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def joins_with_space(left: str, right: str) -> bool:
    """Two pieces of text are joined by a space only where both sides are narrow script."""
    if not left or not right or left[-1].isspace() or right[0].isspace():
        return False
    return not _wide(left[-1]) and not _wide(right[0])


def _size(ch: Char) -> float:
    return float(ch.get("size") or (ch["bottom"] - ch["top"]) or 10.0)


def line_text(chars: Sequence[Char]) -> str:
    """The text of one line of characters, left to right, without invented spaces."""
    out = ""
    previous: Char | None = None
    for ch in sorted(chars, key=lambda c: c["x0"]):
        text = ch["text"]
        if previous is not None:
            gap = ch["x0"] - previous["x1"]
            if gap > 0.25 * max(_size(ch), _size(previous)) and joins_with_space(out, text):
                out += " "
        out += text
        previous = ch
    return " ".join(out.translate(_FOLD_RADICALS).split())


def group_lines(chars: Iterable[Char]) -> list[list[Char]]:
    """Characters clustered into lines, top to bottom.

    A character joins the current line when its vertical middle falls inside the line's
    band: digits in Times and CJK in SimSun sit at slightly different heights on one line.
    """
    lines: list[list[Char]] = []
    top = bottom = 0.0
    for ch in sorted(chars, key=lambda c: (c["top"], c["x0"])):
        middle = (ch["top"] + ch["bottom"]) / 2
        if lines and top <= middle <= bottom:
            lines[-1].append(ch)
            continue
        lines.append([ch])
        top, bottom = ch["top"], ch["bottom"]
    return lines


def join_lines(texts: Iterable[str]) -> str:
    """Lines of one cell or paragraph as one string: CJK lines join without a space."""
    out = ""
    for text in texts:
        if not text:
            continue
        out = f"{out} {text}" if joins_with_space(out, text) else out + text
    return out


@dataclass(slots=True)
class Line:
    """One line of text outside tables, with the geometry the paragraph builder needs."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float

    @classmethod
    def of(cls, chars: Sequence[Char]) -> Line:
        sizes = sorted(_size(c) for c in chars)
        return cls(
            text=line_text(chars),
            x0=min(c["x0"] for c in chars),
            x1=max(c["x1"] for c in chars),
            top=min(c["top"] for c in chars),
            bottom=max(c["bottom"] for c in chars),
            size=sizes[len(sizes) // 2],
        )


# --- rulings and table grids ------------------------------------------------------------------


def _is_ruling(obj: Shape) -> bool:
    """A visible line: a stroked path, or a filled one no thicker than a border."""
    if not obj.get("visible", True):
        return False
    kind = obj.get("object_type")
    if kind == "line" or obj.get("stroke"):
        return True
    return kind in ("rect", "curve") and min(obj["width"], obj["height"]) <= _BORDER


def _bands(rulings: list[Shape]) -> list[tuple[float, float, float, float]]:
    """Bounding boxes (x0, top, x1, bottom) of vertically overlapping groups of rulings."""
    bands: list[list[float]] = []
    for r in sorted(rulings, key=lambda o: o["top"]):
        if bands and r["top"] - _BAND_PAD <= bands[-1][3]:
            band = bands[-1]
            band[0], band[2] = min(band[0], r["x0"]), max(band[2], r["x1"])
            band[3] = max(band[3], r["bottom"])
        else:
            bands.append([r["x0"], r["top"], r["x1"], r["bottom"]])
    return [(b[0], b[1], b[2], b[3]) for b in bands]


def _inside(obj: Char | Shape, box: tuple[float, float, float, float], pad: float = 0.0) -> bool:
    cx = (obj["x0"] + obj["x1"]) / 2
    cy = (obj["top"] + obj["bottom"]) / 2
    return box[0] - pad <= cx <= box[2] + pad and box[1] - pad <= cy <= box[3] + pad


def _snap(values: Iterable[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _EDGE_SNAP:
            out.append(v)
    return out


def _nearest(edges: list[float], v: float) -> int:
    i = bisect_right(edges, v)
    if i == 0:
        return 0
    if i == len(edges) or v - edges[i - 1] <= edges[i] - v:
        return i - 1
    return i


def _slot(edges: list[float], v: float) -> int:
    return min(max(bisect_right(edges, v) - 1, 0), len(edges) - 2)


@dataclass(slots=True)
class TableBox:
    """A table found on one page: its grid, where it is, and its column edges for stitching."""

    table: Table
    bbox: tuple[float, float, float, float]
    columns: list[float]
    chars: set[int] = field(default_factory=set)  # ids of the characters it consumed
    # Columns whose first-row cell has no border drawn on top: on a page that a table runs
    # onto, that cell is the rest of a cell merged down from the previous page.
    open_top: frozenset[int] = frozenset()
    # A table read without ruling (``pdf_unruled``): the extent of each of its columns.
    intervals: tuple[tuple[float, float], ...] = ()


def _compact(
    cells: list[list[str]], anchors: list[list[tuple[int, int]]]
) -> tuple[Table, list[int]]:
    """Keep the rows where a cell with text begins, renumbering anchors.

    A row without one holds no text (WPS closes tables with one) or only the lower part of
    cells begun above it: where the cells of one column end a little apart from the others
    (a merged cell continued on a new page, bevelled borders), the grid has a line there.

    Empty columns stay: a column printed blank in every row (法人 columns left empty) is
    data, and a continuation page without a header has such columns too.
    """
    rows = [
        r
        for r, row in enumerate(cells)
        if any(text.strip() and a[0] == r for text, a in zip(row, anchors[r], strict=True))
    ]
    first: dict[tuple[int, int], tuple[int, int]] = {}
    new_cells: list[list[str]] = []
    new_anchors: list[list[tuple[int, int]]] = []
    for nr, r in enumerate(rows):
        new_cells.append(list(cells[r]))
        new_anchors.append([first.setdefault(a, (nr, c)) for c, a in enumerate(anchors[r])])
    return Table(cells=new_cells, anchors=new_anchors), rows


def _grid(
    cell_boxes: list[tuple[float, float, float, float]], chars: list[Char], budget: Budget
) -> tuple[list[list[str]], list[list[tuple[int, int]]], list[float], list[float]]:
    xs = _snap(v for b in cell_boxes for v in (b[0], b[2]))
    ys = _snap(v for b in cell_boxes for v in (b[1], b[3]))
    if len(xs) < 2 or len(ys) < 2:
        return [], [], xs, ys
    budget.column(len(xs) - 2)  # the grid is charged before it is built
    budget.claim(len(ys) - 1, (len(xs) - 1) * (len(ys) - 1))
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    # Smallest first: cells overlap only where a border is missing on one side of a page
    # break or bevelled cells leave a gap, and there the big cell is the artefact.
    for x0, top, x1, bottom in sorted(cell_boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])):
        c0, c1 = _nearest(xs, x0), max(_nearest(xs, x1), _nearest(xs, x0) + 1)
        r0, r1 = _nearest(ys, top), max(_nearest(ys, bottom), _nearest(ys, top) + 1)
        for r in range(r0, r1):
            for c in range(c0, c1):
                owner.setdefault((r, c), (r0, c0))
    texts: dict[tuple[int, int], list[Char]] = {}
    for ch in chars:
        r = _slot(ys, (ch["top"] + ch["bottom"]) / 2)
        c = _slot(xs, (ch["x0"] + ch["x1"]) / 2)
        # A position no cell covers (a border the page break did not draw) keeps its text.
        texts.setdefault(owner.get((r, c), (r, c)), []).append(ch)
    joined = {k: join_lines(line_text(ln) for ln in group_lines(v)) for k, v in texts.items()}
    # Where each cell ends: the last row and column of the grid it covers (merged cells).
    ends: dict[tuple[int, int], tuple[int, int]] = {}
    for r in range(len(ys) - 1):
        for c in range(len(xs) - 1):
            a = owner.get((r, c), (r, c))
            last = ends.get(a, a)
            ends[a] = (max(last[0], r), max(last[1], c))
    located = {
        a: Cell(joined.get(a, ""), Origin(box=(xs[a[1]], ys[a[0]], xs[e[1] + 1], ys[e[0] + 1])))
        for a, e in ends.items()
    }
    cells: list[list[str]] = []
    anchors: list[list[tuple[int, int]]] = []
    for r in range(len(ys) - 1):
        cells.append([])
        anchors.append([])
        for c in range(len(xs) - 1):
            anchor = owner.get((r, c), (r, c))
            cells[r].append(located[anchor])
            anchors[r].append(anchor)
    return cells, anchors, xs, ys


def _horizontals(rulings: list[Shape]) -> list[tuple[float, float, float]]:
    """Horizontal border segments as (x0, x1, y): lines, hairlines, stroked box edges."""
    out: list[tuple[float, float, float]] = []
    for r in rulings:
        if r["bottom"] - r["top"] <= _BORDER and r["bottom"] - r["top"] < r["x1"] - r["x0"]:
            out.append((r["x0"], r["x1"], (r["top"] + r["bottom"]) / 2))
        elif r.get("object_type") == "rect" and r.get("stroke"):
            out += [(r["x0"], r["x1"], r["top"]), (r["x0"], r["x1"], r["bottom"])]
    return out


def _open_top(
    columns: list[float], y: float, horizontals: list[tuple[float, float, float]]
) -> frozenset[int]:
    """Columns of a table's first row with no border drawn on top, if only some are open.

    A border drawn over some columns and not others is WPS continuing a merged cell from
    the previous page. When no column has one (Chromium draws no top border on a
    continued table at all) nothing can be concluded.
    """
    open_columns = set()
    for c in range(len(columns) - 1):
        middle = (columns[c] + columns[c + 1]) / 2
        if not any(
            abs(hy - y) <= _EDGE_SNAP and x0 - 1 <= middle <= x1 + 1 for x0, x1, hy in horizontals
        ):
            open_columns.add(c)
    if len(open_columns) == len(columns) - 1:
        return frozenset()
    return frozenset(open_columns)


def _closing_edges(
    rulings: list[Shape], bands: list[tuple[float, float, float, float]]
) -> list[tuple[float, float, float, float]]:
    """Horizontal edges (x0, top, x1, bottom) across the top and bottom of each band's
    vertical rulings.

    A table cut by a page break often has no border drawn where it was cut (Chromium
    leaves the continuation open on top); without one, the cells of that row cannot be
    closed and their text would fall out of the table.
    """
    edges: list[tuple[float, float, float, float]] = []
    for band in bands:
        verticals = [
            r
            for r in rulings
            if _inside(r, band) and r["bottom"] - r["top"] > max(_HAIRLINE, r["x1"] - r["x0"])
        ]
        if not verticals:
            continue
        x0 = min(v["x0"] for v in verticals)
        x1 = max(v["x1"] for v in verticals)
        for y in (min(v["top"] for v in verticals), max(v["bottom"] for v in verticals)):
            edges.append((x0, y, x1, y))
    return edges


def band_shapes(shapes: list[Shape]) -> list[tuple[tuple[float, ...], list[Shape]]]:
    """The shapes of each band, with the band's box: visible shapes and the white ones
    lying inside a band of visible ones, in page order."""
    visible = [s for s in shapes if s.get("visible", True)]
    if not visible:
        return []
    bands = _bands(visible)
    tops = [b[1] - _BAND_PAD for b in bands]
    members: list[list[Shape]] = [[] for _ in bands]
    for s in shapes:
        middle = (s["top"] + s["bottom"]) / 2
        i = bisect_right(tops, middle) - 1
        if i >= 0 and _inside(s, bands[i], pad=_BAND_PAD):
            members[i].append(s)
    return [(band, group) for band, group in zip(bands, members, strict=True) if group]


def _rows(table: FoundTable) -> int:
    return len({round(c[1], 1) for c in table.cells})


def find_tables(shapes: list[Shape], chars: list[Char], budget: Budget) -> list[TableBox]:
    """Tables drawn by a page's ``shapes``, top to bottom, with their text.

    A "table" of one column is a box around prose (or a frame around a page): it is left to
    the paragraph flow. Each grid is charged to ``budget``, the document's, before it is built.
    """
    found: list[FoundTable] = []
    rulings_of: dict[int, list[Shape]] = {}
    for band, group in band_shapes(shapes):
        rulings = [s for s in group if _is_ruling(s)]
        tables = ruled_tables(group, _closing_edges(rulings, [band]))
        if not rulings:  # shading alone: only where it closes two rows or more
            tables = [t for t in tables if _rows(t) >= 2]
        for t in tables:
            rulings_of[id(t)] = rulings
        found += tables
    out: list[TableBox] = []
    for t in sorted(found, key=lambda t: (t.bbox[1], t.bbox[0])):
        mine = [ch for ch in chars if _inside(ch, t.bbox, pad=1.0)]
        cells, anchors, xs, ys = _grid(t.cells, mine, budget)
        if not cells:
            continue
        table, rows = _compact(cells, anchors)
        if len(xs) < 3 or not table.cells:  # fewer than two columns
            continue
        open_top = _open_top(xs, ys[rows[0]], _horizontals(rulings_of[id(t)]))
        out.append(TableBox(table, t.bbox, xs, {id(ch) for ch in mine}, open_top))
    return out
