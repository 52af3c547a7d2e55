"""Word (DOCX) reports, as offices write them before converting to PDF or pasting to a site.

Tables use real merges: ``gridSpan`` across and ``vMerge`` down, so the group labels of
part 三 (（三）不予公开 …) are vertically merged cells as in the official template file.

The package is python-docx's own blank template (styles, fonts, theme, settings: the parts
Word writes) with this report's ``document.xml`` and ``core.xml``, zipped once with every
entry stamped with the publication date. Building the body through python-docx's object
model took a second a report (each merge walks the whole table) and its ``save`` stamps
the zip with the current time; the markup written here is what Word writes for the same
document, and the same seed gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import docx

from pipelines.demo.content import Content, Grid, Heading, Para, title_lines
from pipelines.demo.random_tools import chance
from pipelines.demo.render.grid import lay_out

_BODY_FONT = "仿宋_GB2312"
_TITLE_FONT = "方正小标宋简体"
_HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312"}
_TABLE_WIDTH = 8800  # twips: an A4 page less its margins
_BORDERS = "".join(
    f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
    for side in ("top", "left", "bottom", "right", "insideH", "insideV")
)
_SECTION = (
    '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/>'
    '<w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" '
    'w:footer="992" w:gutter="0"/><w:cols w:space="425"/>'
    '<w:docGrid w:type="lines" w:linePitch="579"/></w:sectPr>'
)
_CORE = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    "<dc:title>{title}</dc:title><dc:creator>{author}</dc:creator>"
    "<cp:lastModifiedBy>{author}</cp:lastModifiedBy><cp:revision>{revision}</cp:revision>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
    "</cp:coreProperties>"
)


@cache
def _template() -> tuple[tuple[str, bytes], ...]:
    """The members of python-docx's blank document, read once."""
    path = Path(docx.__file__).parent / "templates" / "default.docx"
    with zipfile.ZipFile(path) as zf:
        return tuple((info.filename, zf.read(info.filename)) for info in zf.infolist())


def _run(text: str, font: str, size: float, bold: bool = False) -> str:
    half = round(size * 2)
    weight = "<w:b/><w:bCs/>" if bold else ""
    return (
        f'<w:r><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}"/>'
        f'{weight}<w:sz w:val="{half}"/><w:szCs w:val="{half}"/></w:rPr>'
        f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
    )


def _paragraph(text: str, font: str, size: float, centred: bool = False, bold: bool = False) -> str:
    props = '<w:jc w:val="center"/>' if centred else '<w:ind w:firstLineChars="200"/>'
    return f"<w:p><w:pPr>{props}</w:pPr>{_run(text, font, size, bold)}</w:p>"


def _cell(text: str, width: int, colspan: int, vmerge: str | None, size: float) -> str:
    props = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if colspan > 1:
        props += f'<w:gridSpan w:val="{colspan}"/>'
    if vmerge == "restart":
        props += '<w:vMerge w:val="restart"/>'
    elif vmerge == "continue":
        props += "<w:vMerge/>"
    props += '<w:vAlign w:val="center"/>'
    run = _run(text, _BODY_FONT, size) if text else ""
    paragraph = f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr>{run}</w:p>'
    return f"<w:tc><w:tcPr>{props}</w:tcPr>{paragraph}</w:tc>"


def _table(grid: Grid, size: float) -> str:
    """The grid as a ``w:tbl``: ``gridSpan`` across, ``vMerge`` restart/continue down."""
    total = sum(grid.widths)
    cols = [round(_TABLE_WIDTH * w / total) for w in grid.widths]
    rows: list[str] = []
    for r, row in enumerate(lay_out(grid)):
        cells: list[str] = []
        c = 0
        while c < grid.width:
            slot = row[c]
            if slot is None:
                cells.append(_cell("", cols[c], 1, None, size))
                c += 1
                continue
            span = slot.cell.colspan
            width = sum(cols[c : c + span])
            if slot.row == r:
                vmerge = "restart" if slot.cell.rowspan > 1 else None
                cells.append(_cell(slot.cell.text, width, span, vmerge, size))
            else:
                cells.append(_cell("", width, span, "continue", size))
            c += span
        rows.append(f"<w:tr>{''.join(cells)}</w:tr>")
    grid_cols = "".join(f'<w:gridCol w:w="{w}"/>' for w in cols)
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/>'
        f'<w:tblW w:w="{_TABLE_WIDTH}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblBorders>{_BORDERS}</w:tblBorders><w:tblLayout w:type="fixed"/></w:tblPr>'
        f"<w:tblGrid>{grid_cols}</w:tblGrid>{''.join(rows)}</w:tbl>"
    )


def _document(content: Content, rng: random.Random, template: bytes) -> bytes:
    size = rng.choice((9.0, 10.5))
    split_title = chance(rng, 0.3)  # the title typed as two centred lines
    body: list[str] = []
    for block in content.blocks:
        if isinstance(block, Heading) and block.level == 0:
            lines = title_lines(content) if split_title else [block.text]
            body.extend(_paragraph(line, _TITLE_FONT, 22, centred=True) for line in lines)
        elif isinstance(block, Heading):
            body.append(_paragraph(block.text, _HEADING_FONTS[block.level], 16))
        elif isinstance(block, Para):
            body.append(_paragraph(block.text, _BODY_FONT, 16))
        else:
            body.append(_table(block, size))
            body.append("<w:p/>")  # Word keeps an empty paragraph after a table
    text = template.decode("utf-8")
    head = text[: text.index("<w:body>") + len("<w:body>")]
    return (head + "".join(body) + _SECTION + "</w:body></w:document>").encode("utf-8")


def render_docx(content: Content, rng: random.Random) -> bytes:
    published = content.published
    stamp = (published.year, published.month, published.day, 9, 0, 0)
    author = content.organ.name if chance(rng, 0.5) else "Administrator"
    when = dt.datetime(*stamp, tzinfo=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    core = _CORE.format(
        title=escape(content.title) if chance(rng, 0.5) else "",
        author=escape(author),
        revision=rng.randint(1, 9),
        when=when,
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _template():
            if name == "word/document.xml":
                data = _document(content, rng, data)
            elif name == "docProps/core.xml":
                data = core.encode("utf-8")
            entry = zipfile.ZipInfo(name, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data)
    return out.getvalue()
