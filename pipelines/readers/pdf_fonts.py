"""PDFium never looks at this machine's fonts: the same PDF gives the same text everywhere.

A PDF may name a font without embedding it (reportlab's ``STSong-Light``, older WPS and
Word exports with 不嵌入字体). PDFium then substitutes a font: by default one of the
system's, found by scanning ``/usr/share/fonts``. The substitute decides more than how the
page would look:

* PDFium's text page *drops every text object whose box has no width*, and that box is
  built from the substitute's glyph outlines. On a machine without a CJK font, a CJK glyph
  has no outline, so a run of Chinese text drawn rotated (or in vertical writing) has a
  box of zero width and vanishes from the text, while the digits beside it stay. This is
  how the rotated-page tests came back with empty cells on a machine without fonts.
* A character's "loose" box is its advance and the font's ascent and descent, *united
  with the glyph's outline box*, and a font without metrics falls back on the outline box
  alone: both follow the substitute.

So the reader installs its own font mapper (``FPDF_SetSystemFontInfo``, PDFium's hook for
font lookup) before any document is opened. It never enumerates or opens a system font:

* a request for a Chinese, Japanese or Korean character set gets one synthetic TrueType
  font built here, in memory, a few hundred bytes: a ``cmap`` (format 13, "many to one")
  sends every code point to one glyph, a small square well inside any character cell
  (0.1–0.2 em on both axes). Every CJK character therefore has a non-empty outline, so no
  text object is dropped, and its outline never reaches past the character's own advance
  and ascent/descent, so the loose box is exactly what the PDF's own font dictionary says
  (advance widths, ``/Ascent``, ``/Descent``);
* any other request gets nothing, and PDFium falls back on the fonts compiled into it
  (its Foxit base-14 and generic Sans/Serif faces), which are part of the ``pypdfium2``
  wheel and the same on every machine. The base-14 fonts must stay PDFium's own: their
  advance widths (which place every following character) come from them when a PDF omits
  ``/Widths``.

Embedded fonts are unaffected: they travel in the file. Character *positions* never
depended on the machine in the first place (the text matrix and the PDF's widths place
them); what depended on it was which characters exist and how tall their boxes are.
``tests/test_pdf_producers.py`` parses every PDF fixture with ``/usr/share/fonts`` hidden
(a private mount namespace) and compares every character box and table cell.

The hook is process-wide and is installed when this module is imported; the PDF reader
imports it before it opens anything. A process that had already opened PDFs with PDFium's
default mapper keeps what that mapper cached, so import the reader first.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Any

import pypdfium2.raw as pdfium_c

FONT_NAME = b"XxgkLastResort"
_HANDLE = 0x5858  # any non-null pointer value: PDFium only hands it back to us

# FX_Charset values PDFium asks for: Shift-JIS, Hangul, Johab, GB2312, Big5.
CJK_CHARSETS = frozenset({128, 129, 130, 134, 136})
_CHARSET_GB2312 = 134

# The one glyph, in font units (1000 per em): a square clear of the baseline, inside the
# narrowest advance (1/5 em) and below any ascent a CJK font declares.
_GLYPH = (100, 100, 200, 200)


def _checksum(data: bytes) -> int:
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF


def _glyph() -> bytes:
    x0, y0, x1, y1 = _GLYPH
    points = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    flags = bytes([0x01] * 4)  # on-curve, 16-bit signed deltas
    xs, ys, px, py = [], [], 0, 0
    for x, y in points:
        xs.append(x - px)
        ys.append(y - py)
        px, py = x, y
    body = struct.pack(">hhhhh", 1, x0, y0, x1, y1) + struct.pack(">HH", 3, 0)
    body += flags + struct.pack(">4h", *xs) + struct.pack(">4h", *ys)
    return body + b"\0" * (-len(body) % 4)


def _name_table() -> bytes:
    family = FONT_NAME.decode().encode("utf-16-be")
    records = [(1, family), (4, family), (6, family)]
    header = struct.pack(">HHH", 0, len(records), 6 + 12 * len(records))
    entries, strings = b"", b""
    for name_id, text in records:
        entries += struct.pack(">HHHHHH", 3, 1, 0x409, name_id, len(text), len(strings))
        strings += text
    return header + entries + strings


def _pack(fields: list[tuple[str, int | bytes]]) -> bytes:
    """A table from (struct format, value) pairs, big-endian, in order."""
    return struct.pack(">" + "".join(f for f, _ in fields), *(v for _, v in fields))


def last_resort_font() -> bytes:
    """A TrueType font of two identical glyphs; every Unicode code point maps to glyph 1."""
    glyph = _glyph()
    x0, y0, x1, y1 = _GLYPH
    ascent, descent = 880, -120
    os2 = [
        ("H", 1), ("h", 1000), ("H", 400), ("H", 5), ("H", 0),  # version, width, weight...
        *(("h", v) for v in (650, 700, 0, 140, 650, 700, 0, 480, 50, 250, 0)),  # sub/sup...
        ("10s", bytes(10)),  # PANOSE
        ("I", 0), ("I", 0x08000000), ("I", 0), ("I", 0),  # Unicode ranges: CJK ideographs
        ("4s", b"XXGK"), ("H", 0x40), ("H", 0x20), ("H", 0xFFFF),  # vendor, regular, chars
        ("h", ascent), ("h", descent), ("h", 0), ("H", ascent), ("H", -descent),
        ("I", 0x40000), ("I", 0),  # code pages: GB2312
    ]  # fmt: skip
    head = [
        ("I", 0x00010000), ("I", 0x00010000), ("I", 0), ("I", 0x5F0F3CF5),  # magic
        ("H", 0x000B), ("H", 1000), ("q", 0), ("q", 0),  # flags, units per em, dates
        ("h", x0), ("h", y0), ("h", x1), ("h", y1),
        ("H", 0), ("H", 8), ("h", 2), ("h", 1), ("h", 0),  # long offsets in loca
    ]  # fmt: skip
    hhea = [
        ("I", 0x00010000), ("h", ascent), ("h", descent), ("h", 0), ("H", 1000),
        ("h", x0), ("h", 1000 - x1), ("h", x1), ("h", 1), ("h", 0), ("h", 0),
        ("h", 0), ("h", 0), ("h", 0), ("h", 0), ("h", 0), ("H", 1),  # one metric for all
    ]  # fmt: skip
    maxp = [("I", 0x00010000), ("H", 2), ("H", 4), ("H", 1), *(("H", 0),) * 2, ("H", 2),
            *(("H", 0),) * 8]  # fmt: skip
    cmap13 = [("H", 13), ("H", 0), ("I", 28), ("I", 0), ("I", 1)]  # one group:
    cmap13 += [("I", 0), ("I", 0x10FFFF), ("I", 1)]  # U+0000..U+10FFFF -> glyph 1
    tables = {
        b"OS/2": _pack(os2),
        b"cmap": _pack([("H", 0), ("H", 1), ("H", 3), ("H", 10), ("I", 12)]) + _pack(cmap13),
        b"glyf": glyph + glyph,
        b"head": _pack(head),
        b"hhea": _pack(hhea),
        b"hmtx": struct.pack(">Hhh", 1000, x0, x0),
        b"loca": struct.pack(">III", 0, len(glyph), 2 * len(glyph)),
        b"maxp": _pack(maxp),
        b"name": _name_table(),
        b"post": struct.pack(">IIhhIIIII", 0x00030000, 0, -100, 50, 0, 0, 0, 0, 0),
    }
    count = len(tables)
    power = 1 << (count.bit_length() - 1)
    shift = power.bit_length() - 1
    out = struct.pack(">IHHHH", 0x00010000, count, power * 16, shift, (count - power) * 16)
    offset = 12 + 16 * count
    directory, body = b"", b""
    for tag in sorted(tables):
        data = tables[tag]
        directory += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(out + directory + body)
    head_at = struct.unpack_from(">I", font, font.find(b"head", 12) + 8)[0]
    adjustment = (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF
    struct.pack_into(">I", font, head_at + 8, adjustment)
    return bytes(font)


class _FontMapper:
    """The ``FPDF_SYSFONTINFO`` PDFium calls; holds its callbacks so they stay alive."""

    def __init__(self) -> None:
        self.data = last_resort_font()
        self.buffer = ctypes.create_string_buffer(self.data, len(self.data))
        fields = dict(pdfium_c.FPDF_SYSFONTINFO._fields_)
        self.info = pdfium_c.FPDF_SYSFONTINFO()
        self.info.version = 1
        self.callbacks: list[Any] = []
        for name, function in (
            ("Release", self._release),
            ("EnumFonts", self._enum_fonts),
            ("MapFont", self._map_font),
            ("GetFont", self._get_font),
            ("GetFontData", self._get_font_data),
            ("GetFaceName", self._get_face_name),
            ("GetFontCharset", self._get_charset),
            ("DeleteFont", self._delete_font),
        ):
            callback = fields[name](function)
            self.callbacks.append(callback)
            setattr(self.info, name, callback)

    @staticmethod
    def _release(this: Any) -> None:
        return None

    @staticmethod
    def _enum_fonts(this: Any, mapper: Any) -> None:
        return None  # no installed fonts to offer

    @staticmethod
    def _map_font(
        this: Any, weight: int, italic: int, charset: int, pitch: int, face: Any, exact: Any
    ) -> int | None:
        return _HANDLE if charset in CJK_CHARSETS else None

    @staticmethod
    def _get_font(this: Any, face: Any) -> int | None:
        return _HANDLE if ctypes.string_at(face) == FONT_NAME else None

    def _get_font_data(self, this: Any, handle: Any, table: int, buffer: Any, size: int) -> int:
        if handle != _HANDLE or table != 0:
            return 0  # the whole file only: this is no collection and has no other use
        if buffer and size >= len(self.data):
            ctypes.memmove(buffer, self.buffer, len(self.data))
        return len(self.data)

    @staticmethod
    def _get_face_name(this: Any, handle: Any, buffer: Any, size: int) -> int:
        name = FONT_NAME + b"\0"
        if buffer and size >= len(name):
            ctypes.memmove(buffer, name, len(name))
        return len(name)

    @staticmethod
    def _get_charset(this: Any, handle: Any) -> int:
        return _CHARSET_GB2312

    @staticmethod
    def _delete_font(this: Any, handle: Any) -> None:
        return None


_MAPPER: _FontMapper | None = None


def install() -> None:
    """Make PDFium map fonts with ``_FontMapper`` (once per process)."""
    global _MAPPER
    if _MAPPER is not None:
        return
    mapper = _FontMapper()
    pdfium_c.FPDF_SetSystemFontInfo(ctypes.byref(mapper.info))
    _MAPPER = mapper


install()
