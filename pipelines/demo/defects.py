"""Real-world defects put into a small share of reports, and the findings each must raise.

Real reports contradict themselves: the seed left its （七）总计 row at zero, 洪泽区 printed a
review 总计 of 0 over 11 cases, Shanghai left a 总计 cell blank, reports state one number in
the prose and another in the table. The generator copies those habits into ~3% of its
reports, after the consistent figures are made, and records each one.

What the audit must find is worked out here from the printed cells by an independent
reading of the rules of ``docs/template.md`` §7 (H1, H2, H3, H5; P3 for a blank total; X1
for prose against table), not by calling ``pipelines.audit``, so the test compares two
implementations of the spec. A consistent report must raise no finding at all.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pipelines import catalog
from pipelines.catalog import APPLICANT_KEYS, REVIEW_GROUPS, REVIEW_OUTCOMES
from pipelines.demo.random_tools import chance, pick
from pipelines.demo.simulate import Figures

Value = int | float | None

# Kinds, with their weights among defective reports.
KINDS: tuple[tuple[str, float], ...] = (
    ("zero_total_row", 0.30),  # H1 + H2: （七）总计 left at zero (the seed)
    ("column_mismatch", 0.20),  # H2: one outcome row changed in a column and in 总计
    ("row_mismatch", 0.20),  # H3 (+H2): one cell changed, its row's 总计 not
    ("review_total", 0.15),  # H5: a review or litigation 总计 that does not add up
    ("blank_total", 0.10),  # P3: a row's 总计 left blank
    ("prose_mismatch", 0.05),  # X1: part 一 states another number of requests
)
DEFAULT_RATE = 0.03
_LEAF_ROWS = ("outcome.granted", "outcome.partial")


@dataclass(slots=True)
class Defect:
    """One injected defect: what was changed, and what the audit must say about it."""

    kind: str
    note: str
    cells: list[str]
    changes: dict[str, list[Value]] = field(default_factory=dict)  # cell -> [consistent, printed]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "note": self.note, "cells": self.cells, "changes": self.changes}


def _leaves(group: str) -> list[str]:
    return [r.metric.key for r in catalog.REQUEST_ROWS if r.group == group and r.keywords]


def outcome_rows(figures_keys: Iterable[str]) -> list[str]:
    """The printed rows H2 sums, in template order."""
    keys = set(figures_keys)
    other = [k for k in _leaves("other") if k in keys] or ["outcome.other.total"]
    rows = [
        *_LEAF_ROWS,
        *_leaves("denied"),
        *_leaves("unavailable"),
        *_leaves("not_processed"),
        *other,
    ]
    return [r for r in rows if r in keys]


def _set(figures: Figures, defect: Defect, metric: str, col: int, value: Value) -> None:
    cell = f"{metric}@{APPLICANT_KEYS[col]}"
    before = figures.requests[metric][col]
    figures.requests[metric][col] = value
    defect.cells.append(cell)
    defect.changes[cell] = [before, value]


def inject(rng: random.Random, figures: Figures, kind: str | None = None) -> Defect | None:
    """Change ``figures`` in place the way a careless report does; None if it cannot apply."""
    kind = kind or pick(rng, KINDS)
    req = figures.requests
    leaves = outcome_rows(req)
    total = len(APPLICANT_KEYS) - 1
    if kind == "zero_total_row":
        if not req["outcome.total"][total]:
            return None
        defect = Defect(kind, "（七）总计一行全部填为0", [])
        for col, v in enumerate(req["outcome.total"]):
            if v:
                _set(figures, defect, "outcome.total", col, 0)
        return defect
    if kind in ("column_mismatch", "row_mismatch"):
        metric = rng.choice(leaves)
        col = 0 if chance(rng, 0.7) else rng.randrange(1, total)
        v = req[metric][col] or 0
        delta = rng.choice((1, 1, 2, 3, 10)) * (-1 if v > 0 and chance(rng, 0.4) else 1)
        delta = max(delta, -v)
        if kind == "column_mismatch":
            defect = Defect(kind, f"“{metric}”一行的数字改动后，该列与总计不再相符", [])
            _set(figures, defect, metric, col, v + delta)
            t = req[metric][total] or 0
            _set(figures, defect, metric, total, t + delta)
        else:
            defect = Defect(kind, f"“{metric}”一行的一个数字与本行总计不符", [])
            _set(figures, defect, metric, col, v + delta)
        return defect
    if kind == "review_total":
        group = rng.choice([g for g, _ in REVIEW_GROUPS])
        index = [g for g, _ in REVIEW_GROUPS].index(group) * len(REVIEW_OUTCOMES)
        t_index = index + len(REVIEW_OUTCOMES) - 1
        before = figures.review[t_index] or 0
        after = 0 if before > 0 and chance(rng, 0.6) else before + rng.choice((1, 1, 2, 5))
        figures.review[t_index] = after
        cell = f"{group}.total"
        return Defect(kind, f"第四部分“{cell}”与各结果之和不符", [cell], {cell: [before, after]})
    if kind == "blank_total":
        candidates = [m for m in leaves if req[m][total]]
        if not candidates:
            return None
        metric = rng.choice(candidates)
        defect = Defect(kind, f"“{metric}”一行的总计一格空白", [])
        _set(figures, defect, metric, total, None)
        return defect
    if kind == "prose_mismatch":
        table = req["requests.new_received"][total] or 0
        stated = req["requests.new_received"][0] or 0  # only the natural persons, say
        if stated == table:
            stated = table + rng.choice((-3, -1, 2, 5, 12)) if table > 3 else table + 2
        before = figures.prose.get("requests_received")
        figures.prose["requests_received"] = stated
        cell = "prose.requests_received"
        return Defect(kind, "正文所述收到申请数与表格不符", [cell], {cell: [before, stated]})
    raise ValueError(f"unknown defect kind {kind!r}")


# --- the findings a report's printed cells must raise ----------------------------------------


def _num(v: Value) -> float:
    return 0 if v is None else v


def _sum_check(
    out: list[dict[str, Any]], rule: str, total: tuple[str, Value], parts: list[tuple[str, Value]]
) -> None:
    expected = sum(_num(v) for _, v in parts)
    cells = [total[0], *(c for c, _ in parts)]
    if total[1] is None:
        if expected != 0:
            out.append({"rule": "P3", "severity": "warning", "cells": cells})
    elif abs(total[1] - expected) > 1e-9:
        out.append({"rule": rule, "severity": "error", "cells": cells})


def expected_findings(
    requests: dict[str, list[Value]],
    review: list[Value],
    prose_received: int | None,
) -> list[dict[str, Any]]:
    """Every finding the template's arithmetic gives for these printed cells."""
    out: list[dict[str, Any]] = []
    leaves = outcome_rows(requests)
    # A blank 总计 whose row parts are not all zero counts as their sum in the column checks:
    # a missing number is reported once, as P3, never as a column mismatch.
    filled = {
        metric: [
            (sum(_num(v) for v in values[:-1]) or None) if i == len(values) - 1 and v is None else v
            for i, v in enumerate(values)
        ]
        for metric, values in requests.items()
    }
    for col, applicant in enumerate(APPLICANT_KEYS):

        def cell(metric: str, applicant: str = applicant, col: int = col) -> tuple[str, Value]:
            return f"{metric}@{applicant}", filled[metric][col]

        new, over = cell("requests.new_received"), cell("requests.carried_over")
        closed, forward = cell("outcome.total"), cell("requests.carried_forward")
        if closed[1] is not None and _num(new[1]) + _num(over[1]) != _num(closed[1]) + _num(
            forward[1]
        ):
            cells = [new[0], over[0], closed[0], forward[0]]
            out.append({"rule": "H1", "severity": "error", "cells": cells})
        _sum_check(out, "H2", closed, [cell(m) for m in leaves])
    for metric, values in requests.items():
        parts = [(f"{metric}@{a}", v) for a, v in zip(APPLICANT_KEYS[:-1], values, strict=False)]
        _sum_check(out, "H3", (f"{metric}@total", values[-1]), parts)
    for g, (group, _) in enumerate(REVIEW_GROUPS):
        base = g * len(REVIEW_OUTCOMES)
        names = [f"{group}.{o}" for o, _ in REVIEW_OUTCOMES]
        values = review[base : base + len(REVIEW_OUTCOMES)]
        parts = list(zip(names[:-1], values[:-1], strict=True))
        _sum_check(out, "H5", (names[-1], values[-1]), parts)
    table = requests["requests.new_received"][-1]
    if prose_received is not None and table is not None and prose_received != table:
        out.append({"rule": "X1", "severity": "warning", "cells": ["requests.new_received@total"]})
    return out
