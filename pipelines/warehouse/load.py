"""Loading parsed reports into the warehouse: identity, revisions, provenance.

A report is identified by organ + year, where the organ is its division code plus its name
without the places (``淮安市洪泽区人民政府`` and ``洪泽区人民政府`` are one organ); the same
bytes twice are one report; a different file for the same organ and year supersedes the
current one and the history is kept. Rows go in as Arrow tables, never row by row.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pipelines.parse import PARSER_VERSION
from pipelines.parse.model import Report


@dataclass(slots=True)
class Parsed:
    """A report ready to load, with where it came from."""

    path: str
    report_id: str
    report: Report
    text: str
    organ_id: str
    organ_kind: str
    region_status: str
    is_demo: bool = False


@dataclass(slots=True)
class BatchCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


_FACT_SCHEMA = pa.schema(
    [
        ("report_id", pa.string()),
        ("table", pa.string()),
        ("metric", pa.string()),
        ("applicant", pa.string()),
        ("value", pa.float64()),
        ("blank", pa.bool_()),
        ("raw", pa.string()),
        ("unit", pa.string()),
    ]
)


def _organ_row(it: Parsed) -> tuple[str | None, ...]:
    """The ``organs`` row a report states: its latest printed name, kind and region."""
    r = it.report
    region = r.region
    return (
        it.organ_id,
        r.organ,
        it.organ_kind,
        region.code,
        region.province,
        region.city,
        region.county,
        it.region_status,
    )


class BatchWriter:
    """Buffers parsed reports and writes them in chunks inside one building warehouse."""

    def __init__(self, con: duckdb.DuckDBPyConnection, batch_id: str, chunk: int = 400) -> None:
        self.con = con
        self.batch_id = batch_id
        self.chunk = chunk
        self.buffer: list[Parsed] = []
        self.counts = BatchCounts()
        self.now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        # organ_id, year -> current report_id, read once and kept up to date in memory
        self.current: dict[tuple[str, int], str] = {
            (o, y): r
            for o, y, r in con.execute(
                "SELECT organ_id, year, report_id FROM reports WHERE status = 'current'"
            ).fetchall()
        }
        # reports a move of this batch superseded (see ``reidentify``)
        self.displaced: set[str] = set()

    def add(self, item: Parsed) -> None:
        self.buffer.append(item)
        if len(self.buffer) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        if not self.buffer:
            return
        items, self.buffer = self.buffer, []
        reports, facts, findings, prose, texts, organs = [], [], [], [], [], {}
        superseded: list[tuple[str, str]] = []
        for it in items:
            r = it.report
            assert r.year is not None and r.organ is not None
            key = (it.organ_id, r.year)
            previous = self.current.get(key)
            if previous is not None:
                superseded.append((previous, it.report_id))
                self.counts.updated += 1
            else:
                self.counts.new += 1
            self.current[key] = it.report_id
            organs[it.organ_id] = _organ_row(it)
            reports.append(
                {
                    "report_id": it.report_id,
                    "organ_id": it.organ_id,
                    "organ": r.organ,
                    "year": r.year,
                    "edition": r.edition,
                    "table_editions": json.dumps(r.table_editions, ensure_ascii=False),
                    "source_path": it.path,
                    "format": r.format,
                    "parser_version": PARSER_VERSION,
                    "ingested_at": self.now,
                    "batch_id": self.batch_id,
                    "status": "current",
                    "superseded_by": None,
                    "is_demo": it.is_demo,
                    "warnings": list(r.warnings),
                }
            )
            for f in r.facts:
                facts.append(
                    (
                        it.report_id,
                        f.table,
                        f.metric,
                        f.applicant,
                        f.value,
                        f.value is None,
                        f.raw,
                        f.unit,
                    )
                )
            for fd in r.findings:
                findings.append(
                    {
                        "report_id": it.report_id,
                        "rule": fd.rule,
                        "severity": fd.severity,
                        "message": fd.message,
                        "expected": fd.expected,
                        "actual": fd.actual,
                        "cells": list(fd.cells),
                        "scope": "report",
                    }
                )
            for p in r.prose_counts:
                prose.append(
                    {
                        "report_id": it.report_id,
                        "channel": p.channel,
                        "label": p.label,
                        "value": p.value,
                        "sentence": p.sentence,
                    }
                )
            texts.append({"report_id": it.report_id, "text": it.text})
        con = self.con
        reports_tbl = pa.Table.from_pylist(reports)  # noqa: F841 - read by name below
        con.execute(
            "INSERT INTO reports BY NAME SELECT * FROM reports_tbl",
        )
        facts_tbl = pa.Table.from_arrays(  # noqa: F841
            [
                pa.array(col, type=t.type)
                for col, t in zip(zip(*facts, strict=True), _FACT_SCHEMA, strict=True)
            ]
            if facts
            else [pa.array([], type=t.type) for t in _FACT_SCHEMA],
            schema=_FACT_SCHEMA,
        )
        con.execute("INSERT INTO facts BY NAME SELECT * FROM facts_tbl")
        # After the insert: the superseded version may be a report of this very chunk.
        for old, new in superseded:
            con.execute(
                "UPDATE reports SET status = 'superseded', superseded_by = ? WHERE report_id = ?",
                [new, old],
            )
        if findings:
            findings_tbl = pa.Table.from_pylist(findings)  # noqa: F841
            con.execute("INSERT INTO findings BY NAME SELECT * FROM findings_tbl")
        if prose:
            prose_tbl = pa.Table.from_pylist(prose)  # noqa: F841
            con.execute("INSERT INTO prose_counts BY NAME SELECT * FROM prose_tbl")
        texts_tbl = pa.Table.from_pylist(texts)  # noqa: F841
        con.execute("INSERT OR REPLACE INTO report_texts BY NAME SELECT * FROM texts_tbl")
        organ_rows = list(organs.values())
        organs_tbl = pa.Table.from_pylist(  # noqa: F841
            [
                dict(
                    zip(
                        (
                            "organ_id",
                            "name",
                            "kind",
                            "region_code",
                            "province",
                            "city",
                            "county",
                            "region_status",
                        ),
                        row,
                        strict=True,
                    )
                )
                for row in organ_rows
            ]
        )
        con.execute("INSERT OR REPLACE INTO organs BY NAME SELECT * FROM organs_tbl")

    def reidentify(self, it: Parsed) -> None:
        """A known report whose identity a manifest changed: move it, keep its facts.

        The move follows ``flush``'s rule, so an organ and year never has two current
        reports: a current report arriving where another is current supersedes it. A report
        that was superseded before the batch moves as history and displaces nothing. One
        that an earlier move of this batch displaced is current again when it moves away
        itself (two reports whose years a manifest swaps both stay current).
        """
        r = it.report
        assert r.year is not None
        found = self.con.execute(
            "SELECT organ_id, year, status FROM reports WHERE report_id = ?", [it.report_id]
        ).fetchall()
        assert found, it.report_id
        row = found[0]
        old_key, new_key = (str(row[0]), int(row[1])), (it.organ_id, r.year)
        moving_current = row[2] == "current" or it.report_id in self.displaced
        self.displaced.discard(it.report_id)
        if moving_current:
            if self.current.get(old_key) == it.report_id:
                del self.current[old_key]
            there = self.current.get(new_key)
            if there is not None and there != it.report_id:
                self.con.execute(
                    "UPDATE reports SET status = 'superseded', superseded_by = ? "
                    "WHERE report_id = ?",
                    [it.report_id, there],
                )
                self.displaced.add(there)
            self.current[new_key] = it.report_id
            self.con.execute(
                "UPDATE reports SET organ_id = ?, year = ?, status = 'current', "
                "superseded_by = NULL WHERE report_id = ?",
                [it.organ_id, r.year, it.report_id],
            )
        else:
            self.con.execute(
                "UPDATE reports SET organ_id = ?, year = ? WHERE report_id = ?",
                [it.organ_id, r.year, it.report_id],
            )
        self.con.execute(
            "INSERT OR REPLACE INTO organs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(_organ_row(it))
        )
        self.counts.updated += 1

    def error(self, path: str, kind: str, message: str) -> None:
        self.counts.failed += 1
        self.con.execute(
            "INSERT INTO ingest_errors VALUES (?, ?, ?, ?, ?)",
            [path, kind, message, self.now, self.batch_id],
        )


# The cross-year audit (docs/template.md §7.2). A blank cell is not a number: a comparison
# that needs a blank (or unprinted) cell is skipped, never made against 0, and every message
# goes through ``xxgk_num``, which says 空白 for NULL, so no message can be NULL (the column is
# NOT NULL: one NULL message would abort the whole batch).
CROSS_YEAR_SQL = """
CREATE OR REPLACE TEMP MACRO xxgk_num(x) AS
    CASE WHEN x IS NULL THEN '空白'
         WHEN x = trunc(x) AND abs(x) < 1e15 THEN TRY_CAST(x AS BIGINT)::VARCHAR
         ELSE x::VARCHAR END;

DELETE FROM findings WHERE scope = 'cross_year';

-- S1: carried over this year = carried forward last year, per applicant column.
INSERT INTO findings
SELECT cur.report_id, 'S1', 'warning',
       '第三部分“' || coalesce(a.label, cur.applicant) || '”列：本年上年结转为' ||
       xxgk_num(cur.value) || '件，但' || prev.year || '年报告的结转下年度为' ||
       xxgk_num(prev.value) || '件',
       prev.value, cur.value,
       ['requests.carried_over@' || cur.applicant,
        prev.year || ':requests.carried_forward@' || cur.applicant],
       'cross_year'
FROM current_facts cur
JOIN current_facts prev
  ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1
 AND prev.metric = 'requests.carried_forward' AND prev.applicant = cur.applicant
JOIN applicant_catalog a ON a.applicant = cur.applicant
WHERE cur.metric = 'requests.carried_over'
  AND cur.value IS NOT NULL AND prev.value IS NOT NULL
  AND cur.value <> prev.value;

-- S2 (2021 edition, from 2022), per row (规章, 行政规范性文件): this year's issued, repealed
-- and in force with last year's in force. NULL when blank or not printed.
CREATE OR REPLACE TEMP VIEW xxgk_s2 AS
SELECT cur.report_id, cur.year, cur.row_key, cur.issued, cur.repealed, cur.in_force,
       prev.year AS prev_year, prev.in_force AS prev_in_force
FROM (
    SELECT report_id, organ_id, year, split_part(metric, '.', 2) AS row_key,
           max(value) FILTER (WHERE metric LIKE '%.in_force') AS in_force,
           max(value) FILTER (WHERE metric LIKE '%.issued') AS issued,
           max(value) FILTER (WHERE metric LIKE '%.repealed') AS repealed
    FROM current_facts
    WHERE metric SIMILAR TO 'active\\.(rules|normative_docs)\\.(in_force|issued|repealed)'
    GROUP BY ALL
) cur
JOIN (
    SELECT organ_id, year, split_part(metric, '.', 2) AS row_key, max(value) AS in_force
    FROM current_facts
    WHERE metric SIMILAR TO 'active\\.(rules|normative_docs)\\.in_force'
    GROUP BY ALL
) prev ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1
      AND prev.row_key = cur.row_key
WHERE cur.year >= 2022;

-- S2: in force = last year's in force + issued - repealed.
INSERT INTO findings
SELECT s.report_id, 'S2', 'warning',
       '“' || m.label || '”：现行有效件数为' || xxgk_num(s.in_force) || '，但上年现行有效' ||
       xxgk_num(s.prev_in_force) || '＋本年制发' || xxgk_num(s.issued) || '－本年废止' ||
       xxgk_num(s.repealed) || '＝' || xxgk_num(s.prev_in_force + s.issued - s.repealed),
       s.prev_in_force + s.issued - s.repealed, s.in_force,
       ['active.' || s.row_key || '.in_force',
        s.prev_year || ':active.' || s.row_key || '.in_force'],
       'cross_year'
FROM xxgk_s2 s
JOIN metric_catalog m ON m.metric = 'active.' || s.row_key || '.in_force'
WHERE s.in_force IS NOT NULL AND s.issued IS NOT NULL AND s.repealed IS NOT NULL
  AND s.prev_in_force IS NOT NULL
  AND s.in_force <> s.prev_in_force + s.issued - s.repealed;

-- S2: no more repealed than there were (last year's in force + this year's issued).
INSERT INTO findings
SELECT s.report_id, 'S2', 'warning',
       '“' || m.label || '”：本年废止' || xxgk_num(s.repealed) || '件，多于上年现行有效' ||
       xxgk_num(s.prev_in_force) || '＋本年制发' || xxgk_num(s.issued) || '＝' ||
       xxgk_num(s.prev_in_force + s.issued) || '件',
       s.prev_in_force + s.issued, s.repealed,
       ['active.' || s.row_key || '.repealed',
        s.prev_year || ':active.' || s.row_key || '.in_force',
        'active.' || s.row_key || '.issued'],
       'cross_year'
FROM xxgk_s2 s
JOIN metric_catalog m ON m.metric = 'active.' || s.row_key || '.repealed'
WHERE s.issued IS NOT NULL AND s.repealed IS NOT NULL AND s.prev_in_force IS NOT NULL
  AND s.repealed > s.prev_in_force + s.issued;

DROP VIEW xxgk_s2;

-- S3 (2019 edition, 2020 vs 2019): items last year = items the year before + its change.
INSERT INTO findings
SELECT cur.report_id, 'S3', 'warning',
       '“' || m.label || '”：本年报告的上一年项目数量为' || xxgk_num(cur.value) || '，但' ||
       prev.year || '年报告为' || xxgk_num(prev.value) || '（上一年）＋' ||
       xxgk_num(chg.value) || '（增减）',
       prev.value + chg.value, cur.value,
       [cur.metric, prev.year || ':' || cur.metric],
       'cross_year'
FROM current_facts cur
JOIN current_facts prev
  ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1 AND prev.metric = cur.metric
JOIN current_facts chg
  ON chg.report_id = prev.report_id
 AND chg.metric = replace(cur.metric, '.prev_items', '.net_change')
JOIN metric_catalog m ON m.metric = cur.metric
WHERE cur.metric LIKE 'active.%.prev_items' AND cur.year = 2020
  AND cur.value IS NOT NULL AND prev.value IS NOT NULL AND chg.value IS NOT NULL
  AND cur.value <> prev.value + chg.value;
"""


def run_cross_year(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(CROSS_YEAR_SQL)
    row = con.execute("SELECT count(*) FROM findings WHERE scope = 'cross_year'").fetchone()
    return int(row[0]) if row else 0
