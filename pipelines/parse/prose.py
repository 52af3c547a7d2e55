"""Counts stated in part 一's prose, each with the sentence it came from.

A publication count is taken only where one clause names a channel and a number with a
counting unit (``政府门户网站…发布政府信息2974条``); the nearest channel word before the
number wins, among the channels printed in that unit (``Channel.units``: a press
conference counts in 场 or 次, a request in 件). A sentence that names no channel gives
nothing: a count is never invented.

Part 二 figures stated in the prose (``全年制发行政规范性文件3件``) are read too, only in
that tight form (a verb the template's columns name, the document kind, the number), so the
audit can hold them against the table (X2): part 二 has no arithmetic of its own to betray
a changed digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.catalog import CHANNELS, MAX_EXACT_DIGITS
from pipelines.parse.model import ProseCount, StatedFigure

_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])|\n")
# Every counting unit some channel is printed in (catalog.CHANNELS): 条, 篇, 场 …
_UNITS = "".join(sorted({u for c in CHANNELS for u in c.units}))
_BROKEN_COUNT = re.compile(rf"(\d)\s*\n\s*([{_UNITS}])")
# Clause breaks; a comma between digits is a thousands separator (1,234条), not a break.
_CLAUSE = re.compile(r"[，：:；;（）()]|,(?!\d{3})")
_COUNT = re.compile(rf"(\d[\d,]*)\s*([{_UNITS}])")

# 制发/印发/出台/制定 = 本年制发件数 (2019: 本年新制作数量), 废止 = 本年废止件数,
# 现行有效 = 现行有效件数; 规章 / (行政)规范性文件 = the two rows of 第二十条第（一）项.
_FIGURE_VERBS = {
    "制发": "issued",
    "印发": "issued",
    "出台": "issued",
    "制定": "issued",
    "废止": "repealed",
    "现行有效": "in_force",
}
_FIGURE_ROWS = {"行政规范性文件": "normative_docs", "规范性文件": "normative_docs", "规章": "rules"}
_FIGURE = re.compile(
    rf"({'|'.join(_FIGURE_VERBS)})了?(?:各类|的)?(?:政府)?"
    rf"({'|'.join(_FIGURE_ROWS)})(?:共|总计|合计)?(\d[\d,]*)件"
)


@dataclass(slots=True)
class ProseReading:
    counts: list[ProseCount] = field(default_factory=list)
    figures: list[StatedFigure] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _is_disclosure_request(clause: str) -> bool:
    """收到/受理 … 申请 about information disclosure, not review or litigation applications."""
    return (
        "申请" in clause
        and "公开" in clause
        and not any(w in clause for w in ("复议", "诉讼", "材料"))
    )


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _clean_number(raw: str) -> int | None:
    digits = raw.replace(",", "")
    return int(digits) if digits.isdigit() else None


def _too_long(raw: str, sentence: str, out: ProseReading) -> bool:
    """A number the warehouse cannot hold (BIGINT) is no count: dropped, and said so."""
    if len(raw.replace(",", "").lstrip("0")) <= MAX_EXACT_DIGITS:
        return False
    out.warnings.append(
        f"第一部分“{sentence}”中的数字{raw}超过{MAX_EXACT_DIGITS}位，不是可信的数量，未读取"
    )
    return True


def read_prose(paragraphs: list[str]) -> ProseReading:
    out = ProseReading()
    seen: set[tuple[str, int]] = set()
    figures_seen: set[tuple[str, int]] = set()
    # A line break can fall between a number and its unit ("常务会议7" / "期"): rejoin them.
    text = _BROKEN_COUNT.sub(r"\1\2", "\n".join(p.strip() for p in paragraphs))
    for sentence in sentences(text):
        for clause in _CLAUSE.split(sentence):
            for m in _COUNT.finditer(clause):
                number = _clean_number(m.group(1))
                if number is None or _too_long(m.group(1), sentence, out):
                    continue
                before = clause[: m.start()]
                best: tuple[int, int] | None = None  # (position, channel index)
                for idx, channel in enumerate(CHANNELS):
                    if m.group(2) not in channel.units:
                        continue
                    if channel.key == "requests_received" and not _is_disclosure_request(clause):
                        continue
                    for kw in channel.keywords:
                        pos = before.rfind(kw)
                        if pos >= 0 and (best is None or pos + len(kw) > best[0]):
                            best = (pos + len(kw), idx)
                if best is None:
                    continue
                channel = CHANNELS[best[1]]
                if (channel.key, number) in seen:
                    continue
                seen.add((channel.key, number))
                out.counts.append(ProseCount(channel.key, channel.label, number, sentence))
        if "规" not in sentence:  # neither 规章 nor 规范性文件
            continue
        for m in _FIGURE.finditer(re.sub(r"\s+", "", sentence)):
            number = _clean_number(m.group(3))
            if number is None or len(m.group(3).replace(",", "").lstrip("0")) > MAX_EXACT_DIGITS:
                continue  # the count loop above has already warned about it
            metric = f"active.{_FIGURE_ROWS[m.group(2)]}.{_FIGURE_VERBS[m.group(1)]}"
            if (metric, number) not in figures_seen:
                figures_seen.add((metric, number))
                out.figures.append(StatedFigure(metric, number, sentence))
    return out
