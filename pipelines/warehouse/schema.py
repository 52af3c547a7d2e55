"""The warehouse schema, its migrations and the views the dashboard reads.

Long form is the source of truth (``facts``: one row per printed cell); everything wide is a
view. ``schema_version`` records which migrations a file has had, so opening a warehouse
written by an older xxgk upgrades it in place, inside the same transaction as the batch.
"""

from __future__ import annotations

import duckdb

from pipelines import catalog
from pipelines.warehouse.errors import WarehouseError

# Each entry upgrades a warehouse from version i to i+1. Never edit a released step; add one.
MIGRATIONS: tuple[str, ...] = (
    # 1: the initial schema
    """
    CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL);
    CREATE TABLE organs (
        organ_id VARCHAR PRIMARY KEY,    -- region code + organ suffix: one organ however named
        name VARCHAR NOT NULL,           -- the latest name it printed
        kind VARCHAR NOT NULL,           -- government | department
        region_code VARCHAR, province VARCHAR, city VARCHAR, county VARCHAR,
        region_status VARCHAR NOT NULL   -- resolved | ambiguous | unknown | manifest
    );
    CREATE TABLE reports (
        report_id VARCHAR PRIMARY KEY,   -- sha256 of the file's bytes
        organ_id VARCHAR NOT NULL,
        organ VARCHAR NOT NULL,          -- as printed in this report
        year INTEGER NOT NULL,
        edition VARCHAR NOT NULL,
        table_editions VARCHAR NOT NULL, -- JSON: table -> edition printed
        source_path VARCHAR NOT NULL,
        format VARCHAR NOT NULL,
        parser_version VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL,
        batch_id VARCHAR NOT NULL,
        status VARCHAR NOT NULL,         -- current | superseded
        superseded_by VARCHAR,
        is_demo BOOLEAN NOT NULL,
        warnings VARCHAR[] NOT NULL
    );
    CREATE TABLE facts (
        report_id VARCHAR NOT NULL,
        "table" VARCHAR NOT NULL,        -- active | requests | review
        metric VARCHAR NOT NULL,
        applicant VARCHAR,               -- requests only
        value DOUBLE,                    -- NULL for a blank cell, never 0
        blank BOOLEAN NOT NULL,
        raw VARCHAR NOT NULL,            -- the cell as printed
        unit VARCHAR
    );
    CREATE TABLE findings (
        report_id VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        severity VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        expected DOUBLE,
        actual DOUBLE,
        cells VARCHAR[] NOT NULL,
        scope VARCHAR NOT NULL           -- report | cross_year
    );
    CREATE TABLE prose_counts (
        report_id VARCHAR NOT NULL,
        channel VARCHAR NOT NULL,
        label VARCHAR NOT NULL,
        value BIGINT NOT NULL,
        sentence VARCHAR NOT NULL
    );
    CREATE TABLE ingest_errors (
        path VARCHAR NOT NULL,
        error_kind VARCHAR NOT NULL,
        message VARCHAR NOT NULL,
        logged_at TIMESTAMP NOT NULL,
        batch_id VARCHAR NOT NULL
    );
    CREATE TABLE batches (
        batch_id VARCHAR PRIMARY KEY,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP,
        new INTEGER, updated INTEGER, unchanged INTEGER, failed INTEGER
    );
    """,
    # 2: the report's text, for the detail page, kept apart so scans of reports stay narrow
    """
    CREATE TABLE report_texts (report_id VARCHAR PRIMARY KEY, text VARCHAR NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

VIEWS = """
CREATE OR REPLACE VIEW current_facts AS
SELECT f.*, r.organ_id, r.organ, r.organ_kind, r.region_code, r.province, r.city, r.county,
       r.year, r.edition, r.is_demo, r.has_errors, r.source_path
FROM facts f JOIN current_reports r USING (report_id);

CREATE OR REPLACE VIEW current_findings AS
SELECT f.*, r.organ_id, r.organ, r.organ_kind, r.region_code, r.province, r.city, r.county,
       r.year, r.is_demo, r.source_path
FROM findings f JOIN current_reports r USING (report_id);

CREATE OR REPLACE VIEW current_prose_counts AS
SELECT p.*, r.organ_id, r.organ, r.organ_kind, r.region_code, r.province, r.city, r.county,
       r.year, r.is_demo
FROM prose_counts p JOIN current_reports r USING (report_id);
"""


# The six applicant columns of part 三, without 总计 (and without a report's own 小计).
SIX_APPLICANTS: tuple[str, ...] = tuple(k for k in catalog.APPLICANT_KEYS if k != "total")
_SIX = ", ".join(f"'{k}'" for k in SIX_APPLICANTS)  # constants from the catalog, not input

# A part 三 cell's value for aggregation, over rows of one report's part 三 facts: the 总计
# cell as printed, or when left blank, the sum of that row's six applicant cells (blanks
# among them count as 0, as in the audit; all six blank stays NULL). Every other cell as
# printed. The dashboard's own part 三 queries use this same expression.
TOTAL_CELL_SQL = f"""CASE WHEN applicant = 'total' THEN coalesce(value, sum(CASE
    WHEN applicant IN ({_SIX}) THEN value END) OVER (PARTITION BY report_id, metric))
    ELSE value END"""

# Tables derived from the current facts, rebuilt at the end of every batch. A published
# warehouse never changes, so the dashboard reads these pre-aggregated rows instead of
# pivoting the long facts on every page view.
DERIVED: dict[str, str] = {
    # First: the views below and the cross-year audit read it.
    "current_reports": """
SELECT r.*, o.kind AS organ_kind, o.region_code, o.province, o.city, o.county, o.region_status,
       EXISTS (SELECT 1 FROM findings f WHERE f.report_id = r.report_id
               AND f.severity = 'error') AS has_errors
FROM reports r JOIN organs o USING (organ_id)
WHERE r.status = 'current'
""",
    # Part 三 per report and applicant column. On the 总计 row, a blank printed total is
    # read as the sum of the six applicant cells of that row (TOTAL_CELL_SQL): a report that
    # left 总计 blank but filled its columns (audit P3) did not receive 0 requests.
    "requests_by_report": f"""
WITH cells AS (
    SELECT * EXCLUDE (value), {TOTAL_CELL_SQL} AS value
    FROM current_facts
    WHERE "table" = 'requests'
)
SELECT report_id, organ_id, organ, organ_kind, region_code, province, city, county, year,
       edition, is_demo, has_errors, applicant,
       sum(value) FILTER (WHERE metric = 'requests.new_received') AS new_received,
       sum(value) FILTER (WHERE metric = 'requests.carried_over') AS carried_over,
       sum(value) FILTER (WHERE metric = 'outcome.granted') AS granted,
       sum(value) FILTER (WHERE metric = 'outcome.partial') AS partial,
       sum(value) FILTER (WHERE metric LIKE 'outcome.denied.%') AS denied,
       sum(value) FILTER (WHERE metric LIKE 'outcome.unavailable.%') AS unavailable,
       sum(value) FILTER (WHERE metric LIKE 'outcome.not_processed.%') AS not_processed,
       sum(value) FILTER (WHERE metric LIKE 'outcome.other.%') AS other,
       sum(value) FILTER (WHERE metric = 'outcome.total') AS closed,
       sum(value) FILTER (WHERE metric = 'requests.carried_forward') AS carried_forward
FROM cells
GROUP BY ALL
""",
    "review_by_report": """
SELECT report_id, organ_id, organ, organ_kind, region_code, province, city, county, year,
       edition, is_demo, has_errors, metric, value
FROM current_facts WHERE "table" = 'review'
""",
    "active_by_report": """
SELECT report_id, organ_id, organ, organ_kind, region_code, province, city, county, year,
       edition, is_demo, has_errors, metric, value, unit
FROM current_facts WHERE "table" = 'active'
""",
}


def _version(con: duckdb.DuckDBPyConnection) -> int:
    # fetchall, not fetchone: a half-read result blocks the connection's next statement
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()
    if not exists or not exists[0][0]:
        return 0
    rows = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()
    return int(rows[0][0]) if rows else 0


def check_version(con: duckdb.DuckDBPyConnection) -> int:
    """The warehouse's schema version; ``WarehouseError`` if a newer xxgk wrote it.

    A newer schema may have moved or redefined tables, so neither the write path nor a
    reader (export, dashboard) may guess: both stop with a message that says to upgrade.
    """
    version = _version(con)
    if version > SCHEMA_VERSION:
        raise WarehouseError(
            f"仓库由更新版本的 xxgk 写入（结构版本 {version}，本程序最高支持 {SCHEMA_VERSION}），"
            "请升级 xxgk / warehouse written by a newer xxgk, please upgrade"
        )
    return version


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION) -> int:
    """Bring a warehouse up to ``target``; returns the version it had before."""
    before = check_version(con)
    for version in range(before, target):
        con.execute(MIGRATIONS[version])
        con.execute("INSERT INTO schema_version VALUES (?, now())", [version + 1])
    if target == SCHEMA_VERSION:
        refresh_derived(con, ("current_reports",))
        con.execute(VIEWS)
        _write_catalog(con)
    return before


def refresh_derived(con: duckdb.DuckDBPyConnection, names: tuple[str, ...] = ()) -> None:
    for name, select in DERIVED.items():
        if names and name not in names:
            continue
        kind = con.execute(
            "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        if kind and kind[0] == "VIEW":
            con.execute(f"DROP VIEW {name}")
        con.execute(f"CREATE OR REPLACE TABLE {name} AS {select}")


def _write_catalog(con: duckdb.DuckDBPyConnection) -> None:
    """The metric catalog as tables, so SQL and exported files carry the labels too."""
    con.execute(
        'CREATE OR REPLACE TABLE metric_catalog (metric VARCHAR, "table" VARCHAR, '
        "label VARCHAR, path VARCHAR, editions VARCHAR[], unit VARCHAR, derived BOOLEAN)"
    )
    con.executemany(
        "INSERT INTO metric_catalog VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (m.key, m.table, m.label, m.path, sorted(m.editions), m.unit, m.derived)
            for m in (*catalog.METRICS, *catalog.DERIVED_METRICS)
        ],
    )
    con.execute(
        "CREATE OR REPLACE TABLE applicant_catalog (applicant VARCHAR, label VARCHAR, "
        "position INTEGER)"
    )
    con.executemany(
        "INSERT INTO applicant_catalog VALUES (?, ?, ?)",
        [(k, catalog.APPLICANT_LABELS[k], i) for i, k in enumerate(catalog.APPLICANT_KEYS)],
    )
