"""Word (DOCX) reports: paragraphs and tables in body order, merged cells expanded.

The zip container is checked before python-docx sees it: a DOCX is a zip archive, and a
truncated download or a zip bomb (a few kilobytes that claim gigabytes) must end as a
one-line error, quickly and in bounded memory. The sizes checked are the ones the archive
declares; Python's zipfile never inflates a member past its declared size, so the check
bounds what python-docx can load. python-docx inflates every part and parses every XML part
into an lxml tree at once, so what matters is the XML: at most ``MAX_XML_BYTES`` of it
(a real report's XML is under 5 MB; a 250 MB ``document.xml`` of numbered paragraphs, 2 MB
zipped, took 53 s of CPU). XML in that budget costs at most about 300 MB as a tree (one
element per 6 bytes of ``<w:p/>``, about 150 bytes each), and lxml's parser, with
``huge_tree`` off as python-docx leaves it, refuses nesting deeper than 256 elements and a
single text node over 10 MB, so the recursive walks below stay far inside Python's limit.
Other parts (images, fonts) are kept as bytes, within ``MAX_TOTAL_BYTES``.

The body is walked element by element rather than through ``Document.iter_inner_content()``
because that yields only direct ``w:p``/``w:tbl`` children and silently skips content
controls (``w:sdt``), which government templates use for whole sections. A table's grid is
built from each ``w:tc``'s ``gridSpan`` (horizontal merge) and ``vMerge`` (vertical merge):
a continuation cell takes the anchor and text of the cell above it, which is the identity
python-docx expresses by repeating the same ``cell._tc``. A table that holds other tables is
page layout, so its cells are read as ordinary content (as the HTML reader does). Text in
text boxes is read after the paragraph that anchors it; the VML fallback copy of a text box
(``mc:Fallback``) is skipped so nothing is read twice.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import TYPE_CHECKING

import docx
from docx.oxml.ns import qn

from pipelines.document import MAX_COLUMNS, Block, Budget, Document, Paragraph, Table
from pipelines.errors import UnreadableFile, UnsupportedFormat

if TYPE_CHECKING:
    from lxml import etree

MAX_MEMBERS = 5_000
MAX_XML_BYTES = 10 * 1024 * 1024  # declared uncompressed size of all XML parts together
MAX_TOTAL_BYTES = 64 * 1024 * 1024  # declared uncompressed size of the whole archive
MAX_RATIO = 200  # uncompressed / compressed, for members larger than RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
_XML_SUFFIXES = (".xml", ".rels", ".vml")

_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W_P, _W_TBL, _W_TR, _W_TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_W_T, _W_TAB, _W_BR, _W_CR = qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_W_TXBX = qn("w:txbxContent")
_W_SDT, _W_SDT_CONTENT = qn("w:sdt"), qn("w:sdtContent")
_TRANSPARENT = frozenset({qn("w:customXml"), qn("w:smartTag"), qn("w:ins"), qn("w:moveTo")})
_NOT_TEXT = frozenset({qn("w:del"), qn("w:moveFrom"), _W_TXBX, _MC_FALLBACK})
_MAIN_TYPE = "wordprocessingml.document.main"
_MACRO_TYPE = "ms-word.document.macroEnabled.main"
_TEMPLATE_TYPE = "wordprocessingml.template.main"


# --- the container ----------------------------------------------------------------------------


def check_container(data: bytes, path: str) -> None:
    """Refuse a DOCX whose zip is broken, a bomb, encrypted or not a Word document."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise UnreadableFile(
                    path, f"压缩包内文件过多（{len(infos)}个）/ too many zip members"
                )
            total = xml = 0
            for info in infos:
                total += info.file_size
                if info.filename.lower().endswith(_XML_SUFFIXES):
                    xml += info.file_size
                if info.flag_bits & 0x1:
                    raise UnreadableFile(path, "DOCX 压缩包已加密 / encrypted zip")
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > RATIO_FLOOR and ratio > MAX_RATIO:
                    raise UnreadableFile(
                        path,
                        f"疑似压缩炸弹：{info.filename} 压缩比 {ratio:.0f}:1 / "
                        "zip bomb suspected (compression ratio)",
                    )
            if xml > MAX_XML_BYTES:
                raise UnreadableFile(
                    path,
                    f"文档内容解压后体积过大（XML 共 {xml // (1024 * 1024)} MB，"
                    f"上限 {MAX_XML_BYTES // (1024 * 1024)} MB）/ document XML too large",
                )
            if total > MAX_TOTAL_BYTES:
                raise UnreadableFile(
                    path,
                    f"解压后体积过大（{total // (1024 * 1024)} MB）/ "
                    "zip bomb suspected (declared size)",
                )
            names = {i.filename for i in infos}
            types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    except zipfile.BadZipFile as exc:
        raise UnreadableFile(
            path, "DOCX 文件不完整或已损坏（ZIP 结构无效）/ truncated or corrupt DOCX"
        ) from exc
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise UnreadableFile(path, f"DOCX 文件已损坏 / corrupt DOCX ({exc})") from exc
    text = types.decode("utf-8", "replace")
    if not any(t in text for t in (_MAIN_TYPE, _MACRO_TYPE, _TEMPLATE_TYPE)):
        if "spreadsheetml" in text:
            zh, en = "Excel 表格", "an Excel workbook"
        elif "presentationml" in text:
            zh, en = "PowerPoint 演示文稿", "a PowerPoint file"
        else:
            zh, en = "普通 ZIP 压缩包", "a zip archive"
        raise UnsupportedFormat(path, f"不是 Word 文档，而是{zh} / {en}, not a Word document")


# --- text ---------------------------------------------------------------------------------------


def _run_text(element: etree._Element, out: list[str]) -> None:
    """Visible text under ``element``: no deleted runs, no text boxes, no fallbacks."""
    for child in element:
        tag = child.tag
        if tag in _NOT_TEXT or not isinstance(tag, str):
            continue
        if tag == _W_T:
            out.append(child.text or "")
        elif tag == _W_TAB:
            out.append("\t")
        elif tag in (_W_BR, _W_CR):
            if child.get(qn("w:type")) != "page":
                out.append("\n")
        else:
            _run_text(child, out)


def _text_boxes(element: etree._Element) -> Iterator[etree._Element]:
    """``w:txbxContent`` elements under ``element``, outermost first, fallbacks skipped."""
    for child in element:
        if child.tag == _MC_FALLBACK:
            continue
        if child.tag == _W_TXBX:
            yield child
        elif isinstance(child.tag, str):
            yield from _text_boxes(child)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _cell_text(tc: etree._Element, budget: Budget) -> str:
    """A cell's paragraphs as one line; they count as rows of the document, to be safe."""
    return _clean(" ".join(b.text for b in _blocks(tc, budget) if isinstance(b, Paragraph)))


# --- tables -------------------------------------------------------------------------------------


def _attribute(element: etree._Element, name: str) -> object:
    """A python-docx element property, or None where the file holds an invalid value."""
    try:
        return getattr(element, name, None)
    except Exception:  # python-docx raises InvalidXmlError, ValueError, … on bad values
        return None


def _number(element: etree._Element, name: str, default: int) -> int:
    value = _attribute(element, name)
    return value if isinstance(value, int) and value >= 0 else default


def _grid(tbl: etree._Element, budget: Budget) -> Table:
    """Expand ``gridSpan``/``vMerge``/``hMerge`` into a dense grid with anchors.

    Spans are clipped to ``MAX_COLUMNS`` and every row is charged to ``budget`` as it is
    laid out, with the table's full width: a crafted file must not turn a few bytes of
    ``gridSpan`` into millions of expanded cells.
    """
    owner: dict[tuple[int, int], tuple[int, int]] = {}
    texts: dict[tuple[int, int], str] = {}
    width = 0
    rows = [tr for tr in tbl if tr.tag == _W_TR]
    for r, tr in enumerate(rows):
        c = _number(tr, "grid_before", 0)
        for tc in tr.iter(_W_TC):  # a plain grid: no nested tables, so every w:tc is a cell
            budget.column(c)
            span = max(1, min(_number(tc, "grid_span", 1), MAX_COLUMNS - c))
            vmerge = _attribute(tc, "vMerge")
            hmerge = tc.find(f"{qn('w:tcPr')}/{qn('w:hMerge')}")
            if vmerge == "continue" and (r - 1, c) in owner:
                anchor = owner[(r - 1, c)]
            elif (
                hmerge is not None
                and hmerge.get(qn("w:val"), "continue") == "continue"
                and (r, c - 1) in owner
            ):
                anchor = owner[(r, c - 1)]
            else:
                anchor = (r, c)
                texts[anchor] = _cell_text(tc, budget)
            for dc in range(span):
                owner[(r, c + dc)] = anchor
            c += span
        # Rows laid out so far are charged again at the new width when the table widens.
        budget.claim(1, max(width, c))
        if c > width:
            budget.claim(0, (c - width) * r)
            width = c
    cells: list[list[str]] = []
    anchors: list[list[tuple[int, int]]] = []
    for r in range(len(rows)):
        row_anchors = [owner.get((r, c), (r, c)) for c in range(width)]
        anchors.append(row_anchors)
        cells.append([texts.get(a, "") for a in row_anchors])
    return Table(cells=cells, anchors=anchors)


def _is_layout(tbl: etree._Element) -> bool:
    return any(inner is not tbl for inner in tbl.iter(_W_TBL))


# --- the body -----------------------------------------------------------------------------------


def _blocks(container: etree._Element, budget: Budget) -> Iterator[Block]:
    for child in container:
        tag = child.tag
        if tag == _W_P:
            chunk: list[str] = []
            _run_text(child, chunk)
            for line in "".join(chunk).split("\n"):
                if _clean(line):
                    budget.paragraph()
                    yield Paragraph(_clean(line))
            for box in _text_boxes(child):
                yield from _blocks(box, budget)
        elif tag == _W_TBL:
            if _is_layout(child):
                for tr in child:
                    if tr.tag == _W_TR:
                        yield from _blocks(tr, budget)
            else:
                table = _grid(child, budget)
                if any(any(t for t in row) for row in table.cells):
                    yield table
        elif tag == _W_SDT:
            content = child.find(_W_SDT_CONTENT)
            if content is not None:
                yield from _blocks(content, budget)
        elif tag in _TRANSPARENT or tag == _W_TC:
            yield from _blocks(child, budget)


def read_docx(data: bytes, path: str, fmt: str = "docx") -> Document:
    check_container(data, path)
    # python-docx parses the parts when it opens the package, and it and lxml raise many
    # unrelated types on broken parts: opening is guarded, reading the body is not, so a
    # bug there still shows as a bug rather than as a "corrupt DOCX".
    try:
        word = docx.Document(io.BytesIO(data))
        body = word.element.body
        title = (word.core_properties.title or "").strip() or None
    except Exception as exc:
        raise UnreadableFile(
            path, f"DOCX 文件已损坏，无法解析 / corrupt DOCX ({type(exc).__name__})"
        ) from exc
    blocks = list(_blocks(body, Budget(path)))
    if not blocks:
        raise UnreadableFile(path, "Word 文档中没有文字 / the document has no text")
    return Document(blocks=blocks, source=path, format=fmt, title=title)
