"""Regenerate the PDF, DOCX and DOC test fixtures from the text and HTML samples.

The committed fixtures under ``tests/fixtures/{pdf,docx}`` are what the tests read; this
script is how they were made, so they can be remade and reviewed. It needs tools the tests
do not (Debian packages): ``chromium``, ``fonts-droid-fallback``, ``libreoffice-writer-nogui``
and ``qpdf``. Run it from the repository root, for every group or the ones named::

    uv run python tools/make_pdf_docx_fixtures.py [browser-and-word] [producers]

What it makes, and why. Group ``browser-and-word``:

* ``pdf/seed_2020.pdf``: ``data/samples/000_seed.txt`` laid out as the web page it was
  copied from (tables rebuilt from the tab-separated lines, part 三 with the template's
  merged cells), printed by Chromium on A4 with ``- N -`` page numbers. Part 三's header is
  a ``<thead>``, so Chromium repeats it on the page the table runs onto: the table is split
  across pages *and* its header is repeated (the script checks both).
* ``pdf/shuyang_fgj_2023.pdf``: the Word-exported HTML sample printed by Chromium; its
  part 三 table also runs across pages, and Chromium draws no top border on a continuation.
* ``docx/seed_2020.docx`` and ``docx/shuyang_fgj_2023.docx``: the same HTML converted by
  LibreOffice; rowspans become ``vMerge``, colspans ``gridSpan`` (the script checks).
* ``docx/seed_2020.doc``: the seed as legacy Word 97, for the LibreOffice conversion path.
* ``pdf/scanned.pdf``: page 1 of the seed PDF as a low-resolution image, no text layer.
* ``pdf/encrypted.pdf``: a one-page report title behind a user password (qpdf, AES-256).
* ``docx/truncated.docx``: the first half of the seed DOCX (a cut-off download).
* ``docx/zip_bomb.docx``: a DOCX whose document part inflates 8 MiB of zeros from a few KiB.

Group ``producers``: the two reports (the 2019-edition seed, the 2021-edition 沭阳 page
with its five blank 法人 columns) from every producer that runs here, each drawing its
tables its own way (``PRODUCERS`` says what each must and must not draw; checked):

* ``pdf/seed_2020_portal.pdf``: Chromium, the seed as a 2019 portal page marks it up (the
  上海 2019 report's ``border="1" cellspacing="1"``: every cell a bevelled box of its own,
  borders as thin filled rectangles and trapezoids; part 三's header opens with the merged
  row 申请人情况);
* ``pdf/seed_2020_libreoffice.pdf``: LibreOffice, from DOCX (the seed page with its
  tables ruled in the markup, converted to DOCX and then to PDF): stroked lines;
* ``pdf/shuyang_fgj_2023_libreoffice.pdf``: LibreOffice, from HTML: stroked lines, and
  a row cut in two by a page break;
* ``pdf/{seed_2020,shuyang_fgj_2023}_{rects,shading,plain}.pdf``: reportlab, from the
  reader's own reading of the two samples, with borders as filled rectangles 0.75 pt thick
  and no stroked line; with shaded cells and no line; with no ruling at all. Its CJK font
  (``STSong-Light``) is named, not embedded, so these are also the fixtures that show the
  reader needs no system font.

A single TrueType CJK font is forced when printing: Chromium embeds the CFF-based Noto CJK
fonts as Type 3 glyph programs (and synthetic bold as Type 3 too), which makes every PDF
several times larger.
"""

from __future__ import annotations

import ctypes
import html
import io
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
PDF_DIR = ROOT / "tests" / "fixtures" / "pdf"
DOCX_DIR = ROOT / "tests" / "fixtures" / "docx"

FONT = "Droid Sans Fallback"
PRINT_CSS = f"""
@page {{ size: A4; margin: 22mm 20mm;
  @bottom-center {{ content: "- " counter(page) " -"; font: 10pt "{FONT}"; }} }}
* {{ font-family: "{FONT}" !important; }}
body {{ font-size: 12pt; line-height: 1.6; }}
p {{ margin: 0 0 4pt; text-indent: 2em; text-align: justify; }}
p.title {{ text-indent: 0; text-align: center; font-size: 18pt; }}
table {{ border-collapse: collapse; width: 100%; margin: 6pt 0; }}
td {{ border: 1px solid #000; padding: 5pt 3pt; font-size: 10.5pt; text-align: center; }}
"""

_L1 = re.compile(r"^[一二三四]、")
_L2 = re.compile(r"^[(（][一二三四五六七][)）]")
_L3 = re.compile(r"^\d+\.")
_NUMBER = re.compile(r"^[\d.]+$")


def _td(text: str, rowspan: int = 1, colspan: int = 1) -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (
        f' colspan="{colspan}"' if colspan > 1 else ""
    )
    return f"<td{attrs}>{html.escape(text)}</td>"


# --- the seed text as the web page it was copied from -------------------------------------------


def _seed_blocks(text: str) -> list[tuple[str, object]]:
    """Paragraphs and runs of tab-separated lines; blank lines do not end a table."""
    blocks: list[tuple[str, object]] = []
    rows: list[list[str]] | None = None
    for line in text.splitlines():
        if "\t" in line:
            if rows is None:
                rows = []
                blocks.append(("table", rows))
            rows.append([c.strip() for c in line.split("\t")])
        elif line.strip():
            rows = None
            blocks.append(("p", line.strip()))
    return blocks


def _generic_table(rows: list[list[str]]) -> str:
    """A table whose header rows get the merges their empty cells imply.

    In a row without numbers a label absorbs the empty cells after it (colspan), and a
    label above an empty cell of the next header row spans both rows (rowspan).
    """
    width = max(sum(1 for c in row if _NUMBER.match(c)) for row in rows)
    width = max(width, max(len([c for c in row if c]) for row in rows))
    grid = [(row + [""] * width)[:width] for row in rows]
    is_header = [not any(_NUMBER.match(c) for c in row) for row in grid]
    covered: set[tuple[int, int]] = set()
    out = ["<table>"]
    for r, row in enumerate(grid):
        cells = []
        c = 0
        while c < width:
            if (r, c) in covered:
                c += 1
                continue
            text = row[c]
            colspan = 1
            if is_header[r] and text:
                while c + colspan < width and not row[c + colspan]:
                    colspan += 1
            rowspan = 1
            below = r + 1
            if (
                is_header[r]
                and text
                and colspan == 1
                and below < len(grid)
                and is_header[below]
                and not grid[below][c]
            ):
                rowspan = 2
                covered.add((below, c))
            cells.append(_td(text, rowspan, colspan))
            c += colspan
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _requests_table(rows: list[list[str]]) -> str:
    """Part 三 in the template's layout: three label columns merged as the form prints them."""
    note = next(c for row in rows for c in row if "勾稽" in c)
    body: list[tuple[str, str, str, list[str]]] = []
    for row in rows:
        numbers = [c for c in row if _NUMBER.match(c)]
        if len(numbers) != 7:
            continue  # header lines and page-break debris
        l1 = next((c for c in row if _L1.match(c)), "")
        l2 = next((c for c in row if _L2.match(c)), "")
        l3 = next((c for c in row if _L3.match(c)), "")
        body.append((l1, l2, l3, numbers))
    block = [i for i, (l1, *_rest) in enumerate(body) if not l1 or l1.startswith("三")]
    out = [
        "<table>",
        "<thead>",
        "<tr>" + _td(note, 3, 3) + _td("申请人情况", 1, 7) + "</tr>",
        "<tr>" + _td("自然人", 2) + _td("法人或其他组织", 1, 5) + _td("总计", 2) + "</tr>",
        "<tr>"
        + "".join(_td(x) for x in ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"))
        + "</tr>",
        "</thead>",
        "<tbody>",
    ]
    for i, (l1, l2, l3, numbers) in enumerate(body):
        cells = []
        if i not in block:
            cells.append(_td(l1, 1, 3))
        else:
            if i == block[0]:
                cells.append(_td(l1, len(block)))
            if l2 and l3:
                run = 1
                while i + run in block and not body[i + run][1] and body[i + run][2]:
                    run += 1
                cells += [_td(l2, run), _td(l3)]
            elif l2:
                cells.append(_td(l2, 1, 2))
            else:
                cells.append(_td(l3))
        cells += [_td(n) for n in numbers]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def seed_html(text: str) -> str:
    parts = []
    for kind, content in _seed_blocks(text):
        if kind == "p":
            assert isinstance(content, str)
            css = ' class="title"' if "年度报告" in content and len(content) < 40 else ""
            parts.append(f"<p{css}>{html.escape(content)}</p>")
        else:
            assert isinstance(content, list)
            flat = "".join("".join(r) for r in content)
            parts.append(
                _requests_table(content) if "申请人情况" in flat else _generic_table(content)
            )
    title = next(c for k, c in _seed_blocks(text) if k == "p")
    return (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(str(title))}'
        f"</title><style>{PRINT_CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>"
    )


def shuyang_html(source: str) -> str:
    """The sample page with the print style added (A4, one embeddable font, page numbers)."""
    style = f"<style>{PRINT_CSS}</style>"
    i = source.lower().find("</head>")
    return source[:i] + style + source[i:] if i >= 0 else style + source


def portal_html(text: str) -> str:
    """The seed as a 2019 portal page prints it: the markup of the 上海 2019 report page
    (``border="1" cellspacing="1"``, every cell a bevelled box of its own, one pixel apart),
    part 三's header opening with the merged row ``申请人情况`` over seven columns."""
    page = seed_html(text)
    page = page.replace("<table>", '<table align="center" border="1" cellspacing="1">')
    style = (
        f'@page {{ size: A4; margin: 20mm 18mm; }} * {{ font-family: "{FONT}" !important; }}'
        " body { font-size: 12pt; line-height: 1.5; } td { font-size: 10.5pt; }"
    )
    return re.sub(r"<style>.*?</style>", f"<style>{style}</style>", page, flags=re.S)


def bordered_html(text: str) -> str:
    """The seed page with its tables ruled in the markup (``border="1"``), as LibreOffice
    reads HTML: it ignores the borders a style sheet draws."""
    page = seed_html(text).replace(
        "<table>", '<table border="1" cellspacing="0" cellpadding="4" width="100%">'
    )
    return page.replace("<body>", f'<body style="font-family: {FONT}">')


# --- reportlab: a report drawn shape by shape ---------------------------------------------------

RL_FONT = "STSong-Light"  # one of reportlab's CID fonts: named in the PDF, never embedded
RL_PAGE = (595.27, 841.89)  # A4
RL_MARGIN = 56.0
RL_STYLES = ("rects", "shading", "plain")


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of ``text`` no wider than ``width`` (CJK breaks anywhere; so does Latin here)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines: list[str] = []
    current, used = "", 0.0
    for ch in text:
        w = stringWidth(ch, RL_FONT, size)
        if current and used + w > width:
            lines.append(current)
            current, used = "", 0.0
        current += ch
        used += w
    return [*lines, current] if current else lines or [""]


class _Canvas:
    """A reportlab canvas with a cursor, page numbers and a page break when full."""

    def __init__(self, target: Path) -> None:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.pdfgen import canvas

        pdfmetrics.registerFont(UnicodeCIDFont(RL_FONT))
        self.c = canvas.Canvas(str(target), pagesize=RL_PAGE, invariant=True)
        self.page = 1
        self.y = RL_PAGE[1] - RL_MARGIN

    def room(self) -> float:
        return self.y - RL_MARGIN

    def new_page(self) -> None:
        self.c.setFont(RL_FONT, 9)
        self.c.drawCentredString(RL_PAGE[0] / 2, RL_MARGIN / 2, f"- {self.page} -")
        self.c.showPage()
        self.page += 1
        self.y = RL_PAGE[1] - RL_MARGIN

    def paragraph(self, text: str, size: float = 11.0, title: bool = False) -> None:
        width = RL_PAGE[0] - 2 * RL_MARGIN
        indent = 0.0 if title else 2 * size
        lines = _wrap(text, size, width - indent)
        leading = 1.6 * size
        for n, line in enumerate(lines):
            if self.room() < leading:
                self.new_page()
            self.y -= leading
            self.c.setFont(RL_FONT, size)
            if title:
                self.c.drawCentredString(RL_PAGE[0] / 2, self.y, line)
            else:
                self.c.drawString(RL_MARGIN + (indent if n == 0 else 0), self.y, line)
        self.y -= 0.3 * size

    def save(self) -> None:
        self.new_page()
        self.c.save()


def _cells(table) -> list[tuple[int, int, int, int, str]]:
    """Each cell of a reader's Table once: (first row, first column, last row, last column,
    text)."""
    spans: dict[tuple[int, int], list[int]] = {}
    for r, row in enumerate(table.anchors):
        for c, anchor in enumerate(row):
            box = spans.setdefault(anchor, [r, c, r, c])
            box[2], box[3] = max(box[2], r), max(box[3], c)
    return [(r0, c0, r1, c1, table.cells[r0][c0]) for (r0, c0), (_, _, r1, c1) in spans.items()]


def draw_report(doc, target: Path, style: str) -> None:
    """A reader's Document drawn with reportlab, A4 with ``- N -`` page numbers: its
    paragraphs, and its tables as ``style`` draws tables:

    * ``rects``: every border a filled rectangle 0.75 pt thick, no stroked line at all;
    * ``shading``: every cell filled (header rows grey, body rows two light tints in
      turn), cells 1.5 pt apart, no line at all;
    * ``plain``: nothing but the text.

    A table runs on over page breaks; a cell merged down over one is drawn on each page,
    with its text on the first and (as WPS does) no border closing it at the break.
    """
    from pipelines.document import Paragraph

    page = _Canvas(target)
    first = True
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            page.paragraph(block.text, size=15.0 if first else 11.0, title=first)
            first = False
            continue
        _table(page, block, style)
    page.save()


def _table(page: _Canvas, table, style: str) -> None:
    """One table at the cursor, its columns as wide as their text (scaled to the page)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    size, pad = 9.0, 4.0
    leading = 1.35 * size
    cells = _cells(table)
    ncols = len(table.cells[0])
    natural = [24.0] * ncols
    for _r0, c0, _r1, c1, text in cells:
        if c0 == c1:
            natural[c0] = max(natural[c0], min(stringWidth(text, RL_FONT, size) + 2 * pad, 150.0))
    avail = RL_PAGE[0] - 2 * RL_MARGIN
    xs = [RL_MARGIN]
    for w in natural:
        xs.append(xs[-1] + w * avail / sum(natural))
    heights = [leading + 2 * pad] * len(table.cells)
    wrapped: dict[tuple[int, int], list[str]] = {}
    for r0, c0, r1, c1, text in sorted(cells, key=lambda c: c[2] - c[0]):
        lines = _wrap(text, size, xs[c1 + 1] - xs[c0] - 2 * pad) if text else []
        wrapped[r0, c0] = lines
        need = len(lines) * leading + 2 * pad
        have = sum(heights[r0 : r1 + 1])
        if need > have:
            heights[r1] += need - have
    page.y -= 6
    r = 0
    while r < len(heights):
        if page.room() < heights[r]:
            page.new_page()
        # The rows that fit on this page.
        first, top = r, page.y
        while r < len(heights) and page.room() >= heights[r]:
            page.y -= heights[r]
            r += 1
        ys = [top]
        for h in heights[first:r]:
            ys.append(ys[-1] - h)
        header = next(
            (i for i, row in enumerate(table.cells) if any(t.isdigit() for t in row)), len(heights)
        )
        _draw_rows(page.c, cells, wrapped, xs, ys, (first, r - 1), header, style, size, pad)
    page.y -= 6


def _draw_rows(c, cells, wrapped, xs, ys, rows, header, style, size, pad) -> None:
    """The part of each cell that lies in ``rows`` (first, last: one page's worth); rows
    before ``header`` are the header."""
    first, last = rows
    leading = 1.35 * size
    thin = 0.75
    for r0, c0, r1, c1, _text in cells:
        if r1 < first or r0 > last:
            continue
        a, b = max(r0, first), min(r1, last)
        x0, x1 = xs[c0], xs[c1 + 1]
        top, bottom = ys[a - first], ys[b + 1 - first]
        if style == "rects":
            c.setFillGray(0)
            closed_top, closed_bottom = a == r0, b == r1
            if closed_top:
                c.rect(x0, top - thin / 2, x1 - x0, thin, stroke=0, fill=1)
            if closed_bottom:
                c.rect(x0, bottom - thin / 2, x1 - x0, thin, stroke=0, fill=1)
            c.rect(x0 - thin / 2, bottom, thin, top - bottom, stroke=0, fill=1)
            c.rect(x1 - thin / 2, bottom, thin, top - bottom, stroke=0, fill=1)
        elif style == "shading":
            c.setFillGray(0.82 if r0 < header else 0.9 if r0 % 2 else 0.95)
            c.rect(x0 + 0.75, bottom + 0.75, x1 - x0 - 1.5, top - bottom - 1.5, stroke=0, fill=1)
        lines = wrapped[r0, c0]
        if not lines or a != r0:
            continue
        c.setFillGray(0)
        c.setFont(RL_FONT, size)
        block = len(lines) * leading
        y = (top + bottom) / 2 + block / 2 - size
        for line in lines:
            if len(lines) == 1:
                c.drawCentredString((x0 + x1) / 2, y, line)
            else:
                c.drawString(x0 + pad, y, line)
            y -= leading


# --- converters -------------------------------------------------------------------------------


def _need(exe: str, package: str) -> str:
    path = shutil.which(exe)
    if path is None:
        sys.exit(f"{exe} not found: apt-get install {package}")
    return path


def print_pdf(source: Path, target: Path) -> None:
    chromium = _need("chromium", "chromium fonts-droid-fallback")
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


def libreoffice(
    source: Path, outdir: Path, target_format: str, infilter: str | None = "HTML (StarWriter)"
) -> Path:
    soffice = _need("soffice", "libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                *([f"--infilter={infilter}"] if infilter else []),
                "--convert-to",
                target_format,
                "--outdir",
                str(outdir),
                str(source),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    extension = target_format.split(":")[0]
    return outdir / f"{source.stem}.{extension}"


def scanned_pdf(source: Path, target: Path) -> None:
    """Page 1 of ``source`` as a grey JPEG image wrapped in a PDF: no text layer at all."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source)
    image = pdf[0].render(scale=0.6, grayscale=True).to_pil()
    image.save(target, "PDF", resolution=43.0, quality=40)
    pdf.close()


def encrypted_pdf(source: Path, target: Path) -> None:
    qpdf = _need("qpdf", "qpdf")
    subprocess.run(
        [qpdf, "--encrypt", "user-secret", "owner-secret", "256", "--", str(source), str(target)],
        check=True,
    )


def zip_bomb_docx(target: Path) -> None:
    """A DOCX-shaped zip whose document part claims 8 MiB and compresses ~1000:1."""
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Override PartName="/word/document.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", types)
        zf.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    target.write_bytes(buffer.getvalue())


# --- checks -----------------------------------------------------------------------------------


def check_split(pdf_path: Path, repeated_header: bool) -> None:
    """Part 三 must run across a page break (and, if asked, repeat its header there)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        texts = ["".join(page.get_textpage().get_text_range().split()) for page in pdf]
    finally:
        pdf.close()
    first = next(i for i, t in enumerate(texts) if "本年新收" in t)
    last = next(i for i, t in enumerate(texts) if "结转下年度继续办理" in t)
    if first == last:
        sys.exit(f"{pdf_path.name}: part 三 is not split across pages")
    if repeated_header and "申请人情况" not in texts[last]:
        sys.exit(f"{pdf_path.name}: part 三 header is not repeated on page {last + 1}")


def check_merges(docx_path: Path) -> None:
    with zipfile.ZipFile(docx_path) as zf:
        xml = zf.read("word/document.xml").decode("utf-8")
    if "w:vMerge" not in xml or "w:gridSpan" not in xml:
        sys.exit(f"{docx_path.name}: no vertically/horizontally merged cells")


def drawing(pdf_path: Path) -> dict[str, int]:
    """What a PDF draws, counted over its pages: stroked paths, thin fills (borders no
    thicker than 2 pt), other fills (shading)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    counts = {"stroked": 0, "thin fills": 0, "shading": 0}
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        for page in pdf:
            for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_PATH,)):
                pdfium_c.FPDFPath_GetDrawMode(obj.raw, fill, stroke)
                left, bottom, right, top = obj.get_bounds()
                if stroke.value:
                    counts["stroked"] += 1
                elif fill.value:
                    thin = min(right - left, top - bottom) <= 2
                    counts["thin fills" if thin else "shading"] += 1
    finally:
        pdf.close()
    return counts


# What each producer's fixture must draw (and must not): checked when it is made.
PRODUCERS = {
    "seed_2020_portal.pdf": ("Chromium, a 2019 portal page", {"stroked": 0}, ("thin fills",)),
    "seed_2020_libreoffice.pdf": ("LibreOffice, from DOCX", {}, ("stroked",)),
    "shuyang_fgj_2023_libreoffice.pdf": ("LibreOffice, from HTML", {}, ("stroked",)),
    **{
        f"{stem}_{style}.pdf": (f"reportlab, {style}", must_not, must)
        for stem in ("seed_2020", "shuyang_fgj_2023")
        for style, must_not, must in (
            ("rects", {"stroked": 0, "shading": 0}, ("thin fills",)),
            ("shading", {"stroked": 0, "thin fills": 0}, ("shading",)),
            ("plain", {"stroked": 0, "thin fills": 0, "shading": 0}, ()),
        )
    },
}


def check_drawing(pdf_path: Path) -> None:
    label, none_of, some_of = PRODUCERS[pdf_path.name]
    counts = drawing(pdf_path)
    wrong = [k for k in none_of if counts[k]] + [k for k in some_of if not counts[k]]
    if wrong:
        sys.exit(f"{pdf_path.name} ({label}) draws {counts}, wrong: {wrong}")


def make_browser_and_word(tmp: Path) -> None:
    """The first fixtures: Chromium prints, LibreOffice DOCX and DOC, broken files."""
    sources = {
        "seed_2020": seed_html((SAMPLES / "000_seed.txt").read_text(encoding="utf-8")),
        "shuyang_fgj_2023": shuyang_html(
            (SAMPLES / "shuyang_fgj_2023.html").read_text(encoding="utf-8")
        ),
    }
    for stem, page in sources.items():
        html_path = tmp / f"{stem}.html"
        html_path.write_text(page, encoding="utf-8")
        pdf_path = PDF_DIR / f"{stem}.pdf"
        print_pdf(html_path, pdf_path)
        check_split(pdf_path, repeated_header=stem == "seed_2020")
        docx_path = libreoffice(html_path, tmp, "docx:MS Word 2007 XML")
        check_merges(docx_path)
        shutil.copyfile(docx_path, DOCX_DIR / f"{stem}.docx")
        if stem == "seed_2020":
            doc_path = libreoffice(html_path, tmp, "doc:MS Word 97")
            shutil.copyfile(doc_path, DOCX_DIR / f"{stem}.doc")
    seed_pdf = PDF_DIR / "seed_2020.pdf"
    scanned_pdf(seed_pdf, PDF_DIR / "scanned.pdf")
    tiny = tmp / "tiny.html"
    tiny.write_text(
        f'<!doctype html><meta charset="utf-8"><style>{PRINT_CSS}</style>'
        '<p class="title">前进区政府办2020年政府信息公开工作年度报告</p>',
        encoding="utf-8",
    )
    print_pdf(tiny, tmp / "tiny.pdf")
    encrypted_pdf(tmp / "tiny.pdf", PDF_DIR / "encrypted.pdf")
    seed_docx = (DOCX_DIR / "seed_2020.docx").read_bytes()
    (DOCX_DIR / "truncated.docx").write_bytes(seed_docx[: len(seed_docx) // 2])
    zip_bomb_docx(DOCX_DIR / "zip_bomb.docx")


def make_producers(tmp: Path) -> None:
    """One PDF per way a producer draws tables (``PRODUCERS``), from the real reports."""
    from pipelines.readers import read_bytes

    seed_text = (SAMPLES / "000_seed.txt").read_text(encoding="utf-8")
    shuyang = (SAMPLES / "shuyang_fgj_2023.html").read_text(encoding="utf-8")
    portal = tmp / "seed_2020_portal.html"
    portal.write_text(portal_html(seed_text), encoding="utf-8")
    print_pdf(portal, PDF_DIR / portal.with_suffix(".pdf").name)
    check_split(PDF_DIR / "seed_2020_portal.pdf", repeated_header=False)

    bordered = tmp / "seed_2020_libreoffice.html"
    bordered.write_text(bordered_html(seed_text), encoding="utf-8")
    docx_path = libreoffice(bordered, tmp, "docx:MS Word 2007 XML")
    out = tmp / "libreoffice"
    shutil.copyfile(
        libreoffice(docx_path, out, "pdf", infilter=None),
        PDF_DIR / bordered.with_suffix(".pdf").name,
    )
    page = tmp / "shuyang_fgj_2023_libreoffice.html"
    page.write_text(
        shuyang.replace("<body>", f'<body style="font-family: {FONT}">'), encoding="utf-8"
    )
    shutil.copyfile(
        libreoffice(page, out, "pdf:writer_web_pdf_Export"), PDF_DIR / page.with_suffix(".pdf").name
    )

    documents = {
        "seed_2020": read_bytes(seed_html(seed_text).encode("utf-8"), "seed_2020.html"),
        "shuyang_fgj_2023": read_bytes(shuyang.encode("utf-8"), "shuyang_fgj_2023.html"),
    }
    for stem, document in documents.items():
        for style in RL_STYLES:
            draw_report(document, PDF_DIR / f"{stem}_{style}.pdf", style)
    for name in PRODUCERS:
        check_drawing(PDF_DIR / name)


GROUPS = {"browser-and-word": make_browser_and_word, "producers": make_producers}


def main() -> None:
    wanted = sys.argv[1:] or list(GROUPS)
    unknown = set(wanted) - set(GROUPS)
    if unknown:
        sys.exit(f"unknown group(s) {sorted(unknown)}; choose from {sorted(GROUPS)}")
    PDF_DIR.mkdir(parents=True, exist_ok=True)
    DOCX_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        for group in wanted:
            GROUPS[group](Path(tmp_name))
    for path in sorted([*PDF_DIR.iterdir(), *DOCX_DIR.iterdir()]):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
