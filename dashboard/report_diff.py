"""Two reports of one organ, cell by cell, in the order the report page prints them.

A reader comparing two years wants the cells where the published tables have them, not in
the order the facts happen to be stored; so the order is taken from ``report_tables`` (the
``data-cell`` of every number cell its HTML draws), never written out again here. The
template changed in 2021 (part 二's columns, part 三's （六）其他处理 sub-rows), so a cell can
exist in one report's form and not in the other's: that is a state of its own
(``not_in_form``), as is a printed blank (``blank``), which is never 0, and a cell whose
text is not a number (``unread``). Everything here is plain polars, without Streamlit, so
the tests and any other page can use it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Collection, Iterable, Mapping
from decimal import Decimal

import polars as pl

from dashboard import labels, report_tables
from pipelines import catalog

PARTS = ("active", "requests", "review")
PART_TITLES = {"active": "二、主动公开", "requests": "三、依申请公开", "review": "四、复议诉讼"}

# A cell's state in one report.
VALUE = "value"  # a number
BLANK = "blank"  # printed empty ("", —, /, 无): no number, and not 0
UNREAD = "unread"  # printed, but not a number (二千)
MISSING = "missing"  # the report's form has the cell, but nothing was read for it
NOT_IN_FORM = "not_in_form"  # the report's form (its template edition) has no such cell

COLUMNS = (
    "part",
    "key",
    "row",
    "column",
    "label",
    "state_a",
    "state_b",
    "raw_a",
    "raw_b",
    "value_a",
    "value_b",
    "change",
    "differs",
)

_DATA_CELL = re.compile(r'data-cell="([^"]*)"')
_RESULTS_PREFIX = "三、本年度办理结果/"


def cell_key(metric: str, applicant: str | None) -> str:
    """The address the report page and the findings use: ``metric`` or ``metric@applicant``."""
    return metric if applicant is None else f"{metric}@{applicant}"


def table_editions(table_editions_json: str | None, edition: str) -> dict[str, str]:
    """The edition each part was printed in (a 2021 report may print a 2019-style part 三),
    falling back to the report's edition, as the report page reads it."""
    given = json.loads(table_editions_json or "{}")
    return {part: given.get(part, edition) for part in PARTS}


def has_other_subrows(keys: Iterable[str]) -> bool:
    """Whether part 三 prints （六）其他处理 as the 2021 sub-rows (the page's own test)."""
    return any(
        k.startswith("outcome.other.") and not k.startswith("outcome.other.total") for k in keys
    )


def layout(editions: Mapping[str, str], keys: Collection[str]) -> dict[str, list[str]]:
    """Every cell address of each part, in the order ``report_tables`` draws them for a report
    printed in ``editions`` whose facts have ``keys``."""
    drawn = {
        "active": report_tables.active_html(editions["active"], {}, {}),
        "requests": report_tables.requests_html(
            editions["requests"], has_other_subrows(keys), {}, {}
        ),
        "review": report_tables.review_html({}, {}),
    }
    return {
        part: list(dict.fromkeys(html.unescape(k) for k in _DATA_CELL.findall(text)))
        for part, text in drawn.items()
    }


def _merge(first: list[str], second: list[str]) -> list[str]:
    """``first``, with each key only ``second`` has placed after its predecessor in
    ``second`` and after the keys only ``first`` has there: where the two forms differ, the
    first report's cells come first, then the second's."""
    out = list(first)
    theirs = set(second)
    previous: str | None = None
    for k in second:
        if k not in out:
            pos = out.index(previous) + 1 if previous is not None else 0
            while pos < len(out) and out[pos] not in theirs:
                pos += 1
            out.insert(pos, k)
        previous = k
    return out


def _order(first: list[str], second: list[str]) -> list[str]:
    """Both reports' cells of one part: rows merged, then each row's cells merged, so a row
    whose columns changed with the 2021 template keeps its cells together."""

    def by_row(keys: list[str]) -> dict[str, list[str]]:
        rows: dict[str, list[str]] = {}
        for k in keys:
            rows.setdefault(split_key(k)[0], []).append(k)
        return rows

    rows_a, rows_b = by_row(first), by_row(second)
    out: list[str] = []
    for row in _merge(list(rows_a), list(rows_b)):
        out += _merge(rows_a.get(row, []), rows_b.get(row, []))
    return out


def split_key(key: str) -> tuple[str, str]:
    """A cell address as (row, column) keys of its part's grid."""
    if "@" in key:
        metric, _, applicant = key.partition("@")
        return metric, applicant
    if key.startswith("active."):
        _, row, column = key.split(".", 2)
        return f"active.{row}", column
    group, _, outcome = key.rpartition(".")
    return group, outcome


_REVIEW_GROUPS = dict(catalog.REVIEW_GROUPS)
_REVIEW_OUTCOMES = dict(catalog.REVIEW_OUTCOMES)


def row_label(row: str) -> str:
    """A grid row as the template names it: "（三）不予公开 1.属于国家秘密", "规章", "行政复议"."""
    if row.startswith("active."):
        active = catalog.ACTIVE_ROWS_BY_KEY.get(row.removeprefix("active."))
        return active.label if active else row
    if row in _REVIEW_GROUPS:
        return _REVIEW_GROUPS[row]
    request = catalog.REQUEST_ROWS_BY_KEY.get(row)
    if request is None:
        metric = catalog.METRICS_BY_KEY.get(row)
        if metric is None:
            return row
        request_path = metric.path
    else:
        request_path = request.metric.path
        if request.group is None:
            return request_path
    parts = request_path.removeprefix(_RESULTS_PREFIX).split("/")
    parts[0] = re.sub(r"^\((.)\)", r"（\1）", parts[0])
    return " ".join(parts)


def column_label(row: str, column: str) -> str:
    if row.startswith("active."):
        active = catalog.ACTIVE_COLUMNS_BY_KEY.get(column)
        return active.label if active else column
    if row in _REVIEW_GROUPS:
        return _REVIEW_OUTCOMES.get(column, column)
    return catalog.APPLICANT_LABELS.get(column, column)


def cell_label(key: str) -> str:
    row, column = split_key(key)
    if not column:
        return labels.metric_label(key)
    return f"{row_label(row)} · {column_label(row, column)}"


def _cells(facts: pl.DataFrame) -> dict[str, tuple[str, str, float | None, str | None]]:
    """key -> (part, state, value, raw) of one report's facts (``queries.report_facts``)."""
    out = {}
    for table, metric, applicant, value, blank, raw in zip(
        facts["table"],
        facts["metric"],
        facts["applicant"],
        facts["value"],
        facts["blank"],
        facts["raw"],
        strict=True,
    ):
        state = VALUE if value is not None else BLANK if blank else UNREAD
        out[cell_key(metric, applicant)] = (table, state, value, raw)
    return out


def _minus(b: float, a: float) -> float:
    """b − a as the printed numbers subtract (7545 − 7730.28 is −185.28, not
    −185.28000000000065): each float's shortest repr is the number the report printed."""
    return float(Decimal(repr(b)) - Decimal(repr(a)))


def diff(
    facts_a: pl.DataFrame,
    facts_b: pl.DataFrame,
    editions_a: Mapping[str, str],
    editions_b: Mapping[str, str],
) -> pl.DataFrame:
    """Every cell of either report, in template order (part 二, 三, 四; a cell a report
    prints beyond its form at the end of its part), with both values and ``change`` = b − a.

    ``change`` is a number only when both cells are numbers: a blank, an unread cell or a
    cell one form lacks has no change (null), never one computed from 0. ``differs`` is
    whether a reader sees two different things (30 vs 26, but also 0 vs blank).
    """
    a, b = _cells(facts_a), _cells(facts_b)
    form_a, form_b = layout(editions_a, a), layout(editions_b, b)
    rows = []
    for part in PARTS:
        order = _order(form_a[part], form_b[part])
        extra = [k for cells in (a, b) for k, cell in cells.items() if cell[0] == part]
        order += [k for k in dict.fromkeys(extra) if k not in set(order)]
        for key in order:
            sides = []
            for cells, form in ((a, form_a[part]), (b, form_b[part])):
                if key in cells:
                    _, state, value, raw = cells[key]
                else:
                    state = MISSING if key in form else NOT_IN_FORM
                    value, raw = None, None
                sides.append((state, value, raw))
            (state_a, value_a, raw_a), (state_b, value_b, raw_b) = sides
            both = value_a is not None and value_b is not None
            row, column = split_key(key)
            rows.append(
                {
                    "part": part,
                    "key": key,
                    "row": row_label(row),
                    "column": column_label(row, column),
                    "label": cell_label(key),
                    "state_a": state_a,
                    "state_b": state_b,
                    "raw_a": raw_a,
                    "raw_b": raw_b,
                    "value_a": value_a,
                    "value_b": value_b,
                    "change": _minus(value_b, value_a) if both else None,  # type: ignore[arg-type]
                    "differs": (state_a, value_a) != (state_b, value_b),
                }
            )
    schema = {
        "part": pl.String,
        "key": pl.String,
        "row": pl.String,
        "column": pl.String,
        "label": pl.String,
        "state_a": pl.String,
        "state_b": pl.String,
        "raw_a": pl.String,
        "raw_b": pl.String,
        "value_a": pl.Float64,
        "value_b": pl.Float64,
        "change": pl.Float64,
        "differs": pl.Boolean,
    }
    return pl.DataFrame(rows, schema=schema)


def grid(part_keys: list[str]) -> tuple[list[str], list[str], dict[tuple[str, str], str]]:
    """One part laid out as a grid: its rows and columns (keys, in order) and the cell
    address at each (row, column). Part 三 is its rows by the applicant columns, part 二 its
    rows by the union of its sub-tables' columns, part 四 the three groups by outcome."""
    rows: dict[str, None] = {}
    columns: dict[str, None] = {}
    at: dict[tuple[str, str], str] = {}
    for key in part_keys:
        row, column = split_key(key)
        rows.setdefault(row)
        columns.setdefault(column)
        at[(row, column)] = key
    return list(rows), list(columns), at
