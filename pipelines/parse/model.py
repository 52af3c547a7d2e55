"""What parsing a report produces: facts, prose counts, findings, and the report itself.

``Report.to_json`` is the ``xxgk parse --json`` contract (``docs/metrics.md``); everything
else here may grow, that shape may not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pipelines.document import Origin
from pipelines.parse.labels import is_blank_text

Number = int | float


class Fact(NamedTuple):
    """One printed cell. ``value`` is None for a blank cell (``raw`` says how it was blank)
    and for a cell that could not be read as a number (``raw`` keeps its text, ``二千``, and
    the report's warnings name it): never a guess, never a silent 0.

    A NamedTuple: a report has ~250 of them and they are built in the hot loop.
    """

    table: str
    metric: str
    applicant: str | None
    value: Number | None
    raw: str = ""
    unit: str | None = None
    origin: Origin | None = None  # where it was printed (page and box, or table/row/col)

    @property
    def blank(self) -> bool:
        return self.value is None

    @property
    def unreadable(self) -> bool:
        """No value, though the cell printed something other than a blank marker."""
        return self.value is None and not is_blank_text(self.raw)

    @property
    def cell(self) -> str:
        return f"{self.metric}@{self.applicant}" if self.applicant else self.metric

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"table": self.table, "metric": self.metric}
        if self.applicant is not None:
            out["applicant"] = self.applicant
        out["value"] = self.value
        return out


@dataclass(frozen=True, slots=True)
class ProseCount:
    channel: str  # Channel.key
    label: str  # Channel.label, shown to people
    value: int
    sentence: str

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.label,
            "channel_key": self.channel,
            "value": self.value,
            "sentence": self.sentence,
        }


@dataclass(frozen=True, slots=True)
class StatedFigure:
    """A part 二 figure stated in part 一's prose (``全年制发规范性文件3件``).

    Not part of the JSON contract: it exists so the audit can hold the prose against the
    table (X2). ``metric`` is the 2021 key; the audit also compares ``issued`` with the
    2019 edition's ``new_made``.
    """

    metric: str
    value: int
    sentence: str


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    severity: str  # "error" | "warning"
    message: str
    expected: Number | None = None
    actual: Number | None = None
    cells: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "expected": self.expected,
            "actual": self.actual,
            "cells": list(self.cells),
        }


@dataclass(slots=True)
class Region:
    province: str | None = None
    city: str | None = None
    county: str | None = None
    code: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "province": self.province,
            "city": self.city,
            "county": self.county,
            "code": self.code,
        }


@dataclass(slots=True)
class Report:
    organ: str | None
    year: int | None
    edition: str
    region: Region = field(default_factory=Region)
    facts: list[Fact] = field(default_factory=list)
    prose_counts: list[ProseCount] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    table_editions: dict[str, str] = field(default_factory=dict)
    # Group subtotal rows some reports add to part 三; not template cells, checked by H4.
    subtotals: list[Fact] = field(default_factory=list)
    # Part 二 figures the prose states; not in the contract, checked by X2.
    stated_figures: list[StatedFigure] = field(default_factory=list)
    source: str = ""
    format: str = ""

    def fact_map(self) -> dict[str, Fact]:
        """Facts by cell address (``metric@applicant`` or bare metric)."""
        return {f.cell: f for f in self.facts}

    def to_json(self) -> dict[str, Any]:
        return {
            "organ": self.organ,
            "region": self.region.to_json(),
            "year": self.year,
            "edition": self.edition,
            "table_editions": dict(self.table_editions),
            "facts": [f.to_json() for f in self.facts],
            "prose_counts": [p.to_json() for p in self.prose_counts],
            "findings": [f.to_json() for f in self.findings],
            "warnings": list(self.warnings),
        }
