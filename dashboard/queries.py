"""Every SQL statement the dashboard runs, in one module.

Why one module: the warehouse schema (``pipelines/warehouse/schema.py``) can change, and the
dashboard must change with it in one place; and a reviewer can check here, once, that no
filter value is ever pasted into SQL text. Filter values and key lists travel as bound
parameters (``?``); the only text assembled at run time is a choice between constant
fragments (a grouping column picked from ``_UNIT_COLUMNS``, an optional ``AND`` clause, the
names of ``report_figures`` columns, which come from the metric catalog).

The pages read ``report_figures`` (one wide row per report, see
``pipelines.warehouse.derived``) joined to the selected ``current_reports``: tables sized by
organ × year, never the facts, so a page costs the same at 1,000 reports and at 100,000.
Part 三 totals there are read as ``TOTAL_CELL_SQL`` reads them, never as the bare printed
总计 cell: a blank 总计 whose columns are filled is their sum.

Every function takes a DuckDB cursor and returns a small polars frame, aggregated in DuckDB.
Functions are plain (no Streamlit) so tests and the benchmark can call them directly;
``dashboard.db`` adds the caching.
"""

from __future__ import annotations

from dataclasses import replace

import duckdb
import polars as pl

from dashboard import labels
from dashboard.selection import UNKNOWN_REGION, Selection
from pipelines.warehouse.derived import (
    ACTIVE_METRICS,
    PROSE_COLUMNS,
    REASON_METRICS,
    REVIEW_METRICS,
    SIX_APPLICANTS,
    quoted,
)

Cursor = duckdb.DuckDBPyConnection

# Grouping columns a comparison can run on; the caller names a level, never a column.
_UNIT_COLUMNS = {
    "province": "sel.province",
    "city": "sel.city",
    "county": "sel.county",
    "organ": "sel.organ_id",
}

_REVIEW_COMPONENTS = ("upheld", "corrected", "other", "pending")
_LITIGATION = ("litigation.direct", "litigation.after_review")


def _unit_column(level: str | None) -> str:
    """The column a chart groups by (province/city/county/organ), or none for the selection."""
    return _UNIT_COLUMNS[level] if level else "CAST(NULL AS VARCHAR)"


def _frame(cur: Cursor, sql: str, params: list[object]) -> pl.DataFrame:
    return cur.sql(sql, params=params).pl()


# ---------------------------------------------------------------------------------------------
# The selection as SQL
# ---------------------------------------------------------------------------------------------


def _where(sel: Selection, params: list[object], years: bool = True) -> str:
    """The WHERE clause selecting ``current_reports r`` for ``sel`` (``pipelines.filters``,
    the one builder the exports use too)."""
    return " AND ".join(sel.filters().report_clauses("r", params, years=years)) or "TRUE"


def _sel_cte(sel: Selection, params: list[object], years: bool = True) -> str:
    where = _where(sel, params, years=years)
    return f"""
    sel AS (
        SELECT r.report_id, r.organ_id, r.organ, r.year, r.edition, r.province, r.city,
               r.county, r.organ_kind, r.is_demo, r.has_errors
        FROM current_reports r
        WHERE {where}
    )"""


# ---------------------------------------------------------------------------------------------
# Sidebar options and the selection's size
# ---------------------------------------------------------------------------------------------


def organ_options(cur: Cursor) -> pl.DataFrame:
    """One row per organ with a current report: where it is, what it is, which years.

    ``is_demo``: every one of its reports is demo data (an organ with one real report among
    generated ones is a real organ).
    """
    return _frame(
        cur,
        """
        SELECT r.organ_id, o.name, r.organ_kind AS kind, r.province, r.city, r.county,
               min(r.year) AS first_year, max(r.year) AS last_year,
               bool_and(r.is_demo) AS is_demo, count(*) AS reports
        FROM current_reports r JOIN organs o USING (organ_id)
        GROUP BY ALL
        ORDER BY r.province NULLS LAST, r.city NULLS LAST, r.county NULLS LAST, o.name
        """,
        [],
    )


def years_in(cur: Cursor, sel: Selection) -> list[int]:
    """The years with reports in the selection's scope (its region, organ kind, organ and
    demo switch; not its years): the years the sidebar offers."""
    params: list[object] = []
    where = _where(replace(sel, same_organs=False), params, years=False)
    rows = cur.execute(
        f"SELECT DISTINCT r.year FROM current_reports r WHERE {where} ORDER BY 1", params
    ).fetchall()
    return [int(y) for (y,) in rows]


def organs_in(cur: Cursor, sel: Selection) -> list[str]:
    """The organs with a report in the selection (what the header counts as 个机关)."""
    params: list[object] = []
    where = _where(sel, params)
    rows = cur.execute(
        f"SELECT DISTINCT r.organ_id FROM current_reports r WHERE {where}", params
    ).fetchall()
    return [str(o) for (o,) in rows]


def scope_summary(cur: Cursor, sel: Selection) -> pl.DataFrame:
    """How many reports, organs, demo reports and reports with errors the selection holds."""
    params: list[object] = []
    cte = _sel_cte(sel, params)
    return _frame(
        cur,
        f"""
        WITH {cte}
        SELECT count(*) AS reports, count(DISTINCT organ_id) AS organs,
               count(*) FILTER (WHERE is_demo) AS demo_reports,
               count(*) FILTER (WHERE has_errors) AS error_reports,
               min(year) AS first_year, max(year) AS last_year
        FROM sel
        """,
        params,
    )


# ---------------------------------------------------------------------------------------------
# Requests, dispositions, review: measures per unit and year
# ---------------------------------------------------------------------------------------------


def _sum_of(columns: list[str]) -> str:
    """The sum of figure columns for one report; NULL when none of them is printed."""
    cols = [f"f.{quoted(c)}" for c in columns]
    added = " + ".join(f"coalesce({c}, 0)" for c in cols)
    return f"CASE WHEN coalesce({', '.join(cols)}) IS NULL THEN NULL ELSE {added} END"


def _measures_select() -> str:
    """Per selected report (``sel`` joined to ``report_figures f``): the measures' inputs.

    Rates are built later from sums of these (a ratio of sums, never a mean of ratios), and
    use the sum of the printed disposition rows as "decided", so shares add up to 100% even
    in a report whose printed （七）总计 is wrong (the audit flags that report).
    """
    review = [f"review.{o}" for o in _REVIEW_COMPONENTS]
    litigation = [f"{g}.{o}" for g in _LITIGATION for o in _REVIEW_COMPONENTS]
    parts = {
        "received": "f.received",
        "carried_over": "f.carried_over",
        "granted": "f.granted",
        "partial": "f.partial",
        "denied": "f.denied",
        "unavailable": "f.unavailable",
        "not_processed": "f.not_processed",
        "other": "f.other",
        "decided": " + ".join(
            f"coalesce(f.{c}, 0)"
            for c in ("granted", "partial", "denied", "unavailable", "not_processed", "other")
        ),
        "closed": "f.closed",
        "carried_forward": "f.carried_forward",
        "review_cases": _sum_of(review),
        "review_corrected": _sum_of(["review.corrected"]),
        "review_concluded": _sum_of(review[:3]),
        "litigation_cases": _sum_of(litigation),
        "litigation_corrected": _sum_of([f"{g}.corrected" for g in _LITIGATION]),
        "litigation_concluded": _sum_of(
            [f"{g}.{o}" for g in _LITIGATION for o in _REVIEW_COMPONENTS[:3]]
        ),
    }
    return ",\n".join(f"{expr} AS {name}" for name, expr in parts.items())


MEASURE_COLUMNS = (
    "received",
    "carried_over",
    "granted",
    "partial",
    "denied",
    "unavailable",
    "not_processed",
    "other",
    "decided",
    "closed",
    "carried_forward",
    "review_cases",
    "review_corrected",
    "review_concluded",
    "litigation_cases",
    "litigation_corrected",
    "litigation_concluded",
)


def unit_year_measures(cur: Cursor, sel: Selection, level: str | None) -> pl.DataFrame:
    """Sums of the request and review measures per unit (region or organ) and year.

    ``level`` None: one unit, the whole selection. Each row says how many reports it rests
    on, how many of them have audit errors or are demo data, and (when it is one report)
    which report, so a chart bar can lead to it.
    """
    params: list[object] = []
    cte = _sel_cte(sel, params)
    unit = _unit_column(level)
    sums = ",\n".join(f"sum(m.{c}) AS {c}" for c in MEASURE_COLUMNS)
    sql = f"""
        WITH {cte},
        m AS (
            SELECT sel.*, {_measures_select()}
            FROM sel LEFT JOIN report_figures f USING (report_id)
        )
        SELECT {unit.replace("sel.", "m.")} AS unit, m.year,
               count(*) AS reports,
               count(*) FILTER (WHERE m.has_errors) AS error_reports,
               count(*) FILTER (WHERE m.is_demo) AS demo_reports,
               count(m.received) AS reports_with_requests,
               CASE WHEN count(*) = 1 THEN any_value(m.report_id) END AS report_id,
               {sums}
        FROM m
        GROUP BY ALL
        ORDER BY unit NULLS LAST, m.year
    """
    return _with_labels(cur, _frame(cur, sql, params), sel, level)


def _with_labels(
    cur: Cursor, frame: pl.DataFrame, sel: Selection, level: str | None
) -> pl.DataFrame:
    """Adds ``unit_label``: an organ's name, or a region's. A unit with no place at its
    level is a parent's own organs ("淮安市本级") within a chosen parent, and unknown
    (``UNKNOWN_REGION``) only without one; its ``unit`` is ``UNKNOWN_REGION`` (what
    ``reports_behind`` and the sidebar take for "no place at this level")."""
    if level == "organ":
        names = _frame(
            cur,
            "SELECT organ_id AS unit, name AS unit_label FROM organs "
            "WHERE organ_id IN (SELECT unnest(?))",
            [frame["unit"].unique().to_list()],
        )
        return frame.join(names, on="unit", how="left")
    parent = {"county": sel.city, "city": sel.province}.get(level or "")
    own = labels.own_level(level, parent) if level else UNKNOWN_REGION
    return frame.with_columns(
        pl.col("unit").fill_null(own).alias("unit_label"),
        pl.col("unit").fill_null(UNKNOWN_REGION),
    )


def _sums(
    cur: Cursor,
    sel: Selection,
    columns: list[str],
    level: str | None,
    keep_empty: bool = False,
) -> pl.DataFrame:
    """Per unit, year and figure column: its sum, how many reports print it, and how many
    of those have audit errors.

    Summed wide first (one pass over the selected rows of ``report_figures``), then turned
    into one row per column: the unpivot works on a few rows per year, not on every report.
    A column no report of the year prints has no row unless ``keep_empty``.
    """
    params: list[object] = []
    cte = _sel_cte(sel, params)
    sums = ",\n               ".join(
        f"sum(f.{quoted(c)}) AS s{i}, count(f.{quoted(c)}) AS n{i}, "
        f"count(f.{quoted(c)}) FILTER (WHERE sel.has_errors) AS e{i}"
        for i, c in enumerate(columns)
    )
    rows = ", ".join(f"('{c}', a.s{i}, a.n{i}, a.e{i})" for i, c in enumerate(columns))
    frame = _frame(
        cur,
        f"""
        WITH {cte},
        a AS (
            SELECT {_unit_column(level)} AS unit, sel.year,
               {sums}
            FROM sel JOIN report_figures f USING (report_id)
            GROUP BY ALL
        )
        SELECT a.unit, a.year, u.metric, u.value, u.reports, u.error_reports
        FROM a, LATERAL (VALUES {rows}) AS u(metric, value, reports, error_reports)
        WHERE {"TRUE" if keep_empty else "u.reports > 0"}
        ORDER BY a.year, u.metric
        """,
        params,
    )
    return _with_labels(cur, frame, sel, level) if level else frame


def applicants_by_year(cur: Cursor, sel: Selection) -> pl.DataFrame:
    """本年新收 per year and applicant column (the six columns, not 总计)."""
    cells = [f"requests.new_received@{a}" for a in SIX_APPLICANTS]
    frame = _sums(cur, sel, cells, None, keep_empty=True)
    return frame.select(
        "year",
        pl.col("metric").str.split("@").list.get(1).alias("applicant"),
        pl.col("value").alias("received"),
        "reports",
    )


def reasons_by_year(cur: Cursor, sel: Selection, level: str | None = None) -> pl.DataFrame:
    """The numbered reasons of 不予公开 / 无法提供 / 不予处理 / 其他处理, per year (and unit).

    The 总计 column, read as ``TOTAL_CELL_SQL`` reads it: a blank printed total counts as
    the sum of its six applicant cells, not as nothing. A reason no report of the year
    prints has no row.
    """
    return _sums(cur, sel, list(REASON_METRICS), level).drop("error_reports")


def _printed_by_year(
    cur: Cursor, sel: Selection, metrics: tuple[str, ...], level: str | None
) -> pl.DataFrame:
    """One template table's printed numbers per year (and unit) and metric, summed, with how
    many reports they rest on and how many of those have audit errors. A metric no report of
    the year prints (a cell of the other edition) has no row."""
    return _sums(cur, sel, list(metrics), level)


def review_by_year(cur: Cursor, sel: Selection, level: str | None = None) -> pl.DataFrame:
    """Part 四 per year (and unit): every one of the 15 printed numbers, summed."""
    return _printed_by_year(cur, sel, REVIEW_METRICS, level)


# ---------------------------------------------------------------------------------------------
# Active disclosure (part 二) and publication counts from the prose
# ---------------------------------------------------------------------------------------------


def active_by_year(cur: Cursor, sel: Selection, level: str | None = None) -> pl.DataFrame:
    """Part 二 per year (and unit) and metric; the metric key tells the edition's column."""
    return _printed_by_year(cur, sel, ACTIVE_METRICS, level)


def prose_by_year(cur: Cursor, sel: Selection, level: str | None = None) -> pl.DataFrame:
    """Publication counts stated in part 一, per year and channel, and how many reports
    state them (a report that names a channel twice counts once, with its largest number)."""
    frame = _sums(cur, sel, list(PROSE_COLUMNS), level)
    return frame.select(
        "unit",
        "year",
        pl.col("metric").str.strip_prefix("prose.").alias("channel"),
        "value",
        "reports",
    )


def gaps_by_year(cur: Cursor, sel: Selection, columns: list[str]) -> pl.DataFrame:
    """What a year's total lacks because organs did not report that year: per year and
    figure column, the organs with a report the year before and none this year, and the
    sum of what their reports printed the year before (``value``; null when none printed
    it). A total that falls because two city governments skipped a year (their 规章 stock
    with them) says so on the chart, and by how much.
    """
    params: list[object] = []
    cte = _sel_cte(sel, params)
    sums = ",\n               ".join(f"sum(f.{quoted(c)}) AS s{i}" for i, c in enumerate(columns))
    rows = ", ".join(f"('{c}', g.s{i})" for i, c in enumerate(columns))
    return _frame(
        cur,
        f"""
        WITH {cte},
        present AS (SELECT DISTINCT organ_id, year FROM sel),
        g AS (
            SELECT sel.year + 1 AS year, count(DISTINCT sel.organ_id) AS organs,
               {sums}
            FROM sel JOIN report_figures f USING (report_id)
            WHERE sel.year + 1 IN (SELECT year FROM present)
              AND NOT EXISTS (
                  SELECT 1 FROM present p
                  WHERE p.organ_id = sel.organ_id AND p.year = sel.year + 1
              )
            GROUP BY 1
        )
        SELECT g.year, g.organs, u.metric, u.value
        FROM g, LATERAL (VALUES {rows}) AS u(metric, value)
        ORDER BY g.year, u.metric
        """,
        params,
    )


def reports_per_year(cur: Cursor, sel: Selection) -> pl.DataFrame:
    """Reports (and organs) per year in the selection: the denominators of "N 份报告中有 M
    份提及", and the coverage a total rests on."""
    params: list[object] = []
    cte = _sel_cte(sel, params)
    return _frame(
        cur,
        f"""
        WITH {cte}
        SELECT year, count(*) AS reports, count(DISTINCT organ_id) AS organs,
               count(*) FILTER (WHERE has_errors) AS error_reports,
               count(*) FILTER (WHERE is_demo) AS demo_reports,
               count(*) FILTER (WHERE edition = '2021') AS reports_2021
        FROM sel GROUP BY year ORDER BY year
        """,
        params,
    )


# ---------------------------------------------------------------------------------------------
# The reports behind a chart point
# ---------------------------------------------------------------------------------------------


def reports_behind(
    cur: Cursor, sel: Selection, level: str | None, unit: str | None, year: int | None
) -> pl.DataFrame:
    """The reports an aggregated point rests on (unit ``None``: the whole selection)."""
    params: list[object] = []
    cte = _sel_cte(sel, params)
    clauses = ["TRUE"]
    if level and unit is not None:
        column = _UNIT_COLUMNS[level]
        if unit == UNKNOWN_REGION:
            clauses.append(f"{column} IS NULL")
        else:
            clauses.append(f"{column} = ?")
            params.append(unit)
    if year is not None:
        clauses.append("sel.year = ?")
        params.append(year)
    return _frame(
        cur,
        f"""
        WITH {cte}
        SELECT sel.report_id, o.name AS organ, sel.organ AS printed_name, sel.year,
               sel.province, sel.city, sel.county, sel.is_demo, sel.has_errors,
               q.received
        FROM sel JOIN organs o USING (organ_id)
        LEFT JOIN report_figures q ON q.report_id = sel.report_id
        WHERE {" AND ".join(clauses)}
        ORDER BY sel.has_errors DESC, q.received DESC NULLS LAST, o.name
        LIMIT 200
        """,
        params,
    )


# ---------------------------------------------------------------------------------------------
# Data quality
# ---------------------------------------------------------------------------------------------


def findings(
    cur: Cursor,
    sel: Selection,
    rules: list[str] | None = None,
    severities: list[str] | None = None,
    limit: int = 5000,
) -> pl.DataFrame:
    """Audit findings of the selected reports, errors first."""
    params: list[object] = []
    cte = _sel_cte(sel, params)
    clauses = ["TRUE"]
    if rules:
        clauses.append("f.rule IN (SELECT unnest(?))")
        params.append(rules)
    if severities:
        clauses.append("f.severity IN (SELECT unnest(?))")
        params.append(severities)
    params.append(limit)
    return _frame(
        cur,
        f"""
        WITH {cte}
        SELECT f.report_id, o.name AS organ, sel.year, sel.province, sel.city, sel.county,
               sel.is_demo, f.rule, f.severity, f.message, f.expected, f.actual, f.cells,
               f.scope
        FROM findings f JOIN sel USING (report_id) JOIN organs o USING (organ_id)
        WHERE {" AND ".join(clauses)}
        ORDER BY f.severity = 'error' DESC, sel.year DESC, o.name, f.rule
        LIMIT ?
        """,
        params,
    )


def findings_summary(cur: Cursor, sel: Selection) -> pl.DataFrame:
    """Findings and affected reports per rule and severity."""
    params: list[object] = []
    cte = _sel_cte(sel, params)
    return _frame(
        cur,
        f"""
        WITH {cte}
        SELECT f.rule, f.severity, count(*) AS findings,
               count(DISTINCT f.report_id) AS reports
        FROM findings f JOIN sel USING (report_id)
        GROUP BY ALL ORDER BY f.rule
        """,
        params,
    )


def coverage(cur: Cursor, sel: Selection, max_organs: int = 400) -> pl.DataFrame:
    """Organ × year: ``present``, ``errors`` (present with audit errors) or ``missing``.

    The organs are those with any current report in the selection's scope, in any year of
    the range; a year without their report is a gap in the coverage.
    """
    params: list[object] = []
    cte = _sel_cte(sel, params)
    params.append(max_organs)
    return _frame(
        cur,
        f"""
        WITH {cte},
        organs_in AS (
            SELECT organ_id, any_value(province) AS province, any_value(city) AS city,
                   any_value(county) AS county
            FROM sel GROUP BY organ_id
            ORDER BY province NULLS LAST, city NULLS LAST, county NULLS LAST, organ_id
            LIMIT ?
        ),
        years AS (SELECT DISTINCT year FROM sel),
        -- one cell per organ and year, even if a batch left two current reports for it
        cell AS (
            SELECT organ_id, year, min(report_id) AS report_id, bool_or(has_errors) AS has_errors
            FROM sel GROUP BY organ_id, year
        )
        SELECT oi.organ_id, o.name AS organ, oi.province, oi.city, oi.county, y.year,
               s.report_id,
               CASE WHEN s.report_id IS NULL THEN 'missing'
                    WHEN s.has_errors THEN 'errors' ELSE 'present' END AS status
        FROM organs_in oi CROSS JOIN years y
        JOIN organs o USING (organ_id)
        LEFT JOIN cell s ON s.organ_id = oi.organ_id AND s.year = y.year
        ORDER BY oi.province NULLS LAST, oi.city NULLS LAST, oi.county NULLS LAST, o.name,
                 y.year
        """,
        params,
    )


def ingest_errors(cur: Cursor, limit: int = 1000) -> pl.DataFrame:
    """Files that could not be read as reports (not filtered: they have no organ or region)."""
    return _frame(
        cur,
        "SELECT path, error_kind, message, logged_at FROM ingest_errors "
        "ORDER BY logged_at DESC, path LIMIT ?",
        [limit],
    )


# ---------------------------------------------------------------------------------------------
# One report
# ---------------------------------------------------------------------------------------------


def report_picker(cur: Cursor, sel: Selection) -> pl.DataFrame:
    """Organ, year and report id of every report in the selection, for the report page."""
    params: list[object] = []
    cte = _sel_cte(sel, params)
    return _frame(
        cur,
        f"""
        WITH {cte}
        SELECT sel.report_id, sel.organ_id, o.name, sel.year, sel.is_demo, sel.has_errors
        FROM sel JOIN organs o USING (organ_id)
        ORDER BY sel.province NULLS LAST, sel.city NULLS LAST, sel.county NULLS LAST,
                 o.name, sel.year
        """,
        params,
    )


def report_header(cur: Cursor, report_id: str) -> pl.DataFrame:
    """The report's row (any status: a superseded report still opens, marked as such)."""
    return _frame(
        cur,
        """
        SELECT r.report_id, r.organ_id, o.name AS organ_name, r.organ, r.year, r.edition,
               r.table_editions, r.source_path, r.format, r.parser_version, r.ingested_at,
               r.status, r.superseded_by, r.is_demo, r.warnings, r.source_url,
               o.kind AS organ_kind,
               o.province, o.city, o.county, o.region_code, o.region_status,
               EXISTS (SELECT 1 FROM findings f WHERE f.report_id = r.report_id
                       AND f.severity = 'error') AS has_errors
        FROM reports r JOIN organs o USING (organ_id)
        WHERE r.report_id = ?
        """,
        [report_id],
    )


def report_facts(cur: Cursor, report_id: str) -> pl.DataFrame:
    return _frame(
        cur,
        'SELECT "table", metric, applicant, value, blank, raw, unit, corrected '
        "FROM published_facts WHERE report_id = ?",
        [report_id],
    )


def report_corrections(cur: Cursor, report_id: str) -> pl.DataFrame:
    """The report's corrections in force (人工更正), oldest first."""
    return _frame(
        cur,
        "SELECT target, old_value, new_value, reason, who, at_utc FROM corrections "
        "WHERE report_id = ? AND status = 'active' ORDER BY id",
        [report_id],
    )


def stale_corrections(cur: Cursor, report_id: str) -> pl.DataFrame:
    """Corrections made on an earlier revision of this report (the same organ and year) that
    this revision no longer bears out: it prints another value there than the one corrected.
    They are not applied; the report page lists them for an editor to review. ``now`` is
    what this revision prints in that cell (NULL: blank, or not printed)."""
    return _frame(
        cur,
        """
        SELECT c.target, c.old_value, c.new_value, c.reason, c.who, c.at_utc,
               (SELECT f.raw FROM facts f
                WHERE f.report_id = this.report_id
                  AND f.metric || coalesce('@' || f.applicant, '') = c.target) AS now
        FROM corrections c
        JOIN reports old ON old.report_id = c.report_id
        JOIN reports this ON this.report_id = ?
        WHERE c.status = 'stale' AND old.organ_id = this.organ_id AND old.year = this.year
          AND old.report_id <> this.report_id
        ORDER BY c.id
        """,
        [report_id],
    )


def report_findings(cur: Cursor, report_id: str) -> pl.DataFrame:
    return _frame(
        cur,
        "SELECT rule, severity, message, expected, actual, cells, scope FROM findings "
        "WHERE report_id = ? ORDER BY severity = 'error' DESC, rule",
        [report_id],
    )


def report_prose(cur: Cursor, report_id: str) -> pl.DataFrame:
    return _frame(
        cur,
        "SELECT channel, label, value, sentence FROM prose_counts WHERE report_id = ?",
        [report_id],
    )


def report_text(cur: Cursor, report_id: str) -> str | None:
    rows = cur.execute("SELECT text FROM report_texts WHERE report_id = ?", [report_id]).fetchall()
    return str(rows[0][0]) if rows else None


def other_years(cur: Cursor, organ_id: str) -> pl.DataFrame:
    """The organ's other current reports, for "same organ, another year" links."""
    return _frame(
        cur,
        "SELECT year, report_id, has_errors FROM current_reports WHERE organ_id = ? ORDER BY year",
        [organ_id],
    )


def report_fact_sources(cur: Cursor, report_id: str) -> pl.DataFrame:
    """Where each cell of one report was printed: the page and box of a PDF, the table, row
    and column of a Word file or web page (``facts.source_*``), for "where is this number
    from" on the report page."""
    return _frame(
        cur,
        "SELECT metric, applicant, value, blank, raw, source_page, source_box, source_table, "
        "source_row, source_col FROM facts WHERE report_id = ?",
        [report_id],
    )


# ---------------------------------------------------------------------------------------------
# Corrections (人工更正)
# ---------------------------------------------------------------------------------------------


def corrections_in(cur: Cursor, sel: Selection) -> int:
    """How many corrections in force the selection's current reports have: a page whose
    figures rest on them says so, as a reader comparing with the printed reports must know."""
    params: list[object] = []
    cte = _sel_cte(sel, params)
    row = cur.execute(
        f"""
        WITH {cte}
        SELECT count(*) FROM corrections c JOIN sel USING (report_id)
        WHERE c.status = 'active'
        """,
        params,
    ).fetchone()
    return int(row[0]) if row else 0


def review_queue_on(cur: Cursor) -> bool:
    """Whether the warehouse holds reports with audit errors for review (``pipelines.review``)."""
    from pipelines import review

    return review.enabled(cur)


def review_held(cur: Cursor) -> pl.DataFrame:
    """The reports held for review (待审核), oldest first, with their error findings."""
    return _frame(
        cur,
        """
        SELECT r.report_id, r.organ, r.year, r.ingested_at, r.is_demo,
               list(f.rule || '：' || f.message ORDER BY f.rule, f.message)
                   FILTER (WHERE f.severity = 'error') AS errors
        FROM reports r LEFT JOIN findings f USING (report_id)
        WHERE r.status = 'pending'
        GROUP BY ALL
        ORDER BY r.ingested_at, r.organ, r.year, r.report_id
        """,
        [],
    )
