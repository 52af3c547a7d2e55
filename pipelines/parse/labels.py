"""Cleaning labels and reading cell values the way the template's readers need.

Real reports write the same label with full-width or half-width brackets and digits, curly
or straight quotes, spaces inserted by PDF extractors, and every numbering style; all of
that is normalised here once so matching elsewhere is a plain substring test.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from pipelines.catalog import MAX_EXACT_DIGITS
from pipelines.document import Origin

_QUOTES = str.maketrans({c: "" for c in "“”\"'‘’「」『』"})
_SPACE = re.compile(r"\s+")
_DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "―": "-", "−": "-", "﹣": "-"})


@lru_cache(maxsize=1 << 16)
def normalize(text: str) -> str:
    """NFKC (full-width to half-width), no whitespace, no quotes, unified dashes."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_QUOTES).translate(_DASHES)
    return _SPACE.sub("", text)


_NUMBERING = re.compile(
    r"^(?:"
    r"[一二三四五六七八九十]+[、.,]"  # 一、
    r"|\([一二三四五六七八九十]+\)[、.,]?"  # (一)
    r"|\(?\d{1,2}\)?[.、,]?(?=\D)"  # 1. / 1、 / (1)
    r")"
)


def strip_numbering(label: str) -> str:
    """Drop leading numbering marks (一、 / (一) / 1.) from a normalised label, repeatedly."""
    previous = None
    while previous != label:
        previous = label
        label = _NUMBERING.sub("", label, count=1)
    return label


# --- cell values ---------------------------------------------------------------------------------

BLANK_MARKERS = frozenset({"", "-", "/", "无", "\\", "--", "---", "——", "—", "空"})
_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(万元|亿元|元|件|个|条|项|次|%)?$")


class Value(NamedTuple):
    """A parsed cell: ``number`` is None for a blank cell and for an unreadable one.

    ``unreadable`` marks a cell that stands where a number belongs but cannot be read as one
    (``二千``, ``2.6e3``, a number too long to store exactly): it is kept in its column, so
    the cells after it do not shift, and the table readers warn about it; its ``raw`` text
    is what tells it from a blank.
    """

    number: int | float | None
    raw: str
    unit: str | None = None
    signed: bool = False  # printed with an explicit + or -
    unreadable: bool = False
    origin: Origin | None = None  # where the cell was printed, when the reader knows

    @property
    def blank(self) -> bool:
        return self.number is None


def _too_long(digits: str, frac: str = "") -> bool:
    """More significant digits than a DOUBLE keeps exactly (``catalog.MAX_EXACT_DIGITS``)."""
    significant = (digits + frac.lstrip(".")).lstrip("0")
    if frac:
        significant = significant.rstrip("0")
    return len(significant) > MAX_EXACT_DIGITS


_LONG_NUMBER = re.compile(r"^[+-]?(\d[\d,]*)(\.\d+)?")


def too_long_number(raw: str) -> bool:
    """A printed number (units and notes after it allowed) a DOUBLE cannot hold exactly."""
    m = _LONG_NUMBER.match(normalize(raw))
    return m is not None and _too_long(m.group(1).replace(",", ""), m.group(2) or "")


def unreadable_reason(raw: str) -> str:
    """Why an unreadable cell was not read, for the warning that names it."""
    if too_long_number(raw):
        return f"“{raw}”超过{MAX_EXACT_DIGITS}位有效数字，无法精确保存，未读取"
    return f"“{raw}”不是数字，未读取"


_UNIT_NOTE = re.compile(r"\((?:单位:?)?(?:万元|亿元|元)\)$")


def is_blank_text(raw: str) -> bool:
    """A cell text that means blank (``""``, ``—``, ``/``, ``无``…), a unit note aside."""
    s = _UNIT_NOTE.sub("", normalize(raw))
    return s in BLANK_MARKERS or set(s) <= {"-"}


@lru_cache(maxsize=1 << 16)
def parse_value(text: str) -> Value | None:
    """Read one cell as a number or a blank; None when it is text (a label, a note).

    ``1,234`` is 1234, ``－8`` is -8, full-width digits are digits, and a blank, ``—``, ``/``
    or ``无`` is a blank, never 0.
    """
    raw = text.strip()
    if raw.isascii() and raw.isdigit():
        if len(raw) > MAX_EXACT_DIGITS and _too_long(raw):
            return Value(None, raw, unreadable=True)
        return Value(int(raw), raw)
    s = normalize(raw)
    if s in BLANK_MARKERS or set(s) <= {"-"}:
        return Value(None, raw)
    m = _NUMBER.match(s)
    if not m:
        return None
    sign, digits, frac, unit = m.groups()
    digits = digits.replace(",", "")
    if _too_long(digits, frac or ""):
        return Value(None, raw, unreadable=True)
    number: int | float
    if frac:
        try:
            number = float(Decimal(f"{sign}{digits}{frac}"))
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            return None
    else:
        number = int(f"{sign}{digits}")
    return Value(number, raw, unit, signed=bool(sign))


@lru_cache(maxsize=1 << 14)
def _split_values(text: str) -> tuple[Value, ...] | None:
    parts = text.split()
    if len(parts) < 2:
        v = parse_value(text)
        return None if v is None else (v,)
    values = [parse_value(p) for p in parts]
    if any(v is None for v in values):
        return None
    return tuple(v for v in values if v is not None)


def located(value: Value, cell: str) -> Value:
    """``value`` with the origin of the cell it was read from (see ``document.Cell``).

    ``parse_value`` is cached by text, and equal texts in different cells share its result;
    the origin is put on afterwards, per cell.
    """
    origin = getattr(cell, "origin", None)
    return value if origin is None else value._replace(origin=origin)


def split_values(text: str) -> list[Value] | None:
    """A cell holding several whitespace-separated numbers (text laid out with spaces)."""
    values = _split_values(text)
    return None if values is None else list(values)


# What a number looks like when it cannot be read as one: digits with stray marks (2.6e3,
# 1.2.3) or Chinese numerals (二千, 三), with at most a unit after them.
_NUMERAL_CHARS = frozenset("0123456789零〇一二三四五六七八九两壹贰叁肆伍陆柒捌玖十拾")
_NUMBERISH_CHARS = _NUMERAL_CHARS | frozenset("百千万亿佰仟萬億.,+-eE%")
_UNIT_SUFFIX = re.compile(r"(?:万元|亿元|元|件|个|条|项|次|%)$")


@lru_cache(maxsize=1 << 14)
def looks_numeric(text: str) -> bool:
    """Text that stands for a number the reader cannot read (not a label, not a unit)."""
    s = _UNIT_SUFFIX.sub("", normalize(text))
    return bool(s) and set(s) <= _NUMBERISH_CHARS and not set(s).isdisjoint(_NUMERAL_CHARS)


def split_label_values(cells: list[str]) -> tuple[list[str], list[Value]]:
    """Split a row into its label cells and its value cells.

    Empty cells before anything else are flattened merges and are skipped; after a label
    they are blank values. A text cell that ends in space-separated numbers
    (``属于国家秘密 0 0 0``, text laid out with spaces) gives both a label and values.

    A text cell standing where a number belongs is an unreadable value, not a label, so the
    numbers after it keep their columns: any text between two numbers, text after the
    numbers (a unit alone aside) with no label after it, and text that looks like a number
    (``二千``, ``2.6e3``) with numbers after it and no label after it.
    """
    labels: list[str] = []
    values: list[Value] = []
    recheck = False  # a text cell after a number, or one that looks like a number
    for cell in cells:
        v = parse_value(cell)  # cached: cells repeat ("0", "", labels), so no allocation
        if v is not None:
            if v.raw or labels or values:  # an empty cell before anything is a merge
                values.append(located(v, cell))
            continue
        vs = _split_values(cell)
        if vs is not None:
            values.extend(vs)
            continue
        head, tail = _label_with_trailing_numbers(cell)
        recheck = recheck or any(x.raw for x in values) or looks_numeric(head)
        labels.append(head)
        values.extend(tail)
    if recheck:  # rare: walk the row again, in order
        items: list[str | Value] = []
        for cell in cells:
            v = parse_value(cell)
            if v is not None:
                if v.raw or items:
                    items.append(located(v, cell))
                continue
            vs = _split_values(cell)
            if vs is not None:
                items.extend(vs)
                continue
            head, tail = _label_with_trailing_numbers(cell)
            items.append(head)
            items.extend(tail)
        items = _unreadable_values(items)
        labels = [x for x in items if isinstance(x, str)]
        values = [x for x in items if not isinstance(x, str)]
    return labels, values


def numbers_only(cells: list[str]) -> list[Value]:
    """A line that ``split_label_values`` found no label in: every cell is a value, an empty
    first cell included.

    In a row with a label, empty cells before the label are flattened merges and are
    skipped; a line of numbers alone (numbers printed apart from their label, a part 四
    row) has no such cells to lose, so its blank first column stays a blank. Padding at
    either end is dropped later, when the row is fitted to its width.
    """
    out: list[Value] = []
    for c in cells:
        values = split_values(c) or [Value(None, c.strip(), unreadable=True)]
        # one number is the whole cell and has its place; several share one cell
        out.extend([located(values[0], c)] if len(values) == 1 else values)
    return out


def label_sides(
    p: int,
    key: str,
    is_label: Callable[[int], bool],
    names: Callable[[int], str | None],
    joined: Callable[[int, int], str | None],
) -> set[str]:
    """Where the label of row ``key`` sits around the line of numbers at position ``p`` of
    a stream where labels and numbers were printed on lines of their own.

    "above" or "below": the line next to it names the row (alone, or read together with a
    fragment on the line beyond); "around": the lines on both sides are the pieces of the
    row's label, wrapped around its numbers. ``names(q)`` is the row
    a label line names alone (None for a fragment), ``joined(a, b)`` the row lines ``a``
    and ``b`` name read together.

    A line of numbers between two labels is next to two labels, so one line says little.
    What confirms a run of rows placed by order is that every one of them has its label on
    the same side: a value row lost and another doubled shift the rows between them onto
    the other side of their labels.
    """
    sides: set[str] = set()

    def fragment_pair(a: int, b: int) -> bool:
        return is_label(a) and is_label(b) and None in (names(a), names(b))

    if is_label(p - 1) and (
        names(p - 1) == key or (fragment_pair(p - 2, p - 1) and joined(p - 2, p - 1) == key)
    ):
        sides.add("above")
    if is_label(p + 1) and (
        names(p + 1) == key or (fragment_pair(p + 1, p + 2) and joined(p + 1, p + 2) == key)
    ):
        sides.add("below")
    if (fragment_pair(p - 1, p + 1) and joined(p - 1, p + 1) == key) or (
        is_label(p - 1) and is_label(p + 1) and names(p - 1) == names(p + 1) == key
    ):
        sides.add("around")
    return sides


def _unreadable_values(items: list[str | Value]) -> list[str | Value]:
    printed = [isinstance(x, Value) and bool(x.raw) for x in items]
    out: list[str | Value] = []
    for i, x in enumerate(items):
        if isinstance(x, str):
            before, after = any(printed[:i]), any(printed[i + 1 :])
            label_after = any(isinstance(y, str) and not looks_numeric(y) for y in items[i + 1 :])
            unit = _UNIT_SUFFIX.fullmatch(normalize(x)) is not None
            trailing = before and not label_after and not unit
            if (before and after) or trailing or (looks_numeric(x) and not label_after and after):
                out.append(Value(None, x.strip(), unreadable=True))
                continue
        out.append(x)
    return out


def _label_with_trailing_numbers(cell: str) -> tuple[str, list[Value]]:
    parts = cell.split()
    tail: list[Value] = []
    while parts:
        v = parse_value(parts[-1])
        if v is None or v.blank:
            break
        tail.append(v)
        parts.pop()
    if not parts or not tail:
        return cell, []
    return " ".join(parts), list(reversed(tail))


def _padding(v: Value) -> bool:
    return v.number is None and not v.raw


def alignments(values: list[Value], width: int) -> list[list[Value]]:
    """Every way to drop empty padding cells (flattened merges) from the two ends of a row so
    that ``width`` values remain; trailing padding first."""
    n = len(values)
    if n == width:
        return [values]
    if n < width:
        return []
    extra = n - width
    return [
        values[lead : n - (extra - lead)]
        for lead in range(extra + 1)
        if all(_padding(v) for v in values[:lead])
        and all(_padding(v) for v in values[n - (extra - lead) :])
    ]


def fit_values(
    values: list[Value], width: int, score: Callable[[list[Value]], float] | None = None
) -> list[Value] | None:
    """The row's ``width`` values once padding is dropped, or None when it cannot fit.

    When the padding could come off either end (a blank cell at one end of the row looks
    like padding), the candidates are ranked by ``score`` — for part 三, whether the row's
    总计 equals the sum of its parts — and otherwise trailing padding goes first.
    """
    candidates = alignments(values, width)
    if not candidates:
        return None
    if score is None or len(candidates) == 1:
        return candidates[0]
    return max(candidates, key=score)
