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
            organs[it.organ_id] = (
                it.organ_id,
                r.organ,
                it.organ_kind,
                r.region.code,
                r.region.province,
                r.region.city,
                r.region.county,
                it.region_status,
            )
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
        """A known report whose identity a manifest changed: move it, keep its facts."""
        r = it.report
        self.con.execute(
            "UPDATE reports SET organ_id = ?, year = ? WHERE report_id = ?",
            [it.organ_id, r.year, it.report_id],
        )
        self.con.execute(
            "INSERT OR REPLACE INTO organs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                it.organ_id,
                r.organ,
                it.organ_kind,
                r.region.code,
                r.region.province,
                r.region.city,
                r.region.county,
                it.region_status,
            ],
        )
        assert r.year is not None
        self.current[(it.organ_id, r.year)] = it.report_id
        self.counts.updated += 1

    def error(self, path: str, kind: str, message: str) -> None:
        self.counts.failed += 1
        self.con.execute(
            "INSERT INTO ingest_errors VALUES (?, ?, ?, ?, ?)",
            [path, kind, message, self.now, self.batch_id],
        )


CROSS_YEAR_SQL = """
DELETE FROM findings WHERE scope = 'cross_year';

-- S1: carried over this year = carried forward last year, per applicant column.
INSERT INTO findings
SELECT cur.report_id, 'S1', 'warning',
       '第三部分“' || a.label || '”列：本年上年结转为' || cur.value::BIGINT || '件，但' ||
       prev.year || '年报告的结转下年度为' || prev.value::BIGINT || '件',
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
  AND coalesce(cur.value, 0) <> coalesce(prev.value, 0);

-- S2 (2021 edition, from 2022): in force = last year's in force + issued - repealed.
INSERT INTO findings
SELECT cur.report_id, 'S2', 'warning',
       '“' || m.label || '”：现行有效件数为' || cur.in_force::BIGINT || '，但上年现行有效' ||
       prev.in_force::BIGINT || '＋本年制发' || cur.issued::BIGINT || '－本年废止' ||
       cur.repealed::BIGINT || '＝' || (prev.in_force + cur.issued - cur.repealed)::BIGINT,
       prev.in_force + cur.issued - cur.repealed, cur.in_force,
       ['active.' || cur.row_key || '.in_force',
        prev.year || ':active.' || cur.row_key || '.in_force'],
       'cross_year'
FROM (
    SELECT report_id, organ_id, year, split_part(metric, '.', 2) AS row_key,
           coalesce(sum(value) FILTER (WHERE metric LIKE '%.in_force'), 0) AS in_force,
           coalesce(sum(value) FILTER (WHERE metric LIKE '%.issued'), 0) AS issued,
           coalesce(sum(value) FILTER (WHERE metric LIKE '%.repealed'), 0) AS repealed,
           count(*) FILTER (WHERE metric LIKE '%.in_force') AS n
    FROM current_facts
    WHERE metric SIMILAR TO 'active\\.(rules|normative_docs)\\.(in_force|issued|repealed)'
    GROUP BY ALL
) cur
JOIN (
    SELECT organ_id, year, split_part(metric, '.', 2) AS row_key, sum(value) AS in_force
    FROM current_facts
    WHERE metric SIMILAR TO 'active\\.(rules|normative_docs)\\.in_force'
    GROUP BY ALL
) prev ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1
      AND prev.row_key = cur.row_key
JOIN metric_catalog m ON m.metric = 'active.' || cur.row_key || '.in_force'
WHERE cur.year >= 2022 AND cur.n > 0 AND prev.in_force IS NOT NULL
  AND cur.in_force <> prev.in_force + cur.issued - cur.repealed;

-- S3 (2019 edition, 2020 vs 2019): items last year = items the year before + its change.
INSERT INTO findings
SELECT cur.report_id, 'S3', 'warning',
       '“' || m.label || '”：本年报告的上一年项目数量为' || cur.value::BIGINT || '，但' ||
       prev.year || '年报告为' || prev.value::BIGINT || '（上一年）＋' ||
       coalesce(chg.value, 0)::BIGINT || '（增减）',
       prev.value + coalesce(chg.value, 0), cur.value,
       [cur.metric, prev.year || ':' || cur.metric],
       'cross_year'
FROM current_facts cur
JOIN current_facts prev
  ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1 AND prev.metric = cur.metric
LEFT JOIN current_facts chg
  ON chg.report_id = prev.report_id
 AND chg.metric = replace(cur.metric, '.prev_items', '.net_change')
JOIN metric_catalog m ON m.metric = cur.metric
WHERE cur.metric LIKE 'active.%.prev_items' AND cur.year = 2020
  AND cur.value IS NOT NULL AND prev.value IS NOT NULL
  AND cur.value <> prev.value + coalesce(chg.value, 0);
"""


def run_cross_year(con: duckdb.DuckDBPyConnection) -> int:
    con.execute(CROSS_YEAR_SQL)
    row = con.execute("SELECT count(*) FROM findings WHERE scope = 'cross_year'").fetchone()
    return int(row[0]) if row else 0
