"""Numbers written the Chinese way: 万 and 亿 for large counts, % with one decimal.

Leadership reads "3.21万件", not "32,100" or "32.1k"; a share is "12.3%", a change in a
share is "+1.2个百分点" (not "+10%", which would be a relative change). A missing number is
"—", never 0. A number in 万 keeps two decimals (39,993 is "4.00万", not "4万": a reader
takes "4万" for a round figure); an axis tick is a round figure and drops them ("0.8万").
"""

from __future__ import annotations

import math

DASH = "—"


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def is_missing(v: float | int | None) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def num(v: float | int | None, unit: str = "") -> str:
    """12 → "12"; 4,560 → "4,560"; 32,100 → "3.21万"; 39,993 → "4.00万"; 1.5e8 → "1.50亿"."""
    if is_missing(v):
        return DASH
    assert v is not None
    v = float(v)
    a = abs(v)
    if a >= 1e8:
        text = f"{v / 1e8:.2f}亿"
    elif a >= 1e4:
        text = f"{v / 1e4:.2f}万"
    elif float(v).is_integer():
        text = f"{int(v):,}"
    else:
        text = _trim(f"{v:,.2f}")
    return text + unit


def whole(v: float | int | None, unit: str = "") -> str:
    """A count that came out of arithmetic (a median of counts) as a whole number: 2,161.5 →
    "2,162" (halves round up, as people round)."""
    if is_missing(v):
        return DASH
    assert v is not None
    return num(math.floor(float(v) + 0.5), unit)


def tick(v: float, top: float) -> str:
    """An axis tick on an axis that reaches ``top``: "8,000" below 1万, all ticks in 万 at or
    above it ("0.8万", "1.5万"), so one axis never mixes the two."""
    if top >= 1e8:
        return "0" if v == 0 else _trim(f"{v / 1e8:.4f}") + "亿"
    if top >= 1e4:
        return "0" if v == 0 else _trim(f"{v / 1e4:.4f}") + "万"
    return f"{round(v):,}"


def pct(r: float | None, digits: int = 1) -> str:
    """0.1234 → "12.3%"."""
    if is_missing(r):
        return DASH
    assert r is not None
    return f"{r * 100:.{digits}f}%"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if is_missing(numerator) or is_missing(denominator) or not denominator:
        return None
    assert numerator is not None and denominator is not None
    return numerator / denominator


def change(cur: float | None, prev: float | None) -> str | None:
    """Relative change of a count: "+12.3%"; None when there is nothing to compare."""
    r = ratio(None if is_missing(cur) or is_missing(prev) else cur - prev, prev)  # type: ignore[operator]
    if r is None:
        return None
    return f"{r * 100:+.1f}%"


def points(cur: float | None, prev: float | None) -> str | None:
    """Change of a share in percentage points: "+1.2个百分点"."""
    if is_missing(cur) or is_missing(prev):
        return None
    assert cur is not None and prev is not None
    return f"{(cur - prev) * 100:+.1f}个百分点"


def is_flat(delta: str) -> bool:
    """A formatted change that rounds to nothing ("+0.0%", "-0.0个百分点")."""
    digits = delta.lstrip("+-")
    return all(c in "0." for c in digits.split("%")[0].split("个")[0])
