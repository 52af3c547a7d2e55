"""同级对标: one unit's measure against the distribution of its peers, year by year.

Leadership asks "is 淮安市教育局 doing well?", and a number alone cannot answer it: a city's
education bureau receives more requests than a county's, and a department fewer than the
government it belongs to. So a unit is set against its peers — units of the same level and
kind (``peer_group``) — and shown with the peers' P25–P75 band, their median and its own
percentile rank.

Peers are the OTHER units of the group: a unit is not its own peer, so a group of n units
gives each n − 1 peers, and the band does not move towards the unit being judged. The
quantiles interpolate linearly between the peers' values (DuckDB's ``quantile_cont``, polars'
``"linear"``, numpy's default); the percentile rank is the share of peers below the unit,
ties counting half, from 0 (below every peer) to 100 (above every peer).

Two guards, both stated on the page: with fewer than ``MIN_PEERS`` peers there is no band
and no rank (three values have no quartiles worth drawing); a rate whose denominator is
under ``measures.MIN_DENOMINATOR`` is neither a peer's value nor ranked (the dashboard's
existing rule: 1 of 2 is not "50%").

Every query reads ``current_reports`` and the per-report ``report_figures`` (the measures'
inputs exactly as every other page computes them, ``queries._measures_select``), grouped
by unit and year in DuckDB: never the facts, so a page costs the same at 100,000 reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import duckdb
import polars as pl

from dashboard import labels, measures
from dashboard.measures import MEASURES, Measure
from dashboard.queries import MEASURE_COLUMNS, _measures_select
from dashboard.selection import UNKNOWN_REGION, Selection
from pipelines import catalog
from pipelines.warehouse.derived import ACTIVE_METRICS, quoted

Cursor = duckdb.DuckDBPyConnection

# Fewer peers than this in a year: no band, no rank (and no peer-based watch-list reason).
MIN_PEERS = 5

LEVEL_NAMES: dict[str, str] = {"province": "省级", "city": "市级", "county": "县级"}
GOVERNMENT = "人民政府"

SUMMARY_COLUMNS = ("unit", "year", "value", "peers", "p25", "p50", "p75", "percentile")
_SUMMARY_SCHEMA: dict[str, pl.DataType] = {
    "unit": pl.String(),
    "year": pl.Int64(),
    "value": pl.Float64(),
    "peers": pl.Int64(),
    "p25": pl.Float64(),
    "p50": pl.Float64(),
    "p75": pl.Float64(),
    "percentile": pl.Float64(),
}


# ---------------------------------------------------------------------------------------------
# Who is whose peer
# ---------------------------------------------------------------------------------------------


def peer_group_sql(r: str = "r") -> str:
    """SQL for the peer group of the organ in ``current_reports`` aliased ``r``:
    ``'<level>:<kind>'`` (``'county:教育局'``, ``'city:人民政府'``), or NULL.

    Why this rule. An organ's level is the level of its division code (``region_code``:
    ``xx0000`` a province, ``xxxx00`` a city, anything else a county), not the columns
    ``province``/``city``/``county``, which a municipality's districts fill differently. Its
    kind is what it is without its place: the warehouse already stores exactly that, since an
    organ's id is ``<division code>:<name without its places>``, the name normalised once at
    ingest (``pipelines.regions.normalize_organ_suffix``: 政府办 = 人民政府办公室). So
    淮安市教育局 (``320800:教育局``) meets other cities' 教育局 and not 洪泽区教育局
    (``320813:教育局``), which meets other counties'. Every people's government of a level is
    one kind (``organ_kind = 'government'``, whether its name ends in 人民政府 or is a bare place
    name). Names are compared as printed, with no guessing of synonyms: 教育体育局 is not
    教育局, since merging them would assert that two bureaux do the same work.

    An organ whose place is not settled (``name:…`` ids, an ambiguous or unknown region) has
    no level, so no peers: comparing it with county bureaux might compare it with itself.
    """
    return f"""CASE
        WHEN {r}.region_code IS NULL OR NOT regexp_full_match({r}.region_code, '[0-9]{{6}}')
             OR starts_with({r}.organ_id, 'name:') THEN NULL
        ELSE CASE WHEN {r}.region_code LIKE '__0000' THEN 'province'
                  WHEN {r}.region_code LIKE '____00' THEN 'city'
                  ELSE 'county' END
             || ':' ||
             CASE WHEN {r}.organ_kind = 'government' THEN '{GOVERNMENT}'
                  ELSE nullif(substr({r}.organ_id, strpos({r}.organ_id, ':') + 1), '') END
    END"""


def group_label(group: str | None) -> str:
    """A peer group in words: "县级 教育局", "市级 人民政府", "县级地区"."""
    if not group:
        return "—"
    level, _, kind = group.partition(":")
    if level == "region":
        return f"{LEVEL_NAMES.get(kind, kind)}地区"
    return f"{LEVEL_NAMES.get(level, level)} {kind}"


@dataclass(frozen=True, slots=True)
class Target:
    """What the sidebar's selection picks as the unit to benchmark.

    ``level`` "organ" (an organ chosen) or the level of the deepest region chosen;
    ``key`` the organ id or the region's names joined by "|"; ``group`` the peer group
    (None: an organ whose place is not settled, which has no peers).
    """

    level: str
    key: str
    name: str
    group: str | None


_REGION_LEVELS = ("province", "city", "county")


def _region_key_sql(level: str, r: str = "r") -> str:
    """The key of a region unit at ``level`` (its names joined by "|", as ``target`` builds it)."""
    cols = _REGION_LEVELS[: _REGION_LEVELS.index(level) + 1]
    return " || '|' || ".join(f"coalesce({r}.{c}, '')" for c in cols)


def target(cur: Cursor, sel: Selection) -> Target | None:
    """The unit the selection picks: its organ, else the deepest region chosen (a county,
    a city or a province, compared with the regions of its level); None when nothing is
    chosen, or the region chosen is "no place at this level" (a city's 本级 organs are a
    list of organs, not a region to rank)."""
    if sel.organ_id is not None:
        rows = cur.execute(
            f"""
            SELECT o.name, any_value({peer_group_sql("r")})
            FROM organs o LEFT JOIN current_reports r USING (organ_id)
            WHERE o.organ_id = ? GROUP BY o.name
            """,
            [sel.organ_id],
        ).fetchall()
        if not rows:
            return None
        return Target("organ", sel.organ_id, str(rows[0][0]), rows[0][1])
    chosen = [(lv, getattr(sel, lv)) for lv in _REGION_LEVELS if getattr(sel, lv) is not None]
    if not chosen or any(v == UNKNOWN_REGION for _, v in chosen):
        return None
    level = chosen[-1][0]
    key = "|".join(str(getattr(sel, lv) or "") for lv in _REGION_LEVELS[: len(chosen)])
    return Target(level, key, str(chosen[-1][1]), f"region:{level}")


# ---------------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------------


def _cell_measure(key: str) -> Measure:
    """A printed part 二 cell, or a publication count stated in part 一, as a count."""
    if key.startswith("prose."):
        channel = labels.CHANNELS[key.removeprefix("prose.")]
        return Measure(
            key,
            f"主动公开·{channel}（正文所述）",
            (key,),
            None,
            f"第一部分正文写明的“{channel}”发布数量；一份报告提及多次的取其最大数",
            unit="条",
        )
    metric = catalog.METRICS_BY_KEY[key]
    editions = "、".join(sorted(metric.editions))
    return Measure(
        key,
        f"主动公开·{metric.label}",
        (key,),
        None,
        f"第二部分“{metric.label}”的填报数（{editions} 版模板的栏目）",
        unit=metric.unit,
    )


def peer_measures() -> dict[str, Measure]:
    """What the page offers: every measure of ``measures.MEASURES`` (their definitions, not
    new ones), then the part 二 cells and the prose publication counts, which are printed
    numbers with their catalog labels."""
    cells = [*ACTIVE_METRICS, *(f"prose.{c}" for c in labels.CHANNELS if c != "requests_received")]
    return {**MEASURES, **{k: _cell_measure(k) for k in cells}}


def measure_of(key: str) -> Measure:
    found = peer_measures().get(key)
    if found is None:
        raise KeyError(f"unknown measure {key!r}")
    return found


def _inputs(m: Measure) -> list[str]:
    return [*m.numerator, *([m.denominator] if m.denominator else [])]


def _per_report(keys: Sequence[str]) -> str:
    """Per selected report (``u`` joined to ``report_figures f``): the measures' inputs, as
    ``queries`` computes them for every page, and any printed cell asked for by name."""
    cells = [k for k in keys if k not in MEASURE_COLUMNS]
    return _measures_select() + "".join(f",\nf.{quoted(k)} AS {quoted(k)}" for k in cells)


# ---------------------------------------------------------------------------------------------
# The distribution over the other units of a group
# ---------------------------------------------------------------------------------------------


def with_distribution(frame: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    """Adds ``peers``, ``p25``, ``p50``, ``p75`` and ``percentile`` to one row per unit.

    ``frame`` has ``unit``, ``value``, ``comparable`` (the value may be a peer's and be
    ranked) and the columns ``by`` that make a group of peers (the year, and the peer group
    when there are several). Each row's peers are the comparable rows of its group other
    than itself; quantiles of them are found in the sorted values of the whole group with the
    row's own value left out (an index past it moves one on), so every unit of a group of
    thousands costs a look-up, not a sort of its own.
    """
    by = list(by)
    comp = frame.filter(pl.col("comparable") & pl.col("value").is_not_null())
    comp = comp.filter(pl.all_horizontal([pl.col(c).is_not_null() for c in by]))
    comp = comp.sort([*by, "value"]).with_row_index("pos")
    values = comp["value"].cast(pl.Float64)
    groups = comp.group_by(by).agg(
        pl.col("pos").min().cast(pl.Int64).alias("offset"), pl.len().cast(pl.Int64).alias("n")
    )
    low, high = pl.col("value").rank("min").over(by), pl.col("value").rank("max").over(by)
    ranks = comp.select(
        *by,
        "unit",
        (low - 1).cast(pl.Int64).alias("k"),  # peers strictly below
        (high - low).cast(pl.Int64).alias("ties"),  # peers equal to it
    )
    out = frame.join(groups, on=by, how="left").join(ranks, on=[*by, "unit"], how="left")
    member = pl.col("k").is_not_null()
    n = pl.col("n").fill_null(0)
    out = out.with_columns(
        peers=(n - member.cast(pl.Int64)),
        _k=pl.when(member).then(pl.col("k")).otherwise(n),
        _offset=pl.col("offset").fill_null(0),
    )
    ok = pl.col("peers") >= MIN_PEERS
    for q, name in ((0.25, "p25"), (0.5, "p50"), (0.75, "p75")):
        pos = q * (pl.col("peers") - 1)
        lo = pos.floor().cast(pl.Int64)
        hi = pl.min_horizontal(lo + 1, pl.col("peers") - 1)
        # an index at or past the row's own value moves one on: its own value is left out
        at = [
            pl.when(ok)
            .then(pl.col("_offset") + i + (i >= pl.col("_k")).cast(pl.Int64))
            .otherwise(0)
            for i in (lo, hi)
        ]
        idx = out.select(at[0].alias("a"), at[1].alias("b"), (pos - lo).alias("f"), ok.alias("ok"))
        if values.len() == 0:
            out = out.with_columns(pl.lit(None, pl.Float64).alias(name))
            continue
        a = values.gather(idx["a"].cast(pl.UInt32))
        b = values.gather(idx["b"].cast(pl.UInt32))
        result = (a + idx["f"] * (b - a)).alias(name)
        out = out.with_columns(pl.when(idx["ok"]).then(result).otherwise(None).alias(name))
    out = out.with_columns(
        percentile=pl.when(ok & member)
        .then((pl.col("k") + 0.5 * pl.col("ties")) / pl.col("peers") * 100)
        .otherwise(None)
    )
    return out.drop("offset", "n", "k", "ties", "_k", "_offset")


def _comparable(frame: pl.DataFrame, m: Measure) -> pl.DataFrame:
    """``measures.with_measure`` plus ``comparable``: a value that may be ranked (a rate on
    a denominator of at least ``MIN_DENOMINATOR``; any count that is printed)."""
    return measures.with_measure(frame, m).with_columns(
        comparable=pl.col("value").is_not_null() & ~pl.col("small")
    )


# ---------------------------------------------------------------------------------------------
# One unit against its peers
# ---------------------------------------------------------------------------------------------


def _universe(sel: Selection, keep_kind: bool) -> Selection:
    """The reports peers are drawn from: the selection's years, demo switch and "same
    organs" switch, anywhere (peers are by definition elsewhere); the organ kind only when a
    region's organs are compared (an organ's own kind is in its peer group)."""
    return replace(
        sel,
        province=None,
        city=None,
        county=None,
        organ_id=None,
        kind=sel.kind if keep_kind else None,
    )


def group_rows(cur: Cursor, sel: Selection, key: str) -> pl.DataFrame:
    """Every unit of the selected unit's peer group (the unit among them), per year: the
    measure's inputs summed over its reports, ``value``, ``small`` and ``comparable``.

    ``unit`` is the organ id or the region key; ``label`` its name; ``report_id`` the
    report when the unit-year rests on one.
    """
    m = measure_of(key)
    t = target(cur, sel)
    if t is None or t.group is None:
        return pl.DataFrame()
    params: list[object] = []
    region = t.level != "organ"
    clauses = _universe(sel, keep_kind=region).filters().report_clauses("r", params)
    if region:
        unit_sql = _region_key_sql(t.level)
        label_sql = f"r.{t.level}"
        clauses += ["r.region_code IS NOT NULL", f"r.{t.level} IS NOT NULL"]
    else:
        unit_sql, label_sql = "r.organ_id", "o.name"
        clauses.append(f"{peer_group_sql('r')} = ?")
        params.append(t.group)
    sums = ",\n".join(f"sum(m.{quoted(c)}) AS {quoted(c)}" for c in _inputs(m))
    frame = cur.sql(
        f"""
        WITH u AS (
            SELECT r.report_id, r.year, r.has_errors, r.is_demo, {unit_sql} AS unit,
                   {label_sql} AS label
            FROM current_reports r JOIN organs o USING (organ_id)
            WHERE {" AND ".join(clauses) or "TRUE"}
        ),
        m AS (
            SELECT u.*, {_per_report(_inputs(m))}
            FROM u LEFT JOIN report_figures f USING (report_id)
        )
        SELECT m.unit, any_value(m.label) AS label, m.year, count(*) AS reports,
               count(*) FILTER (WHERE m.has_errors) AS error_reports,
               count(*) FILTER (WHERE m.is_demo) AS demo_reports,
               CASE WHEN count(*) = 1 THEN any_value(m.report_id) END AS report_id,
               {sums}
        FROM m GROUP BY m.unit, m.year
        ORDER BY m.year, m.unit
        """,
        params=params,
    ).pl()
    return _comparable(frame, m)


def peer_detail(cur: Cursor, sel: Selection, key: str) -> pl.DataFrame:
    """The selected unit per year against its peers: ``peer_summary``'s columns, then
    ``numerator``, ``denominator``, ``small``, ``reports``, ``error_reports``, ``report_id``
    and ``group`` (the peer group in words), for the page. A year in which the group has
    reports but the unit has none has a row with no value: the peers' band still stands."""
    t = target(cur, sel)
    rows = group_rows(cur, sel, key)
    if t is None or rows.is_empty():
        return pl.DataFrame(schema=_SUMMARY_SCHEMA)
    # a year in which the group reports and the unit does not: a row with no value, so the
    # peers' band (over every comparable unit of that year) still stands
    absent = (
        rows.select(pl.col("year").unique())
        .join(rows.filter(pl.col("unit") == t.key).select("year"), on="year", how="anti")
        .with_columns(unit=pl.lit(t.key), value=pl.lit(None, pl.Float64), comparable=pl.lit(False))
    )
    rows = pl.concat([rows, absent], how="diagonal_relaxed")
    own = with_distribution(rows, ["year"]).filter(pl.col("unit") == t.key)
    return (
        own.with_columns(
            unit=pl.lit(t.name),
            year=pl.col("year").cast(pl.Int64),
            value=pl.col("value").cast(pl.Float64),
            peers=pl.col("peers").cast(pl.Int64),
            group=pl.lit(group_label(t.group)),
        )
        .select(
            *SUMMARY_COLUMNS,
            "numerator",
            "denominator",
            "small",
            "reports",
            "error_reports",
            "report_id",
            "group",
        )
        .sort("year")
    )


def peer_summary(cur: Cursor, sel: Selection, measure: str) -> pl.DataFrame:
    """The selected unit (the sidebar's organ, else its deepest region) per year against its
    peers, for other modules (the briefing): ``unit`` (display name), ``year``, ``value``,
    ``peers`` (how many peers have a comparable value), ``p25``/``p50``/``p75`` of theirs and
    the unit's ``percentile`` (0–100), the last four null under the small-N guard (fewer than
    ``MIN_PEERS`` peers) and the percentile also when the unit's own rate rests on too small
    a denominator. Empty when the selection picks no unit, or an organ with no place."""
    return peer_detail(cur, sel, measure).select(SUMMARY_COLUMNS)


# ---------------------------------------------------------------------------------------------
# Every organ of a selection against its peers (the watch list)
# ---------------------------------------------------------------------------------------------


def organ_peer_stats(cur: Cursor, sel: Selection, keys: tuple[str, ...]) -> pl.DataFrame:
    """For every organ-year of the selection and each measure of ``keys``: ``value``,
    ``comparable``, ``peers``, ``p25``/``p50``/``p75``, ``percentile`` and ``group``, the
    peers drawn from the whole warehouse (the selection's years and demo switch), as on
    the peer page for that organ.

    One query over the peer groups the selection's organs belong to, grouped by organ and
    year in DuckDB; the quantiles then cost a sort per group and year, not one per organ.
    """
    ms = [measure_of(k) for k in keys]
    inputs = list(dict.fromkeys(c for m in ms for c in _inputs(m)))
    # bound parameters in the order their clauses appear in the statement
    chosen_params: list[object] = []
    chosen = " AND ".join(sel.filters().report_clauses("r", chosen_params)) or "TRUE"
    # the selection's clauses once more, to mark its own organs among their peers
    mark_params: list[object] = []
    mark = " AND ".join(sel.filters().report_clauses("r", mark_params)) or "TRUE"
    universe_params: list[object] = []
    universe = (
        " AND ".join(_universe(sel, keep_kind=False).filters().report_clauses("r", universe_params))
        or "TRUE"
    )
    params = chosen_params + mark_params + universe_params
    sums = ",\n".join(f"sum(m.{quoted(c)}) AS {quoted(c)}" for c in inputs)
    frame = cur.sql(
        f"""
        WITH groups AS (
            SELECT DISTINCT {peer_group_sql("r")} AS grp FROM current_reports r
            WHERE {chosen}
        ),
        u AS (
            SELECT r.report_id, r.organ_id AS unit, r.year, {peer_group_sql("r")} AS grp,
                   ({mark}) AS selected
            FROM current_reports r
            WHERE {universe}
        ),
        m AS (
            SELECT u.*, {_per_report(inputs)}
            FROM u JOIN groups USING (grp) LEFT JOIN report_figures f USING (report_id)
        )
        SELECT m.unit, m.grp, m.year, bool_or(m.selected) AS selected,
               CASE WHEN count(*) = 1 THEN any_value(m.report_id) END AS report_id,
               {sums}
        FROM m GROUP BY m.unit, m.grp, m.year
        """,
        params=params,
    ).pl()
    out = []
    for m in ms:
        rows = _comparable(frame, m)
        dist = with_distribution(rows, ["grp", "year"]).filter(pl.col("selected"))
        out.append(
            dist.select(
                pl.col("unit").alias("organ_id"),
                "year",
                "report_id",
                pl.lit(m.key).alias("measure"),
                "value",
                "numerator",
                "denominator",
                "comparable",
                "peers",
                "p25",
                "p50",
                "p75",
                "percentile",
                pl.col("grp").alias("group"),
            )
        )
    if not out:
        return pl.DataFrame()
    return pl.concat(out, how="vertical_relaxed")
