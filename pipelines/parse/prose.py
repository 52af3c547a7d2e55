"""Publication counts stated in part 一's prose, each with the sentence it came from.

A count is taken only where one clause names a channel and a number with a counting unit
(``政府门户网站…发布政府信息2974条``); the nearest channel word before the number wins. A
sentence that names no channel gives nothing: a count is never invented.
"""

from __future__ import annotations

import re

from pipelines.catalog import CHANNELS
from pipelines.parse.model import ProseCount

_SENTENCE_END = re.compile(r"(?<=[。；;！!？?])|\n")
_BROKEN_COUNT = re.compile(r"(\d)\s*\n\s*([条篇期件个次份])")
# Clause breaks; a comma between digits is a thousands separator (1,234条), not a break.
_CLAUSE = re.compile(r"[，：:；;（）()]|,(?!\d{3})")
_COUNT = re.compile(r"(\d[\d,]*)\s*([条篇期件个次份])")


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


def prose_counts(paragraphs: list[str]) -> list[ProseCount]:
    out: list[ProseCount] = []
    seen: set[tuple[str, int]] = set()
    # A line break can fall between a number and its unit ("常务会议7" / "期"): rejoin them.
    text = _BROKEN_COUNT.sub(r"\1\2", "\n".join(p.strip() for p in paragraphs))
    for sentence in sentences(text):
        for clause in _CLAUSE.split(sentence):
            for m in _COUNT.finditer(clause):
                number = _clean_number(m.group(1))
                if number is None:
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
                out.append(ProseCount(channel.key, channel.label, number, sentence))
    return out
