"""一键简报: the Word briefing of a selection, on a warehouse built by the real ingest.

The document is read back with python-docx (every heading, every headline figure), its
numbers are held to the overview page's (through AppTest) and to SQL written here, it is
converted to PDF by LibreOffice and its text read with pypdfium2, and it is built on a
machine without a CJK font (the font lookup pointed at folders without one).
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import docx
import duckdb
import matplotlib
import polars as pl
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from docx.table import Table as DocxTable
from streamlit.testing.v1 import AppTest

from dashboard import briefing, briefing_charts, fmt, measures
from dashboard.selection import Selection
from tests.dashboard_corpus import build_test_warehouse
from tests.test_dashboard import URL_FILTERS, URL_SELECTION  # 佳木斯市, departments, 2020–2023

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
EVERYTHING = Selection(year_from=2019, year_to=2025)
# matplotlib's own fonts: DejaVu and friends, Latin only, on every machine matplotlib is on
LATIN_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_warehouse(tmp_path_factory.mktemp("briefing"))


@pytest.fixture()
def app_timeout() -> float:
    return 90  # the briefing page draws its charts on the first run


@pytest.fixture(scope="module")
def cjk_font() -> briefing_charts.CjkFont:
    font = briefing_charts.find_cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    return font


def open_page(at: AppTest, page: str) -> AppTest:
    at.run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ---------------------------------------------------------------------------------------------
# Reading a .docx back
# ---------------------------------------------------------------------------------------------


@dataclass
class Doc:
    document: docx.document.Document
    paragraphs: list[str]
    headings: list[str]
    tables: dict[str, list[list[str]]]  # caption without its number -> rows, header first
    section_text: dict[str, str]  # heading -> every paragraph and cell under it

    def kpis(self, year: int) -> dict[str, tuple[str, str, str]]:
        rows = self.tables[f"{year}年主要指标"]
        assert rows[0] == ["指标", f"{year}年", "比上年", "说明"]
        return {r[0]: (r[1], r[2], r[3]) for r in rows[1:]}


def read(data: bytes) -> Doc:
    document = docx.Document(io.BytesIO(data))
    paragraphs, headings, tables, section_text = [], [], {}, {}
    last, current = "", ""
    for item in document.iter_inner_content():
        if isinstance(item, DocxTable):
            rows = [[c.text for c in row.cells] for row in item.rows]
            tables[last.split("　", 1)[1]] = rows
            section_text[current] += "\n".join("\t".join(r) for r in rows) + "\n"
            continue
        if item.style.name == "Heading 1":
            current = item.text
            headings.append(current)
            section_text[current] = ""
        elif current:
            section_text[current] += item.text + "\n"
        paragraphs.append(item.text)
        if item.text:
            last = item.text
    return Doc(document, paragraphs, headings, tables, section_text)


def build(con: duckdb.DuckDBPyConnection, sel: Selection, **kw: object) -> tuple:
    b = briefing.compose(con, sel, None, kw.get("font_dirs"))  # type: ignore[arg-type]
    return b, read(briefing.to_docx(b, date(2025, 3, 31)))


def charts_in(b: briefing.Briefing) -> list[briefing.Chart]:
    return [x for s in b.sections for x in s.blocks if isinstance(x, briefing.Chart)]


# ---------------------------------------------------------------------------------------------
# The document reads back
# ---------------------------------------------------------------------------------------------


def test_every_heading_and_figure_reads_back(con: duckdb.DuckDBPyConnection) -> None:
    b, doc = build(con, URL_SELECTION)
    assert doc.paragraphs[0] == briefing.TITLE == "政府信息公开工作年度报告数据简报"
    assert doc.document.paragraphs[0].style.name == "Title"
    assert (
        doc.paragraphs[1] == "数据范围：黑龙江省 · 佳木斯市 · 2020–2023年 · 政府部门 · 不含示例数据"
    )
    loaded = con.execute(
        "SELECT max(ingested_at) FROM current_reports WHERE city = '佳木斯市' "
        "AND organ_kind = 'department' AND NOT is_demo AND year BETWEEN 2020 AND 2023"
    ).fetchall()[0][0]
    assert doc.paragraphs[2] == (
        f"数据更新至：{briefing.date_text(loaded.date())}　　生成日期：2025年3月31日"
    )
    # numbered sections in the order of a briefing, then the definitions
    assert (
        doc.headings
        == b.headings
        == [
            "一、总体情况",
            "二、依申请公开情况",
            "三、行政复议和行政诉讼情况",
            "四、主动公开情况",
            "五、同级对标",
            "六、关注清单",
            "七、数据质量说明",
            "附：指标口径",
        ]
    )
    # every headline figure, as composed, in the document's table
    assert b.year == 2023
    assert doc.kpis(2023) == {k.label: (k.value, k.change, k.note) for k in b.kpis}
    # every table the briefing holds is in the document, cell for cell
    composed = {
        t.caption.split("　", 1)[1]: [list(t.columns), *map(list, t.rows)]
        for s in b.sections
        for t in s.blocks
        if isinstance(t, briefing.Table)
    }
    assert doc.tables == composed


def test_headline_numbers_match_sql(con: duckdb.DuckDBPyConnection) -> None:
    """Checked against the facts with SQL written here, not through ``dashboard.queries``."""
    _, doc = build(con, URL_SELECTION)
    where = (
        "city = '佳木斯市' AND organ_kind = 'department' AND NOT is_demo AND year = 2023 "
        "AND \"table\" = 'requests' AND applicant = 'total'"
    )
    received, granted, partial, denied, decided, reports = con.execute(
        f"""
        SELECT sum(value) FILTER (WHERE metric = 'requests.new_received'),
               sum(value) FILTER (WHERE metric = 'outcome.granted'),
               sum(value) FILTER (WHERE metric = 'outcome.partial'),
               sum(value) FILTER (WHERE metric LIKE 'outcome.denied.%'),
               sum(value) FILTER (WHERE metric LIKE 'outcome.%' AND metric <> 'outcome.total'),
               count(DISTINCT report_id)
        FROM current_facts WHERE {where}
        """
    ).fetchall()[0]
    kpis = doc.kpis(2023)
    assert kpis["本年新收申请"][0] == fmt.num(received, "件")
    assert kpis["办结数"][0] == fmt.num(decided, "件")
    assert kpis["公开率"][0] == fmt.pct((granted + partial) / decided)
    mix = {r[0]: r[1:] for r in doc.tables["2023年办理结果"][1:]}
    assert mix["予以公开"] == [fmt.num(granted, "件"), fmt.pct(granted / decided)]
    assert mix["不予公开"] == [fmt.num(denied, "件"), fmt.pct(denied / decided)]
    assert mix["办结数"][0] == fmt.num(decided, "件")
    # 前进区, 东风区, 郊区 with 政府办, 教育局 and 财政局, and 东风区自然资源局 from 2023
    assert reports == 3 * 3 + 1
    assert f"2023年有年度报告 {reports} 份" in doc.section_text["一、总体情况"]
    trend = {r[0]: r for r in doc.tables["历年主要数据"][1:]}
    assert trend["2023年"][1] == str(reports)
    assert trend["2023年"][3] == fmt.num(received)


@pytest.mark.parametrize(
    "filters",
    [{}, URL_FILTERS],
    ids=["default filters (a small last year: greyed changes)", "佳木斯市 departments"],
)
def test_numbers_equal_the_overview_page(
    app: AppTest, con: duckdb.DuckDBPyConnection, filters: dict
) -> None:
    app.query_params.update(filters)
    at = open_page(app, "views/overview.py")
    ctx = at.session_state["_xxgk_context"]
    shown = {
        re.sub(r"^:gray\[(.*)\]$", r"\1", m.label): (m.value, m.delta or fmt.DASH)
        for m in at.metric
    }
    _, doc = build(con, ctx.sel)
    kpis = doc.kpis(ctx.focus_year)
    assert len(shown) == 10  # the overview's ten KPIs, each in the document
    assert {label: v[:2] for label, v in kpis.items()} == shown
    # the header's counts
    reports, organs = re.search(
        r"([\d,]+) 份报告 · ([\d,]+) 个机关", at.main.caption[0].value
    ).groups()
    assert f"年度报告 {reports} 份，涉及 {organs} 个机关" in doc.section_text["一、总体情况"]


def test_the_default_view_says_demo_and_small_samples(con: duckdb.DuckDBPyConnection) -> None:
    """2025 holds one demo report: the briefing says the data is partly generated, and its
    rates rest on too few requests."""
    _, doc = build(con, EVERYTHING)
    demo = con.execute("SELECT count(*) FROM current_reports WHERE is_demo").fetchall()[0][0]
    assert demo > 0
    first = doc.section_text["一、总体情况"]
    assert f"其中 {demo} 份报告为示例数据（生成的演示报告，不是真实报告）" in first
    assert f"{demo} 份报告是生成的演示报告" in doc.section_text["七、数据质量说明"]
    rate = doc.kpis(2025)["公开率"]
    assert rate[1] == "样本少，仅供参考" and "不足 30 件" in rate[2]


def test_data_quality_names_errors_and_gaps(con: duckdb.DuckDBPyConnection) -> None:
    _, doc = build(con, URL_SELECTION)
    quality = doc.section_text["七、数据质量说明"]
    where = (
        "r.city = '佳木斯市' AND r.organ_kind = 'department' AND NOT r.is_demo "
        "AND r.year BETWEEN 2020 AND 2023"
    )
    errors = con.execute(
        f"SELECT o.name, r.year FROM current_reports r JOIN organs o USING (organ_id) "
        f"WHERE r.has_errors AND {where} ORDER BY r.year DESC, o.name"
    ).fetchall()
    assert errors  # the corpus seeds some
    assert f"{len(errors)} 份有审核错误" in quality
    listed = [(r[0], r[1]) for r in doc.tables["有审核错误的报告"][1:]]
    assert listed == [(name, f"{year}年") for name, year in errors]
    # 东风区自然资源局 reported (real) only from 2023: a gap in 2020–2022
    gaps = {r[0]: r[1] for r in doc.tables["缺报告的机关"][1:]}
    assert gaps == {"东风区自然资源局": "2020年、2021年、2022年"}
    assert "所选报告均为真实报告，不含示例数据。" in quality


def test_an_empty_selection_still_builds(con: duckdb.DuckDBPyConnection) -> None:
    _, doc = build(con, Selection(province="无此省"))
    assert doc.headings == ["一、总体情况"]
    assert "下没有年度报告，无数据可报" in doc.section_text["一、总体情况"]


def test_file_name_carries_scope_and_date(con: duckdb.DuckDBPyConnection) -> None:
    b = briefing.compose(con, URL_SELECTION)
    assert briefing.file_name(b, date(2025, 3, 31)) == (
        "政府信息公开数据简报_黑龙江省_佳木斯市_2020-2023年_政府部门_不含示例数据_20250331.docx"
    )


# ---------------------------------------------------------------------------------------------
# Charts, fonts and the PDF
# ---------------------------------------------------------------------------------------------


def test_charts_are_images_in_a_cjk_font(
    con: duckdb.DuckDBPyConnection, cjk_font: briefing_charts.CjkFont
) -> None:
    b, doc = build(con, URL_SELECTION)
    charts = charts_in(b)
    assert [c.caption for c in charts] == [
        "图1　历年新收政府信息公开申请（件）",
        "图2　历年公开率",
        "图3　历年办理结果结构",
        "图4　历年行政复议和行政诉讼件数（件）",
    ]
    assert b.chart_note is None
    assert len(doc.document.inline_shapes) == len(charts)
    for c in charts:
        assert c.png.startswith(b"\x89PNG") and c.caption in doc.paragraphs


def test_noto_sans_cjk_is_preferred_and_found_inside_its_collection() -> None:
    noto = Path("/usr/share/fonts/opentype/noto")
    if not (noto / "NotoSansCJK-Regular.ttc").exists():
        pytest.skip("Noto Sans CJK (fonts-noto-cjk) not installed")
    assert briefing_charts.find_cjk_font().family == "Noto Sans CJK SC"
    # looked up in a folder: the simplified-Chinese face of the .ttc collection
    font = briefing_charts.find_cjk_font([noto])
    assert font is not None and font.family == "Noto Sans CJK SC" and font.face_index > 0
    png = briefing_charts.review_bars(font, [2022, 2023], [3, 5], [1, None])
    assert png.startswith(b"\x89PNG")


def test_a_latin_font_is_not_taken_and_never_draws_boxes() -> None:
    assert any(LATIN_FONTS.glob("DejaVuSans*.ttf"))
    assert briefing_charts.find_cjk_font([LATIN_FONTS]) is None
    dejavu = briefing_charts.CjkFont("DejaVu Sans", str(LATIN_FONTS / "DejaVuSans.ttf"))
    with pytest.raises(briefing_charts.MissingGlyphError, match="missing from font"):
        briefing_charts.rate_line(dejavu, [2022, 2023], [0.5, 0.6], [False, True])


def test_without_a_cjk_font_the_document_builds_without_images(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    empty = tmp_path / "fonts"
    empty.mkdir()
    for folders in ([empty], [LATIN_FONTS]):
        b, doc = build(con, URL_SELECTION, font_dirs=folders)
        assert not charts_in(b)
        assert len(doc.document.inline_shapes) == 0
        assert b.chart_note == briefing.NO_FONT_NOTE
        assert briefing.NO_FONT_NOTE in doc.paragraphs[:5]  # said at the top
        assert "fonts-noto-cjk" in briefing.NO_FONT_NOTE
        # the numbers do not depend on the font
        assert doc.kpis(2023) == {k.label: (k.value, k.change, k.note) for k in b.kpis}
        assert len(doc.headings) == 8


def test_the_pdf_holds_every_heading_and_headline_number(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, cjk_font: briefing_charts.CjkFont
) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    b = briefing.compose(con, URL_SELECTION)
    source = tmp_path / "briefing.docx"
    source.write_bytes(briefing.to_docx(b))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    pdf = pdfium.PdfDocument(tmp_path / "briefing.pdf")
    text = "".join(page.get_textpage().get_text_bounded() for page in pdf)
    flat = re.sub(r"\s+", "", text)
    for heading in [briefing.TITLE, *b.headings]:
        assert re.sub(r"\s+", "", heading) in flat, heading
    for k in b.kpis:
        assert f"{k.label}{k.value}{k.change}" in flat, k
    images = sum(len(list(page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]))) for page in pdf)
    assert images == len(charts_in(b)) == 4


# ---------------------------------------------------------------------------------------------
# Peer position and the watch list: the modules written alongside, or a note
# ---------------------------------------------------------------------------------------------


def test_sections_say_so_while_their_modules_are_missing(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "dashboard.peers", None)  # import raises: not there
    monkeypatch.setitem(sys.modules, "dashboard.watchlist", None)
    _, doc = build(con, URL_SELECTION)
    assert doc.section_text["五、同级对标"].strip() == (
        "同级对标功能尚未安装（dashboard.peers），本部分暂缺。"
    )
    assert doc.section_text["六、关注清单"].strip() == (
        "关注清单功能尚未安装（dashboard.watchlist），本部分暂缺。"
    )


def test_watch_list_rows_are_listed_as_plain_text(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Selection] = []
    organ = "前进区[点我](https://evil.example/a)<b>财政局</b>"

    def watch_list(cur: object, sel: Selection, t: object = None) -> pl.DataFrame:
        calls.append(sel)
        n = briefing.MAX_ROWS + 3
        return pl.DataFrame(
            {
                "organ_id": [f"230804:{i % 4}" for i in range(n)],
                "organ": [organ] * n,
                "year": [2023 - i % 2 for i in range(n)],
                "reason_code": ["open_rate_low"] * (n - 1) + ["gap"],
                "reason": ["公开率明显低于同级"] * (n - 1) + ["缺报告"],
                "detail": [f"公开率 {i}%" for i in range(n)],
                "report_id": [None] * n,
            }
        )

    stub = types.ModuleType("dashboard.watchlist")
    stub.watch_list = watch_list  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dashboard.watchlist", stub)
    _, doc = build(con, URL_SELECTION)
    assert calls == [URL_SELECTION]
    section = doc.section_text["六、关注清单"]
    n = briefing.MAX_ROWS + 3
    assert section.startswith(
        f"共 {n} 项，涉及 4 个机关：公开率明显低于同级 {n - 1} 项；缺报告 1 项。"
    )
    rows = doc.tables["需要关注的机关"]
    assert rows[0] == ["机关", "年度", "关注事项", "说明"]
    assert len(rows) == 1 + briefing.MAX_ROWS
    assert rows[1] == [organ, "2023年", "公开率明显低于同级", "公开率 0%"]
    assert "另有 3 项未列出" in section
    # the name is a text run: no hyperlink, no field, no external relationship
    xml = doc.document.element.xml
    assert "w:hyperlink" not in xml and "<b>" not in xml and "&lt;b&gt;" in xml
    assert not [r for r in doc.document.part.rels.values() if r.is_external]


def test_watch_list_section_with_the_real_module(con: duckdb.DuckDBPyConnection) -> None:
    watchlist = pytest.importorskip("dashboard.watchlist")
    frame = watchlist.watch_list(con, URL_SELECTION)
    assert not frame.is_empty()  # the corpus has errors and a gap to find
    _, doc = build(con, URL_SELECTION)
    section = doc.section_text["六、关注清单"]
    assert section.startswith(f"共 {frame.height} 项，涉及 {frame['organ_id'].n_unique()} 个机关：")
    listed = doc.tables["需要关注的机关"][1:]
    assert len(listed) == min(frame.height, briefing.MAX_ROWS)
    rows = {(r["organ"], f"{r['year']}年", r["reason"], r["detail"]) for r in frame.to_dicts()}
    assert {tuple(r) for r in listed} <= rows
    # the latest year first
    years = [int(r[1].removesuffix("年")) for r in listed]
    assert years == sorted(years, reverse=True) and years[0] == frame["year"].max()


def test_peer_rows_are_formatted_as_the_measure_is(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []

    def peer_summary(cur: object, sel: Selection, measure: str) -> pl.DataFrame:
        calls.append(measure)
        rate = measures.MEASURES[measure].is_rate
        scale = 0.01 if rate else 10.0
        return pl.DataFrame(
            {
                "unit": ["前进区教育局"] * 2,
                "year": [2022, 2023],
                "value": [50 * scale, 60 * scale],
                "peers": [3, 8],
                "p25": [None, 40 * scale],
                "p50": [None, 50 * scale],
                "p75": [None, 70 * scale],
                "percentile": [None, 75.0],
            }
        )

    stub = types.ModuleType("dashboard.peers")
    stub.peer_summary = peer_summary  # type: ignore[attr-defined]
    stub.MIN_PEERS = 5  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "dashboard.peers", stub)
    sel = Selection(province="黑龙江省", city="佳木斯市", year_from=2020, year_to=2023)
    _, doc = build(con, sel)
    assert calls == list(briefing.PEER_MEASURES) == ["received", "open_rate"]
    section = doc.section_text["五、同级对标"]
    assert (
        "2023年，前进区教育局公开率为60.0%，同级 8 个单位的中位数为50.0%，高于 75% 的同级单位。"
        in (section)
    )
    assert doc.tables["前进区教育局本年新收申请与同级单位比较"][1:] == [
        ["2022年", "500件", "3", "—", "—", "—"],
        ["2023年", "600件", "8", "500件", "400件–700件", "高于 75% 的同级单位"],
    ]
    assert doc.tables["前进区教育局公开率与同级单位比较"][2] == [
        "2023年",
        "60.0%",
        "8",
        "50.0%",
        "40.0%–70.0%",
        "高于 75% 的同级单位",
    ]
    assert "同级单位不足 5 个" in section


def test_peer_section_with_the_real_module(
    con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    peers = pytest.importorskip("dashboard.peers")
    organ = con.execute("SELECT organ_id FROM organs WHERE name = '前进区教育局'").fetchall()[0][0]
    sel = Selection(organ_id=organ, year_from=2019, year_to=2024, include_demo=False)
    _, doc = build(con, sel)
    section = doc.section_text["五、同级对标"]
    for key in briefing.PEER_MEASURES:
        frame = peers.peer_summary(con, sel, key)
        label = measures.MEASURES[key].label
        assert not frame.is_empty() and frame["unit"][0] == "前进区教育局"
        if frame["p50"].is_null().all():  # the corpus has 2 peers of it: under the guard
            assert f"前进区教育局的{label}：各年同级可比单位都不足" in section
        else:
            assert f"前进区教育局{label}与同级单位比较" in doc.tables
    # nothing chosen: no unit to compare, and the document says what to choose
    _, doc = build(con, EVERYTHING)
    assert "当前范围未选定具体地区或机关" in doc.section_text["五、同级对标"]


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def test_the_page_previews_the_sections_and_offers_the_docx(
    app: AppTest, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.runtime.media_file_manager import MediaFileManager
    from streamlit.testing.v1 import app_test

    made: list[MediaFileManager] = []

    class Kept(MediaFileManager):
        """AppTest's media manager, kept so the deferred download can be run as a click."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            made.append(self)

    monkeypatch.setattr(app_test, "MediaFileManager", Kept)
    app.query_params.update(URL_FILTERS)
    at = open_page(app, "views/briefing.py")
    assert at.title[0].value == "一键简报"
    b = briefing.compose(con, at.session_state["_xxgk_context"].sel)
    shown = [s.value for s in at.main.subheader]
    assert shown == b.headings
    assert len(at.get("image")) == 0  # the figures are drawn for the file, or on request
    at.toggle(key="b_charts").set_value(True).run()
    assert len(at.get("image")) == len(charts_in(b)) == 4

    buttons = at.get("download_button")
    assert len(buttons) == 1 and buttons[0].proto.label == "下载简报（Word）"
    url = made[-1].execute_deferred(buttons[0].proto.deferred_file_id)
    file = made[-1].read_file(url.rsplit("/", 1)[1].split(".")[0])
    assert file is not None
    assert file.filename == briefing.file_name(b, date.today())
    assert file.mimetype == briefing.DOCX_MIME
    doc = read(file.content)
    assert doc.headings == b.headings
    assert doc.kpis(2023) == {k.label: (k.value, k.change, k.note) for k in b.kpis}
