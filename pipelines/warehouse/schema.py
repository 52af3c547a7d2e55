"""The warehouse schema, its migrations and the views the dashboard reads.

Long form is the source of truth (``facts``: one row per printed cell); the wide per-report
figures and ``current_reports`` are derived from it and kept up to date by each batch
(``derived``). ``schema_version`` records which migrations a file has had, so opening a warehouse
written by an older xxgk upgrades it in place, inside the same transaction as the batch.
"""

from __future__ import annotations

import duckdb

from pipelines import catalog
from pipelines.warehouse import derived
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
    # 3: batch-proportional publishing. A report's error flag and size are stored with it
    # (both are fixed when it is parsed); the per-report pivots that were rebuilt from every
    # fact at every batch give way to ``report_figures`` (see ``derived``), kept up to date
    # by the batches themselves; ``derived_state`` says which definition built them.
    """
    ALTER TABLE reports ADD COLUMN has_errors BOOLEAN;
    ALTER TABLE reports ADD COLUMN cells INTEGER;
    UPDATE reports SET
        has_errors = EXISTS (SELECT 1 FROM findings f
                             WHERE f.report_id = reports.report_id AND f.severity = 'error'),
        cells = (SELECT count(*) FROM facts f WHERE f.report_id = reports.report_id);
    DROP TABLE IF EXISTS requests_by_report;
    DROP TABLE IF EXISTS review_by_report;
    DROP TABLE IF EXISTS active_by_report;
    DROP VIEW IF EXISTS requests_by_report;
    CREATE TABLE derived_state (fingerprint VARCHAR NOT NULL);
    """,
    # 4: no primary-key indexes on the big tables. DuckDB writes a table's whole index anew
    # at every checkpoint, so each batch rewrote (and left free in the file) an index sized
    # by the warehouse. Uniqueness is the writer's own rule (a report id is loaded once; an
    # organ's row is deleted before its new one goes in), checked by the tests.
    """
    CREATE TABLE organs_v4 (
        organ_id VARCHAR NOT NULL, name VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        region_code VARCHAR, province VARCHAR, city VARCHAR, county VARCHAR,
        region_status VARCHAR NOT NULL
    );
    INSERT INTO organs_v4 SELECT * FROM organs;
    DROP TABLE organs;
    ALTER TABLE organs_v4 RENAME TO organs;
    CREATE TABLE reports_v4 (
        report_id VARCHAR NOT NULL, organ_id VARCHAR NOT NULL, organ VARCHAR NOT NULL,
        year INTEGER NOT NULL, edition VARCHAR NOT NULL, table_editions VARCHAR NOT NULL,
        source_path VARCHAR NOT NULL, format VARCHAR NOT NULL, parser_version VARCHAR NOT NULL,
        ingested_at TIMESTAMP NOT NULL, batch_id VARCHAR NOT NULL, status VARCHAR NOT NULL,
        superseded_by VARCHAR, is_demo BOOLEAN NOT NULL, warnings VARCHAR[] NOT NULL,
        has_errors BOOLEAN, cells INTEGER
    );
    INSERT INTO reports_v4 SELECT * FROM reports;
    DROP TABLE reports;
    ALTER TABLE reports_v4 RENAME TO reports;
    CREATE TABLE report_texts_v4 (report_id VARCHAR NOT NULL, text VARCHAR NOT NULL);
    INSERT INTO report_texts_v4 SELECT * FROM report_texts;
    DROP TABLE report_texts;
    ALTER TABLE report_texts_v4 RENAME TO report_texts;
    """,
    # 5: where each cell was printed, so a number can be traced to its place in the file: a
    # PDF's page and the cell's box (x0, top, x1, bottom in points from the page's top-left
    # corner), a Word file's or web page's table (0-based, in reading order), row and column.
    # NULL where the format has no cells to point at (plain text) or for facts loaded before.
    """
    ALTER TABLE facts ADD COLUMN source_page SMALLINT;
    ALTER TABLE facts ADD COLUMN source_box FLOAT[];
    ALTER TABLE facts ADD COLUMN source_table SMALLINT;
    ALTER TABLE facts ADD COLUMN source_row SMALLINT;
    ALTER TABLE facts ADD COLUMN source_col SMALLINT;
    """,
    # 6: where a report was downloaded from (``xxgk fetch``, or a manifest's ``url``); NULL
    # for a file read from disk. ``current_reports`` is ``reports.*`` plus its organ's
    # columns and each batch inserts into it by position, so it is made again here with the
    # new column in its place (its rows are what they were).
    """
    ALTER TABLE reports ADD COLUMN source_url VARCHAR;
    CREATE OR REPLACE TABLE current_reports AS
    SELECT r.*, o.kind AS organ_kind, o.region_code, o.province, o.city, o.county,
           o.region_status
    FROM reports r JOIN organs o USING (organ_id)
    WHERE r.status = 'current';
    """,
    # 7: the audit log of what batches did (``pipelines.audit_log``; the dashboard's sign-ins
    # go to the journal beside the file, since the dashboard never writes the warehouse).
    # Append-only by rule: nothing in xxgk updates or deletes its rows.
    """
    CREATE TABLE IF NOT EXISTS audit_log (
        at_utc TIMESTAMP NOT NULL,       -- when, in UTC
        who VARCHAR NOT NULL,            -- the OS user of a command, or an editor's name
        action VARCHAR NOT NULL,         -- ingest, ...
        target VARCHAR NOT NULL,         -- what it acted on: a batch id, an account ...
        detail VARCHAR NOT NULL          -- JSON object
    );
    """,
    # 8: people's corrections of a report's cells or identity (``pipelines.corrections``).
    # The facts stay as parsed; the published values (``published_facts``, ``report_figures``)
    # apply the active corrections on top. A row is never deleted: a correction a newer
    # revision no longer matches turns ``stale``, one corrected again turns ``replaced``.
    """
    CREATE TABLE IF NOT EXISTS corrections (
        id INTEGER NOT NULL,             -- 1, 2, ... in the order they were made
        report_id VARCHAR NOT NULL,
        target VARCHAR NOT NULL,         -- metric@applicant, metric, organ, region_code, year
        old_value VARCHAR,               -- as parsed; NULL for a blank cell
        new_value VARCHAR,               -- NULL: the cell is blank
        reason VARCHAR NOT NULL,
        who VARCHAR NOT NULL,
        at_utc TIMESTAMP NOT NULL,
        status VARCHAR NOT NULL          -- active | stale | replaced
    );
    """,
    # 9: per-warehouse settings (``pipelines.review``): ``review_errors`` on holds a newly
    # loaded report with audit errors as ``reports.status = 'pending'`` (待审核) until an
    # editor confirms or corrects it; no row means off, i.e. publish everything, marked.
    """
    CREATE TABLE IF NOT EXISTS settings (key VARCHAR NOT NULL, value VARCHAR NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

VIEWS = f"""
CREATE OR REPLACE VIEW published_facts AS {derived.PUBLISHED_FACTS};

CREATE OR REPLACE VIEW current_facts AS
SELECT f.*, r.organ_id, r.organ, r.organ_kind, r.region_code, r.province, r.city, r.county,
       r.year, r.edition, r.is_demo, r.has_errors, r.source_path
FROM published_facts f JOIN current_reports r USING (report_id);

CREATE OR REPLACE VIEW current_findings AS
SELECT f.*, r.organ_id, r.organ, r.organ_kind, r.region_code, r.province, r.city, r.county,
       r.year, r.is_demo, r.source_path
FROM findings f JOIN current_reports r USING (report_id);

CREATE OR REPLACE VIEW current_prose_counts AS
SELECT p.*, r.organ_id, r.organ, r.organ_kind, r.region_code, r.province, r.city, r.county,
       r.year, r.is_demo
FROM prose_counts p JOIN current_reports r USING (report_id);
"""


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


def check_current(con: duckdb.DuckDBPyConnection) -> None:
    """For a reader: the warehouse must be exactly what this xxgk writes.

    An older one lacks tables or columns the pages and exports read (it is upgraded by the
    next batch, or by ``xxgk upgrade``), and a reader never writes, so it says so instead of
    failing on a missing column.
    """
    version = check_version(con)
    stored: list[tuple] = []
    if version >= 3:
        stored = con.execute("SELECT max(fingerprint) FROM derived_state").fetchall()
    if version < SCHEMA_VERSION or not stored or stored[0][0] != derived.fingerprint():
        raise WarehouseError(
            "仓库由较旧版本的 xxgk 写入，请先运行 xxgk upgrade（或导入一批报告）以升级 / "
            "warehouse written by an older xxgk: run xxgk upgrade"
        )


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION) -> int:
    """Bring a warehouse up to ``target``; returns the version it had before.

    The derived tables are rebuilt from the facts only when their definition changed (a new
    xxgk, a new catalog): an ordinary batch keeps them and updates what it touches.
    """
    before = check_version(con)
    for version in range(before, target):
        con.execute(MIGRATIONS[version])
        con.execute("INSERT INTO schema_version VALUES (?, now())", [version + 1])
    if target == SCHEMA_VERSION:
        stored = con.execute("SELECT max(fingerprint) FROM derived_state").fetchall()
        if not stored or stored[0][0] != derived.fingerprint():
            _write_catalog(con)
            derived.rebuild(con)
            con.execute(VIEWS)
            con.execute("DELETE FROM derived_state")
            con.execute("INSERT INTO derived_state VALUES (?)", [derived.fingerprint()])
    return before


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
