"""PDFs from every producer that can be run here, each read to exactly its report's numbers.

The fixtures (``tools/make_pdf_docx_fixtures.py`` makes them, from the real reports in
``data/samples``) draw their tables in every way producers do:

* ruled lines, stroked: WPS (the real 洪泽区 reports) and LibreOffice (from DOCX and from
  HTML);
* thin filled rectangles, no line at all: Chromium's ``--print-to-pdf`` (a page with a
  print style sheet, and the 2019 report as a portal page prints it: every cell a bevelled
  box of its own, part 三's header opening with a merged row) and reportlab;
* cell shading with no line (reportlab);
* no ruling at all (reportlab): columns from where the text stands.

The reportlab fixtures name a CJK font they do not embed (``STSong-Light``), so they also
show the reader never needs the machine's fonts: ``test_no_system_font_is_needed`` reads
every fixture again with the system's fonts hidden and compares every character box.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.document import Document, Table
from pipelines.parse.model import Report
from pipelines.pipeline import parse_file
from pipelines.readers import read_bytes, read_document
from tests.helpers import CORPUS, ROOT, expected_facts, load_expected, missing_prose_counts

PDF = ROOT / "tests" / "fixtures" / "pdf"

# fixture, expected report, producer, and what it draws: stroked lines, thin filled
# rectangles (borders), filled cells (shading). Invisible (white) shapes are not counted.
CASES = [
    (CORPUS / "pdf" / "hzq_2023.pdf", "hzq_2023", "WPS", "lines"),
    (CORPUS / "pdf" / "hzq_2024.pdf", "hzq_2024", "WPS", "lines"),
    (PDF / "seed_2020.pdf", "000_seed", "Chromium", "rects"),
    (PDF / "shuyang_fgj_2023.pdf", "shuyang_fgj_2023", "Chromium", "rects"),
    (PDF / "seed_2020_portal.pdf", "000_seed", "Chromium, portal page", "bevelled rects"),
    (PDF / "seed_2020_libreoffice.pdf", "000_seed", "LibreOffice from DOCX", "lines"),
    (
        PDF / "shuyang_fgj_2023_libreoffice.pdf",
        "shuyang_fgj_2023",
        "LibreOffice from HTML",
        "lines",
    ),
    *(
        (PDF / f"{stem}_{style}.pdf", expected, "reportlab", style)
        for stem, expected in (("seed_2020", "000_seed"), ("shuyang_fgj_2023", "shuyang_fgj_2023"))
        for style in ("rects", "shading", "plain")
    ),
]
IDS = [path.name for path, *_ in CASES]


@functools.cache
def _report(path: Path) -> Report:
    return parse_file(path)


@functools.cache
def _doc(path: Path) -> Document:
    return read_document(path)


@pytest.mark.parametrize(("path", "stem", "producer", "draws"), CASES, ids=IDS)
def test_every_cell_matches_expected(path: Path, stem: str, producer: str, draws: str) -> None:
    report = _report(path)
    expected = load_expected(stem)
    assert {f.cell: f.value for f in report.facts} == expected_facts(expected)
    assert (report.year, report.edition, report.organ) == (
        expected["year"],
        expected["edition"],
        expected["organ"],
    )


@pytest.mark.parametrize(("path", "stem", "producer", "draws"), CASES, ids=IDS)
def test_every_row_and_prose_count_is_read(
    path: Path, stem: str, producer: str, draws: str
) -> None:
    report = _report(path)
    assert report.warnings == []
    assert missing_prose_counts(report, load_expected(stem)) == []


def _drawn(path: Path) -> dict[str, int]:
    """Visible shapes by kind, as the reader sees them."""
    import pypdfium2 as pdfium

    from pipelines.readers.pdf_page import read_page

    counts = {"lines": 0, "rects": 0, "shading": 0, "bevels": 0}
    pdf = pdfium.PdfDocument(str(path))
    try:
        for page in pdf:
            for s in read_page(page, page.get_textpage()).shapes:
                if not s["visible"]:
                    continue
                thin = min(s["width"], s["height"]) <= 2
                if s["stroke"]:
                    counts["lines"] += 1
                elif thin and s["object_type"] == "curve":
                    counts["bevels"] += 1  # a border with mitred ends: a trapezoid
                elif thin:
                    counts["rects"] += 1
                else:
                    counts["shading"] += 1
    finally:
        pdf.close()
    return counts


@pytest.mark.parametrize(("path", "stem", "producer", "draws"), CASES, ids=IDS)
def test_fixture_draws_as_its_producer_does(
    path: Path, stem: str, producer: str, draws: str
) -> None:
    counts = _drawn(path)
    drawn = {kind for kind, n in counts.items() if n}
    assert (
        drawn
        == {
            "lines": {"lines"} | ({"shading"} if producer == "WPS" else set()),  # WPS: header tint
            "rects": {"rects"},
            "bevelled rects": {"rects", "bevels"},
            "shading": {"shading"},
            "plain": set(),
        }[draws]
    ), counts


def _requests_table(doc: Document) -> Table:
    return next(
        b
        for b in doc.blocks
        if isinstance(b, Table) and any("本年新收" in c for row in b.cells for c in row)
    )


def test_portal_page_header_opens_with_a_merged_row() -> None:
    """The 2019 report as its portal page prints it: part 三's first header row is the note
    merged over three columns and 申请人情况 merged over the seven columns of numbers."""
    table = _requests_table(_doc(PDF / "seed_2020_portal.pdf"))
    first = table.anchors[0]
    assert len(first) == 10
    assert "勾稽关系" in table.cells[0][0] and len(set(first[:3])) == 1
    assert set(table.cells[0][3:]) == {"申请人情况"} and len(set(first[3:])) == 1


def test_unruled_table_keeps_its_blank_columns_over_a_page_break() -> None:
    """沭阳's 法人 columns are blank in every row; with no ruling, only the headers on the
    first page say where they are, and the rows on the next page keep them."""
    doc = _doc(PDF / "shuyang_fgj_2023_plain.pdf")
    assert doc.pages == 3
    table = _requests_table(doc)  # one table: the page break did not cut it in two
    assert len({len(row) for row in table.cells}) == 1
    third_party = next(r for r in table.cells if "4.保护第三方合法权益" in r)  # page 2
    assert third_party[-7:] == ["0", "", "", "", "", "", "0"]
    last = next(r for r in table.cells if "四、结转下年度继续办理" in r)  # page 3
    assert last[-7:] == ["0", "", "", "", "", "", "0"]
    header = next(r for r in table.cells if "商业企业" in r)
    assert header[-7:] == [
        "自然人",
        "商业企业",
        "科研机构",
        "社会公益组织",
        "法律服务机构",
        "其他",
        "总计",
    ]


def test_row_cut_by_a_page_break_is_one_row() -> None:
    """LibreOffice lets a row break across pages: the rest of its label on the next page
    joins the row, instead of standing as a row of its own without numbers."""
    table = _requests_table(_doc(PDF / "shuyang_fgj_2023_libreoffice.pdf"))
    row = next(r for r in table.cells if any("要求行政机关确认" in c for c in r))
    assert "5.要求行政机关确认或重新出具已获取信息" in row
    assert not any(r[2] == "重新出具已获取信息" for r in table.cells)


# --- no dependence on the machine's fonts --------------------------------------------------------

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/usr/share/X11/fonts")


def _rotated_reports() -> dict[str, bytes]:
    from tests.test_pdf_docx import _built_pdf, _draw_report

    return {f"built, /Rotate {r}": _built_pdf(_draw_report, r) for r in (0, 90, 180, 270)}


def dump() -> dict[str, object]:
    """Every character box (to 1/100 pt) and every table of every PDF fixture."""
    import pypdfium2 as pdfium

    from pipelines.readers.pdf_page import read_page

    files = {p.name: p.read_bytes() for p, *_ in CASES} | _rotated_reports()
    out: dict[str, object] = {}
    for name, data in sorted(files.items()):
        pdf = pdfium.PdfDocument(data)
        chars = []
        for page in pdf:
            for ch in read_page(page, page.get_textpage()).chars:
                chars.append(
                    [ch["text"], *(round(ch[k], 2) for k in ("x0", "x1", "top", "bottom"))]
                )
        pdf.close()
        doc = read_bytes(data, name)
        tables = [b.cells for b in doc.blocks if isinstance(b, Table)]
        out[name] = {"chars": chars, "tables": tables}
    return out


_DUMP = (
    "import json, tests.test_pdf_producers as t; print(json.dumps(t.dump(), ensure_ascii=False))"
)
_DEFAULT_MAPPER = (
    "import pipelines.readers.pdf_fonts, pypdfium2.raw as c; "
    "c.FPDF_SetSystemFontInfo(c.FPDF_GetDefaultSystemFontInfo()); "
)


def _without_fonts(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a private mount namespace where every font directory is empty."""
    mounts = " && ".join(f"mount -t tmpfs none {d}" for d in FONT_DIRS if os.path.isdir(d))
    script = f"{mounts} && exec {shlex.quote(sys.executable)} -c {shlex.quote(code)}"
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def _can_hide_fonts() -> str | None:
    """Why fonts cannot be hidden here, or None if they can."""
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = _without_fonts('import os, sys; sys.exit(bool(os.listdir("/usr/share/fonts")))')
    if probe.returncode != 0:
        return f"cannot mount over the font directories here: {probe.stderr.strip()[:200]}"
    return None


def test_no_system_font_is_needed() -> None:
    """Every PDF reads the same, to the character box, with the system's fonts hidden.

    The control run shows what that takes: with PDFium's own font mapper (which looks for
    system fonts) and no fonts installed, the Chinese cells of the rotated page vanish.
    """
    reason = _can_hide_fonts()
    if reason is not None:
        pytest.skip(reason)
    hidden = _without_fonts(_DUMP)
    assert hidden.returncode == 0, hidden.stderr[-2000:]
    visible = dump()
    assert json.loads(hidden.stdout) == json.loads(json.dumps(visible, ensure_ascii=False))

    control = _without_fonts(_DEFAULT_MAPPER + _DUMP)
    assert control.returncode == 0, control.stderr[-2000:]
    rotated = json.loads(control.stdout)["built, /Rotate 90"]["tables"]
    assert rotated != visible["built, /Rotate 90"]["tables"]
    assert rotated[0][0][0] == ""  # 项目: gone
