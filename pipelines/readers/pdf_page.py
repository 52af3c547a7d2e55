"""One PDF page as PDFium sees it: character boxes and drawn shapes, top-down coordinates.

PDFium (C) replaces pdfminer (pure Python) here: parsing a page's content stream in Python
cost ~60 ms a page, PDFium does it in ~2. What the layout code needs is small — each
character with its box and font size, and each stroked or filled path — so it is read
through PDFium's C API (``pypdfium2.raw``) directly: the object wrappers of ``pypdfium2``
cost more per call than the call itself, and a page has thousands of characters.

Nothing here depends on the fonts installed on the machine (``pdf_fonts`` explains how
PDFium is kept from substituting system fonts). A character's geometry comes from what the
PDF itself says:

* horizontally, its advance: PDFium's loose box runs from the character's origin over its
  advance width (the font dictionary's ``/W`` or ``/Widths``); glyph outlines only widen it
  where an embedded glyph overhangs its advance, and an embedded font travels with the file;
* vertically, its baseline (the origin, placed by the text matrix) and font size: the box
  spans one em (the font size) up from ``DESCENT`` em below the baseline, for every font.
  pdfminer took the descent from each font's descriptor; one descent for all keeps the
  characters of one line (CJK in one font, digits and brackets in another, Chromium's
  Type 3 glyphs with no metrics at all) in one band, where a glyph's own box (``一`` is
  a thin stroke in mid-air) would have lifted it out of its line;
* rotated characters and vertical writing keep PDFium's loose box, mapped to the page.

Shapes follow pdfminer's conventions, which the table finder (a port of pdfplumber's) was
written against: a path is split into subpaths, and each is a ``line`` (one segment), a
``rect`` (four axis-parallel sides, closed) or a ``curve`` (anything else, its points as
drawn). Each also says whether it is *visible*: stroked or filled in a colour other than
white (paper). WPS lays a white rectangle under every line of prose; those draw nothing.

``top``/``bottom`` are measured down from the top of the page as displayed, so a page with
``/Rotate`` reads like any other. The page is its visible part (crop box within media box)
where pdfplumber took the media box; they differ only on cropped pages.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from pipelines.readers import pdf_fonts  # noqa: F401  (installs the font mapper first)

Char = dict[str, Any]
Shape = dict[str, Any]
Point = tuple[float, float]
Matrix = tuple[float, float, float, float, float, float]

_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
_MAX_FORM_DEPTH = 8  # form XObjects nest; a loop in a broken file must end somewhere
_DEDUPE_TOLERANCE = 1.0  # points: a glyph drawn again this close is the same glyph (fake bold)
# PDFium's loose box of a character in a vertical (Identity-V) font ignores the text
# matrix, so with WPS's 1/20-point matrices it comes out twenty times too big. A box this
# much wider than an em (or taller than three) is that case, not a real glyph.
_MAX_EM_WIDTH = 1.5
_MAX_EM_HEIGHT = 3.0
DESCENT = 0.15  # em below the baseline where every upright character's box ends
_WHITE = 250  # a colour channel this bright, in every channel, is paper


@dataclass(frozen=True, slots=True)
class _Frame:
    """Maps PDF user space to the displayed page: x right, y (``top``) down."""

    rotation: int
    left: float
    bottom: float
    right: float
    top: float

    @property
    def height(self) -> float:
        high = self.top - self.bottom
        return high if self.rotation in (0, 180) else self.right - self.left

    @property
    def matrix(self) -> Matrix:
        """The same map as a PDF matrix: x' = a·x + c·y + e, y' = b·x + d·y + f."""
        if self.rotation == 90:
            return (0.0, 1.0, 1.0, 0.0, -self.bottom, -self.left)
        if self.rotation == 180:
            return (-1.0, 0.0, 0.0, 1.0, self.right, -self.bottom)
        if self.rotation == 270:
            return (0.0, -1.0, -1.0, 0.0, self.top, self.right)
        return (1.0, 0.0, 0.0, -1.0, -self.left, self.top)

    def point(self, x: float, y: float) -> Point:
        a, b, c, d, e, f = self.matrix
        return a * x + c * y + e, b * x + d * y + f

    def box(self, left: float, bottom: float, right: float, top: float) -> tuple[float, ...]:
        """A user-space rectangle as (x0, top, x1, bottom) on the displayed page."""
        ax, ay = self.point(left, bottom)
        bx, by = self.point(right, top)
        return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)

    def upright(self, a: float, b: float, c: float, d: float) -> bool:
        """pdfminer's test on the text matrix, after turning the page as displayed."""
        turns = self.rotation // 90
        for _ in range(turns):  # each quarter turn clockwise: (a, b, c, d) -> (b, -a, d, -c)
            a, b, c, d = b, -a, d, -c
        return a * d > 0 and b * c <= 0


def _frame(page: pdfium.PdfPage) -> _Frame:
    """The visible page: PDFium's bounding box resolves inherited and cropped boxes."""
    box = pdfium_c.FS_RECTF()
    if not pdfium_c.FPDF_GetPageBoundingBox(page.raw, box):
        left, bottom, right, top = page.get_mediabox()
        return _Frame(page.get_rotation(), left, bottom, right, top)
    return _Frame(page.get_rotation(), box.left, box.bottom, box.right, box.top)


@dataclass(slots=True)
class PageContent:
    """What the layout code reads from one page."""

    height: float
    chars: list[Char]
    shapes: list[Shape]


def read_page(page: pdfium.PdfPage, textpage: pdfium.PdfTextPage) -> PageContent:
    """Characters (duplicates removed) and drawn shapes of one loaded page."""
    frame = _frame(page)
    chars = _dedupe(_chars(textpage.raw, frame))
    shapes = list(_shapes(page.raw, frame))
    return PageContent(height=frame.height, chars=chars, shapes=shapes)


# --- characters -----------------------------------------------------------------------------


def _chars(textpage: Any, frame: _Frame) -> list[Char]:
    """Visible characters in content order, boxes from advance, baseline and font size.

    This loop runs for every character of every page, so PDFium's functions and the
    frame's offsets are looked up once, and an unrotated page (nearly all) is mapped inline.
    """
    get_unicode = pdfium_c.FPDFText_GetUnicode
    get_box = pdfium_c.FPDFText_GetLooseCharBox
    get_matrix = pdfium_c.FPDFText_GetMatrix
    get_size = pdfium_c.FPDFText_GetFontSize
    get_origin = pdfium_c.FPDFText_GetCharOrigin
    rect = pdfium_c.FS_RECTF()
    matrix = pdfium_c.FS_MATRIX()
    origin_x = ctypes.c_double()
    origin_y = ctypes.c_double()
    hypot = math.hypot
    plain = frame.rotation == 0
    left, top_edge = frame.left, frame.top
    out: list[Char] = []
    for index in range(pdfium_c.FPDFText_CountChars(textpage)):
        code = get_unicode(textpage, index)
        if code <= 32 or code == 0xFFFE:  # spaces, the line breaks PDFium generates
            continue
        if 0xD800 <= code <= 0xDFFF:  # UTF-16 halves (where wchar_t is 16 bits): join them
            low = get_unicode(textpage, index + 1) if code < 0xDC00 else 0
            if not 0xDC00 <= low <= 0xDFFF:
                continue
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        text = chr(code)
        if text.isspace() or not get_box(textpage, index, rect):
            continue
        get_matrix(textpage, index, matrix)
        a, b, c, d = matrix.a, matrix.b, matrix.c, matrix.d
        size = get_size(textpage, index) * hypot(c, d)
        upright = a * d > 0 and b * c <= 0 if plain else frame.upright(a, b, c, d)
        x0, bottom_y, x1, top_y = rect.left, rect.bottom, rect.right, rect.top
        if size > 0 and (
            x1 - x0 > _MAX_EM_WIDTH * size or top_y - bottom_y > _MAX_EM_HEIGHT * size
        ):
            x0, top, x1, bottom = _em_box(textpage, index, size, frame)
            if upright:
                top = bottom - size
        elif upright and size > 0:
            get_origin(textpage, index, origin_x, origin_y)
            if plain:
                x0, x1 = x0 - left, x1 - left
                baseline = top_edge - origin_y.value
            else:
                x0, _, x1, _ = frame.box(x0, bottom_y, x1, top_y)
                baseline = frame.point(origin_x.value, origin_y.value)[1]
            bottom = baseline + DESCENT * size
            top = bottom - size
        elif plain:
            x0, top, x1, bottom = x0 - left, top_edge - top_y, x1 - left, top_edge - bottom_y
        else:
            x0, top, x1, bottom = frame.box(x0, bottom_y, x1, top_y)
        out.append(
            {
                "text": text,
                "x0": x0,
                "x1": x1,
                "top": top,
                "bottom": bottom,
                "size": size,
                "upright": upright,
            }
        )
    return out


def _em_box(textpage: Any, index: int, size: float, frame: _Frame) -> tuple[float, ...]:
    """An em square from the character's origin, which PDFium puts at its lower left."""
    x = ctypes.c_double()
    y = ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage, index, x, y)
    return frame.box(x.value, y.value, x.value + size, y.value + size)


def _dedupe(chars: list[Char]) -> list[Char]:
    """Drop a glyph drawn again on top of itself (how some writers fake bold type).

    PDFium already drops a repeat among the last few glyphs; this catches the rest, as
    pdfplumber's ``dedupe_chars`` did: same text, size and orientation within a point.
    Characters are compared only with others of the same text on nearly the same line,
    so a table full of zeros stays cheap. The first one drawn is kept.
    """
    by_text: dict[str, list[int]] = {}
    for i, ch in enumerate(chars):
        by_text.setdefault(ch["text"], []).append(i)
    dropped: set[int] = set()
    for same_text in by_text.values():
        if len(same_text) < 2:
            continue
        same_text.sort(key=lambda i: chars[i]["top"])
        for n, i in enumerate(same_text):
            first = chars[i]
            for j in same_text[n + 1 :]:
                other = chars[j]
                if other["top"] - first["top"] > _DEDUPE_TOLERANCE:
                    break
                if (
                    abs(other["x0"] - first["x0"]) <= _DEDUPE_TOLERANCE
                    and abs(other["size"] - first["size"]) < 0.01
                    and other["upright"] == first["upright"]
                ):
                    dropped.add(max(i, j))
    if not dropped:
        return chars
    return [ch for i, ch in enumerate(chars) if i not in dropped]


# --- drawn shapes ---------------------------------------------------------------------------


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """``m`` then ``n`` (row vectors, as PDF writes matrices)."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t,
            e * q + f * s + u)  # fmt: skip


def _paths(container: Any, outer: Matrix, depth: int = 0) -> Iterator[tuple[Any, Matrix]]:
    """Path objects with their matrix to the displayed page, descending into forms.

    ``container`` is a page, or a form XObject when ``depth`` > 0; ``outer`` maps its
    space to the displayed page.
    """
    count, get = (
        (pdfium_c.FPDFFormObj_CountObjects, pdfium_c.FPDFFormObj_GetObject)
        if depth
        else (pdfium_c.FPDFPage_CountObjects, pdfium_c.FPDFPage_GetObject)
    )
    get_type, get_matrix = pdfium_c.FPDFPageObj_GetType, pdfium_c.FPDFPageObj_GetMatrix
    path_type, form_type = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    m = pdfium_c.FS_MATRIX()
    for i in range(count(container)):
        obj = get(container, i)
        kind = get_type(obj)
        if kind != path_type and (kind != form_type or depth >= _MAX_FORM_DEPTH):
            continue
        own = (m.a, m.b, m.c, m.d, m.e, m.f) if get_matrix(obj, m) else _IDENTITY
        if kind == path_type:
            yield obj, _multiply(own, outer)
        else:
            yield from _paths(obj, _multiply(own, outer), depth + 1)


def _shapes(page: Any, frame: _Frame) -> Iterator[Shape]:
    """Every painted path as pdfminer classifies it: lines, rectangles and curves."""
    fill_mode = ctypes.c_int()
    stroke = ctypes.c_int()
    x = ctypes.c_float()
    y = ctypes.c_float()
    get_mode = pdfium_c.FPDFPath_GetDrawMode
    get_fill, get_stroke = pdfium_c.FPDFPageObj_GetFillColor, pdfium_c.FPDFPageObj_GetStrokeColor
    rgba = [ctypes.c_uint() for _ in range(4)]
    count_segments = pdfium_c.FPDFPath_CountSegments
    get_segment = pdfium_c.FPDFPath_GetPathSegment
    get_point = pdfium_c.FPDFPathSegment_GetPoint
    get_type = pdfium_c.FPDFPathSegment_GetType
    get_close = pdfium_c.FPDFPathSegment_GetClose
    moveto, bezier = pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_SEGMENT_BEZIERTO
    for obj, (a, b, c, d, e, f) in _paths(page, frame.matrix):
        if not get_mode(obj, fill_mode, stroke):
            continue
        stroked, filled = bool(stroke.value), fill_mode.value != 0
        visible = (stroked and _inked(get_stroke, obj, rgba)) or (
            filled and _inked(get_fill, obj, rgba)
        )
        flags = (stroked, filled, visible)
        # Subpaths as pdfminer spells them: "m" then "l"/"c" per segment, "h" for a close.
        ops: list[str] = []
        pts: list[Point] = []
        pending_curve = 0
        for k in range(count_segments(obj)):
            segment = get_segment(obj, k)
            kind = get_type(segment)
            if kind == bezier:
                pending_curve += 1
                if pending_curve < 3:  # two control points, then the end point
                    continue
                pending_curve = 0
            if kind == moveto and ops:
                yield from _classify(ops, pts, flags)
                ops, pts = [], []
            get_point(segment, x, y)
            px, py = x.value, y.value
            pts.append((a * px + c * py + e, b * px + d * py + f))
            ops.append("m" if kind == moveto else "c" if kind == bezier else "l")
            if kind != moveto and get_close(segment):
                pts.append(pts[0])
                ops.append("h")
        if ops:
            yield from _classify(ops, pts, flags)


def _inked(get_color: Any, obj: Any, rgba: list[ctypes.c_uint]) -> bool:
    """Whether a stroke or fill colour shows on paper: not white, not fully transparent."""
    if not get_color(obj, *rgba):
        return True  # a pattern or shading: assume it shows
    r, g, b, a = (c.value for c in rgba)
    return a > 0 and min(r, g, b) < _WHITE


def _classify(ops: list[str], pts: list[Point], flags: tuple[bool, bool, bool]) -> Iterator[Shape]:
    """One subpath as a pdfminer ``line``, ``rect`` or ``curve`` (in pdfplumber's keys)."""
    shape = "".join(ops)
    if shape[:1] != "m" or len(shape) < 2:
        return
    if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
        shape = shape[:-2] + "h"  # a redundant segment back to the start before a close
        pts = pts[:-2] + pts[-1:]
    kind = "curve"
    if shape in ("ml", "mlh"):
        kind, pts = "line", pts[:2]
    elif shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = pts[:4]
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
            y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0
        )
        if pts[0] == pts[4] and square:
            kind = "rect"
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    yield {
        "object_type": kind,
        "x0": left,
        "x1": right,
        "top": top,
        "bottom": bottom,
        "width": right - left,
        "height": bottom - top,
        "stroke": flags[0],
        "fill": flags[1],
        "visible": flags[2],
        "pts": pts,
    }
