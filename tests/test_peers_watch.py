"""同级对标 and 关注清单 on a warehouse of hand-chosen reports (``dashboard_corpus.peer_corpus``).

The reports go through the real ingest. Every number the pages show is checked against a
computation written here from the facts (SQL and polars, independently of
``dashboard.peers``, ``dashboard.queries`` and ``report_figures``); the corpus is small enough
that each can be checked by hand, and its docstring says what each organ was made to show.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import fmt, peers
from dashboard.selection import Selection
from dashboard.watchlist import COLUMNS, REASONS, Thresholds, watch_list
from pipelines.warehouse import open_readonly
from tests.dashboard_corpus import build_peer_warehouse

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
GAP_OPEN, GAP_CORRECT = 0.20, 0.15  # Thresholds' defaults, in shares
MIN_DEN = 30


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_peer_warehouse(tmp_path_factory.mktemp("peers"))


def open_page(at: AppTest, page: str) -> AppTest:
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def organ_id(con: duckdb.DuckDBPyConnection, name: str) -> str:
    return con.execute("SELECT organ_id FROM organs WHERE name = ?", [name]).fetchall()[0][0]


# ---------------------------------------------------------------------------------------------
# The expected numbers, from the facts
# ---------------------------------------------------------------------------------------------


def organ_years(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per current report, straight from its printed cells: the inputs of every measure."""
    return con.sql(
        """
        SELECT r.organ_id, o.name, r.region_code, r.organ_kind, r.year, r.report_id,
          sum(value) FILTER (WHERE metric = 'requests.new_received' AND applicant = 'total')
            AS received,
          sum(value) FILTER (WHERE metric IN ('outcome.granted', 'outcome.partial')
                             AND applicant = 'total') AS opened,
          sum(value) FILTER (WHERE metric LIKE 'outcome.%' AND metric <> 'outcome.total'
                             AND applicant = 'total') AS decided,
          sum(value) FILTER (WHERE metric = 'review.corrected') AS review_corrected,
          sum(value) FILTER (WHERE metric IN ('review.upheld', 'review.corrected',
                                              'review.other')) AS review_concluded,
          sum(value) FILTER (WHERE metric LIKE 'litigation.%.corrected') AS lit_corrected,
          sum(value) FILTER (WHERE metric IN (
              'litigation.direct.upheld', 'litigation.direct.corrected',
              'litigation.direct.other', 'litigation.after_review.upheld',
              'litigation.after_review.corrected', 'litigation.after_review.other'))
            AS lit_concluded
        FROM current_reports r JOIN organs o USING (organ_id)
        JOIN current_facts f USING (report_id)
        GROUP BY ALL
        """
    ).pl()


def group_of(organ: str, code: str | None, kind: str) -> str | None:
    """The peer group, written again here: the level of the division code, and the organ's
    name without its places (the part of its id after the code), every government one kind."""
    if not code or organ.startswith("name:"):
        return None
    level = "province" if code.endswith("0000") else "city" if code.endswith("00") else "county"
    return f"{level}/{'government' if kind == 'government' else organ.split(':', 1)[1]}"


def with_rates(frame: pl.DataFrame) -> pl.DataFrame:
    def rate(num: str, den: str, name: str) -> list[pl.Expr]:
        return [
            pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den)).alias(name),
            (pl.col(den).fill_null(0) >= MIN_DEN).alias(f"{name}_ok"),
        ]

    return frame.with_columns(
        *rate("opened", "decided", "open_rate"),
        *rate("review_corrected", "review_concluded", "review_rate"),
        *rate("lit_corrected", "lit_concluded", "lit_rate"),
        received_ok=pl.col("received").is_not_null(),
        group=pl.struct("organ_id", "region_code", "organ_kind").map_elements(
            lambda s: group_of(s["organ_id"], s["region_code"], s["organ_kind"]),
            return_dtype=pl.String,
        ),
    )


def expected_band(
    frame: pl.DataFrame, unit: str, year: int, value: str, unit_col: str = "organ_id"
) -> dict:
    """The unit's peers in ``frame`` (rows of its group) that year: the others with a
    comparable value (``<value>_ok``); their quartiles and the unit's percentile rank."""
    year_rows = frame.filter((pl.col("year") == year) & pl.col(f"{value}_ok"))
    others = year_rows.filter(pl.col(unit_col) != unit)[value].drop_nulls()
    own = year_rows.filter(pl.col(unit_col) == unit)[value].drop_nulls()
    n = others.len()
    out = {"peers": n, "p25": None, "p50": None, "p75": None, "percentile": None}
    if n < peers.MIN_PEERS:
        return out
    for q, key in ((0.25, "p25"), (0.5, "p50"), (0.75, "p75")):
        out[key] = others.quantile(q, interpolation="linear")
    if own.len():
        x = own[0]
        below, equal = (others < x).sum(), (others == x).sum()
        out["percentile"] = (below + 0.5 * equal) / n * 100
    return out


def traces(at: AppTest) -> dict[str, dict]:
    """The band chart's traces by name."""
    for chart in at.get("plotly_chart"):
        data = json.loads(chart.proto.spec)["data"]
        if any(t.get("name") == "同级 P25–P75" for t in data):
            return {t["name"]: t for t in data}
    raise AssertionError("no band chart on the page")


def year_metrics(at: AppTest) -> dict[int, str]:
    return {int(m.label[:4]): m.value for m in at.metric if m.label.endswith("年")}


# ---------------------------------------------------------------------------------------------
# Who is whose peer
# ---------------------------------------------------------------------------------------------


def test_peer_groups_are_level_and_kind(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute(
        f"SELECT DISTINCT o.name, {peers.peer_group_sql('r')} FROM current_reports r "
        "JOIN organs o USING (organ_id)"
    ).fetchall()
    group = dict(rows)
    # a city's bureau meets other cities' bureaux, not its districts'
    assert group["淮安市教育局"] == group["宿迁市教育局"] == "city:教育局"
    assert group["洪泽区教育局"] == group["金湖县教育局"] == "county:教育局"
    # governments with governments of their level
    assert group["洪泽区人民政府"] == group["金湖县人民政府"] == "county:人民政府"
    assert group["淮安市人民政府"] == "city:人民政府"
    # a general office printed as 政府办 or as 人民政府办公室 is one kind, not a government
    assert group["涟水县政府办"] == group["盱眙县人民政府办公室"] == "county:人民政府办公室"
    # two organs are peers exactly when the rule written independently above says so
    written = {
        name: group_of(organ, code, kind)
        for name, organ, code, kind in con.execute(
            "SELECT name, organ_id, region_code, kind FROM organs"
        ).fetchall()
    }
    assert set(written) == set(group)
    for a in written:
        for b in written:
            assert (group[a] == group[b]) == (written[a] == written[b]), (a, b)
    # an organ whose place is not settled has no level, so no peers
    unplaced = con.execute(
        f"SELECT {peers.peer_group_sql('r')} FROM (VALUES ('name:向阳区政府办', NULL, "
        "'department'), ('230804:', '230804', 'department')) r(organ_id, region_code, organ_kind)"
    ).fetchall()
    assert unplaced == [(None,), (None,)]


# ---------------------------------------------------------------------------------------------
# 同级对标
# ---------------------------------------------------------------------------------------------


def test_band_and_rank_of_a_count_match_the_facts(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    """淮安区教育局's 新收申请 against the six other county 教育局, every year."""
    app.query_params["organ"] = "淮安区教育局"
    at = open_page(app, "views/peers.py")
    unit = organ_id(con, "淮安区教育局")
    frame = with_rates(organ_years(con))
    group = frame.filter(pl.col("group") == "county/教育局")
    assert group["organ_id"].n_unique() == 7
    shown = traces(at)
    years = [int(y) for y in shown["同级中位数（P50）"]["x"]]
    assert years == sorted(group["year"].unique().to_list())
    metrics = year_metrics(at)
    for i, year in enumerate(years):
        want = expected_band(group, unit, year, "received")
        assert want["peers"] == 6 - (year == 2023)  # 盱眙县 has no 2023 report
        assert shown["P25"]["y"][i] == pytest.approx(want["p25"])
        assert shown["同级中位数（P50）"]["y"][i] == pytest.approx(want["p50"])
        assert shown["同级 P25–P75"]["y"][i] == pytest.approx(want["p75"])
        own = group.filter((pl.col("organ_id") == unit) & (pl.col("year") == year))["received"]
        assert shown["淮安区教育局"]["y"][i] == own[0]
        assert metrics[year] == fmt.whole(want["percentile"])
    # the numbers behind the chart, and the function the briefing imports, say the same
    table = at.main.dataframe[0].value
    summary = peers.peer_summary(con, Selection(organ_id=unit), "received")
    assert summary.columns == list(peers.SUMMARY_COLUMNS)
    assert summary["unit"].unique().to_list() == ["淮安区教育局"]
    for row in summary.iter_rows(named=True):
        want = expected_band(group, unit, row["year"], "received")
        assert row["peers"] == want["peers"]
        assert row["percentile"] == pytest.approx(want["percentile"])
        assert row["p50"] == pytest.approx(want["p50"])
        assert table.loc[table["年度"] == row["year"], "百分位"].item() == pytest.approx(
            row["percentile"]
        )
    # from 10 requests (below every peer) to 80 and more (above all but 洪泽区's 210)
    assert summary["percentile"].to_list()[:2] == pytest.approx([0.0, 5 / 6 * 100])


def test_a_rate_ranks_only_on_enough_cases_and_enough_peers(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    """涟水县教育局's 公开率: a peer's rate on fewer than 30 decided requests is no peer's
    value (淮安区's 10 requests in 2021, 洪泽区's 20 in 2023), and 2023, with four peers
    left, has no band and no rank."""
    app.query_params.update({"organ": "涟水县教育局", "p_metric": "公开率"})
    at = open_page(app, "views/peers.py")
    unit = organ_id(con, "涟水县教育局")
    group = with_rates(organ_years(con)).filter(pl.col("group") == "county/教育局")
    shown = traces(at)
    metrics = year_metrics(at)
    guarded = []
    for i, year in enumerate(int(y) for y in shown["同级中位数（P50）"]["x"]):
        want = expected_band(group, unit, year, "open_rate")
        for name, key in (("P25", "p25"), ("同级中位数（P50）", "p50"), ("同级 P25–P75", "p75")):
            got = shown[name]["y"][i]
            assert got is None if want[key] is None else got == pytest.approx(want[key])
        assert metrics[year] == (
            fmt.DASH if want["percentile"] is None else fmt.whole(want["percentile"])
        )
        if want["peers"] < peers.MIN_PEERS:
            guarded.append(year)
    assert guarded == [2023]
    caption = " ".join(c.value for c in at.main.caption)
    assert f"2023年同级单位不足 {peers.MIN_PEERS} 个（4 个）" in caption


def test_the_small_n_guard_hides_the_band_and_the_ranks(
    app: AppTest, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """涟水县财政局 has two county 财政局 as peers (one after 2022): no band, no rank, and
    the page says why."""
    app.query_params["organ"] = "涟水县财政局"
    at = open_page(app, "views/peers.py")
    unit = organ_id(con, "涟水县财政局")
    group = with_rates(organ_years(con)).filter(pl.col("group") == "county/财政局")
    shown = traces(at)
    for name in ("P25", "同级中位数（P50）", "同级 P25–P75"):
        assert all(v is None for v in shown[name]["y"]), name
    own = group.filter(pl.col("organ_id") == unit).sort("year")["received"].to_list()
    assert shown["涟水县财政局"]["y"] == own  # its own line stays
    assert set(year_metrics(at).values()) == {fmt.DASH}
    assert any(f"每年都不足 {peers.MIN_PEERS} 个" in i.value for i in at.main.info)
    summary = peers.peer_summary(con, Selection(organ_id=unit), "received")
    for row in summary.iter_rows(named=True):
        others = group.filter((pl.col("year") == row["year"]) & (pl.col("organ_id") != unit))
        assert row["peers"] == others.height < peers.MIN_PEERS
        assert [row[k] for k in ("p25", "p50", "p75", "percentile")] == [None] * 4
    # the guard is what hides them: with a lower minimum the same peers make a band
    monkeypatch.setattr(peers, "MIN_PEERS", 2)
    lowered = peers.peer_summary(con, Selection(organ_id=unit), "received")
    assert lowered.filter(pl.col("peers") >= 2)["p50"].is_not_null().all()
    assert lowered.filter(pl.col("peers") >= 2).height == 2


def test_a_region_is_compared_with_the_regions_of_its_level(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """洪泽区 (all its organs' reports) against 淮安市's six other counties' totals."""
    totals = con.sql(
        """
        SELECT county, year, sum(value) AS received FROM current_facts
        WHERE metric = 'requests.new_received' AND applicant = 'total' AND county IS NOT NULL
        GROUP BY ALL
        """
    ).pl()
    totals = totals.with_columns(received_ok=pl.lit(True))
    sel = Selection(province="江苏省", city="淮安市", county="洪泽区")
    summary = peers.peer_summary(con, sel, "received")
    assert summary["unit"].unique().to_list() == ["洪泽区"]
    assert summary.height == 4
    for row in summary.iter_rows(named=True):
        want = expected_band(totals, "洪泽区", row["year"], "received", unit_col="county")
        own = totals.filter((pl.col("county") == "洪泽区") & (pl.col("year") == row["year"]))
        assert row["value"] == own["received"][0]
        assert row["peers"] == want["peers"] == 6
        assert [row["p25"], row["p50"], row["p75"]] == pytest.approx(
            [want["p25"], want["p50"], want["p75"]]
        )
        assert row["percentile"] == pytest.approx(want["percentile"])


def test_a_city_bureau_is_compared_with_other_cities_bureaux(
    con: duckdb.DuckDBPyConnection,
) -> None:
    unit = organ_id(con, "淮安市教育局")
    group = with_rates(organ_years(con)).filter(pl.col("group") == "city/教育局")
    summary = peers.peer_summary(con, Selection(organ_id=unit), "open_rate")
    assert summary.height == 4
    for row in summary.iter_rows(named=True):
        want = expected_band(group, unit, row["year"], "open_rate")
        assert row["peers"] == want["peers"] == peers.MIN_PEERS  # five other cities
        assert row["p50"] == pytest.approx(want["p50"])
        assert row["percentile"] == pytest.approx(want["percentile"])


def test_a_part_two_figure_can_be_benchmarked(con: duckdb.DuckDBPyConnection) -> None:
    """主动公开 figures are offered too, read as printed (every report prints 规章 1, 1, 10)."""
    key = "active.rules.total_published"
    assert key in peers.peer_measures()
    summary = peers.peer_summary(con, Selection(organ_id=organ_id(con, "洪泽区教育局")), key)
    printed = con.execute(
        "SELECT DISTINCT value FROM current_facts WHERE metric = ?", [key]
    ).fetchall()
    assert printed == [(10.0,)]
    assert summary["value"].to_list() == [10.0] * 4
    assert summary["percentile"].to_list() == [50.0] * 4  # equal to every peer: ties count half


def test_no_unit_chosen_asks_for_one(app: AppTest) -> None:
    at = open_page(app, "views/peers.py")
    assert any("请在侧栏选择一个机关" in i.value for i in at.main.info)
    assert not at.get("plotly_chart")


# ---------------------------------------------------------------------------------------------
# 关注清单
# ---------------------------------------------------------------------------------------------


def expected_watch(con: duckdb.DuckDBPyConnection, t: Thresholds) -> set[tuple[str, int, str]]:
    """(organ, year, reason) for every reason, from the facts, the findings and the reports."""
    out: set[tuple[str, int, str]] = set()
    for name, year, scope in con.execute(
        """
        SELECT DISTINCT o.name, r.year, f.scope FROM findings f
        JOIN current_reports r USING (report_id) JOIN organs o USING (organ_id)
        WHERE f.scope = 'cross_year' OR f.severity = 'error'
        """
    ).fetchall():
        out.add((name, year, REASONS["cross_year" if scope == "cross_year" else "audit_error"]))
    frame = with_rates(organ_years(con))
    years = set(frame["year"].to_list())
    for name, had in frame.group_by("name").agg(pl.col("year")).iter_rows():
        for year in years:
            if year > min(had) and year not in had:
                out.add((name, year, REASONS["missing"]))
    received = {(r["name"], r["year"]): r["received"] for r in frame.iter_rows(named=True)}
    for (name, year), now in received.items():
        before = received.get((name, year - 1))
        if before is None or max(now, before) < t.jump_base:
            continue
        if before == 0 or now > t.jump_up * before:
            out.add((name, year, REASONS["jump_up"]))
        elif now < t.jump_down * before:
            out.add((name, year, REASONS["jump_down"]))
    for value, reason, sign, gap in (
        ("open_rate", "low_open_rate", -1, t.open_rate_gap / 100),
        ("review_rate", "high_review_correction", 1, t.correct_rate_gap / 100),
        ("lit_rate", "high_litigation_correction", 1, t.correct_rate_gap / 100),
    ):
        for r in frame.filter(pl.col(f"{value}_ok")).iter_rows(named=True):
            group = frame.filter(pl.col("group") == r["group"])
            want = expected_band(group, r["organ_id"], r["year"], value)
            if want["p50"] is not None and (r[value] - want["p50"]) * sign >= gap - 1e-9:
                out.add((r["name"], r["year"], REASONS[reason]))
    return out


def shown_rows(at: AppTest) -> set[tuple[str, int, str]]:
    table = at.main.dataframe[0].value
    return {
        (o, int(y), r)
        for o, y, r in zip(table["organ"], table["year"], table["reason"], strict=True)
    }


def test_every_reason_on_the_watch_list_matches_the_facts(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    at = open_page(app, "views/watch.py")
    expected = expected_watch(con, Thresholds())
    assert shown_rows(at) == expected
    # what the corpus was made to show, each reason at least once
    assert {r for _, _, r in expected} == set(REASONS.values())
    assert ("淮安区教育局", 2022, "同比激增") in expected  # 10 → 80
    assert ("洪泽区教育局", 2023, "同比骤降") in expected  # 210 → 20
    assert ("盱眙县教育局", 2023, "缺少年度报告") in expected  # before and after
    assert ("金湖县财政局", 2024, "缺少年度报告") in expected  # stopped after 2022
    assert ("金湖县教育局", 2024, "审核错误") in expected  # zero 总计
    assert ("清江浦区教育局", 2023, "跨年数据不衔接") in expected  # 4 carried, 0 taken over
    assert ("洪泽区教育局", 2024, "复议纠错率高于同级") in expected  # 20 of 50
    assert ("淮阴区教育局", 2024, "诉讼纠错率高于同级") in expected  # 15 of 35
    assert ("涟水县教育局", 2022, "公开率远低于同级") in expected
    # ... and what it was made not to show
    assert not {e for e in expected if e[0] == "涟水县财政局"}  # ×6, but from 2 to 12
    assert not {e for e in expected if e[0] == "盱眙县财政局"}  # 10%, but two peers only
    assert ("涟水县教育局", 2023, "公开率远低于同级") not in expected  # four peers that year
    # the counts above the table
    counts = {m.label: m.value for m in at.metric}
    for code, label in REASONS.items():
        assert counts[label] == fmt.num(sum(1 for e in expected if e[2] == label)), code


def test_each_row_links_to_its_report(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    at = open_page(app, "views/watch.py")
    table = at.main.dataframe[0].value
    reports = {
        (name, year): report_id
        for name, year, report_id in con.execute(
            "SELECT o.name, r.year, r.report_id "
            "FROM current_reports r JOIN organs o USING (organ_id)"
        ).fetchall()
    }
    for organ, year, reason, link in zip(
        table["organ"], table["year"], table["reason"], table["link"], strict=True
    ):
        if reason == REASONS["missing"]:
            assert (organ, int(year)) not in reports and link == ""  # nothing to open
        else:
            assert link == f"report?report={reports[(organ, int(year))]}"
    # the report page is "report" and reads ?report=
    from dashboard.pages import PAGES

    assert ("views/report.py", "报告详情", ":material/description:", "report") in PAGES["数据"]


def test_thresholds_are_adjustable_on_the_page(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    at = open_page(app, "views/watch.py")
    at.number_input(key="w_up").set_value(10.0).run()  # ×8 is no longer a jump
    at.number_input(key="w_open").set_value(70.0).run()  # 涟水县 is 64–67 points below
    assert not at.exception
    t = Thresholds(jump_up=10.0, open_rate_gap=70.0)
    expected = expected_watch(con, t)
    assert shown_rows(at) == expected
    assert ("淮安区教育局", 2022, "同比激增") not in expected
    assert not {e for e in expected if e[2] == "公开率远低于同级"}
    assert ("洪泽区教育局", 2023, "同比骤降") in expected  # the others stay
    got = watch_list(con, Selection(), t)
    assert {(o, y, r) for o, y, r in got.select("organ", "year", "reason").rows()} == expected


def test_the_watch_list_follows_the_selection(con: duckdb.DuckDBPyConnection) -> None:
    """One organ: its own reasons, its gap found against the years its scope reports in."""
    got = watch_list(con, Selection(organ_id=organ_id(con, "盱眙县教育局")))
    assert got.columns == list(COLUMNS)
    assert got.select("organ", "year", "reason_code").rows() == [("盱眙县教育局", 2023, "missing")]
    assert got["report_id"].to_list() == [None]
    empty = watch_list(con, Selection(province="北京市"))
    assert empty.is_empty() and empty.columns == list(COLUMNS)


# ---------------------------------------------------------------------------------------------
# At any size: the per-report tables only
# ---------------------------------------------------------------------------------------------


def test_no_query_reads_the_facts(db: Path, tmp_path: Path, con: duckdb.DuckDBPyConnection) -> None:
    """With the facts gone, both pages' functions answer exactly as before: they read the
    per-report tables, whose size is the number of reports, not of cells."""
    copy = tmp_path / "no_facts.duckdb"
    shutil.copy(db, copy)
    bare = duckdb.connect(str(copy))
    try:
        bare.execute("DROP VIEW current_facts")
        bare.execute("DROP TABLE facts")
        for name in ("淮安区教育局", "涟水县财政局"):
            sel = Selection(organ_id=organ_id(con, name))
            for key in ("received", "open_rate"):
                assert peers.peer_summary(bare, sel, key).equals(peers.peer_summary(con, sel, key))
        region = Selection(province="江苏省", city="淮安市")
        assert peers.peer_summary(bare, region, "received").equals(
            peers.peer_summary(con, region, "received")
        )
        assert watch_list(bare, Selection()).equals(watch_list(con, Selection()))
    finally:
        bare.close()


def test_a_year_still_being_collected_puts_no_one_on_the_list(tmp_path: Path) -> None:
    """The dashboard's test warehouse has 2025 from two demo organs only: with the coverage
    rule, nobody is "missing" 2025; without it, every organ that reported 2024 would be."""
    from tests.dashboard_corpus import build_test_warehouse

    con = open_readonly(build_test_warehouse(tmp_path))
    try:
        counts = dict(
            con.execute(
                "SELECT year, count(DISTINCT organ_id) FROM current_reports "
                "WHERE year IN (2024, 2025) GROUP BY 1"
            ).fetchall()
        )
        assert counts[2025] < 0.5 * counts[2024]  # the premise: 2025 is barely begun
        sel = Selection(include_demo=True)
        missing = watch_list(con, sel).filter(pl.col("reason_code") == "missing")
        assert 2025 not in missing["year"].to_list()
        naive = watch_list(con, sel, Thresholds(missing_coverage=0.0))
        late = naive.filter((pl.col("reason_code") == "missing") & (pl.col("year") == 2025))
        assert late.height >= counts[2024] - counts[2025]
    finally:
        con.close()
