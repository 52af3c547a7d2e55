"""HTML as portals publish it: declared GB charsets, Word-export markup, merged cells."""

from __future__ import annotations

from pathlib import Path

from pipelines.document import Table
from pipelines.pipeline import parse_file
from pipelines.readers import read_document
from tests.helpers import SAMPLES, expected_facts, load_expected

SHUYANG = (SAMPLES / "shuyang_fgj_2023.html").read_text(encoding="utf-8")
WANT = expected_facts(load_expected("shuyang_fgj_2023"))
# 镕 and 喆 are in GBK/GB18030 but not in GB2312: lxml truncates a gb2312 page at them.
RARE = "朱镕基同志题词，陶喆演唱"


def test_gb2312_declared_page_keeps_characters_outside_gb2312(tmp_path: Path) -> None:
    page = SHUYANG.replace('<meta charset="utf-8" />', '<meta charset="gb2312" />')
    page = page.replace("一、总体情况", f"一、总体情况</p><p>{RARE}", 1)
    path = tmp_path / "gb.html"
    path.write_bytes(page.encode("gb18030"))
    doc = read_document(path)
    assert doc.encoding == "gb18030"
    assert any(RARE in row[0] for row in doc.rows())
    report = parse_file(path)
    assert {f.cell: f.value for f in report.facts} == WANT
    assert report.organ == "沭阳县发展和改革局"


def test_undeclared_gbk_page_is_detected(tmp_path: Path) -> None:
    page = SHUYANG.replace('<meta charset="utf-8" />', "")
    path = tmp_path / "gbk.html"
    path.write_bytes(page.encode("gbk"))
    assert {f.cell: f.value for f in parse_file(path).facts} == WANT


def test_rowspan_and_colspan_are_expanded() -> None:
    doc = read_document(SAMPLES / "shuyang_fgj_2023.html")
    tables = [b for b in doc.blocks if isinstance(b, Table)]
    part3 = next(t for t in tables if any("本年新收" in c for row in t.cells for c in row))
    # The 三、本年度办理结果 label spans 22 rows: every one of them carries it.
    carrying = [row for row in part3.cells if row[0] == "三、本年度办理结果"]
    assert len(carrying) == 22
    # A merged cell is one cell per row in Table.rows(), however many columns it spans.
    first = next(r for r in part3.rows() if r[0].startswith("一、本年新收"))
    assert first == ["一、本年新收政府信息公开申请数量", "26", "", "", "", "", "", "26"]


def test_word_export_labels_split_over_spans_are_joined() -> None:
    doc = read_document(SAMPLES / "shuyang_fgj_2023.html")
    texts = [c for row in doc.rows() for c in row]
    assert "（三）不予公开" in texts
    assert "3.危及“三安全一稳定”" in texts
