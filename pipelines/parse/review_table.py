"""Part 四: administrative review and litigation, one row of 15 numbers.

The header has three levels and varies in how it is drawn, but the numbers are always
printed in the same order (review ×5, direct litigation ×5, litigation after review ×5),
so the header rows are recognised and skipped and the numbers are read in order, across
rows if a converter broke the row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines import catalog
from pipelines.parse.labels import (
    Value,
    fit_values,
    normalize,
    numbers_only,
    split_label_values,
    unreadable_reason,
)
from pipelines.parse.model import Fact
from pipelines.parse.sections import is_page_footer


@dataclass(slots=True)
class ReviewTable:
    facts: list[Fact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.facts)


def _place(out: ReviewTable, fitted: list[Value]) -> None:
    for key, v in zip(catalog.REVIEW_KEYS, fitted, strict=True):
        if v.unreadable:
            label = catalog.METRICS_BY_KEY[key].label
            out.warnings.append(f"第四部分“{label}”一格{unreadable_reason(v.raw)}")
        out.facts.append(Fact("review", key, None, v.number, v.raw, v.unit, v.origin))


def parse_review(rows: list[list[str]]) -> ReviewTable:
    out = ReviewTable()
    width = len(catalog.REVIEW_KEYS)
    collected: list[Value] = []
    blank_row: list[Value] | None = None  # a data row printed entirely blank
    for cells in rows:
        if is_page_footer(cells):
            continue
        labels, values = split_label_values(cells)
        if not labels:
            # Numbers only: every cell is a value, a blank first cell included (a text cell
            # here is one ``split_label_values`` found standing in a number's place).
            values = numbers_only(cells)
        if not any(not v.blank for v in values):
            if not labels and len(values) >= width and blank_row is None:
                blank_row = values
            continue
        text = normalize("".join(labels))
        is_header = any(w in text for w in (*catalog.REVIEW_HEADER_WORDS, "数量", "件数"))
        if labels and not is_header and len(text) > 12:
            continue  # prose with a number in it ("2023年…"), not the table
        collected.extend(values)
        fitted = fit_values(collected, width)
        if fitted is not None:
            _place(out, fitted)
            return out
        if len([v for v in collected if v.raw]) > width:
            break
    if not collected and blank_row is not None:
        fitted = fit_values(blank_row, width)
        if fitted is not None:
            _place(out, fitted)
            return out
    if collected:
        numbers = [v.raw for v in collected if v.raw]
        out.warnings.append(
            f"第四部分读到{len(numbers)}个数字，应为{width}个，未读取：{' '.join(numbers)}"
        )
    return out
