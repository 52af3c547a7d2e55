"""The report page's two-year comparison and "where is this number from", on a warehouse the
real ingest builds from real report files.

The files: the two real PDF reports of 洪泽区人民政府 (2023 and 2024, the 2021 template), the
real seed report published as the same organ's 2020 report (the 2019 template, so the
template change shows), and the real 沭阳县发展和改革局 web page for 2023 with a copy for
2022 (a web page: cells located by table, row and column; many printed blanks). Every number
the page shows is checked against SQL on the warehouse written here; the highlight is checked
on the rendered pixels.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pypdfium2 as pdfium
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from dashboard import pdf_preview, report_diff
from dashboard import queries as dq
from pipelines import catalog
from pipelines.document import Cell, Table
from pipelines.ingest import ingest
from pipelines.readers import read_bytes
from pipelines.warehouse import open_readonly
from tests.helpers import CORPUS, SAMPLES
from tests.test_pdf_docx import _built_pdf, _draw_report
from tests.warehouse_helpers import seed_as, write

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
HZQ = "320813:人民政府"
SHUYANG = "321322:发展和改革局"


def build_detail_warehouse(tmp: Path) -> Path:
    reports = tmp / "reports"
    reports.mkdir(parents=True)
    for name in ("hzq_2023.pdf", "hzq_2024.pdf"):
        shutil.copy(CORPUS / "pdf" / name, reports / name)
    write(reports / "hzq_2020.txt", seed_as("淮安市洪泽区人民政府"))
    page = (SAMPLES / "shuyang_fgj_2023.html").read_bytes()
    (reports / "shuyang_fgj_2023.html").write_bytes(page)
    (reports / "shuyang_fgj_2022.html").write_bytes(page.replace(b"2023", b"2022"))
    db = tmp / "detail.duckdb"
    summary = ingest([reports], db, progress=False)
    assert summary.new == 5 and not summary.failed, summary
    return db


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_detail_warehouse(tmp_path_factory.mktemp("detail"))


def report_id(con: duckdb.DuckDBPyConnection, organ_id: str, year: int) -> str:
    return con.execute(
        "SELECT report_id FROM current_reports WHERE organ_id = ? AND year = ?", [organ_id, year]
    ).fetchall()[0][0]


def open_report(db: Path, monkeypatch: pytest.MonkeyPatch, rid: str) -> AppTest:
    monkeypatch.setenv("XXGK_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["report"] = rid
    at.run()
    at.switch_page("views/report.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def compare_with(at: AppTest, rid: str, year: int) -> AppTest:
    at.selectbox(key=f"compare_year_{rid}").set_value(year).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def compared(at: AppTest) -> dict[str, pd.DataFrame]:
    """The comparison's table of each part, by part."""
    out = {}
    for frame in at.dataframe:
        for part in report_diff.PARTS:
            if (frame.key or "").startswith(f"compare_{part}_"):
                out[part] = frame.value
    assert set(out) == set(report_diff.PARTS), [f.key for f in at.dataframe]
    return out


@dataclass(frozen=True)
class Fact:
    value: float | None
    blank: bool


def facts_of(con: duckdb.DuckDBPyConnection, rid: str) -> dict[str, Fact]:
    rows = con.execute(
        "SELECT metric, applicant, value, blank FROM facts WHERE report_id = ?", [rid]
    ).fetchall()
    return {(m if a is None else f"{m}@{a}"): Fact(v, b) for m, a, v, b in rows}


def page_cells(at: AppTest, index: int) -> list[str]:
    """The cell addresses of the page's own template table ``index`` (二, 三, 四), in order."""
    body = at.get("html")[index].proto.body
    return list(dict.fromkeys(re.findall(r'data-cell="([^"]+)"', body)))


# ---------------------------------------------------------------------------------------------
# Two years side by side
# ---------------------------------------------------------------------------------------------


def test_two_years_of_one_organ_cell_by_cell(
    db: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, old = report_id(con, HZQ, 2024), report_id(con, HZQ, 2023)
    at = compare_with(open_report(db, monkeypatch, new), new, 2023)
    frames = compared(at)
    a, b = facts_of(con, old), facts_of(con, new)

    # every cell of both reports is there, once, in the order the page's own tables print
    # them (the two reports share a form, so that order is the whole comparison)
    for index, part in enumerate(report_diff.PARTS):
        keys = frames[part]["key"].tolist()
        assert len(keys) == len(set(keys))
        assert keys == page_cells(at, index), part
    shown = pd.concat(frames.values()).set_index("key")
    assert set(a) | set(b) <= set(shown.index)

    # each number as printed, and the change = 2024 − 2023, for every cell
    checked = 0
    for key, row in shown.iterrows():
        for fact, text in ((a.get(key), row["2023年"]), (b.get(key), row["2024年"])):
            assert fact is not None and fact.value is not None  # WPS printed every cell
            assert float(text) == pytest.approx(fact.value)
        delta = b[key].value - a[key].value  # type: ignore[operator]
        change = row["变化"]
        if delta == 0:
            assert change == "0"
        else:
            assert change.startswith("+" if delta > 0 else "-")
            assert float(change) == pytest.approx(delta)
            checked += 1
    assert checked > 10

    # one cell as a reader would check it
    metric, applicant, before, after = con.execute(
        """
        SELECT x.metric, x.applicant, x.value, y.value
        FROM facts x JOIN facts y USING (metric, applicant)
        WHERE x.report_id = ? AND y.report_id = ? AND x.value < y.value
        ORDER BY y.value - x.value DESC LIMIT 1
        """,
        [old, new],
    ).fetchone()
    row = shown.loc[f"{metric}@{applicant}" if applicant else metric]
    assert row["2023年"] == f"{before:.15g}" and row["2024年"] == f"{after:.15g}"
    assert row["变化"] == f"+{after - before:.15g}"


def test_each_reports_findings_are_listed_and_marked(
    db: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, old = report_id(con, HZQ, 2024), report_id(con, HZQ, 2023)
    at = compare_with(open_report(db, monkeypatch, new), new, 2023)
    shown = pd.concat(compared(at).values()).set_index("key")
    tab = next(t for t in at.tabs if t.label == "年度对比")
    listings = [f.value for f in tab.dataframe if "rule" in f.value.columns]
    assert len(listings) == 2  # the earlier year's, then the later's
    for (rid, year), listing in zip(((old, 2023), (new, 2024)), listings, strict=True):
        found = con.execute(
            "SELECT rule, cells FROM findings WHERE report_id = ?", [rid]
        ).fetchall()
        assert found, year  # both real reports have findings (H5 in 2023, X1 in 2024)
        assert sorted(listing["rule"]) == sorted(rule for rule, _ in found)
        assert any(m.value == f"{year}年（{len(found)} 条）" for m in tab.markdown)
        named = {c for _, cells in found for c in cells if ":" not in c}
        for key in named:
            assert f"{year}年" in shown.loc[key, "审核发现"], key
        for key in set(shown.index) - named:
            assert f"{year}年" not in shown.loc[key, "审核发现"], key


def test_a_compared_row_shows_where_each_year_printed_it(
    db: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, old = report_id(con, HZQ, 2024), report_id(con, HZQ, 2023)
    at = compare_with(open_report(db, monkeypatch, new), new, 2023)
    frame = next(f for f in at.dataframe if (f.key or "").startswith("compare_review_"))
    keys = frame.value["key"].tolist()
    key = keys[len(keys) // 2]
    at.session_state[frame.key] = {"selection": {"rows": [keys.index(key)]}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    tab = next(t for t in at.tabs if t.label == "年度对比")
    captions = [c.value for c in tab.caption]
    for rid, year in ((old, 2023), (new, 2024)):
        (page,) = con.execute(
            "SELECT source_page FROM facts WHERE report_id = ? AND metric = ?", [rid, key]
        ).fetchone()
        assert any(c.startswith(f"{year}年报告 第{page}页") for c in captions), captions
    assert len(tab.image) == 4  # each year: the band around the cell, and the whole page


def test_a_cell_the_other_template_lacks_is_marked(
    db: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2020 (2019 template) against 2023 (2021 template): part 二 changed its columns."""
    new, old = report_id(con, HZQ, 2023), report_id(con, HZQ, 2020)
    at = compare_with(open_report(db, monkeypatch, new), new, 2020)
    shown = pd.concat(compared(at).values()).set_index("key")
    a, b = facts_of(con, old), facts_of(con, new)
    (editions_a,), (editions_b,) = (
        con.execute("SELECT table_editions FROM reports WHERE report_id = ?", [r]).fetchone()
        for r in (old, new)
    )

    def part(key: str) -> str:
        return catalog.METRICS_BY_KEY[key.partition("@")[0]].table

    def lacks(editions: str, key: str) -> str:
        return f"{json.loads(editions)[part(key)]}版表式无此格"

    only_a = set(a) - set(b)
    only_b = set(b) - set(a)
    assert only_a and only_b  # 本年新制作数量 … against 本年制发件数 …
    for key in only_a:
        assert "2021" not in catalog.METRICS_BY_KEY[key.partition("@")[0]].editions
        assert shown.loc[key, "2023年"] == lacks(editions_b, key) and shown.loc[key, "变化"] == ""
        assert float(shown.loc[key, "2020年"]) == pytest.approx(a[key].value)
    for key in only_b:
        assert shown.loc[key, "2020年"] == lacks(editions_a, key) and shown.loc[key, "变化"] == ""
        assert float(shown.loc[key, "2023年"]) == pytest.approx(b[key].value)
    # cells both forms have are compared as usual
    for key in set(a) & set(b):
        if a[key].value is not None and b[key].value is not None:
            assert float(shown.loc[key, "变化"]) == pytest.approx(b[key].value - a[key].value)


def test_a_blank_stays_blank(
    db: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, old = report_id(con, SHUYANG, 2023), report_id(con, SHUYANG, 2022)
    at = compare_with(open_report(db, monkeypatch, new), new, 2022)
    shown = pd.concat(compared(at).values()).set_index("key")
    a, b = facts_of(con, old), facts_of(con, new)
    blanks = [k for k in b if b[k].blank]
    assert len(blanks) > 20
    for key in blanks:
        assert a[key].blank
        assert shown.loc[key, "2022年"].startswith("空白")
        assert shown.loc[key, "2023年"].startswith("空白")
        assert shown.loc[key, "变化"] == ""  # not 0
    # a filter that shows only what changed leaves nothing: the copy is the same report
    at.toggle(key="compare_only_changed").set_value(True).run()
    assert not [f for f in at.dataframe if (f.key or "").startswith("compare_requests_")]


def test_diff_never_computes_with_a_blank(con: duckdb.DuckDBPyConnection) -> None:
    """The function itself: a blank against a number, and 0 against a blank."""
    rid = report_id(con, SHUYANG, 2023)
    facts = dq.report_facts(con, rid)
    editions = report_diff.table_editions(
        *con.execute(
            "SELECT table_editions, edition FROM reports WHERE report_id = ?", [rid]
        ).fetchone()
    )
    blank = facts.filter(pl.col("blank")).row(0, named=True)
    zero = facts.filter(pl.col("value") == 0).row(0, named=True)

    def at(fact: dict) -> pl.Expr:
        return (pl.col("metric") == fact["metric"]) & pl.col("applicant").eq_missing(
            fact["applicant"]
        )

    # the blank cell now printed as 3, the zero cell now printed blank
    changed = facts.with_columns(
        value=pl.when(at(blank)).then(3.0).when(at(zero)).then(None).otherwise(pl.col("value")),
        blank=pl.when(at(blank)).then(False).when(at(zero)).then(True).otherwise(pl.col("blank")),
    )
    diff = report_diff.diff(facts, changed, editions, editions)
    assert diff.columns[:5] == ["part", "key", "row", "column", "label"]
    by_key = {r["key"]: r for r in diff.iter_rows(named=True)}
    b_key = report_diff.cell_key(blank["metric"], blank["applicant"])
    z_key = report_diff.cell_key(zero["metric"], zero["applicant"])
    assert by_key[b_key]["state_a"] == "blank" and by_key[b_key]["value_b"] == 3
    assert by_key[z_key]["value_a"] == 0 and by_key[z_key]["state_b"] == "blank"
    for key in (b_key, z_key):
        assert by_key[key]["change"] is None and by_key[key]["differs"]
    others = diff.filter(~diff["key"].is_in([b_key, z_key]))
    assert not others["differs"].any()
    assert (others.filter(others["change"].is_not_null())["change"] == 0).all()


# ---------------------------------------------------------------------------------------------
# Where a number came from: the rendered page
# ---------------------------------------------------------------------------------------------


def highlight(image: Image.Image) -> np.ndarray:
    return (np.asarray(image.convert("RGB")) == pdf_preview.HIGHLIGHT).all(axis=2)


def assert_framed(
    image: Image.Image, box: tuple[float, ...], page_size: tuple[float, float]
) -> None:
    """The highlight colour surrounds the box (scaled to pixels) on all four sides, stays
    within a few points of it, never covers the box's inside, and is nowhere else; and the
    box's inside holds ink (the number)."""
    sx, sy = image.width / page_size[0], image.height / page_size[1]
    x0, y0, x1, y1 = box[0] * sx, box[1] * sy, box[2] * sx, box[3] * sy
    slack = 8 * max(sx, sy)  # the frame stands a few points off the box
    mask = highlight(image)
    ys, xs = np.nonzero(mask)
    assert xs.size
    assert xs.min() <= x0 and xs.max() >= x1 and ys.min() <= y0 and ys.max() >= y1
    assert xs.min() >= x0 - slack and xs.max() <= x1 + slack
    assert ys.min() >= y0 - slack and ys.max() <= y1 + slack
    cx, cy = int((x0 + x1) / 2), int((y0 + y1) / 2)
    assert mask[: int(y0), cx].any() and mask[int(y1) + 1 :, cx].any()  # above and below
    assert mask[cy, : int(x0)].any() and mask[cy, int(x1) + 1 :].any()  # left and right
    inside = (slice(int(y0) + 1, int(y1)), slice(int(x0) + 1, int(x1)))
    assert not mask[inside].any()
    pixels = np.asarray(image.convert("L"))[inside]
    assert (pixels < 128).any()  # the printed number


def page_size(data: bytes, page: int) -> tuple[float, float]:
    pdf = pdfium.PdfDocument(data)
    try:
        return pdf[page - 1].get_size()
    finally:
        pdf.close()


def test_the_page_is_rendered_with_the_cell_framed(con: duckdb.DuckDBPyConnection) -> None:
    for year in (2023, 2024):
        rid = report_id(con, HZQ, year)
        path = con.execute("SELECT source_path FROM reports WHERE report_id = ?", [rid]).fetchone()
        data = Path(path[0]).read_bytes()
        # one cell of each part, from the warehouse
        for table in ("active", "requests", "review"):
            page, box = con.execute(
                """SELECT source_page, source_box FROM facts WHERE report_id = ? AND "table" = ?
                   ORDER BY metric, applicant LIMIT 1""",
                [rid, table],
            ).fetchone()
            pv = pdf_preview.preview(path[0], rid, page, box)
            assert pv.page == page and max(pv.image.size) <= pdf_preview.MAX_SIDE
            assert_framed(pv.image, tuple(box), page_size(data, page))
            # the colour is the frame's alone: the page without it has none
            assert not highlight(pdf_preview.render(data, page, None).image).any()
            # the close-up is a band of the same page around the cell
            close = pv.close_up()
            assert close.width == pv.image.width and close.height < pv.image.height
            assert highlight(close).sum() == highlight(pv.image).sum()


def upright_pdf(rotate: int) -> bytes:
    """``_draw_report``'s page (a paragraph and a ruled table), with ``/Rotate`` and its
    content turned back: it displays exactly like the upright page."""
    return _built_pdf(_draw_report, rotate)


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_a_rotated_page_frames_the_same_cell(rotate: int) -> None:
    """The reader measures boxes on the page as displayed, and PDFium renders it as
    displayed: on a page with ``/Rotate`` the frame is where the upright page has it."""

    def cell(data: bytes, text: str) -> Cell:
        doc = read_bytes(data, "rotated.pdf")
        table = next(b for b in doc.blocks if isinstance(b, Table))
        return next(c for row in table.cells for c in row if c == text)

    plain, turned = upright_pdf(0), upright_pdf(rotate)
    pages = []
    for data in (plain, turned):
        found = cell(data, "12")
        assert found.origin.page == 1 and found.origin.box
        pv = pdf_preview.render(data, 1, found.origin.box)
        assert_framed(pv.image, found.origin.box, page_size(data, 1))
        pages.append(pv.image)
    assert pdfium.PdfDocument(turned)[0].get_rotation() == rotate
    # the same page, the same frame
    upright, rotated = (np.asarray(p.convert("L")).astype(int) for p in pages)
    assert upright.shape == rotated.shape
    assert np.abs(upright - rotated).mean() < 2
    a, b = (highlight(p) for p in pages)
    assert (a & b).sum() / (a | b).sum() > 0.9


def test_rendering_is_bounded(tmp_path: Path) -> None:
    """A page of 200 × 200 inches renders within the pixel cap, frame and all."""
    from reportlab.pdfgen import canvas

    path = tmp_path / "huge.pdf"
    c = canvas.Canvas(str(path), pagesize=(14400, 14400))
    c.rect(7000, 7000, 200, 100)
    c.drawString(7010, 7040, "42")
    c.showPage()
    c.save()
    data = path.read_bytes()
    pv = pdf_preview.render(data, 1, (7000, 14400 - 7100, 7200, 14400 - 7000))
    assert max(pv.image.size) <= pdf_preview.MAX_SIDE
    assert pv.image.width * pv.image.height <= pdf_preview.MAX_PIXELS
    assert highlight(pv.image).any()
    with pytest.raises(pdf_preview.Unavailable, match="没有第 2 页"):
        pdf_preview.render(data, 2, None)
    with pytest.raises(pdf_preview.Unavailable, match="不在这一页的可见范围内"):
        pdf_preview.render(data, 1, (100, -80, 200, -60))  # above the page


# ---------------------------------------------------------------------------------------------
# Where a number came from: on the page
# ---------------------------------------------------------------------------------------------


def grid(at: AppTest, rid: str, part: str = "requests") -> pd.DataFrame:
    return next(f for f in at.dataframe if f.key == f"source_grid_{part}_{rid[:12]}").value


def pick(at: AppTest, rid: str, row: int, column: str, part: str = "requests") -> AppTest:
    at.session_state[f"source_grid_{part}_{rid[:12]}"] = {"selection": {"cells": [[row, column]]}}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def new_received_row(frame: pd.DataFrame) -> int:
    label = catalog.REQUEST_ROWS_BY_KEY["requests.new_received"].metric.path
    return frame.index[frame["项目"] == label][0]


def test_clicking_a_pdf_cell_shows_its_page_framed(
    db: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = report_id(con, HZQ, 2024)
    calls: list[tuple[tuple, pdf_preview.Preview]] = []
    real = pdf_preview.preview

    def spy(*args: object) -> pdf_preview.Preview:
        result = real(*args)  # type: ignore[arg-type]
        calls.append((args, result))
        return result

    monkeypatch.setattr(pdf_preview, "preview", spy)
    at = open_report(db, monkeypatch, rid)
    frame = grid(at, rid)
    assert not at.image and not calls  # nothing until a cell is clicked
    row = new_received_row(frame)
    value, page, box = con.execute(
        """SELECT value, source_page, source_box FROM facts WHERE report_id = ?
           AND metric = 'requests.new_received' AND applicant = 'total'""",
        [rid],
    ).fetchone()
    assert float(frame.loc[row, "总计"]) == value
    at = pick(at, rid, int(row), "总计")
    assert len(at.image) == 2  # the band around the cell, and the whole page in an expander
    assert any(f"第{page}页" in c.value for c in at.caption)
    (args, shown), *_ = calls
    assert args[1:] == (rid, page, box)
    data = Path(args[0]).read_bytes()  # type: ignore[arg-type]
    assert_framed(shown.image, tuple(box), page_size(data, page))


def test_clicking_a_web_page_cell_names_its_table_row_and_column(
    db: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = report_id(con, SHUYANG, 2023)
    at = open_report(db, monkeypatch, rid)
    frame = grid(at, rid)
    table, row, col = con.execute(
        """SELECT source_table, source_row, source_col FROM facts WHERE report_id = ?
           AND metric = 'requests.new_received' AND applicant = 'natural_person'""",
        [rid],
    ).fetchone()
    at = pick(at, rid, int(new_received_row(frame)), "自然人")
    assert not at.image
    assert any(
        f"第{table + 1}张表 第{row + 1}行 第{col + 1}列" in m.value for m in at.main.markdown
    )


def test_a_text_report_says_it_has_no_place_to_show(
    db: Path, con: duckdb.DuckDBPyConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_report(db, monkeypatch, report_id(con, HZQ, 2020))
    assert any("纯文本" in i.value for i in at.main.info)


def test_a_changed_or_missing_source_file_is_never_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    pdf = folder / "hzq_2023.pdf"
    shutil.copy(CORPUS / "pdf" / "hzq_2023.pdf", pdf)
    db = tmp_path / "w.duckdb"
    assert ingest([folder], db, progress=False).new == 1
    c = open_readonly(db)
    try:
        rid, page, box = c.execute(
            """SELECT report_id, source_page, source_box FROM facts
               WHERE metric = 'requests.new_received' AND applicant = 'total'"""
        ).fetchone()
    finally:
        c.close()

    # as ingested: shown
    assert pdf_preview.source_bytes(str(pdf), rid) == pdf.read_bytes()
    at = open_report(db, monkeypatch, rid)
    at = pick(at, rid, int(new_received_row(grid(at, rid))), "总计")
    assert len(at.image) == 2 and not at.main.warning

    # one byte more (a PDF still opens with trailing bytes): refused, in Chinese
    original = pdf.read_bytes()
    pdf.write_bytes(original + b"\n%")
    with pytest.raises(pdf_preview.Unavailable, match="被修改或替换"):
        pdf_preview.preview(str(pdf), rid, page, box)
    at.run()
    assert not at.image
    assert any("被修改或替换" in w.value for w in at.main.warning)

    # another file under the name: refused the same way
    shutil.copy(CORPUS / "pdf" / "hzq_2024.pdf", pdf)
    at.run()
    assert not at.image and any("被修改或替换" in w.value for w in at.main.warning)

    # gone
    pdf.unlink()
    at.run()
    assert not at.image and any("已不在" in w.value for w in at.main.warning)
