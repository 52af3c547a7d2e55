"""What the warehouse derives from the facts, kept up to date at the cost of the batch.

Two things are derived, and each is updated only where a batch touched it:

- ``report_figures``: one wide row per report, the numbers the dashboard and the
  cross-year rules read (part 三's totals by outcome, its reasons, the six applicant
  columns of 本年新收, every part 二 and 四 cell, the publication counts stated in part 一).
  A report's facts never change, so its row
  is computed once, from the batch's own facts, when the report is loaded; the dashboard
  then sums rows sized by organ × year instead of pivoting every fact on every page.
- ``current_reports`` and the cross-year findings (S1–S3): they depend on which report is
  current for an organ and year, and on its neighbouring years. A batch recomputes them for
  the organs it touched (all their years), never for the whole warehouse.

``rebuild`` computes the same from scratch with the same SQL; a test checks that batches
applied one after another leave exactly what a rebuild leaves.
"""

from __future__ import annotations

import hashlib

import duckdb

from pipelines import catalog

# The six applicant columns of part 三, without 总计 (and without a report's own 小计).
SIX_APPLICANTS: tuple[str, ...] = tuple(k for k in catalog.APPLICANT_KEYS if k != "total")
_SIX = ", ".join(f"'{k}'" for k in SIX_APPLICANTS)  # constants from the catalog, not input

# A part 三 cell's value for aggregation, over rows of one report's part 三 facts: the 总计
# cell as printed, or when left blank, the sum of that row's six applicant cells (blanks
# among them count as 0, as in the audit; all six blank stays NULL). Every other cell as
# printed. ``report_figures`` reads part 三 totals through it.
TOTAL_CELL_SQL = f"""CASE WHEN applicant = 'total' THEN coalesce(value, sum(CASE
    WHEN applicant IN ({_SIX}) THEN value END) OVER (PARTITION BY report_id, metric))
    ELSE value END"""

# Part 三 totals per outcome group, as the dashboard's measures name them. ``other`` sums
# every outcome.other.* row the report prints (2019: the row itself; 2021: its sub-rows).
REQUEST_MEASURES: dict[str, str] = {
    "received": "metric = 'requests.new_received'",
    "carried_over": "metric = 'requests.carried_over'",
    "granted": "metric = 'outcome.granted'",
    "partial": "metric = 'outcome.partial'",
    "denied": "metric LIKE 'outcome.denied.%'",
    "unavailable": "metric LIKE 'outcome.unavailable.%'",
    "not_processed": "metric LIKE 'outcome.not_processed.%'",
    "other": "metric LIKE 'outcome.other.%'",
    "closed": "metric = 'outcome.total'",
    "carried_forward": "metric = 'requests.carried_forward'",
}
# The numbered reasons of 不予公开 / 无法提供 / 不予处理 / 其他处理 (总计 column).
REASON_METRICS: tuple[str, ...] = (
    *(
        r.metric.key
        for r in catalog.REQUEST_ROWS
        if r.group in ("denied", "unavailable", "not_processed", "other") and r.keywords
    ),
    "outcome.other.total",
)
# Cells read as printed: the applicant columns of 本年新收, and of the carry-overs (S1).
APPLICANT_CELLS: tuple[str, ...] = (
    *(f"requests.new_received@{a}" for a in SIX_APPLICANTS),
    *(f"requests.carried_over@{a}" for a in catalog.APPLICANT_KEYS),
    *(f"requests.carried_forward@{a}" for a in catalog.APPLICANT_KEYS),
)
# Publication counts stated in part 一, per channel: a report that names a channel twice
# counts once, with its largest number (the second sentence is usually a subset, "其中…").
PROSE_COLUMNS: tuple[str, ...] = tuple(f"prose.{c.key}" for c in catalog.CHANNELS)
REVIEW_METRICS: tuple[str, ...] = tuple(m.key for m in catalog.METRICS if m.table == "review")
ACTIVE_METRICS: tuple[str, ...] = tuple(m.key for m in catalog.METRICS if m.table == "active")


# Fields of a report a correction may set, rather than a cell (``pipelines.corrections``).
FIELD_TARGETS: tuple[str, ...] = ("organ", "region_code", "year")
_FIELDS = ", ".join(f"'{t}'" for t in FIELD_TARGETS)

# The facts as published: each cell with the latest active correction of it applied (the
# ``facts`` table itself keeps what the report printed). ``corrected`` says which were.
PUBLISHED_FACTS = f"""
SELECT f.* REPLACE (
           CASE WHEN c.report_id IS NULL THEN f.value
                ELSE TRY_CAST(c.new_value AS DOUBLE) END AS value,
           CASE WHEN c.report_id IS NULL THEN f.blank ELSE c.new_value IS NULL END AS blank),
       c.report_id IS NOT NULL AS corrected
FROM facts f LEFT JOIN (
    SELECT report_id, target, arg_max(new_value, id) AS new_value
    FROM corrections WHERE status = 'active' AND target NOT IN ({_FIELDS})
    GROUP BY report_id, target
) c ON c.report_id = f.report_id AND c.target = f.metric || coalesce('@' || f.applicant, '')
"""


def quoted(name: str) -> str:
    """A figure column's name as SQL (names hold dots and @; all come from the catalog)."""
    return '"' + name.replace('"', '""') + '"'


def _figure_columns() -> list[tuple[str, str]]:
    """(column, aggregate over one report's facts with ``cell`` = TOTAL_CELL_SQL)."""
    cols = [
        (name, f"sum(cell) FILTER (WHERE \"table\" = 'requests' AND applicant = 'total' AND {w})")
        for name, w in REQUEST_MEASURES.items()
    ]
    cols += [
        (m, f"sum(cell) FILTER (WHERE applicant = 'total' AND metric = '{m}')")
        for m in REASON_METRICS
    ]
    for address in APPLICANT_CELLS:
        metric, applicant = address.split("@")
        cols.append(
            (
                address,
                f"max(value) FILTER (WHERE metric = '{metric}' AND applicant = '{applicant}')",
            )
        )
    cols += [(m, f"max(value) FILTER (WHERE metric = '{m}')") for m in REVIEW_METRICS]
    cols += [(m, f"max(value) FILTER (WHERE metric = '{m}')") for m in ACTIVE_METRICS]
    # printed cells per table: the size of a download, without counting facts
    cols += [(f"cells.{t}", f"count(*) FILTER (WHERE \"table\" = '{t}')") for t in catalog.TABLES]
    return cols


FIGURE_COLUMNS = _figure_columns()


def figures_select(facts: str, prose: str) -> str:
    """SELECT computing ``report_figures`` rows from the relations ``facts`` and ``prose``
    (``prose_counts`` rows): one row per report that has either."""
    aggregates = ",\n       ".join(f"{expr} AS {quoted(name)}" for name, expr in FIGURE_COLUMNS)
    stated = ",\n       ".join(
        f"max(value) FILTER (WHERE channel = '{c.split('.', 1)[1]}')::DOUBLE AS {quoted(c)}"
        for c in PROSE_COLUMNS
    )
    return f"""
WITH cells AS (
    SELECT report_id, "table", metric, applicant, value,
           CASE WHEN "table" = 'requests' THEN {TOTAL_CELL_SQL} ELSE value END AS cell
    FROM {facts}
),
printed AS (
    SELECT report_id,
       {aggregates}
    FROM cells
    GROUP BY report_id
),
stated AS (
    SELECT report_id,
       {stated}
    FROM {prose}
    GROUP BY report_id
)
SELECT * FROM printed FULL OUTER JOIN stated USING (report_id)
"""


def create_figures_table(con: duckdb.DuckDBPyConnection) -> None:
    names = [name for name, _ in FIGURE_COLUMNS] + list(PROSE_COLUMNS)
    columns = ", ".join(f"{quoted(name)} DOUBLE" for name in names)
    con.execute(f"CREATE OR REPLACE TABLE report_figures (report_id VARCHAR, {columns})")


def fingerprint() -> str:
    """Changes when the derived tables' definition does: the warehouse rebuilds them then."""
    text = (
        figures_select(f"({PUBLISHED_FACTS})", "prose_counts")
        + CURRENT_REPORTS_SELECT
        + cross_year_sql("TRUE")
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


CURRENT_REPORTS_SELECT = """
SELECT r.*, o.kind AS organ_kind, o.region_code, o.province, o.city, o.county, o.region_status
FROM reports r JOIN organs o USING (organ_id)
WHERE r.status = 'current'
"""

# The cross-year audit (docs/template.md §7.2), over the wide figures of current reports. A
# blank cell is not a number: a comparison that needs a blank (or unprinted) cell is
# skipped, never made against 0, and every message goes through ``xxgk_num``, which says 空白
# for NULL, so no message can be NULL (the column is NOT NULL).
_NUM_MACRO = """
CREATE OR REPLACE TEMP MACRO xxgk_num(x) AS
    CASE WHEN x IS NULL THEN '空白'
         WHEN x = trunc(x) AND abs(x) < 1e15 THEN TRY_CAST(x AS BIGINT)::VARCHAR
         ELSE x::VARCHAR END;
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _rule(rule_id: str) -> tuple[str, str, str]:
    """A cross-year rule's id, severity and scope as the SQL literals of a findings row,
    from the rule catalog (``catalog.RULES``), the one place they are written."""
    rule = catalog.RULES_BY_ID[rule_id]
    assert rule.scope == "cross_year", rule_id
    return _literal(rule.id), _literal(rule.severity), _literal(rule.scope)


def cross_year_sql(organ_filter: str) -> str:
    """INSERT statements of S1–S3 for the current reports whose organ passes the filter.

    The rows they compare (current reports of those organs, with their figures) are gathered
    once into a temporary table, so the sixteen comparisons read the batch's organs, not
    the warehouse. Each finding's rule, severity and scope come from ``catalog.RULES``.
    """
    gather = f"""
CREATE OR REPLACE TEMP TABLE xxgk_cy AS
SELECT r.report_id, r.organ_id, r.year, f.* EXCLUDE (report_id)
FROM current_reports r JOIN report_figures f USING (report_id)
WHERE {organ_filter};
"""
    base = "SELECT * FROM xxgk_cy"
    parts = []
    rule, severity, scope = _rule("S1")
    for a in catalog.APPLICANT_KEYS:  # S1, per applicant column
        label = _literal(catalog.APPLICANT_LABELS[a])
        cur, prev = quoted(f"requests.carried_over@{a}"), quoted(f"requests.carried_forward@{a}")
        parts.append(
            f"""
INSERT INTO findings
SELECT cur.report_id, {rule}, {severity},
       '第三部分“' || {label} || '”列：本年上年结转为' || xxgk_num(cur.{cur}) || '件，但' ||
       prev.year || '年报告的结转下年度为' || xxgk_num(prev.{prev}) || '件',
       prev.{prev}, cur.{cur},
       ['requests.carried_over@{a}', prev.year || ':requests.carried_forward@{a}'],
       {scope}
FROM ({base}) cur JOIN ({base}) prev ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1
WHERE cur.{cur} IS NOT NULL AND prev.{prev} IS NOT NULL AND cur.{cur} <> prev.{prev};"""
        )
    rule, severity, scope = _rule("S2")
    for row in ("rules", "normative_docs"):  # S2 (2021 edition, from 2022)
        in_force, issued, repealed = (
            quoted(f"active.{row}.{c}") for c in ("in_force", "issued", "repealed")
        )
        label_in_force = _literal(catalog.METRICS_BY_KEY[f"active.{row}.in_force"].label)
        label_repealed = _literal(catalog.METRICS_BY_KEY[f"active.{row}.repealed"].label)
        pair = f"""FROM ({base}) cur JOIN ({base}) prev
  ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1
WHERE cur.year >= 2022 AND cur.{issued} IS NOT NULL AND cur.{repealed} IS NOT NULL
  AND prev.{in_force} IS NOT NULL"""
        parts.append(
            f"""
INSERT INTO findings
SELECT cur.report_id, {rule}, {severity},
       '“' || {label_in_force} || '”：现行有效件数为' || xxgk_num(cur.{in_force}) ||
       '，但上年现行有效' || xxgk_num(prev.{in_force}) || '＋本年制发' ||
       xxgk_num(cur.{issued}) || '－本年废止' || xxgk_num(cur.{repealed}) || '＝' ||
       xxgk_num(prev.{in_force} + cur.{issued} - cur.{repealed}),
       prev.{in_force} + cur.{issued} - cur.{repealed}, cur.{in_force},
       ['active.{row}.in_force', prev.year || ':active.{row}.in_force'],
       {scope}
{pair} AND cur.{in_force} IS NOT NULL
  AND cur.{in_force} <> prev.{in_force} + cur.{issued} - cur.{repealed};

INSERT INTO findings
SELECT cur.report_id, {rule}, {severity},
       '“' || {label_repealed} || '”：本年废止' || xxgk_num(cur.{repealed}) ||
       '件，多于上年现行有效' || xxgk_num(prev.{in_force}) || '＋本年制发' ||
       xxgk_num(cur.{issued}) || '＝' || xxgk_num(prev.{in_force} + cur.{issued}) || '件',
       prev.{in_force} + cur.{issued}, cur.{repealed},
       ['active.{row}.repealed', prev.year || ':active.{row}.in_force',
        'active.{row}.issued'],
       {scope}
{pair} AND cur.{repealed} > prev.{in_force} + cur.{issued};"""
        )
    rule, severity, scope = _rule("S3")
    for metric in ACTIVE_METRICS:  # S3 (2019 edition, 2020 against 2019)
        if not metric.endswith(".prev_items"):
            continue
        change = metric.replace(".prev_items", ".net_change")
        label = _literal(catalog.METRICS_BY_KEY[metric].label)
        cur, chg = quoted(metric), quoted(change)
        parts.append(
            f"""
INSERT INTO findings
SELECT cur.report_id, {rule}, {severity},
       '“' || {label} || '”：本年报告的上一年项目数量为' || xxgk_num(cur.{cur}) || '，但' ||
       prev.year || '年报告为' || xxgk_num(prev.{cur}) || '（上一年）＋' ||
       xxgk_num(prev.{chg}) || '（增减）',
       prev.{cur} + prev.{chg}, cur.{cur},
       ['{metric}', prev.year || ':{metric}'],
       {scope}
FROM ({base}) cur JOIN ({base}) prev ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1
WHERE cur.year = 2020 AND cur.{cur} IS NOT NULL AND prev.{cur} IS NOT NULL
  AND prev.{chg} IS NOT NULL AND cur.{cur} <> prev.{cur} + prev.{chg};"""
        )
    return gather + "".join(parts) + "\nDROP TABLE xxgk_cy;\n"


def refresh(con: duckdb.DuckDBPyConnection, organs: list[str] | None) -> int:
    """Recompute ``current_reports`` and the cross-year findings for ``organs`` (None: all).

    Returns the number of cross-year findings now in the warehouse.
    """
    if organs is None:
        con.execute(f"CREATE OR REPLACE TABLE current_reports AS {CURRENT_REPORTS_SELECT}")
        con.execute("DELETE FROM findings WHERE scope = 'cross_year'")
        organ_filter = "TRUE"
    else:
        if not organs:
            return _count_cross_year(con)
        con.execute("CREATE OR REPLACE TEMP TABLE xxgk_touched (organ_id VARCHAR PRIMARY KEY)")
        con.execute("INSERT INTO xxgk_touched SELECT DISTINCT unnest(?)", [organs])
        touched = "organ_id IN (SELECT organ_id FROM xxgk_touched)"
        con.execute(f"DELETE FROM current_reports WHERE {touched}")
        con.execute(f"INSERT INTO current_reports {CURRENT_REPORTS_SELECT} AND r.{touched}")
        con.execute(
            "DELETE FROM findings WHERE scope = 'cross_year' AND report_id IN "
            f"(SELECT report_id FROM reports WHERE {touched})"
        )
        organ_filter = f"r.{touched}"
    con.execute(_NUM_MACRO)
    con.execute(cross_year_sql(organ_filter))
    if organs is not None:
        con.execute("DROP TABLE xxgk_touched")
    return _count_cross_year(con)


def _count_cross_year(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM findings WHERE scope = 'cross_year'").fetchone()
    return int(row[0]) if row else 0


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Every derived table from the facts, as if every report had just been loaded."""
    create_figures_table(con)
    select = figures_select(f"({PUBLISHED_FACTS})", "prose_counts")
    con.execute(f"INSERT INTO report_figures BY NAME {select}")


def refresh_figures(con: duckdb.DuckDBPyConnection, report_ids: list[str]) -> None:
    """The ``report_figures`` rows of ``report_ids`` again, from their published facts: what
    a correction changes, computed by the same SQL a rebuild uses."""
    if not report_ids:
        return
    con.execute("CREATE OR REPLACE TEMP TABLE xxgk_refigure (report_id VARCHAR)")
    con.execute("INSERT INTO xxgk_refigure SELECT DISTINCT unnest(?::VARCHAR[])", [report_ids])
    these = "report_id IN (SELECT report_id FROM xxgk_refigure)"
    con.execute(f"DELETE FROM report_figures WHERE {these}")
    facts = f"(SELECT * FROM ({PUBLISHED_FACTS}) WHERE {these})"
    prose = f"(SELECT * FROM prose_counts WHERE {these})"
    con.execute(f"INSERT INTO report_figures BY NAME {figures_select(facts, prose)}")
    con.execute("DROP TABLE xxgk_refigure")
    refresh(con, None)
