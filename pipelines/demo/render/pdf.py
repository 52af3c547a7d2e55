"""PDF with a text layer, as offices export their Word reports.

reportlab (BSD) writes it with the STSong-Light CID font that reportlab ships: the font is
referenced, not embedded, with a standard Adobe-GB1 encoding, so the text layer extracts
with PDFium without any font file on the machine. Tables are ruled grids
with real spans, cell text wraps inside its column (long part 三 labels run over several
lines, the narrow 三、本年度办理结果 column stacks its characters as the vertical label of
real reports), tables run across page breaks without repeating their header, and pages
carry a centred page number (``- 3 -``) in the footer. ``invariant`` mode drops the creation
date and random document id: same seed, same bytes.
"""

from __future__ import annotations

import io
import random
from functools import cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pipelines.demo.content import Content, Grid, Heading, Para, title_lines
from pipelines.demo.random_tools import chance
from pipelines.demo.render.grid import lay_out

FONT = "STSong-Light"
MARGIN = 22 * mm


@cache
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


@cache
def _styles(body_size: float, cell_size: float) -> dict[str, ParagraphStyle]:
    base = {"fontName": FONT, "wordWrap": "CJK"}
    return {
        "title": ParagraphStyle(
            "title", fontSize=18, leading=28, alignment=TA_CENTER, spaceAfter=12, **base
        ),
        "heading": ParagraphStyle(
            "heading",
            fontSize=body_size + 1,
            leading=(body_size + 1) * 1.8,
            firstLineIndent=2 * body_size,
            spaceBefore=4,
            **base,
        ),
        "body": ParagraphStyle(
            "body",
            fontSize=body_size,
            leading=body_size * 1.8,
            firstLineIndent=2 * body_size,
            **base,
        ),
        "cell": ParagraphStyle(
            "cell", fontSize=cell_size, leading=cell_size * 1.3, alignment=TA_CENTER, **base
        ),
    }


_PADDING = (
    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ("LEFTPADDING", (0, 0), (-1, -1), 2),
    ("RIGHTPADDING", (0, 0), (-1, -1), 2),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
)


def _table(
    grid: Grid, style: ParagraphStyle, cols: list[float], lo: int = 0, hi: int | None = None
) -> Table:
    """Rows ``lo``..``hi`` of the grid as a ruled table.

    A cell merged down from above ``lo`` continues as an empty cell with no rule on top,
    the way Word and WPS draw a merged cell that a page break cut.
    """
    slots = lay_out(grid)[lo:hi]
    height = len(slots)
    data: list[list[object]] = [[""] * grid.width for _ in slots]
    commands: list[tuple[object, ...]] = [
        *_PADDING,
        ("FONT", (0, 0), (-1, -1), FONT, style.fontSize, style.leading),
        ("ALIGN", (0, 0), (-1, -1), "CENTER"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.6, colors.black),
        ("LINEBEFORE", (0, 0), (-1, -1), 0.6, colors.black),
        ("LINEAFTER", (-1, 0), (-1, -1), 0.6, colors.black),
    ]
    continued: set[int] = set()
    for r, row in enumerate(slots):
        for c, slot in enumerate(row):
            if slot is None or slot.col != c:
                continue
            start = slot.row - lo
            if start == r:
                text = slot.cell.text
                room = sum(cols[c : c + slot.cell.colspan]) - 5
                # Only text that has to wrap needs a Paragraph; the rest is drawn directly.
                fits = pdfmetrics.stringWidth(text, FONT, style.fontSize) <= room
                data[r][c] = text if fits else Paragraph(escape(text), style)
            elif r == 0:  # the rest of a cell merged down across the page break
                continued.update(range(c, c + slot.cell.colspan))
            else:
                continue
            rows = min(start + slot.cell.rowspan, height) - r
            if rows > 1 or slot.cell.colspan > 1:
                commands.append(("SPAN", (c, r), (c + slot.cell.colspan - 1, r + rows - 1)))
    for c in range(grid.width):
        if c not in continued:
            commands.append(("LINEABOVE", (c, 0), (c, 0), 0.6, colors.black))
    table = Table(data, colWidths=cols, repeatRows=0)
    table.setStyle(TableStyle(commands))
    return table


class _GridFlowable(Flowable):
    """A grid that a page break may cut anywhere, merged cells included.

    reportlab will not split a table inside a spanned cell, but part 三's group labels span
    most of the table, and real reports are cut right through them.
    """

    def __init__(self, grid: Grid, style: ParagraphStyle, width: float, lo: int = 0) -> None:
        super().__init__()
        self.grid, self.style, self.lo = grid, style, lo
        total = sum(grid.widths)
        self.cols = [width * w / total for w in grid.widths]
        self.table = _table(grid, style, self.cols, lo)

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.table.wrap(avail_width, avail_height)

    def draw(self) -> None:
        self.table.drawOn(self.canv, 0, 0)

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.table.wrap(avail_width, avail_height)
        heights = self.table._rowHeights
        used, cut = 0.0, 0
        for h in heights:
            if used + h > avail_height - 2:
                break
            used += h
            cut += 1
        first_data_row = 4 if self.lo == 0 else 1  # never leave a header alone at a page end
        while cut >= first_data_row:
            head = _table(self.grid, self.style, self.cols, self.lo, self.lo + cut)
            if head.wrap(avail_width, avail_height)[1] <= avail_height:
                return [head, _GridFlowable(self.grid, self.style, sum(self.cols), self.lo + cut)]
            cut -= 1
        return []


def _title(content: Content, style: ParagraphStyle, width: float) -> list[Flowable]:
    """One line if it fits; else broken after the organ's name; shrunk if still too wide.

    A centred title is never left to wrap by itself (``…年度报`` / ``告``): authors break or
    shrink it, and the reader relies on that (it does not join centred lines).
    """
    width -= 24  # the frame's own padding, and a margin so a line never wraps by a hair

    def widest(lines: list[str]) -> float:
        return max(pdfmetrics.stringWidth(line, FONT, style.fontSize) for line in lines)

    lines = [content.title]
    if widest(lines) > width:
        lines = title_lines(content)
    if widest(lines) > width:
        size = int(style.fontSize * width / widest(lines))
        style = ParagraphStyle("title-small", parent=style, fontSize=size, leading=size * 1.6)
    return [Paragraph(escape(line), style) for line in lines]


def render_pdf(content: Content, rng: random.Random) -> bytes:
    _register_font()
    body_size = rng.choice((10.5, 11.0, 12.0))
    cell_size = rng.choice((7.5, 8.0))
    styles = _styles(body_size, cell_size)
    numbered = chance(rng, 0.8)
    meta_title = rng.choice((content.title, "政府信息公开工作年度报告", ""))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=meta_title,
        author="",
        creator="Microsoft Word",
        invariant=1,
    )
    width = A4[0] - 2 * MARGIN

    def page_number(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
        if numbered:
            canvas.setFont(FONT, 10)
            canvas.drawCentredString(A4[0] / 2, 12 * mm, f"- {canvas.getPageNumber()} -")

    story: list[Flowable] = []
    for block in content.blocks:
        if isinstance(block, Heading) and block.level == 0:
            story.extend(_title(content, styles["title"], width))
        elif isinstance(block, Heading):
            story.append(Paragraph(escape(block.text), styles["heading"]))
        elif isinstance(block, Para):
            story.append(Paragraph(escape(block.text), styles["body"]))
        else:
            story.append(Spacer(1, 4))
            story.append(_GridFlowable(block, styles["cell"], width))
            story.append(Spacer(1, 6))
    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
    return buffer.getvalue()
