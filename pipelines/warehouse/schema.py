"""The warehouse schema, its migrations and the views the dashboard reads.

Long form is the source of truth (``facts``: one row per printed cell); everything wide is a
view. ``schema_version`` records which migrations a file has had, so opening a warehouse
written by an older xxgk upgrades it in place, inside the same transaction as the batch.
"""

from __future__ import annotations

import duckdb

from pipelines import catalog

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
    "requests_by_report": """
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
FROM current_facts
WHERE "table" = 'requests'
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
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchone()
    if not exists or not exists[0]:
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION) -> int:
    """Bring a warehouse up to ``target``; returns the version it had before."""
    before = _version(con)
    if before > SCHEMA_VERSION:
        raise RuntimeError(
            f"仓库版本 {before} 比本程序支持的 {SCHEMA_VERSION} 新，请升级 xxgk / "
            "warehouse written by a newer xxgk"
        )
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
