"""The dashboard under Streamlit's AppTest, on a warehouse built from real report files.

Every page opens with default filters and with filters given in the URL, without an
exception; the numbers a page shows are checked against SQL written here, independently of
``dashboard.queries``; the download builder's Parquet reads back to exactly the filtered
facts.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import charts, colors, download, fmt, measures, queries
from dashboard.labels import reasons as reason_labels
from dashboard.pages import PAGE_FILES
from dashboard.selection import UNKNOWN_REGION, Selection
from pipelines import export
from pipelines.warehouse import open_readonly
from tests.dashboard_corpus import build_test_warehouse

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PAGES = PAGE_FILES
# 佳木斯市 in 黑龙江省, departments only (the districts' 政府办 among them: a general office
# is a department of its government), 2020–2023, without demo data.
URL_FILTERS = {
    "prov": "黑龙江省",
    "city": "佳木斯市",
    "years": ["2020", "2023"],
    "kind": "政府部门",
    "demo": "false",
}
URL_SELECTION = Selection(
    province="黑龙江省",
    city="佳木斯市",
    year_from=2020,
    year_to=2023,
    kind="department",
    include_demo=False,
)


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_warehouse(tmp_path_factory.mktemp("dashboard"))


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> object:
    return con.execute(sql, params or []).fetchall()[0][0]


def open_page(at: AppTest, page: str) -> AppTest:
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> tuple[str, str]:
    for m in at.metric:
        if m.label.endswith(label) or m.label.endswith(f"{label}]"):
            return m.value, m.delta
    raise AssertionError(f"no metric {label!r} in {[m.label for m in at.metric]}")


def main_captions(at: AppTest) -> list[str]:
    return [c.value for c in at.main.caption]


# ---------------------------------------------------------------------------------------------
# Every page opens
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_with_default_filters(app: AppTest, page: str) -> None:
    at = open_page(app, page)
    assert at.title and at.title[0].value
    assert not at.error


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_with_filters_in_the_url(app: AppTest, page: str) -> None:
    app.query_params.update(URL_FILTERS)
    at = open_page(app, page)
    # (known_years: the years the sidebar offered, those with real reports)
    assert replace(at.session_state["_xxgk_context"].sel, known_years=()) == URL_SELECTION
    if page != "views/report.py":
        assert main_captions(at)[0].startswith("黑龙江省 · 佳木斯市 · 2020–2023年 · 政府部门")
    assert not at.main.warning or "示例数据" not in at.main.warning[0].value  # demo is off


def test_url_values_are_kept_in_the_url(app: AppTest) -> None:
    app.query_params.update(URL_FILTERS)
    at = open_page(app, "views/compare.py")
    assert at.query_params["prov"] == "黑龙江省"
    assert at.query_params["years"] == ["2020", "2023"]


# ---------------------------------------------------------------------------------------------
# Numbers shown = numbers in the warehouse
# ---------------------------------------------------------------------------------------------


def _year_totals(
    con: duckdb.DuckDBPyConnection, year: int, where: str = "TRUE", like_for_like: bool = False
) -> dict:
    """Independent SQL: part 三 totals of one year, straight from facts; ``like_for_like``:
    only organs (within ``where``) that have a report in that year and the year before."""
    both = (
        f"""AND organ_id IN (
            SELECT organ_id FROM current_reports WHERE {where} AND year IN (?, ?)
            GROUP BY organ_id HAVING count(DISTINCT year) = 2)"""
        if like_for_like
        else ""
    )
    row = con.execute(
        f"""
        SELECT sum(value) FILTER (WHERE metric = 'requests.new_received'),
               sum(value) FILTER (WHERE metric IN ('outcome.granted', 'outcome.partial')),
               sum(value) FILTER (WHERE metric LIKE 'outcome.%' AND metric <> 'outcome.total'),
               count(DISTINCT report_id)
        FROM current_facts
        WHERE "table" = 'requests' AND applicant = 'total' AND year = ? AND {where} {both}
        """,
        [year, year - 1, year] if like_for_like else [year],
    ).fetchall()[0]
    return {"received": row[0], "open": row[1], "decided": row[2], "reports": row[3]}


def _like_for_like(con: duckdb.DuckDBPyConnection, year: int, where: str = "TRUE") -> tuple:
    """This year's and last year's totals over the organs that reported in both."""
    now = _year_totals(con, year, where, like_for_like=True)
    sql = f"""
        SELECT sum(value) FROM current_facts
        WHERE "table" = 'requests' AND applicant = 'total' AND metric = 'requests.new_received'
          AND year = ? AND {where} AND organ_id IN (
            SELECT organ_id FROM current_reports WHERE {where} AND year IN (?, ?)
            GROUP BY organ_id HAVING count(DISTINCT year) = 2)
    """
    before = con.execute(sql, [year - 1, year - 1, year]).fetchall()[0][0]
    return now, before


def test_overview_kpis_match_sql(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    """The KPIs are the latest year's; the arrow compares the organs that reported in both
    years; a change on a base under 30 is greyed and says so."""
    at = open_page(app, "views/overview.py")
    last = one(con, "SELECT max(year) FROM current_reports")
    now = _year_totals(con, last)
    same_now, same_before = _like_for_like(con, last)
    value, delta = metric(at, "本年新收申请")
    assert value == fmt.num(now["received"], "件")
    assert delta.startswith(fmt.change(same_now["received"], same_before))
    # 2025 has one (demo) report, whose organ received under 30 requests in 2024
    assert same_before < measures.MIN_DENOMINATOR and delta.endswith("·基数小")
    value, _ = metric(at, "公开率")
    assert value == fmt.pct(now["open"] / now["decided"])
    assert f"基于 {now['reports']} 份报告" in main_captions(at)[1]
    assert f"只比较两年都有报告的 {same_now['reports']} 个机关" in main_captions(at)[1]


def test_overview_with_url_filters_matches_sql(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    app.query_params.update(URL_FILTERS)
    at = open_page(app, "views/overview.py")
    where = (
        "province = '黑龙江省' AND city = '佳木斯市' AND organ_kind = 'department' AND NOT is_demo"
    )
    now = _year_totals(con, 2023, where)
    same_now, same_before = _like_for_like(con, 2023, where)
    # 前进区, 东风区, 郊区 (向阳区 stays unplaced: 佳木斯市 and 鹤岗市 both have one), each
    # with 政府办, 教育局 and 财政局, and 东风区自然资源局 from 2023
    assert now["reports"] == 3 * 3 + 1
    # the arrow leaves out 东风区自然资源局, which has no real report for 2022
    assert same_now["reports"] == 3 * 3
    value, delta = metric(at, "本年新收申请")
    assert value == fmt.num(now["received"], "件")
    assert delta == fmt.change(same_now["received"], same_before)


def chart_spec(at: AppTest, index: int) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def chart_with(at: AppTest, text: str) -> dict:
    """The first chart on the page whose figure holds ``text`` (a title, a name, a label)."""
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return next(s for s in specs if text in json.dumps(s, ensure_ascii=False))


def test_compare_ranking_bars_match_sql(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    app.query_params.update({"c_year": "2023年"})  # the URL carries the option's label
    at = open_page(app, "views/compare.py")
    bars = chart_spec(at, 0)["data"][0]
    shown = {label.split(". ", 1)[1]: x for label, x in zip(bars["y"], bars["x"], strict=True)}
    expected = dict(
        con.execute(
            """
            SELECT coalesce(province, ?), sum(value) FROM current_facts
            WHERE metric = 'requests.new_received' AND applicant = 'total' AND year = 2023
            GROUP BY ALL
            """,
            [UNKNOWN_REGION],
        ).fetchall()
    )
    assert shown == pytest.approx(expected)
    # the ranking runs from the largest down
    assert bars["x"] == sorted(bars["x"], reverse=True)


def test_small_rates_are_not_ranked(app: AppTest) -> None:
    app.query_params.update({"c_metric": "公开率", "c_grain": "按机关", "c_year": "2023年"})
    at = open_page(app, "views/compare.py")
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    ranked = spec["data"][0]["y"]
    frame = at.main.dataframe[0].value  # the 查看数据 frame: every unit, ranked or not
    small = frame[frame["样本少（不排名）"]]
    assert len(small) > 0
    assert not any(name in label for label in ranked for name in small["机关"])
    # A unit that is never ranked has no place (not one after the last ranked unit), and
    # the ranked units come first, numbered 1..n as the bars are.
    assert small["名次"].isna().all()
    places = frame[~frame["样本少（不排名）"]]["名次"].tolist()
    assert places == list(range(1, len(ranked) + 1))
    assert frame["名次"].notna().tolist() == [True] * len(places) + [False] * len(small)


def test_quality_counts_match_sql(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    at = open_page(app, "views/quality.py")
    reports = one(con, "SELECT count(*) FROM current_reports")
    errors = one(con, "SELECT count(*) FROM current_reports WHERE has_errors")
    assert metric(at, "报告数")[0] == fmt.num(reports)
    assert metric(at, "有审核错误的报告")[0] == fmt.num(errors)
    assert metric(at, "内部一致的报告")[0] == fmt.pct((reports - errors) / reports)
    assert metric(at, "导入失败的文件")[0] == fmt.num(
        one(con, "SELECT count(*) FROM ingest_errors")
    )
    findings = one(con, "SELECT count(*) FROM current_findings")
    assert any(c.startswith(f"共 {fmt.num(findings)} 条") for c in main_captions(at))


def test_trends_applicant_frame_matches_sql(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    at = open_page(app, "views/trends.py")
    frame = at.main.dataframe[0].value
    expected = dict(
        con.execute(
            """
            SELECT year, sum(value) FROM current_facts
            WHERE metric = 'requests.new_received' AND applicant = 'natural_person'
            GROUP BY year
            """
        ).fetchall()
    )
    assert dict(zip(frame["年度"], frame["自然人"], strict=True)) == pytest.approx(expected)


# ---------------------------------------------------------------------------------------------
# One report
# ---------------------------------------------------------------------------------------------


def test_report_page_opens_from_its_link_and_frames_flagged_cells(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    seed = one(con, "SELECT report_id FROM current_reports WHERE source_path LIKE '%000_seed.txt'")
    app.query_params["report"] = seed
    at = open_page(app, "views/report.py")
    assert at.main.subheader[0].value == "前进区政府办 · 2020年"
    part_three = at.get("html")[1].proto.body
    # The seed's （七）总计 row is all zeros while 4 requests came in: H1 and H2 both fail in
    # the 自然人 and 总计 columns. The cells both rules name are framed; the rest of the two
    # unbalanced sums is only tinted.
    framed = set(re.findall(r'class="num bad" data-cell="([^"]+)"', part_three))
    assert framed == {"outcome.total@natural_person", "outcome.total@total"}
    assert part_three.count("num involved") == 2 * (4 + 20 - 2)
    assert "（七）总计" in part_three
    assert at.query_params["report"] == seed


def test_report_link_from_outside_the_selection_still_opens(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    demo = one(con, "SELECT report_id FROM current_reports WHERE is_demo LIMIT 1")
    app.query_params.update({"report": demo, "demo": "false"})
    at = open_page(app, "views/report.py")
    assert any("示例数据" in w.value for w in at.main.warning)


# ---------------------------------------------------------------------------------------------
# Empty and missing
# ---------------------------------------------------------------------------------------------


def test_an_empty_selection_is_explained(app: AppTest) -> None:
    # Reports in 2019–2025, but the only 2025 report's organ (demo) has none before 2021:
    # no organ has a report in every year.
    app.query_params.update({"same": "true"})
    at = open_page(app, "views/overview.py")
    assert any("当前筛选条件下没有" in i.value and "每年都有报告" in i.value for i in at.main.info)


def test_missing_warehouse_says_so_in_chinese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XXGK_DB", str(tmp_path / "none.duckdb"))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "还没有数据仓库" in at.error[0].value
    assert any("xxgk ingest" in m.value for m in at.markdown)


def test_filter_values_are_parameters_not_sql(con: duckdb.DuckDBPyConnection) -> None:
    hostile = Selection(province="x' OR TRUE OR '", kind="government' OR '1'='1")
    assert queries.scope_summary(con, hostile)["reports"][0] == 0


# ---------------------------------------------------------------------------------------------
# Text from a link or a report file is shown as text, never as Markdown or HTML
# ---------------------------------------------------------------------------------------------

# A link someone could send: Markdown for a link and an image, and an HTML image, each to
# another host. Rendered, the image would be fetched from there as soon as the page opened.
HOSTILE_REPORT = (
    "x](https://evil.example/a.png) ![img](https://evil.example/b.png) "
    "<img src=https://evil.example/c.png>"
)
# An invisible character Markdown does not see through: after the colon of "https://", it
# keeps the address from being made a link by GFM's autolinks (which backslashes do not stop).
WORD_JOINER = "\u2060"
# Organ names a report file can print in its title (the parser drops whitespace from a
# title, so the HTML image has a slash where a space would be), each with the form it must
# take in Markdown: every ASCII punctuation mark backslash-escaped, the word joiner after
# "https:".
HOSTILE_ORGANS = {
    "前进区![图](https://evil.example/b.png)政府办": (
        r"前进区\!\[图\]\(https\:" + WORD_JOINER + r"\/\/evil\.example\/b\.png\)政府办"
    ),
    "前进区[点我](https://evil.example/a)政府办": (
        r"前进区\[点我\]\(https\:" + WORD_JOINER + r"\/\/evil\.example\/a\)政府办"
    ),
    "前进区<img/src=//evil.example/c.png>政府办": (
        r"前进区\<img\/src\=\/\/evil\.example\/c\.png\>政府办"
    ),
}


def hostile_reports(folder: Path) -> list[Path]:
    """The real seed report published under each of ``HOSTILE_ORGANS``, as a folder to ingest.

    The parser reads no organ from a title carrying markup (it is not an organ's name), so a
    manifest names each file's organ, as a person settling such a report would.
    """
    from tests.warehouse_helpers import seed_as, write

    rows = ["file,organ"]
    for i, organ in enumerate(HOSTILE_ORGANS):
        write(folder / f"hostile_{i}.txt", seed_as(organ))
        rows.append(f'hostile_{i}.txt,"{organ.replace(chr(34), chr(34) * 2)}"')
    write(folder / "manifest.csv", "\n".join(rows) + "\n")
    return [folder]


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines.ingest import ingest
    from tests.helpers import SAMPLES

    tmp = tmp_path_factory.mktemp("hostile")
    db = tmp / "w.duckdb"
    summary = ingest([SAMPLES / "000_seed.txt", *hostile_reports(tmp / "in")], db, progress=False)
    assert summary.new == 1 + len(HOSTILE_ORGANS) and not summary.failed
    return db


def rendered_markdown(at: AppTest) -> list[str]:
    """The source of every text on the page that Streamlit renders as Markdown."""
    texts = [
        e.value
        for kind in ("markdown", "caption", "title", "header", "subheader")
        for e in getattr(at, kind)
    ]
    texts += [
        e.value for kind in ("error", "warning", "info", "success") for e in getattr(at, kind)
    ]
    texts += [e.label for e in at.metric]
    texts += [e.label for e in at.expander] + [e.label for e in at.tabs]
    texts += [e.proto.label for e in at.page_link]
    for kind in ("selectbox", "multiselect", "radio", "toggle", "select_slider"):
        texts += [e.label for e in getattr(at, kind)]
    return texts


def live_markup(text: str) -> list[str]:
    """What Markdown would make a link, an image or a tag of, outside `code spans`: the
    characters not escaped by a backslash, and an address GFM would make a link of."""
    found = []
    plain = ""  # the text as Markdown reads it, escapes undone
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            plain += text[i + 1 : i + 2]
            i += 2
            continue
        if c == "`":
            fence = len(text[i:]) - len(text[i:].lstrip("`"))
            close = text.find("`" * fence, i + fence)
            i = (close + fence) if close != -1 else (i + fence)
            plain += " "
            continue
        if c in "[]()<>!":
            found.append(c)
        plain += c
        i += 1
    found += re.findall(r"(?i)https?://|www\.|\w@\w", plain)
    return found


def test_a_hostile_report_link_is_shown_as_text(app: AppTest) -> None:
    app.query_params["report"] = HOSTILE_REPORT
    at = open_page(app, "views/report.py")
    # quoted whole in one code span: shown letter for letter, nothing in it read as Markdown
    message = at.main.warning[0].value
    assert message.startswith(f"没有找到报告 ` {HOSTILE_REPORT} `（链接可能来自另一个仓库）")
    assert not live_markup(message)
    # nowhere else on the page: it went on with the first report of the selection
    assert [t for t in rendered_markdown(at) if "evil.example" in t] == [message]
    assert at.query_params["report"] != HOSTILE_REPORT


@pytest.mark.parametrize("organ", HOSTILE_ORGANS)
def test_an_organ_name_with_markup_is_shown_as_text(
    hostile_db: Path, monkeypatch: pytest.MonkeyPatch, organ: str
) -> None:
    monkeypatch.setenv("XXGK_DB", str(hostile_db))
    escaped = HOSTILE_ORGANS[organ]
    c = open_readonly(hostile_db)
    try:
        report_id = one(c, "SELECT report_id FROM current_reports WHERE organ = ?", [organ])
    finally:
        c.close()

    # its report page
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["report"] = report_id
    at = open_page(at, "views/report.py")
    assert at.main.subheader[0].value == f"{escaped} · 2020年"
    shown = [t for t in rendered_markdown(at) if "evil" in t]
    assert shown and all(not live_markup(t) for t in shown), shown

    # the overview with the organ chosen in the sidebar (the URL carries its name)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["organ"] = organ
    at = open_page(at, "views/overview.py")
    assert main_captions(at)[0].startswith(f"{escaped} · 2020年 · 全部机关")
    shown = [t for t in rendered_markdown(at) if "evil" in t]
    assert shown and all(not live_markup(t) for t in shown), shown


def test_an_organ_name_with_html_is_text_in_charts(
    hostile_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plotly renders tags in labels (``<a href>`` is a link): the coverage matrix names
    every organ, its angle brackets written as entities."""
    monkeypatch.setenv("XXGK_DB", str(hostile_db))
    at = open_page(AppTest.from_file(str(APP), default_timeout=60), "views/quality.py")
    labels = [
        y
        for chart in at.get("plotly_chart")
        for y in json.loads(chart.proto.spec)["data"][0].get("y") or []
    ]
    assert "前进区&lt;img/src=//evil.example/c.png&gt;政府办" in labels
    assert not [y for y in labels if "<" in str(y)]


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------

TABLES = ["active", "requests", "review"]


def _download(con: duckdb.DuckDBPyConnection, form: str, file_format: str, tables, tmp_path):
    db = Path(
        con.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'wh'").fetchall()[0][
            0
        ]
    )
    token, n = download.prepare(db, URL_SELECTION, form, file_format, list(tables))
    path = download.prepared(token)
    assert path is not None and path.parent.parent == download.folder()
    return path, n


def test_parquet_download_is_exactly_the_filtered_facts(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path, n = _download(con, "long", "parquet", TABLES, tmp_path)
    table = pq.read_table(path)
    got = pl.from_arrow(table)
    expected = con.execute(
        """
        SELECT report_id, "table", metric, applicant, value FROM current_facts
        WHERE province = '黑龙江省' AND city = '佳木斯市' AND organ_kind = 'department'
          AND NOT is_demo AND year BETWEEN 2020 AND 2023
        """
    ).fetchall()
    assert got.height == n == len(expected) > 0
    key = ["report_id", "table", "metric", "applicant", "value"]
    assert sorted(got.select(key).rows(), key=str) == sorted(expected, key=str)
    meta = table.schema.metadata
    assert json.loads(meta[b"xxgk.selection"])["city"] == "佳木斯市"
    recorded = json.loads(meta[b"xxgk.filters"])
    assert recorded["places"] == [{"province": "黑龙江省", "city": "佳木斯市"}]
    assert recorded["organ_kinds"] == ["department"] and recorded["include_demo"] is False
    assert recorded["years"] == [2020, 2021, 2022, 2023]
    assert json.loads(meta[b"xxgk.dictionary"])[0]["列名"] == "report_id"
    assert not got["is_demo"].any()
    assert download.count_rows(con, URL_SELECTION, "long", TABLES) == n


def test_wide_download_has_one_row_per_report_and_a_column_per_cell(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path, _ = _download(con, "wide", "parquet", TABLES, tmp_path)
    wide = pl.read_parquet(path)
    reports = one(
        con,
        "SELECT count(*) FROM current_reports WHERE city = '佳木斯市' "
        "AND organ_kind = 'department' AND NOT is_demo AND year BETWEEN 2020 AND 2023",
    )
    assert wide.height == reports
    # Named for people (the keys are in the metadata): the file only, no server folder.
    seed = wide.filter(pl.col("源文件") == "000_seed.txt")
    assert seed[export.cell_header("requests.new_received@total")].to_list() == [4.0]
    assert seed[export.cell_header("outcome.total@total")].to_list() == [0.0]
    cells = [c for c in wide.columns if c not in export.REPORT_HEADERS.values()]
    assert cells == [export.cell_header(c) for c in download.cell_order(TABLES)]
    words = download.dictionary("wide", TABLES)
    assert [w["列名"] for w in words] == wide.columns


def test_csv_and_excel_downloads_build(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path, _ = _download(con, "wide", "csv", ["requests"], tmp_path)
    csv = path.read_bytes()
    assert csv.startswith("\ufeff".encode())
    frame = pl.read_csv(csv[3:])
    assert frame.height == 3 * 3 * 4 + 1  # 3 placed districts × 3 departments × 4 years, +1
    assert export.cell_header("requests.new_received@total") in frame.columns
    path, n = _download(con, "long", "xlsx", ["review"], tmp_path)
    assert path.read_bytes()[:2] == b"PK" and n > 0  # a zip: an .xlsx workbook


def test_a_download_token_finds_only_its_own_file() -> None:
    assert download.prepared("../../etc/passwd") is None
    assert download.prepared("") is None
    assert download.prepared("no-such-token") is None


def test_the_download_page_refuses_excel_above_its_limit(app: AppTest, monkeypatch) -> None:
    """Excel's sheet limit, lowered here so the demo warehouse reaches it."""
    monkeypatch.setattr(download, "EXCEL_MAX_ROWS", 100)
    app.query_params.update({"d_format": "xlsx"})  # the URL carries the format's code
    at = open_page(app, "views/download.py")
    warning = " ".join(w.value for w in at.warning)
    assert "超过 Excel 一张表的上限" in warning and "Parquet 或 CSV" in warning
    assert next(b for b in at.button if b.key == "d_make").disabled


def test_same_organs_switch_keeps_organs_present_every_year(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    app.query_params.update({"same": "true", "demo": "false"})
    at = open_page(app, "views/overview.py")
    organs, reports = con.execute(
        """
        SELECT count(*), sum(n) FROM (
            SELECT organ_id, count(*) AS n FROM current_reports WHERE NOT is_demo
            GROUP BY organ_id
            HAVING count(DISTINCT year) = (
                SELECT count(DISTINCT year) FROM current_reports WHERE NOT is_demo)
        )
        """
    ).fetchall()[0]
    all_real = one(con, "SELECT count(DISTINCT organ_id) FROM current_reports WHERE NOT is_demo")
    assert 0 < organs < all_real
    assert f"{fmt.num(reports)} 份报告 · {organs} 个机关" in main_captions(at)[0]


# ---------------------------------------------------------------------------------------------
# A blank 总计 cell; a warehouse from a newer xxgk
# ---------------------------------------------------------------------------------------------


def test_a_blank_total_reads_as_the_sum_of_its_columns(tmp_path: Path) -> None:
    """The seed with two 总计 cells left blank (audit P3): the dashboard reads their columns.

    Before: the per-report figures and the reasons query took the blank as nothing, and the
    overview showed 公开率 0%.
    """
    from dashboard import measures
    from pipelines.ingest import ingest
    from tests.warehouse_helpers import SEED_TEXT, write

    granted = "(一) 予以公开\t3\t0\t0\t0\t0\t0\t3"
    internal = "5. 属于三类内部事务信息\t1\t0\t0\t0\t0\t0\t1"
    assert granted in SEED_TEXT and internal in SEED_TEXT
    text = SEED_TEXT.replace(granted, granted[:-1] + "—").replace(internal, internal[:-1] + "—")
    db = tmp_path / "w.duckdb"
    ingest([write(tmp_path / "in" / "blank_totals.txt", text)], db, progress=False)
    c = open_readonly(db)
    try:
        assert c.execute("SELECT granted, denied FROM report_figures").fetchall() == [(3.0, 1.0)]
        # the printed cells themselves stay blank
        blank_totals = one(
            c,
            "SELECT count(*) FROM facts WHERE applicant = 'total' AND blank "
            "AND metric IN ('outcome.granted', 'outcome.denied.internal_affairs')",
        )
        assert blank_totals == 2
        sums = queries.unit_year_measures(c, Selection(), None)
        row = measures.with_measure(sums, measures.MEASURES["open_rate"]).row(0, named=True)
        assert (row["granted"], row["decided"], row["value"]) == (3.0, 4.0, 0.75)
        reasons = queries.reasons_by_year(c, Selection())
        internal_affairs = reasons.filter(pl.col("metric") == "outcome.denied.internal_affairs")
        assert internal_affairs["value"].to_list() == [1.0]
    finally:
        c.close()


def test_a_warehouse_from_a_newer_xxgk_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.ingest import ingest
    from pipelines.warehouse.schema import SCHEMA_VERSION
    from tests.helpers import SAMPLES

    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    c = duckdb.connect(str(db))
    c.execute("INSERT INTO schema_version VALUES (?, now())", [SCHEMA_VERSION + 1])
    c.close()
    monkeypatch.setenv("XXGK_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception
    assert "无法读取数据仓库" in at.error[0].value
    assert "请升级 xxgk" in at.error[0].value


def test_prose_counts_by_year_equal_direct_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Read from the per-report figures; a channel named twice counts once, its largest."""
    got = queries.prose_by_year(con, Selection()).sort("year", "channel")
    want = con.execute(
        """
        SELECT r.year, p.channel, sum(p.v)::DOUBLE, count(*)
        FROM (SELECT report_id, channel, max(value) AS v FROM prose_counts GROUP BY ALL) p
        JOIN current_reports r USING (report_id)
        GROUP BY ALL ORDER BY 1, 2
        """
    ).fetchall()
    assert got.select("year", "channel", "value", "reports").rows() == want
    assert len(want) > 3


# ---------------------------------------------------------------------------------------------
# What a leader sees: years with data, coverage, proportionate marks, labels, formatting
# ---------------------------------------------------------------------------------------------


def _real_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    rows = con.execute(
        "SELECT DISTINCT year FROM current_reports WHERE NOT is_demo ORDER BY 1"
    ).fetchall()
    return [y for (y,) in rows]


def test_only_years_with_reports_are_offered(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    """Without demo data the last year (2025) has no report: it is not offered, and the KPIs
    are the latest year that has reports, not an empty block."""
    real = _real_years(con)
    assert one(con, "SELECT max(year) FROM current_reports") not in real  # 2025: demo only
    app.query_params.update({"demo": "false"})
    at = open_page(app, "views/overview.py")
    slider = next(s for s in at.select_slider if s.key == "years")
    assert [int(o) for o in slider.options] == real
    assert at.main.subheader[0].value == f"{real[-1]}年"
    assert not [i for i in at.main.info if "当前筛选条件下没有" in i.value]
    now = _year_totals(con, real[-1], "NOT is_demo")
    assert metric(at, "本年新收申请")[0] == fmt.num(now["received"], "件")

    at.switch_page("views/compare.py").run()
    year = next(s for s in at.selectbox if s.key == "c_year")
    assert year.options == [f"{y}年" for y in reversed(real)]
    assert year.value == real[-1]


def test_the_organ_count_in_the_sidebar_is_the_headers(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    app.query_params.update({"demo": "false", "years": ["2023", "2024"]})
    at = open_page(app, "views/overview.py")
    organs = one(
        con,
        "SELECT count(DISTINCT organ_id) FROM current_reports "
        "WHERE NOT is_demo AND year BETWEEN 2023 AND 2024",
    )
    picker = next(s for s in at.sidebar.selectbox if s.key == "organ")
    assert picker.label == f"机关（{organs} 个）"
    assert len(picker.options) == organs + 1  # and 全部
    assert f"· {organs} 个机关" in main_captions(at)[0]


def test_an_organ_is_demo_only_if_all_its_reports_are(app: AppTest) -> None:
    at = open_page(app, "views/overview.py")
    options = next(s for s in at.sidebar.selectbox if s.key == "organ").options
    # every report of 郊区市场监督管理局 is generated; 东风区自然资源局's 2023–2024 are real
    assert "郊区市场监督管理局［示例数据］" in options
    assert "东风区自然资源局" in options
    assert not [o for o in options if o.startswith("东风区自然资源局［")]


def test_a_city_own_organs_are_its_own_level_not_an_unknown_place(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    """Compared county by county, 佳木斯市人民政府 (county NULL) is 佳木斯市本级."""
    app.query_params.update({"prov": "黑龙江省", "city": "佳木斯市", "c_year": "2023年"})
    at = open_page(app, "views/compare.py")
    bars = chart_spec(at, 0)["data"][0]
    shown = {label.split(". ", 1)[1]: x for label, x in zip(bars["y"], bars["x"], strict=True)}
    own = one(
        con,
        "SELECT sum(value) FROM current_facts WHERE city = '佳木斯市' AND county IS NULL "
        "AND year = 2023 AND metric = 'requests.new_received' AND applicant = 'total'",
    )
    assert shown["佳木斯市本级"] == own
    assert UNKNOWN_REGION not in shown
    county = next(s for s in at.sidebar.selectbox if s.key == "county")
    assert "佳木斯市本级" in county.options and UNKNOWN_REGION not in county.options


def _received(con: duckdb.DuckDBPyConnection, where: str = "TRUE") -> dict[int, float]:
    return dict(
        con.execute(
            f"""
            SELECT year, sum(value) FROM current_facts
            WHERE metric = 'requests.new_received' AND applicant = 'total' AND {where}
            GROUP BY year
            """
        ).fetchall()
    )


def test_a_total_shows_the_organs_it_rests_on_and_the_years_it_lacks_some(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    """本年新收申请 over the years: under each year how many organs reported; a year whose
    total lacks organs that reported the year before (what they printed then is at least a
    tenth of the year's total) is a pale bar, and the caption says why."""
    at = open_page(app, "views/overview.py")
    bars = chart_spec(at, 0)
    organs = dict(
        con.execute(
            "SELECT year, count(DISTINCT organ_id) FROM current_reports GROUP BY year"
        ).fetchall()
    )
    ticks = bars["layout"]["xaxis"]
    assert [int(v) for v in ticks["tickvals"]] == sorted(organs)
    assert [re.sub(r"<[^>]+>", " ", t).split() for t in ticks["ticktext"]] == [
        [str(y), f"{organs[y]}个"] for y in sorted(organs)
    ]
    # organs with a report the year before and none this year, and what they received then
    lost = dict(
        con.execute(
            """
            SELECT a.year + 1, sum(f.value)
            FROM current_reports a
            JOIN current_facts f ON f.report_id = a.report_id
                 AND f.metric = 'requests.new_received' AND f.applicant = 'total'
            WHERE a.year + 1 IN (SELECT year FROM current_reports)
              AND NOT EXISTS (SELECT 1 FROM current_reports b
                              WHERE b.organ_id = a.organ_id AND b.year = a.year + 1)
            GROUP BY 1
            """
        ).fetchall()
    )
    total = _received(con)
    short = {y for y, v in lost.items() if v and v >= measures.GAP_SHARE * total[y]}
    assert 2025 in short  # every organ but one stopped reporting
    pale = {
        y
        for y, o in zip(bars["data"][0]["x"], bars["data"][0]["marker"]["opacity"], strict=True)
        if o < 1
    }
    assert pale == short
    caption = " ".join(main_captions(at))
    assert "浅色柱（" + "、".join(f"{y}年" for y in sorted(short)) + "）" in caption
    assert "横轴年份下为当年有报告的机关数" in caption


def test_a_stock_figure_marks_the_years_it_lacks_organs(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    """主动公开: 规章·对外公开总数量 (a stock) in a year whose reporting organs are fewer than
    the year before is drawn as an open circle, exactly where SQL finds the gap."""
    at = open_page(app, "views/active.py")
    key = "active.rules.total_published"
    trace = next(t for t in chart_spec(at, 0)["data"] if t["name"].startswith("对外公开总数量"))
    opened = {
        int(x)
        for x, s in zip(trace["x"], trace["marker"]["symbol"], strict=True)
        if x is not None and s == "circle-open"
    }
    values = dict(
        con.execute(
            "SELECT year, sum(value) FROM current_facts WHERE metric = ? GROUP BY year", [key]
        ).fetchall()
    )
    lost = dict(
        con.execute(
            """
            SELECT a.year + 1, sum(f.value)
            FROM current_reports a JOIN current_facts f ON f.report_id = a.report_id
            WHERE f.metric = ? AND a.year + 1 IN (SELECT year FROM current_reports)
              AND NOT EXISTS (SELECT 1 FROM current_reports b
                              WHERE b.organ_id = a.organ_id AND b.year = a.year + 1)
            GROUP BY 1
            """,
            [key],
        ).fetchall()
    )
    expected = {
        y
        for y, v in lost.items()
        if y in values and v and v >= measures.GAP_SHARE * (values[y] or 0)
    }
    assert opened == expected and expected


def test_error_marks_are_in_proportion_and_the_same_in_every_view(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    """A unit shows "⚠ k/n 份有错" (k of its n reports have audit errors), its bar hatched
    only when k is at least half of n; the heatmap marks that unit's cell for that year with
    ⚠, and no other rule: 1 of 4 is not marked like 1 of 2."""
    app.query_params.update({"c_year": "2023年"})
    at = open_page(app, "views/compare.py")
    counts = {
        p: (n, e)
        for p, n, e in con.execute(
            """
            SELECT coalesce(province, ?), count(*), count(*) FILTER (WHERE has_errors)
            FROM current_reports WHERE year = 2023 GROUP BY 1
            """,
            [UNKNOWN_REGION],
        ).fetchall()
    }
    spec = chart_spec(at, 0)
    bars = spec["data"][0]
    names = [label.split(". ", 1)[1] for label in bars["y"]]
    notes = {
        a["y"].split(". ", 1)[1]: a["text"]
        for a in spec["layout"]["annotations"]
        if a.get("xref") == "paper"
    }
    hatched = dict(zip(names, bars["marker"]["pattern"]["shape"], strict=True))
    for name in names:
        n, e = counts[name]
        assert notes.get(name, "") == (f"⚠ {e}/{n} 份有错" if e else "")
        assert (hatched[name] == "/") == (e / n >= 0.5)
    assert {(n, e) for n, e in counts.values() if e} == {(2, 1), (4, 1)}  # both kinds shown

    heat = chart_spec(at, 1)["data"][0]
    column = heat["x"].index("2023年")
    for label, row in zip(heat["y"], heat["text"], strict=True):
        n, e = counts[label.split(". ", 1)[1]]
        assert row[column].endswith("⚠") == bool(e)


def test_a_change_on_a_small_base_is_greyed_and_not_ranked(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    """Organs compared 2024 with 2023: a change on fewer than 30 requests the year before
    is grey, after every other, and says 基数小."""
    app.query_params.update({"c_grain": "按机关", "c_year": "2024年", "demo": "false"})
    at = open_page(app, "views/compare.py")
    bars = chart_with(at, "同比变化")["data"][0]
    small = [label.endswith("（基数小）") for label in bars["y"]]
    assert any(small) and not all(small)
    assert small == sorted(small)  # the small bases come last
    for is_small, color in zip(small, bars["marker"]["color"], strict=True):
        assert (color == colors.MUTED) == is_small
    before = dict(
        con.execute(
            """
            SELECT o.name, sum(f.value) FROM current_facts f JOIN organs o USING (organ_id)
            WHERE f.year = 2023 AND NOT f.is_demo AND f.metric = 'requests.new_received'
              AND f.applicant = 'total' GROUP BY 1
            """
        ).fetchall()
    )
    for label, is_small in zip(bars["y"], small, strict=True):
        name = label.removesuffix("（基数小）")
        assert is_small == (before[name] < measures.MIN_DENOMINATOR)


def test_counts_are_written_as_people_write_them() -> None:
    assert fmt.num(39_993) == "4.00万"
    assert fmt.num(126_900, "条") == "12.69万条"
    assert fmt.num(8_000) == "8,000"
    assert fmt.whole(2_161.5) == "2,162"
    assert charts.count_ticks(8_000)[1] == ["0", "2,000", "4,000", "6,000", "8,000"]
    assert charts.count_ticks(12_000)[1] == ["0", "0.5万", "1万", "1.5万"]
    assert charts.count_ticks(3) == ([0, 1, 2, 3], ["0", "1", "2", "3"])  # never 0.5


def test_chart_axes_and_the_median_are_whole_formatted_numbers(app: AppTest) -> None:
    at = open_page(app, "views/compare.py")
    ranking = chart_spec(at, 0)
    assert all(float(v).is_integer() for v in ranking["layout"]["xaxis"]["tickvals"])
    median = next(a["text"] for a in ranking["layout"]["annotations"] if "中位数" in a["text"])
    assert re.fullmatch(r"中位数 [\d,]+(\.\d\d万)?", median), median
    at.switch_page("views/overview.py").run()
    axis = chart_spec(at, 0)["layout"]["yaxis"]
    assert all(float(v).is_integer() for v in axis["tickvals"])
    assert all(re.fullmatch(r"\d{1,3}(,\d{3})*|[\d.]+万", t) for t in axis["ticktext"])


def test_reasons_have_colours_a_reader_can_tell_apart(app: AppTest) -> None:
    def rgb(c: str) -> tuple[int, ...]:
        return tuple(int(c[i : i + 2], 16) for i in (1, 3, 5))

    for group in ("denied", "unavailable", "not_processed", "other"):
        n = len(reason_labels(group)) + (group == "other")
        palette = [colors.reason_color(group, i) for i in range(n)]
        for i, a in enumerate(palette):
            for b in palette[i + 1 :]:
                distance = sum((x - y) ** 2 for x, y in zip(rgb(a), rgb(b), strict=True)) ** 0.5
                assert distance > 60, (group, a, b)  # one ramp's neighbours: about 30
    at = open_page(app, "views/outcomes.py")
    reasons = [json.loads(c.proto.spec) for c in at.get("plotly_chart")][-1]
    used = [t["marker"]["color"] for t in reasons["data"]]
    assert len(used) == len(set(used)) > 2


def test_a_heatmap_scale_is_not_washed_out_by_one_outlier() -> None:
    cells = [17, 26, 36, 40, 45, 64, 88, 94, 107, 117, 124, 134, 147, 173, 188, 209, 235, 247,
             258, 286, 317, 332, 1_179]  # fmt: skip
    zmin, zmax, capped = charts.heat_range(cells)
    assert capped and zmin == 0 and zmax < 400
    assert charts.heat_range([10, 12, 14, 15]) == (0.0, 15.0, False)


def test_a_rate_line_has_its_own_colour_in_the_legend(app: AppTest) -> None:
    at = open_page(app, "views/review.py")
    for trace in chart_with(at, "样本少（仅供参考）")["data"]:
        if trace["name"].endswith("纠错率"):
            assert trace["marker"]["color"] == trace["line"]["color"]  # one colour, not a list
        else:
            assert trace["name"] == "样本少（仅供参考）"
            assert trace["marker"]["color"] == colors.MUTED


def test_every_ranking_is_drawn_by_the_one_helper() -> None:
    views = Path(APP).parent / "views"
    hand_built = [p.name for p in views.glob("*.py") if 'orientation="h"' in p.read_text()]
    assert hand_built == []
    users = [p.name for p in views.glob("*.py") if "charts.ranked_bars(" in p.read_text()]
    assert sorted(users) == ["active.py", "compare.py", "outcomes.py", "review.py"]


def test_the_report_page_opens_a_real_report_and_names_its_file(
    app: AppTest, con: duckdb.DuckDBPyConnection
) -> None:
    at = open_page(app, "views/report.py")
    report_id = at.query_params["report"]
    is_demo, path, year = con.execute(
        "SELECT is_demo, source_path, year FROM reports WHERE report_id = ?", [report_id]
    ).fetchall()[0]
    assert not is_demo
    assert year == one(con, "SELECT max(year) FROM current_reports WHERE NOT is_demo")
    line = next(c for c in main_captions(at) if "源文件" in c)
    name = Path(path).name
    assert f"源文件 ` {name} `" in line
    assert str(Path(path).parent) not in line and "解析器" not in line
    assert not re.search(r"\((text|html|pdf|docx)\)", line)
    assert re.search(r"（(文本文件|网页|PDF|Word 文档)）", line)


def test_money_has_its_unit(app: AppTest, con: duckdb.DuckDBPyConnection) -> None:
    """政府集中采购's amount is in 万元 (pipelines.catalog), in the report's table and on
    the 主动公开 page."""
    seed = one(con, "SELECT report_id FROM current_reports WHERE source_path LIKE '%000_seed.txt'")
    app.query_params["report"] = seed
    at = open_page(app, "views/report.py")
    assert "采购总金额（万元）" in at.get("html")[0].proto.body

    # 洪泽区人民政府's 2024 report: 行政事业性收费 7,545 万元
    fees = one(
        con,
        "SELECT sum(value) FROM current_facts WHERE metric = 'active.fees.amount_wan' "
        "AND year = 2024 AND NOT is_demo",
    )
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(
        {"a_row": "行政事业性收费", "a_metric": "行政事业性收费·金额（万元）", "demo": "false"}
    )
    at = open_page(at, "views/active.py")
    column = next(s for s in at.selectbox if s.key == "a_metric")
    assert column.value == "active.fees.amount_wan"
    assert [o for o in column.options if "金额" in o] == ["行政事业性收费·金额（万元）"]
    chart = chart_with(at, "行政事业性收费·金额（万元）")
    assert chart["data"][0]["text"] == [fmt.num(fees, "万元")]


def test_download_choices_travel_as_short_codes(app: AppTest) -> None:
    at = open_page(app, "views/download.py")
    next(r for r in at.radio if r.key == "d_form").set_value("wide").run()
    next(r for r in at.radio if r.key == "d_format").set_value("csv").run()
    next(m for m in at.multiselect if m.key == "d_tables").set_value(["requests"]).run()
    assert at.query_params["d_form"] == "wide"
    assert at.query_params["d_format"] == "csv"
    assert at.query_params["d_tables"] in ("requests", ["requests"])
    # a default is left out of the URL, as for the bound widgets
    next(r for r in at.radio if r.key == "d_form").set_value("long").run()
    assert "d_form" not in at.query_params
    # the page's own parameters go when the reader leaves it
    at.switch_page("views/overview.py").run()
    assert not {"d_format", "d_tables"} & set(at.query_params)


def test_a_download_link_is_read_from_codes_and_old_labels(app: AppTest) -> None:
    app.query_params.update({"d_form": "wide", "d_format": "Excel", "d_tables": "review"})
    at = open_page(app, "views/download.py")
    assert next(r for r in at.radio if r.key == "d_form").value == "wide"
    assert next(r for r in at.radio if r.key == "d_format").value == "xlsx"
    assert next(m for m in at.multiselect if m.key == "d_tables").value == ["review"]
    assert at.query_params["d_format"] == "xlsx"  # an old label, rewritten as the code
