"""Loading prepared reports into the warehouse: identity, revisions, provenance.

A report is identified by organ + year, where the organ is its division code plus its name
without the places (``淮安市洪泽区人民政府`` and ``洪泽区人民政府`` are one organ); the same
bytes twice are one report; a different file for the same organ and year supersedes the
current one and the history is kept, unless it prints fewer cells than the current one (a
partial conversion must not silently replace a complete report): then the current one
stays, the new file is kept as history, and the summary says so.

Reports arrive as Arrow batches built by the workers (``pipelines.prepare``) and go in a
chunk at a time, each chunk one transaction. If a chunk fails, it is rolled back and its
reports are loaded one by one, so the report that cannot be stored fails alone, named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from pipelines.parse import PARSER_VERSION
from pipelines.prepare import FACT_SCHEMA, Prepared
from pipelines.warehouse.derived import figures_select

_ORGAN_COLUMNS = (
    "organ_id",
    "name",
    "kind",
    "region_code",
    "province",
    "city",
    "county",
    "region_status",
)


_FINDINGS = pa.schema(
    [
        ("report_id", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("message", pa.string()),
        ("expected", pa.float64()),
        ("actual", pa.float64()),
        ("cells", pa.list_(pa.string())),
        ("scope", pa.string()),
    ]
)
# The columns of ``reports`` a batch writes, typed: a column that is NULL in every row of a
# chunk (``source_url`` when nothing was fetched) would otherwise arrive as Arrow's null type.
_REPORTS = pa.schema(
    [
        ("report_id", pa.string()),
        ("organ_id", pa.string()),
        ("organ", pa.string()),
        ("year", pa.int32()),
        ("edition", pa.string()),
        ("table_editions", pa.string()),
        ("source_path", pa.string()),
        ("format", pa.string()),
        ("parser_version", pa.string()),
        ("ingested_at", pa.timestamp("us")),
        ("batch_id", pa.string()),
        ("status", pa.string()),
        ("superseded_by", pa.string()),
        ("is_demo", pa.bool_()),
        ("warnings", pa.list_(pa.string())),
        ("has_errors", pa.bool_()),
        ("cells", pa.int32()),
        ("source_url", pa.string()),
    ]
)
_PROSE = pa.schema(
    [
        ("report_id", pa.string()),
        ("channel", pa.string()),
        ("label", pa.string()),
        ("value", pa.int64()),
        ("sentence", pa.string()),
    ]
)


def _columns(rows: list[tuple], schema: pa.Schema) -> pa.Table:
    """Rows as an Arrow table of ``schema`` (also when there are none)."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(schema)
    return pa.table(
        [pa.array(list(c), type=f.type) for c, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


@dataclass(slots=True)
class Current:
    """The report current for an organ and year, and what a newer file is measured by."""

    report_id: str
    cells: int
    is_demo: bool


@dataclass(slots=True)
class BatchCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    # (path, reason): files kept as history because the current report is more complete
    held: list[tuple[str, str]] = field(default_factory=list)


def _organ_row(it: Prepared) -> dict[str, str | None]:
    """The ``organs`` row a report states: its latest printed name, kind and region."""
    return dict(
        zip(
            _ORGAN_COLUMNS,
            (it.organ_id, it.organ, it.organ_kind, *it.region, it.region_status),
            strict=True,
        )
    )


class BatchWriter:
    """Buffers prepared reports and writes them in chunks inside one building warehouse."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        batch_id: str,
        chunk: int = 500,
        prefer_newer: bool = False,
    ) -> None:
        self.con = con
        self.batch_id = batch_id
        self.chunk = chunk
        self.prefer_newer = prefer_newer
        self.buffer: list[Prepared] = []
        self.counts = BatchCounts()
        self.now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        # organ_id, year -> the current report, read for the organs the batch meets (not
        # for the whole warehouse) and kept up to date in memory
        self.current: dict[tuple[str, int], Current] = {}
        self.known_organs: set[str] = set()
        self.touched: set[str] = set()  # organs whose derived rows the batch must refresh
        # reports a move of this batch superseded (see ``reidentify``)
        self.displaced: set[str] = set()

    def add(self, item: Prepared) -> None:
        self.buffer.append(item)
        if len(self.buffer) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        items, self.buffer = self.buffer, []
        if items:
            self._write(items)

    def _load(self, organs: set[str]) -> None:
        """The current reports of ``organs`` not read yet."""
        missing = sorted(organs - self.known_organs)
        if not missing:
            return
        for o, y, r, c, d in self.con.execute(
            "SELECT organ_id, year, report_id, cells, is_demo FROM reports "
            "WHERE status = 'current' AND organ_id IN (SELECT unnest(?::VARCHAR[]))",
            [missing],
        ).fetchall():
            self.current[(o, y)] = Current(r, int(c or 0), bool(d))
        self.known_organs.update(missing)

    def _write(self, items: list[Prepared]) -> None:
        """One transaction for ``items``; on failure, each item alone, so one bad one fails."""
        self._load({it.organ_id for it in items})
        state = dict(self.current)
        plan = self._plan(items, state)
        try:
            self.con.execute("BEGIN TRANSACTION")
            self._insert(items, plan)
            self.con.execute("COMMIT")
        except (duckdb.IOException, duckdb.OutOfMemoryException):
            raise  # the machine, not a report: the batch stops, nothing is published
        except (duckdb.Error, pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
            self.con.execute("ROLLBACK")
            if len(items) > 1:
                for item in items:
                    self._write([item])
                return
            detail = " ".join(str(exc).split())[:300]
            self.error(items[0].path, "load_failed", f"无法写入仓库 / cannot be stored: {detail}")
            return
        self.current = state
        for item, (status, _) in zip(items, plan.statuses, strict=True):
            self.touched.add(item.organ_id)
            if status == "held":
                self.counts.held.append((item.path, plan.reasons[item.report_id]))
            elif item.report_id in plan.replacing:
                self.counts.updated += 1
            else:
                self.counts.new += 1

    def _plan(self, items: list[Prepared], state: dict[tuple[str, int], Current]) -> _Plan:
        """Which item becomes current, which it supersedes, which is kept as history."""
        plan = _Plan()
        in_chunk: dict[str, int] = {}
        for i, it in enumerate(items):
            key = (it.organ_id, it.year)
            there = state.get(key)
            if there is not None and self._keeps(there, it):
                reason = (
                    f"本文件只有 {it.cells} 个单元格，少于现行版本的 {there.cells} 个，"
                    "保留现行版本；如确需替换请加 --prefer-newer / fewer cells than the current "
                    "report, kept as history"
                )
                plan.reasons[it.report_id] = reason
                plan.statuses.append(("held", there.report_id))
                continue
            if there is not None:
                plan.replacing.add(it.report_id)
                if there.report_id in in_chunk:  # superseded within this very chunk
                    plan.statuses[in_chunk[there.report_id]] = ("superseded", it.report_id)
                else:
                    plan.superseded.append((there.report_id, it.report_id))
            state[key] = Current(it.report_id, it.cells, it.is_demo)
            in_chunk[it.report_id] = i
            plan.statuses.append(("current", None))
        return plan

    def _keeps(self, there: Current, it: Prepared) -> bool:
        """Keep the current report rather than ``it``? A real report always replaces demo
        data; otherwise a file with fewer printed cells does not replace a fuller one."""
        if self.prefer_newer or (there.is_demo and not it.is_demo):
            return False
        return it.cells < there.cells

    def _insert(self, items: list[Prepared], plan: _Plan) -> None:
        con = self.con
        new_reports = pa.Table.from_pylist(  # noqa: F841 - read by name below
            [
                {
                    "report_id": it.report_id,
                    "organ_id": it.organ_id,
                    "organ": it.organ,
                    "year": it.year,
                    "edition": it.edition,
                    "table_editions": it.table_editions,
                    "source_path": it.path,
                    "format": it.format,
                    "parser_version": PARSER_VERSION,
                    "ingested_at": self.now,
                    "batch_id": self.batch_id,
                    "status": "current" if status == "current" else "superseded",
                    "superseded_by": by,
                    "is_demo": it.is_demo,
                    "warnings": it.warnings,
                    "has_errors": it.has_errors,
                    "cells": it.cells,
                    "source_url": it.url,
                }
                for it, (status, by) in zip(items, plan.statuses, strict=True)
            ],
            schema=_REPORTS,
        )
        con.execute("INSERT INTO reports BY NAME SELECT * FROM new_reports")
        new_facts = pa.Table.from_batches([it.facts for it in items], schema=FACT_SCHEMA)  # noqa: F841
        con.execute("INSERT INTO facts BY NAME SELECT * FROM new_facts")

        if plan.superseded:
            supersede = pa.table(  # noqa: F841
                {
                    "old": [o for o, _ in plan.superseded],
                    "new": [n for _, n in plan.superseded],
                }
            )
            con.execute(
                "UPDATE reports SET status = 'superseded', superseded_by = s.new "
                "FROM supersede s WHERE reports.report_id = s.old"
            )
        new_findings = _columns(  # noqa: F841
            [(it.report_id, *f, "report") for it in items for f in it.findings], _FINDINGS
        )
        con.execute("INSERT INTO findings BY NAME SELECT * FROM new_findings")
        new_prose = _columns([(it.report_id, *p) for it in items for p in it.prose], _PROSE)  # noqa: F841
        con.execute("INSERT INTO prose_counts BY NAME SELECT * FROM new_prose")
        con.execute(
            f"INSERT INTO report_figures BY NAME {figures_select('new_facts', 'new_prose')}"
        )
        new_texts = pa.table(  # noqa: F841
            {"report_id": [it.report_id for it in items], "text": [it.text for it in items]}
        )
        con.execute("INSERT INTO report_texts BY NAME SELECT * FROM new_texts")
        organs = {
            it.organ_id: _organ_row(it)
            for it, (status, _) in zip(items, plan.statuses, strict=True)
            if status != "held"
        }
        if organs:
            new_organs = pa.Table.from_pylist(list(organs.values()))  # noqa: F841
            con.execute("DELETE FROM organs WHERE organ_id IN (SELECT organ_id FROM new_organs)")
            con.execute("INSERT INTO organs BY NAME SELECT * FROM new_organs")

    def reidentify(self, it: Prepared) -> None:
        """A known report whose identity a manifest changed: move it, keep its facts.

        The move follows ``flush``'s rule, so an organ and year never has two current
        reports: a current report arriving where another is current supersedes it. A report
        that was superseded before the batch moves as history and displaces nothing. One
        that an earlier move of this batch displaced is current again when it moves away
        itself (two reports whose years a manifest swaps both stay current).
        """
        self.flush()  # the move sees the reports buffered before it
        found = self.con.execute(
            "SELECT organ_id, year, status, cells, is_demo FROM reports WHERE report_id = ?",
            [it.report_id],
        ).fetchall()
        assert found, it.report_id
        old_organ, old_year, status, cells, is_demo = found[0]
        old_key, new_key = (str(old_organ), int(old_year)), (it.organ_id, it.year)
        self._load({str(old_organ), it.organ_id})
        self.touched.update((str(old_organ), it.organ_id))
        moving_current = status == "current" or it.report_id in self.displaced
        self.displaced.discard(it.report_id)
        if moving_current:
            there = self.current.get(old_key)
            if there is not None and there.report_id == it.report_id:
                del self.current[old_key]
            there = self.current.get(new_key)
            if there is not None and there.report_id != it.report_id:
                self.con.execute(
                    "UPDATE reports SET status = 'superseded', superseded_by = ? "
                    "WHERE report_id = ?",
                    [it.report_id, there.report_id],
                )
                self.displaced.add(there.report_id)
            self.current[new_key] = Current(it.report_id, int(cells or 0), bool(is_demo))
            self.con.execute(
                "UPDATE reports SET organ_id = ?, organ = ?, year = ?, warnings = ?, "
                "source_url = coalesce(?, source_url), "
                "status = 'current', superseded_by = NULL WHERE report_id = ?",
                [it.organ_id, it.organ, it.year, it.warnings, it.url, it.report_id],
            )
        else:
            self.con.execute(
                "UPDATE reports SET organ_id = ?, organ = ?, year = ?, warnings = ?, "
                "source_url = coalesce(?, source_url) WHERE report_id = ?",
                [it.organ_id, it.organ, it.year, it.warnings, it.url, it.report_id],
            )
        row = _organ_row(it)
        self.con.execute("DELETE FROM organs WHERE organ_id = ?", [it.organ_id])
        self.con.execute(
            f"INSERT INTO organs ({', '.join(_ORGAN_COLUMNS)}) "
            f"VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        self.counts.updated += 1

    def error(self, path: str, kind: str, message: str) -> None:
        self.counts.failures.append((path, message))
        self.con.execute(
            "INSERT INTO ingest_errors VALUES (?, ?, ?, ?, ?)",
            [path, kind, message, self.now, self.batch_id],
        )


@dataclass(slots=True)
class _Plan:
    # per item: ("current" | "superseded" | "held", superseded_by)
    statuses: list[tuple[str, str | None]] = field(default_factory=list)
    superseded: list[tuple[str, str]] = field(default_factory=list)  # (old, new), old outside
    replacing: set[str] = field(default_factory=set)  # items that supersede a report
    reasons: dict[str, str] = field(default_factory=dict)  # held item -> why
