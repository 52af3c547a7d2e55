"""A PDF report's page as the reader would see it, with one cell of its tables framed.

The warehouse keeps where every number of a PDF was printed (``facts.source_page`` and
``source_box``: x0, top, x1, bottom in points from the top-left of the page as displayed,
so a page with ``/Rotate`` needs nothing special: PDFium renders it as displayed too). A
reader who doubts a number can then look at the page itself. That is only honest if the
page is the page that was read: the file is shown only when its bytes still hash to the
report's id (``report_id`` is the SHA-256 of the file), and the bytes hashed are the bytes
rendered, so a file edited or swapped after the ingest is refused, never shown as the
source. The file is read through the readers' own guard (regular files only, 64 MiB at
most) and only one page is rendered, at a scale capped in pixels, because the file comes
from a folder anyone may write to.

Plain Python (PIL and pypdfium2, no Streamlit), so the tests check the pixels.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pypdfium2 as pdfium
from PIL import Image, ImageDraw

from pipelines.errors import UnreadableFile
from pipelines.readers import read_regular_file

# A colour no report prints: a red seal or a red figure must not pass for the frame.
HIGHLIGHT = (255, 0, 170)
SCALE = 2.0  # 144 dpi: the small print of a table cell reads well
MAX_SIDE = 2400  # pixels, either side
MAX_PIXELS = 6_000_000  # about an A3 page at 2x
PAD = 2.0  # points between the cell's box and its frame, so the frame covers no digit
CLOSE_UP = 140.0  # points above and below the cell in the close-up


# PDFium is not thread-safe, and Streamlit serves each session on its own thread: two readers
# clicking at once must not both be inside PDFium.
_PDFIUM = threading.Lock()


class Unavailable(Exception):
    """The page cannot be shown; the message (Chinese) says why, for the reader."""


@dataclass(frozen=True, slots=True)
class Preview:
    image: Image.Image  # the whole page, RGB, with the frame drawn
    page: int  # 1-based
    pages: int
    scale: float  # pixels per point
    frame: tuple[int, int, int, int]  # the frame's outer edge in pixels: x0, y0, x1, y1
    width: int  # the frame's line width in pixels

    def close_up(self, margin: float = CLOSE_UP) -> Image.Image:
        """The band of the page around the cell, full width: the row and its neighbours."""
        pad = round(margin * self.scale)
        top = max(0, self.frame[1] - pad)
        bottom = min(self.image.height, self.frame[3] + pad)
        return self.image.crop((0, top, self.image.width, bottom))


def source_bytes(path: str, report_id: str) -> bytes:
    """The file's bytes, only if they are still the report's (their SHA-256 is its id)."""
    try:
        data = read_regular_file(path)
    except UnreadableFile as exc:
        if not os.path.lexists(path):
            raise Unavailable("源文件已不在导入时的位置，无法显示原页面。") from exc
        # The reader's reason, in Chinese (it carries an English gloss after " / ").
        reason = exc.reason.split(" / ")[0]
        raise Unavailable(f"无法读取源文件（{reason}），无法显示原页面。") from exc
    if hashlib.sha256(data).hexdigest() != report_id:
        raise Unavailable(
            "源文件在导入之后被修改或替换过（内容与导入时不一致），"
            "不能把它当作这份报告的原件显示。请重新导入该文件后再查看。"
        )
    return data


def _scale(width: float, height: float, wanted: float) -> float:
    """``wanted``, reduced so the page stays within ``MAX_SIDE`` and ``MAX_PIXELS``."""
    if width <= 0 or height <= 0:
        raise Unavailable("这一页的尺寸无效，无法显示。")
    return min(wanted, MAX_SIDE / max(width, height), math.sqrt(MAX_PIXELS / (width * height)))


def _render_page(
    data: bytes, page: int, scale: float
) -> tuple[Image.Image, float, float, int, float]:
    """Everything PDFium does for a preview, in one place so that one lock covers it: the
    page as an RGB image, its size in points, the page count and the scale used."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise Unavailable("源文件无法作为 PDF 打开，无法显示原页面。") from exc
    try:
        pages = len(pdf)
        if not 1 <= page <= pages:
            raise Unavailable(f"源文件只有 {pages} 页，没有第 {page} 页。")
        pdf_page = pdf[page - 1]
        try:
            width, height = pdf_page.get_size()
            s = _scale(width, height, scale)
            image = pdf_page.render(scale=s, may_draw_forms=True).to_pil().convert("RGB")
        finally:
            pdf_page.close()
    except pdfium.PdfiumError as exc:
        raise Unavailable("这一页无法渲染，无法显示原页面。") from exc
    finally:
        pdf.close()
    return image, width, height, pages, s


def render(data: bytes, page: int, box: Sequence[float] | None, scale: float = SCALE) -> Preview:
    """Page ``page`` (1-based) of the PDF ``data`` with ``box`` (points, top-left origin on
    the displayed page) framed in ``HIGHLIGHT``; without a box, the bare page."""
    with _PDFIUM:
        image, width, height, pages, s = _render_page(data, page, scale)
    # The bitmap is the page's size times s, rounded: map points with its own ratio.
    sx, sy = image.width / width, image.height / height
    line = max(2, round(1.5 * s))
    if box is None:
        return Preview(image, page, pages, s, (0, 0, 0, 0), 0)
    x0, top, x1, bottom = (float(v) for v in box)
    if not all(map(math.isfinite, (x0, top, x1, bottom))) or not (
        x0 < width and top < height and x1 > 0 and bottom > 0
    ):
        raise Unavailable("记录的单元格位置不在这一页的可见范围内，无法框出。")
    frame = (
        max(0, math.floor((x0 - PAD) * sx) - line),
        max(0, math.floor((top - PAD) * sy) - line),
        min(image.width - 1, math.ceil((x1 + PAD) * sx) + line),
        min(image.height - 1, math.ceil((bottom + PAD) * sy) + line),
    )
    ImageDraw.Draw(image).rectangle(frame, outline=HIGHLIGHT, width=line)
    return Preview(image, page, pages, s, frame, line)


def preview(path: str, report_id: str, page: int, box: Sequence[float] | None) -> Preview:
    """The page a number of report ``report_id`` was printed on, from its source file."""
    return render(source_bytes(path, report_id), page, box)
