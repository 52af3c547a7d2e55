"""关注清单: the organs of a selection that need a second look, each with its reason.

A leader cannot read a thousand reports; the list names the organ-years worth opening, and
why, in one table: a report that contradicts itself (audit errors), a year with no report,
a number of new requests that moves by a factor no real change explains, a 公开率 far
below its peers', a correction rate in review or litigation far above theirs, and a report
that does not carry on from last year's (the cross-year rules S1–S3). Each row links to
the report it is about (none for a missing report).

Every threshold is a field of ``Thresholds``, with its reason for the default, and the page
lets the reader change them. Peer-based reasons use ``dashboard.peers`` (the same peers,
quantiles and guards as the 同级对标 page): none is raised with fewer than
``peers.MIN_PEERS`` peers, nor on a rate whose denominator is under
``measures.MIN_DENOMINATOR``.

The queries read ``current_reports``, ``report_figures`` and ``findings`` (rows per report,
never the facts), so the list costs the same at 100,000 reports.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import polars as pl

from dashboard import fmt, labels, peers
from dashboard.measures import MEASURES, MIN_DENOMINATOR
from dashboard.selection import Selection

Cursor = duckdb.DuckDBPyConnection

# Reason code -> what the page says, in the order the list groups them.
REASONS: dict[str, str] = {
    "audit_error": "审核错误",
    "cross_year": "跨年数据不衔接",
    "missing": "缺少年度报告",
    "jump_up": "同比激增",
    "jump_down": "同比骤降",
    "low_open_rate": "公开率远低于同级",
    "high_review_correction": "复议纠错率高于同级",
    "high_litigation_correction": "诉讼纠错率高于同级",
}

COLUMNS: dict[str, pl.DataType] = {
    "organ_id": pl.String(),
    "organ": pl.String(),
    "year": pl.Int64(),
    "reason_code": pl.String(),
    "reason": pl.String(),
    "detail": pl.String(),
    "report_id": pl.String(),
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When an organ-year is put on the list. The defaults, and why:

    - ``jump_up`` 5 and ``jump_down`` 0.2: 新收申请 above 5 times, or below a fifth of, the
      year before's. A factor of five between consecutive years is seldom demand alone: a
      mis-keyed cell, a changed scope or a run of repeated requests each explain it better,
      and each is worth opening the report for.
    - ``jump_base`` 30 (``measures.MIN_DENOMINATOR``, the dashboard's small-sample rule): the
      larger of the two years must reach it. 2 → 12 is ×6 and means nothing; 10 → 80 is ×8
      and does. A rise from 0 to at least this many is a jump (no ratio exists); a fall to 0
      from at least this many is a fall.
    - ``open_rate_gap`` 20 percentage points below the peers' median 公开率. A distance, not
      a rank: "the bottom quarter" would name a quarter of every group however alike its
      members are, while twenty points below the middle names only organs that grant far
      less than their peers do.
    - ``correct_rate_gap`` 15 percentage points above the peers' median 复议 or 诉讼 纠错率.
      Correction rates sit near zero for most organs, so a smaller distance than for 公开率
      already means losing a large share of the cases others win.
    - ``missing_coverage`` 0.5: a year counts for 缺少年度报告 only once at least half as many
      organs of the scope have a report for it as for the year before. A year still being
      collected (reports come in through the spring, or only a few have been loaded) would
      otherwise put every organ on the list.
    """

    jump_up: float = 5.0
    jump_down: float = 0.2
    jump_base: int = MIN_DENOMINATOR
    open_rate_gap: float = 20.0  # percentage points
    correct_rate_gap: float = 15.0  # percentage points
    missing_coverage: float = 0.5


def _selected(sel: Selection, params: list[object]) -> str:
    where = " AND ".join(sel.filters().report_clauses("r", params)) or "TRUE"
    return f"""
    sel AS (
        SELECT r.report_id, r.organ_id, r.year FROM current_reports r WHERE {where}
    )"""


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={k: v for k, v in COLUMNS.items() if k != "organ"})


# ---------------------------------------------------------------------------------------------
# One function per kind of reason: rows of organ_id, year, reason_code, reason, detail,
# report_id
# ---------------------------------------------------------------------------------------------


def _findings(cur: Cursor, sel: Selection) -> pl.DataFrame:
    """Audit errors (error-severity findings of one report) and cross-year breaks (S1–S3),
    one row per report and kind, naming the rules and the first message."""
    params: list[object] = []
    cte = _selected(sel, params)
    found = cur.sql(
        f"""
        WITH {cte}
        SELECT s.organ_id, s.year, s.report_id,
               CASE WHEN f.scope = 'cross_year' THEN 'cross_year' ELSE 'audit_error' END AS code,
               count(*) AS n, list(DISTINCT f.rule ORDER BY f.rule) AS rules,
               arg_min(f.message, f.rule || f.message) AS message
        FROM findings f JOIN sel s USING (report_id)
        WHERE f.scope = 'cross_year' OR (f.severity = 'error' AND f.scope = 'report')
        GROUP BY ALL
        """,
        params=params,
    ).fetchall()
    rows = []
    for organ_id, year, report_id, code, n, rules, message in found:
        kind = "处跨年不衔接" if code == "cross_year" else "条错误"
        rules_text = "、".join(f"{r} {labels.rule_title(r)}" for r in rules)
        rows.append(
            {
                "organ_id": organ_id,
                "year": year,
                "reason_code": code,
                "reason": REASONS[code],
                "detail": f"{n} {kind}（{rules_text}），如：{message}",
                "report_id": report_id,
            }
        )
    return _frame(rows)


def _missing(cur: Cursor, sel: Selection, t: Thresholds) -> pl.DataFrame:
    """A year of the selection with no report from an organ that reported in an earlier
    one. The years are those the selection's scope has reports for, and enough of them
    (``Thresholds.missing_coverage``): a year no organ, or only a few, has reported for yet
    is not every organ's gap."""
    params: list[object] = []
    cte = _selected(sel, params)
    # the years of the scope: the selection without its organ (one organ's own years would
    # never show its gap) and without "same organs" (which keeps only organs with no gap)
    scope_params: list[object] = []
    scope = replace(sel, organ_id=None, same_organs=False).filters()
    years_where = " AND ".join(scope.report_clauses("y", scope_params)) or "TRUE"
    found = cur.sql(
        f"""
        WITH {cte},
        counted AS (
            SELECT y.year, count(DISTINCT y.organ_id) AS n
            FROM current_reports y WHERE {years_where} GROUP BY y.year
        ),
        years AS (
            SELECT year FROM (
                SELECT year, n, lag(n) OVER (ORDER BY year) AS prev FROM counted
            ) WHERE prev IS NULL OR n >= ? * prev
        ),
        present AS (SELECT DISTINCT organ_id, year FROM sel),
        span AS (SELECT organ_id, min(year) AS first FROM present GROUP BY organ_id)
        SELECT s.organ_id, y.year,
               (SELECT max(p.year) FROM present p
                WHERE p.organ_id = s.organ_id AND p.year < y.year) AS before,
               (SELECT min(p.year) FROM present p
                WHERE p.organ_id = s.organ_id AND p.year > y.year) AS after
        FROM span s JOIN years y ON y.year > s.first
        WHERE NOT EXISTS (
            SELECT 1 FROM present p WHERE p.organ_id = s.organ_id AND p.year = y.year
        )
        """,
        params=params + scope_params + [t.missing_coverage],
    ).fetchall()
    rows = []
    for organ_id, year, before, after in found:
        detail = f"{year}年没有报告：上一份为{before}年的报告，" + (
            f"{after}年又有报告" if after else "此后所选年份内没有报告"
        )
        rows.append(
            {
                "organ_id": organ_id,
                "year": year,
                "reason_code": "missing",
                "reason": REASONS["missing"],
                "detail": detail,
                "report_id": None,
            }
        )
    return _frame(rows)


def _jumps(cur: Cursor, sel: Selection, t: Thresholds) -> pl.DataFrame:
    """新收申请 this year against last year's, for organs with reports in both."""
    params: list[object] = []
    cte = _selected(sel, params)
    params += [t.jump_base, t.jump_up, t.jump_down]
    found = cur.sql(
        f"""
        WITH {cte},
        y AS (
            SELECT s.organ_id, s.year, sum(f.received) AS received,
                   CASE WHEN count(*) = 1 THEN any_value(s.report_id) END AS report_id
            FROM sel s JOIN report_figures f USING (report_id)
            GROUP BY s.organ_id, s.year
        )
        SELECT cur.organ_id, cur.year, cur.report_id, prev.received AS before,
               cur.received AS now
        FROM y cur JOIN y prev ON prev.organ_id = cur.organ_id AND prev.year = cur.year - 1
        WHERE cur.received IS NOT NULL AND prev.received IS NOT NULL
          AND greatest(cur.received, prev.received) >= ?
          AND (prev.received = 0 OR cur.received > ? * prev.received
               OR cur.received < ? * prev.received)
        """,
        params=params,
    ).fetchall()
    rows = []
    for organ_id, year, report_id, before, now in found:
        up = now > before
        ratio = f"×{now / before:.2f}" if before else "从 0 起"
        rows.append(
            {
                "organ_id": organ_id,
                "year": year,
                "reason_code": "jump_up" if up else "jump_down",
                "reason": REASONS["jump_up" if up else "jump_down"],
                "detail": (
                    f"本年新收申请 {fmt.num(now, '件')}，{year - 1}年 {fmt.num(before, '件')}"
                    f"（{ratio}；阈值 ×{t.jump_up:g} / ×{t.jump_down:g}）"
                ),
                "report_id": report_id,
            }
        )
    return _frame(rows)


_PEER_REASONS = (
    ("open_rate", "low_open_rate", -1),
    ("review_correct_rate", "high_review_correction", 1),
    ("litigation_correct_rate", "high_litigation_correction", 1),
)


def _against_peers(cur: Cursor, sel: Selection, t: Thresholds) -> pl.DataFrame:
    """A rate far from its peers' median (in the direction that is bad), where the rate may
    be ranked and there are enough peers."""
    stats = peers.organ_peer_stats(cur, sel, tuple(key for key, _, _ in _PEER_REASONS))
    if stats.is_empty():
        return _frame([])
    rows = []
    for key, code, sign in _PEER_REASONS:
        gap = (t.open_rate_gap if sign < 0 else t.correct_rate_gap) / 100
        hits = stats.filter(
            (pl.col("measure") == key)
            & pl.col("comparable")
            & (pl.col("peers") >= peers.MIN_PEERS)
            & pl.col("p50").is_not_null()
            # a hair of tolerance: 0.5 − 0.3 is not quite 0.2 in binary
            & ((pl.col("value") - pl.col("p50")) * sign >= gap - 1e-9)
        )
        label = MEASURES[key].label
        for r in hits.iter_rows(named=True):
            distance = abs(r["value"] - r["p50"]) * 100
            rows.append(
                {
                    "organ_id": r["organ_id"],
                    "year": r["year"],
                    "reason_code": code,
                    "reason": REASONS[code],
                    "detail": (
                        f"{label} {fmt.pct(r['value'])}（{fmt.num(r['numerator'])} / "
                        f"{fmt.num(r['denominator'])}），同级（{peers.group_label(r['group'])}，"
                        f"{r['peers']} 个）中位数 {fmt.pct(r['p50'])}，"
                        f"{'低' if sign < 0 else '高'} {distance:.1f} 个百分点；"
                        f"百分位 {r['percentile']:.0f}"
                    ),
                    "report_id": r["report_id"],
                }
            )
    return _frame(rows)


def watch_list(cur: Cursor, sel: Selection, t: Thresholds = Thresholds()) -> pl.DataFrame:
    """Organ-years of the selection that need attention: ``organ_id``, ``organ`` (its
    name), ``year``, ``reason_code`` (a key of ``REASONS``), ``reason`` (Chinese),
    ``detail`` (the numbers behind it, Chinese) and ``report_id`` (the report the row is
    about; null for a missing report). One row per organ, year and reason, ordered by
    organ, year and reason."""
    parts = [
        _findings(cur, sel),
        _missing(cur, sel, t),
        _jumps(cur, sel, t),
        _against_peers(cur, sel, t),
    ]
    found = pl.concat(parts, how="vertical_relaxed")
    if found.is_empty():
        return pl.DataFrame(schema=COLUMNS)
    names = cur.sql(
        "SELECT organ_id, name AS organ FROM organs WHERE organ_id IN (SELECT unnest(?))",
        params=[found["organ_id"].unique().to_list()],
    ).pl()
    order = {code: i for i, code in enumerate(REASONS)}
    return (
        found.join(names, on="organ_id", how="left")
        .with_columns(
            pl.col("year").cast(pl.Int64),
            pl.col("reason_code").replace_strict(order, return_dtype=pl.Int64).alias("_order"),
        )
        .sort("organ", "organ_id", "year", "_order")
        .select(list(COLUMNS))
    )
