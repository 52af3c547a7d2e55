"""PDF and Word reports read to exactly the numbers their source reports hold.

The fixtures are committed files (``tools/make_pdf_docx_fixtures.py`` remakes them), so these
tests need neither Chromium nor LibreOffice. Besides the numbers they check what the readers
promise about structure: paragraphs joined, tables stitched across page breaks with merged
cells carried, page numbers gone, no invented spaces, and a one-line error for every file
that cannot be read.
"""

from __future__ import annotations

import functools
import io
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import docx
import pypdfium2 as pdfium
import pytest

from pipelines.document import Document, Paragraph, Table
from pipelines.errors import ReportError, UnreadableFile, UnsupportedFormat
from pipelines.parse.model import Report
from pipelines.pipeline import parse_file
from pipelines.readers import legacy as legacy_reader
from pipelines.readers import read_bytes, read_document
from pipelines.readers.docx import read_docx
from tests.helpers import CORPUS, ROOT, expected_facts, load_expected, missing_prose_counts

FIXTURES = ROOT / "tests" / "fixtures"
PDF = FIXTURES / "pdf"
DOCX = FIXTURES / "docx"

CASES = [
    (CORPUS / "pdf" / "hzq_2023.pdf", "hzq_2023"),
    (CORPUS / "pdf" / "hzq_2024.pdf", "hzq_2024"),
    (PDF / "seed_2020.pdf", "000_seed"),
    (PDF / "shuyang_fgj_2023.pdf", "shuyang_fgj_2023"),
    (DOCX / "seed_2020.docx", "000_seed"),
    (DOCX / "shuyang_fgj_2023.docx", "shuyang_fgj_2023"),
]
IDS = [f"{p.parent.name}/{p.name}" for p, _ in CASES]


# --- every number -------------------------------------------------------------------------------


@functools.cache
def _report(path: Path) -> Report:
    return parse_file(path)


@pytest.mark.parametrize(("path", "stem"), CASES, ids=IDS)
def test_every_cell_matches_expected(path: Path, stem: str) -> None:
    report = _report(path)
    expected = load_expected(stem)
    assert {f.cell: f.value for f in report.facts} == expected_facts(expected)
    assert report.year == expected["year"]
    assert report.edition == expected["edition"]
    assert report.organ == expected["organ"]


@pytest.mark.parametrize(("path", "stem"), CASES, ids=IDS)
def test_prose_counts_match_expected(path: Path, stem: str) -> None:
    report = _report(path)
    assert missing_prose_counts(report, load_expected(stem)) == []


@pytest.mark.parametrize(("path", "stem"), CASES, ids=IDS)
def test_every_row_is_read(path: Path, stem: str) -> None:
    """No part-三 row left unrecognised, no row with the wrong number of values."""
    assert _report(path).warnings == []


# --- PDF structure ------------------------------------------------------------------------------


@functools.cache
def _doc(path: Path) -> Document:
    return read_document(path)


def _tables(doc: Document) -> list[Table]:
    return [b for b in doc.blocks if isinstance(b, Table)]


def _requests_table(doc: Document) -> Table:
    return next(t for t in _tables(doc) if any("本年新收" in "".join(r) for r in t.cells))


def _row(table: Table, label: str) -> int:
    return next(i for i, row in enumerate(table.cells) if any(label in c for c in row))


def test_wps_prose_is_paragraphs_not_phantom_tables() -> None:
    doc = _doc(CORPUS / "pdf" / "hzq_2023.pdf")
    assert doc.blocks[0] == Paragraph("洪泽区人民政府")
    assert doc.blocks[1] == Paragraph("2023年政府信息公开工作年度报告")
    assert all(len(t.cells[0]) >= 2 for t in _tables(doc))
    paragraphs = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    # One paragraph per paragraph: the lines of 一(一) are joined, hanging punctuation kept.
    assert any(p.startswith("（一）主动公开情况。") and "1136条。" in p for p in paragraphs)
    assert any(p.endswith("推进政府信息公开工作规范、有序、健康发展。") for p in paragraphs)
    assert "二、主动公开政府信息情况" in paragraphs


def test_prose_split_over_a_line_break_is_one_paragraph() -> None:
    doc = _doc(CORPUS / "pdf" / "hzq_2024.pdf")
    text = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    assert any("公开政府常务会议7期" in p for p in text)


def test_no_invented_spaces_and_no_page_numbers() -> None:
    for path in (CORPUS / "pdf" / "hzq_2023.pdf", PDF / "seed_2020.pdf"):
        cells = [c for row in _doc(path).rows() for c in row]
        assert not any(c.strip() in ("-3-", "-4-", "- 2 -", "- 3 -") for c in cells), path
        assert "总计" in cells
        assert not any("总 计" in c or "2023 年" in c or "情 形" in c for c in cells), path


def test_table_split_across_pages_is_one_table_in_order() -> None:
    doc = _doc(CORPUS / "pdf" / "hzq_2023.pdf")
    table = _requests_table(doc)
    labels = [row[2] for row in table.cells]
    i = labels.index("2.没有现成信息需要另行制作")  # last row on p.3
    assert labels[i + 1] == "3.补正后申请内容仍不明确"  # first row on p.4
    assert "四、结转下年度继续办理" in table.cells[-1]
    # Part 四 follows part 三 directly: the split did not scatter rows elsewhere.
    assert not any(
        b
        for b in doc.blocks
        if isinstance(b, Table)
        and b is not table
        and any("补正后申请" in "".join(r) for r in b.cells)
    )


def test_merged_cell_carried_across_the_page_break() -> None:
    """WPS draws no top border over a merged cell continued from the previous page."""
    table = _requests_table(_doc(CORPUS / "pdf" / "hzq_2023.pdf"))
    above, below = _row(table, "2.没有现成信息"), _row(table, "3.补正后申请")
    assert table.cells[below][:2] == ["三、本年度办理结果", "（四）无法提供"]
    assert table.anchors[below][:2] == table.anchors[above][:2]
    # Merged cells repeat text in the grid and share one anchor; rows() gives each once.
    assert next(table.rows())[0].startswith("（本列数据的勾稽关系")
    assert table.cells[0][:3] == [table.cells[0][0]] * 3
    assert len(set(table.anchors[0][:3])) == 1


def test_border_drawn_over_a_continued_cell_keeps_it_separate() -> None:
    """hzq 2024 draws the top border across: the continued rows' label cells stay empty."""
    table = _requests_table(_doc(CORPUS / "pdf" / "hzq_2024.pdf"))
    row = _row(table, "2.没有现成信息")
    assert table.cells[row][:2] == ["", ""]


def test_repeated_header_on_the_next_page_is_dropped() -> None:
    doc = _doc(PDF / "seed_2020.pdf")
    assert doc.pages and doc.pages > 1
    table = _requests_table(doc)
    assert sum(1 for row in table.cells if "申请人情况" in row) == 1
    assert sum(1 for row in doc.rows() if any("申请人情况" in c for c in row)) == 1
    labels = [row[2] for row in table.cells]
    assert labels.index("8.属于行政查询事项") == labels.index("7.属于行政执法案卷") + 1


def test_lost_header_cell_is_recovered() -> None:
    """hzq 2023 p.3: no top border over '信息内容', pdfplumber gives no cell there."""
    doc = _doc(CORPUS / "pdf" / "hzq_2023.pdf")
    continued = next(t for t in _tables(doc) if any("行政处罚" in r for r in t.cells))
    assert continued.cells[0] == ["信息内容", "本年处理决定数量"]


def test_blank_columns_stay_blank_across_a_page_break() -> None:
    """Shuyang's 法人 columns are empty in every row, also on the continuation page."""
    table = _requests_table(_doc(PDF / "shuyang_fgj_2023.pdf"))
    assert all(len(row) == 10 for row in table.cells)
    row = table.cells[_row(table, "4.保护第三方合法权益")]
    assert row[3:] == ["0", "", "", "", "", "", "0"]


def test_radical_glyphs_are_folded_to_ideographs() -> None:
    """Chromium maps shared glyphs back to Kangxi radicals (⼀, ⾏, ⺠)."""
    text = "".join(c for row in _doc(PDF / "shuyang_fgj_2023.pdf").rows() for c in row)
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text)
    assert "一、总体情况" in text and "行政许可" in text


# --- PDF geometry the fixtures do not cover -----------------------------------------------------

_ROWS = [["项目", "本年新收", "合计"], ["一、自然人", "12", "15"], ["二、法人", "4", "4"]]
_PROSE = "（一）主动公开情况。本年度共主动公开政府信息1136条。"


def _draw_report(c) -> None:
    """A paragraph and a ruled 3×3 table, drawn in portrait A4 coordinates."""
    c.setFont("STSong-Light", 12)
    c.drawString(60, 780, _PROSE)
    for r in range(4):
        c.line(60, 700 - 22 * r, 360, 700 - 22 * r)
    for k in range(4):
        c.line(60 + 100 * k, 700, 60 + 100 * k, 634)
    c.setFont("STSong-Light", 10)
    for r, row in enumerate(_ROWS):
        for k, text in enumerate(row):
            c.drawString(64 + 100 * k, 685 - 22 * r, text)


def _built_pdf(draw, rotate: int = 0) -> bytes:
    """One A4 page drawn by ``draw``; with ``rotate`` the page carries ``/Rotate`` and its
    content is turned back, so it displays exactly like the unrotated page. (reportlab takes
    ``pagesize`` as the page as displayed and turns the media box itself for 90 and 270.)"""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    width, height = A4
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=(width, height))
    if rotate:
        c.setPageRotation(rotate)
        c.translate(*{90: (height, 0), 180: (width, height), 270: (0, width)}[rotate])
        c.rotate(rotate)
    draw(c)
    c.showPage()
    c.save()
    return buffer.getvalue()


def test_built_pdf_reads_as_drawn() -> None:
    doc = read_bytes(_built_pdf(_draw_report), "built.pdf")
    assert doc.blocks == [Paragraph(_PROSE), Table(cells=_ROWS)]


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_rotated_page_reads_like_an_upright_one(rotate: int) -> None:
    """Coordinates are taken on the page as displayed, so ``/Rotate`` changes nothing."""
    plain = read_bytes(_built_pdf(_draw_report), "plain.pdf")
    turned = read_bytes(_built_pdf(_draw_report, rotate), "rotated.pdf")
    assert turned.blocks == plain.blocks
    # and every cell is where the upright page has it, on the page
    boxes = [
        [[c.origin.box for c in row] for row in b.cells]
        for doc in (plain, turned)
        for b in doc.blocks
        if isinstance(b, Table)
    ]
    flat = [(a, b) for ra, rb in zip(*boxes, strict=True) for a, b in zip(ra, rb, strict=True)]
    assert all(max(abs(x - y) for x, y in zip(a, b, strict=True)) < 0.1 for a, b in flat)
    assert all(0 <= a[0] < a[2] <= 595.3 and 0 <= a[1] < a[3] <= 841.9 for a, _ in flat)


def test_table_and_text_inside_a_scaled_form_xobject() -> None:
    """Shapes and text drawn through a form XObject (as WPS does for stamps and headers)."""

    def draw(c) -> None:
        c.beginForm("report")
        _draw_report(c)
        c.endForm()
        c.saveState()
        c.translate(-30, -60)
        c.scale(1.1, 1.1)
        c.doForm("report")
        c.restoreState()

    doc = read_bytes(_built_pdf(draw), "form.pdf")
    assert doc.blocks == [Paragraph(_PROSE), Table(cells=_ROWS)]


def test_glyphs_drawn_twice_for_bold_are_read_once() -> None:
    def draw(c) -> None:
        _draw_report(c)
        c.setFont("STSong-Light", 12)
        c.drawString(60.5, 780.3, _PROSE)  # fake bold: the same line, a hair to the right

    doc = read_bytes(_built_pdf(draw), "bold.pdf")
    assert doc.blocks[0] == Paragraph(_PROSE)


def test_ruled_cells_snap_join_and_merge() -> None:
    """The table finder on hand-made edges: borders 1.5 pt apart are one border, a border
    broken by a 3 pt gap is whole, and a missing inner border merges two cells."""
    from pipelines.readers.pdf_tables import find_tables as ruled_tables

    def line(x0: float, top: float, x1: float, bottom: float) -> dict:
        return {"object_type": "line", "x0": x0, "top": top, "x1": x1, "bottom": bottom}

    shapes = [
        line(100, 100, 300, 100),
        line(100, 130, 198, 130),  # the middle border, drawn in two pieces
        line(201, 130, 300, 130),
        line(100, 160, 300, 160),
        line(100, 100, 100, 160),
        line(200, 100, 200, 130),  # inner border of the top row only ...
        line(300, 100, 300, 160),
        line(300.75, 100, 300.75, 101),  # too short to count, but moves the snap mean
    ]
    tables = ruled_tables(shapes)
    assert len(tables) == 1
    right = tables[0].bbox[2]
    assert right == pytest.approx(300.375)
    assert sorted(tables[0].cells) == [
        (100, 100, 200, 130),
        (100, 130, right, 160),  # ... so the bottom row is one merged cell
        (200, 100, right, 130),
    ]


def test_pdf_reader_does_not_load_pdfminer() -> None:
    """All PDF parsing is PDFium's (C); pdfminer parsed pages in Python at ~60 ms each."""
    code = (
        "import sys, pipelines.readers.pdf; "
        "sys.exit(bool({'pdfminer', 'pdfplumber'} & set(sys.modules)))"
    )
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60).returncode == 0


# --- DOCX structure -----------------------------------------------------------------------------


def test_docx_anchors_agree_with_python_docx_cells() -> None:
    """Grid positions share an anchor exactly when python-docx gives them the same ``_tc``."""
    path = DOCX / "seed_2020.docx"
    ours = _tables(_doc(path))
    theirs = docx.Document(str(path)).tables
    assert len(ours) == len(theirs)
    for table, source in zip(ours, theirs, strict=True):
        tcs = [[cell._tc for cell in row.cells] for row in source.rows]
        assert [len(r) for r in tcs] == [len(r) for r in table.anchors]
        positions = [(r, c) for r, row in enumerate(tcs) for c in range(len(row))]
        for a in positions:
            for b in positions:
                same_tc = tcs[a[0]][a[1]] is tcs[b[0]][b[1]]
                same_anchor = table.anchors[a[0]][a[1]] == table.anchors[b[0]][b[1]]
                assert same_tc == same_anchor, (a, b)


def test_docx_vertical_and_horizontal_merges() -> None:
    table = _requests_table(_doc(DOCX / "seed_2020.docx"))
    first, last = _row(table, "1. 属于国家秘密"), _row(table, "8. 属于行政查询事项")
    group = {table.anchors[r][1] for r in range(first, last + 1)}
    assert len(group) == 1 and table.cells[last][1] == "(三) 不予公开"
    top = _row(table, "一、本年新收")
    assert len(set(table.anchors[top][:3])) == 1


def _docx_bytes(build) -> bytes:
    document = docx.Document()
    build(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_docx_body_order_nested_tables_text_boxes_and_content_controls() -> None:
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'

    def build(d) -> None:
        d.add_paragraph("标题")
        layout = d.add_table(rows=1, cols=1)
        layout.cell(0, 0).paragraphs[0].text = "版式表格里的段落"
        inner = layout.cell(0, 0).add_table(rows=2, cols=2)
        inner.cell(0, 0).text, inner.cell(0, 1).text = "规章", "3"
        inner.cell(1, 0).text, inner.cell(1, 1).text = "行政许可", "5"
        anchor = d.add_paragraph("正文")
        anchor._p.append(
            parse_xml(
                f"<w:r {w} {mc}><mc:AlternateContent><mc:Choice Requires='wps'>"
                "<w:drawing><w:txbxContent><w:p><w:r><w:t>文本框里的字</w:t></w:r></w:p>"
                "</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent>"
                "<w:p><w:r><w:t>文本框里的字</w:t></w:r></w:p></w:txbxContent></w:pict>"
                "</mc:Fallback></mc:AlternateContent></w:r>"
            )
        )
        anchor._p.append(parse_xml(f"<w:del {w}><w:r><w:delText>删掉的</w:delText></w:r></w:del>"))
        d.element.body.insert(
            len(d.element.body) - 1,
            parse_xml(
                f"<w:sdt {w}><w:sdtContent><w:p><w:r><w:t>内容控件里的段落</w:t></w:r></w:p>"
                "</w:sdtContent></w:sdt>"
            ),
        )

    doc = read_docx(_docx_bytes(build), "built.docx")
    texts = [b.text if isinstance(b, Paragraph) else b.cells for b in doc.blocks]
    assert texts == [
        "标题",
        "版式表格里的段落",
        [["规章", "3"], ["行政许可", "5"]],
        "正文",
        "文本框里的字",
        "内容控件里的段落",
    ]


# --- files that cannot be read ------------------------------------------------------------------


def _refused(path: Path | str, data: bytes | None = None) -> ReportError:
    start = time.perf_counter()
    with pytest.raises(ReportError) as info:
        if data is None:
            read_document(path)
        else:
            read_bytes(data, str(path))
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "\n" not in message and "/ " in message  # Chinese, then the English gloss
    return info.value


def test_scanned_pdf() -> None:
    error = _refused(PDF / "scanned.pdf")
    assert isinstance(error, UnreadableFile)
    assert error.reason == "扫描件，无可提取文字 / scanned PDF, no text layer"


def test_pdf_without_any_text_or_image() -> None:
    blank = pdfium.PdfDocument.new()
    blank.new_page(595, 842)
    buffer = io.BytesIO()
    blank.save(buffer)
    assert "没有可提取的文字" in _refused("blank.pdf", buffer.getvalue()).reason


def test_encrypted_pdf() -> None:
    assert "已加密" in _refused(PDF / "encrypted.pdf").reason


@pytest.mark.parametrize("cut", [0.5, 0.98])
def test_truncated_or_corrupt_pdf(cut: float) -> None:
    data = (CORPUS / "pdf" / "hzq_2023.pdf").read_bytes()
    assert "损坏" in _refused("cut.pdf", data[: int(len(data) * cut)]).reason


def test_corrupt_pdf() -> None:
    assert "损坏" in _refused("junk.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 50).reason


def test_truncated_docx() -> None:
    assert "不完整或已损坏" in _refused(DOCX / "truncated.docx").reason


def test_docx_zip_bomb_by_ratio() -> None:
    assert "压缩炸弹" in _refused(DOCX / "zip_bomb.docx").reason


def test_docx_zip_bomb_by_declared_size() -> None:
    """A member that declares 300 MB is refused from the directory alone, before inflating."""
    data = bytearray((DOCX / "seed_2020.docx").read_bytes())
    entry = data.find(b"PK\x01\x02")  # first central-directory record
    # Compressed and uncompressed size both 300 MB: no suspicious ratio, just too big.
    struct.pack_into("<II", data, entry + 20, 300 * 1024 * 1024, 300 * 1024 * 1024)
    assert "体积过大" in _refused("big.docx", bytes(data)).reason


def test_zip_that_is_not_a_word_document() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types>spreadsheetml.sheet.main</Types>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
    error = _refused("book.docx", buffer.getvalue())
    assert isinstance(error, UnsupportedFormat) and "Excel" in error.reason


def test_content_decides_the_reader_not_the_name() -> None:
    data = (DOCX / "seed_2020.docx").read_bytes()
    assert read_bytes(data, "misnamed.pdf").format == "docx"


@pytest.mark.parametrize(
    "path",
    [PDF / "scanned.pdf", PDF / "encrypted.pdf", DOCX / "truncated.docx", DOCX / "zip_bomb.docx"],
    ids=lambda p: p.name,
)
def test_cli_refuses_with_one_line(path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "parse", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xxgk: ") and str(path) in lines[0]
    assert "Traceback" not in result.stderr


# --- legacy .doc through LibreOffice ------------------------------------------------------------


def test_doc_without_libreoffice_says_what_to_install(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    error = _refused(DOCX / "seed_2020.doc")
    assert isinstance(error, UnsupportedFormat)
    assert "LibreOffice" in error.reason and "libreoffice-writer-nogui" in error.reason


def _fake_soffice(tmp_path: Path, body: str) -> None:
    exe = tmp_path / "soffice"
    exe.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    exe.chmod(0o755)


def test_doc_conversion_timeout_is_one_line(monkeypatch, tmp_path) -> None:
    _fake_soffice(tmp_path, "exec sleep 30")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    monkeypatch.setattr(legacy_reader, "CONVERT_TIMEOUT", 0.5)
    assert "超时" in _refused(DOCX / "seed_2020.doc").reason


def test_doc_conversion_failure_is_one_line(monkeypatch, tmp_path) -> None:
    _fake_soffice(tmp_path, "exit 0")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    assert "无法转换" in _refused(DOCX / "seed_2020.doc").reason


def test_libreoffice_that_aborts_is_not_blamed_on_the_file(monkeypatch, tmp_path) -> None:
    """LibreOffice aborts (SIGABRT) on a machine with no font at all: the message says the
    machine's LibreOffice cannot run, not that the file is damaged."""
    _fake_soffice(tmp_path, "kill -ABRT $$")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    reason = _refused(DOCX / "seed_2020.doc").reason
    assert "LibreOffice 无法运行" in reason and "损坏" not in reason


def _libreoffice_cannot_run() -> str | None:
    """Why LibreOffice cannot convert here (not installed; installed but it aborts, as it
    does on a machine with no font at all), or None."""
    if legacy_reader.soffice() is None:
        return "LibreOffice is not installed"
    try:
        legacy_reader.convert_to_docx(b"{\\rtf1 probe}", "probe.rtf", ".rtf")
    except legacy_reader.LibreOfficeFailed as exc:
        return f"LibreOffice cannot run here: {exc.reason}"
    return None


def test_doc_converted_by_libreoffice_matches_expected() -> None:
    if (reason := _libreoffice_cannot_run()) is not None:
        pytest.skip(reason)
    report = parse_file(DOCX / "seed_2020.doc")
    assert {f.cell: f.value for f in report.facts} == expected_facts(load_expected("000_seed"))
    assert report.format == "doc"
