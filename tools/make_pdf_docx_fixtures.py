"""Regenerate the PDF, DOCX and DOC test fixtures from the text and HTML samples.

The committed fixtures under ``tests/fixtures/{pdf,docx}`` are what the tests read; this
script is how they were made, so they can be remade and reviewed. It needs tools the tests
do not (Debian packages): ``chromium``, ``fonts-droid-fallback``, ``libreoffice-writer-nogui``
and ``qpdf``. Run it from the repository root::

    uv run python tools/make_pdf_docx_fixtures.py

What it makes, and why:

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

A single TrueType CJK font is forced when printing: Chromium embeds the CFF-based Noto CJK
fonts as Type 3 glyph programs (and synthetic bold as Type 3 too), which makes every PDF
several times larger.
"""

from __future__ import annotations

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


def libreoffice(source: Path, outdir: Path, target_format: str) -> Path:
    soffice = _need("soffice", "libreoffice-writer-nogui")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--infilter=HTML (StarWriter)",
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


def main() -> None:
    PDF_DIR.mkdir(parents=True, exist_ok=True)
    DOCX_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
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
    for path in sorted([*PDF_DIR.iterdir(), *DOCX_DIR.iterdir()]):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
