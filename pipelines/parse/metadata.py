"""Who published a report and for which year, read from its title and body.

The title is the first short line that names 政府信息公开…报告; the organ is what precedes
(or follows) the year in it, or the line above when the title is split over two lines. A
title without a year takes the year most often named in the part before part 二. Places are
resolved from the organ's name by ``pipelines.regions``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_TITLE = re.compile(
    r"^(?P<pre>.*?)(?:(?P<year>(?:19|20)\d{2})年度?)?(?P<mid>[^0-9]*?)政府信息公开(?:工作)?(?:年度)?(?:工作)?报告"
)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?度")
_YEAR_LOOSE = re.compile(r"((?:19|20)\d{2})\s*年")
_LABEL_PREFIX = re.compile(r"^[^：:]{1,8}[：:]")
# A catalogue box's field name printed without a colon before the title (名称 | 某局…报告).
_FIELD_NAME = re.compile(r"^(?:名称|标题|题名|文件名称|信息名称)(?=.{6})")
_TRIM = "《》「」“”\"'()（）【】[]·-—_、，,。 \u3000"


@dataclass(slots=True)
class Metadata:
    organ: str | None
    year: int | None
    title: str | None


def _clean_organ(text: str) -> str | None:
    text = _LABEL_PREFIX.sub("", text.strip())
    text = text.replace("关于", "").strip(_TRIM)
    text = re.sub(r"\s+", "", text)
    if not text or len(text) > 40:
        return None
    return text


def read_metadata(lines: list[str], container_title: str | None, max_year: int) -> Metadata:
    """``lines``: the text rows before part 一 (and part 一 itself, for the year)."""
    organ: str | None = None
    year: int | None = None
    title: str | None = None
    candidates = list(lines[:40])
    if container_title:
        candidates.append(container_title)
    fallback: tuple[str, int | None, str | None] | None = None
    for i, line in enumerate(candidates):
        compact = re.sub(r"\s+", "", line)
        if len(compact) > 80 or "政府信息公开" not in compact or "报告" not in compact:
            continue
        m = _TITLE.search(_FIELD_NAME.sub("", _LABEL_PREFIX.sub("", compact)))
        if not m:
            continue
        found_year = int(m.group("year")) if m.group("year") else None
        found = _clean_organ(m.group("pre")) or _clean_organ(m.group("mid"))
        if found is None and found_year is None:
            # A bare "政府信息公开年度报告" is a portal's menu item or a title split over two
            # lines: keep looking for a title that names its organ, else take the line above.
            if fallback is None:
                above = re.sub(r"\s+", "", candidates[i - 1]) if i > 0 else ""
                named = 2 <= len(above) <= 30 and not re.search(r"[。，；：:]", above)
                fallback = (compact, None, _clean_organ(above) if named else None)
            continue
        title, year, organ = compact, found_year, found
        if organ is None and i > 0:
            above = re.sub(r"\s+", "", candidates[i - 1])
            if 2 <= len(above) <= 30 and not re.search(r"[。，；：:]", above):
                organ = _clean_organ(above)
        break
    else:
        if fallback is not None:
            title, year, organ = fallback
    if year is None or not (2008 <= year <= max_year):
        year = _year_from_body(lines, max_year)
    return Metadata(organ=organ, year=year, title=title)


def _year_from_body(lines: list[str], max_year: int) -> int | None:
    counts: Counter[int] = Counter()
    for line in lines:
        for pattern, weight in ((_YEAR, 2), (_YEAR_LOOSE, 1)):
            for m in pattern.finditer(line):
                y = int(m.group(1))
                if 2008 <= y <= max_year:
                    counts[y] += weight
    if not counts:
        return None
    best = max(counts.values())
    return min(y for y, c in counts.items() if c == best)
