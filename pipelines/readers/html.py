"""HTML reports, usually a whole portal page with the report somewhere inside.

The bytes are decoded first (see ``encoding``), then parsed by selectolax (lexbor): fast and
tolerant of the Word-export markup portals publish. Block elements become paragraphs, a
table without nested tables becomes a grid with ``rowspan``/``colspan`` expanded, and a
table that holds other tables is page layout: its cells are read as ordinary content.
"""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipelines.document import Document, Paragraph, Table, expand_spans
from pipelines.errors import UnreadableFile
from pipelines.readers.encoding import declared_charset, decode, looks_binary

_SKIP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "head",
        "template",
        "iframe",
        "object",
        "svg",
        "select",
        "button",
        "input",
        "textarea",
        "-comment",
        "title",
        "meta",
        "link",
    }
)
_BLOCK = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "main",
        "aside",
        "blockquote",
        "pre",
        "dl",
        "dt",
        "dd",
        "tr",
        "td",
        "th",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "center",
        "form",
        "address",
        "hr",
        "figure",
        "figcaption",
        "caption",
        "ucapcontent",
        "body",
        "html",
    }
)


def _span(node: LexborNode, name: str) -> int:
    raw = (node.attributes.get(name) or "1").strip()
    digits = "".join(ch for ch in raw if ch.isdigit())[:4]
    return int(digits) if digits else 1


def _cell_text(node: LexborNode) -> str:
    parts: list[str] = []

    def walk(n: LexborNode) -> None:
        for child in n.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                parts.append(child.text_content or "")
            elif tag in _SKIP:
                continue
            elif tag == "br":
                parts.append("\n")
            else:
                block = tag in _BLOCK
                if block:
                    parts.append("\n")
                walk(child)
                if block:
                    parts.append("\n")

    walk(node)
    return " ".join("".join(parts).split())


def _table(node: LexborNode) -> Table:
    rows: list[list[tuple[str, int, int]]] = []
    for tr in node.css("tr"):
        row = []
        for cell in tr.iter():
            if cell.tag in ("td", "th"):
                row.append((_cell_text(cell), _span(cell, "rowspan"), _span(cell, "colspan")))
        rows.append(row)
    return expand_spans(rows)


class _Flow:
    """Accumulates inline text into paragraphs, flushing at block boundaries."""

    def __init__(self) -> None:
        self.blocks: list[Paragraph | Table] = []
        self.buffer: list[str] = []

    def flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        if text:
            self.blocks.append(Paragraph(text))
        self.buffer.clear()

    def walk(self, node: LexborNode) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag
            if tag == "-text":
                self.buffer.append(child.text_content or "")
            elif tag in _SKIP:
                continue
            elif tag == "br":
                self.flush()
            elif tag == "table":
                self.flush()
                if child.css_first("table table") is None and child.css_first("td table") is None:
                    self.blocks.append(_table(child))
                else:
                    self.walk(child)
                    self.flush()
            elif tag in _BLOCK:
                self.flush()
                self.walk(child)
                self.flush()
            else:
                self.walk(child)


def read_html(data: bytes, path: str) -> Document:
    text, encoding = decode(data, path, declared_charset(data))
    if looks_binary(text):
        raise UnreadableFile(path, "文件含有二进制内容，不是网页 / binary content, not HTML")
    tree = LexborHTMLParser(text)
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node is not None else None
    flow = _Flow()
    root = tree.body or tree.root
    if root is not None:
        flow.walk(root)
    flow.flush()
    return Document(blocks=flow.blocks, source=path, format="html", encoding=encoding, title=title)
