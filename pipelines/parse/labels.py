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
    """A parsed cell: ``number`` is None for a blank cell."""

    number: int | float | None
    raw: str
    unit: str | None = None
    signed: bool = False  # printed with an explicit + or -

    @property
    def blank(self) -> bool:
        return self.number is None


@lru_cache(maxsize=1 << 16)
def parse_value(text: str) -> Value | None:
    """Read one cell as a number or a blank; None when it is text (a label, a note).

    ``1,234`` is 1234, ``－8`` is -8, full-width digits are digits, and a blank, ``—``, ``/``
    or ``无`` is a blank, never 0.
    """
    raw = text.strip()
    if raw.isascii() and raw.isdigit():
        return Value(int(raw), raw)
    s = normalize(raw)
    if s in BLANK_MARKERS or set(s) <= {"-"}:
        return Value(None, raw)
    m = _NUMBER.match(s)
    if not m:
        return None
    sign, digits, frac, unit = m.groups()
    digits = digits.replace(",", "")
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


def split_values(text: str) -> list[Value] | None:
    """A cell holding several whitespace-separated numbers (text laid out with spaces)."""
    values = _split_values(text)
    return None if values is None else list(values)


def split_label_values(cells: list[str]) -> tuple[list[str], list[Value]]:
    """Split a row into its label cells and its value cells.

    Empty cells before anything else are flattened merges and are skipped; after a label
    they are blank values. A text cell that ends in space-separated numbers
    (``属于国家秘密 0 0 0``, text laid out with spaces) gives both a label and values.
    """
    labels: list[str] = []
    values: list[Value] = []
    for cell in cells:
        v = parse_value(cell)  # cached: cells repeat ("0", "", labels), so no allocation
        if v is not None:
            if v.raw or labels or values:  # an empty cell before anything is a merge
                values.append(v)
            continue
        vs = _split_values(cell)
        if vs is not None:
            values.extend(vs)
            continue
        head, tail = _label_with_trailing_numbers(cell)
        labels.append(head)
        values.extend(tail)
    return labels, values


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
