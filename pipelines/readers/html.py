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


# Inline markup carries no structure; unwrapping it in C first leaves far fewer nodes to walk
# (Word exports wrap every few characters in <span><font>).
_INLINE = [
    "span",
    "font",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "a",
    "sup",
    "sub",
    "small",
    "big",
    "label",
    "ins",
    "del",
    "s",
    "strike",
    "nobr",
    "abbr",
    "cite",
    "code",
    "mark",
    "q",
    "tt",
    "var",
]


def _span(raw: str | None) -> int:
    if not raw:
        return 1
    digits = "".join(ch for ch in raw if ch.isdigit())[:4]
    return int(digits) if digits else 1


def _cell_text(node: LexborNode) -> str:
    # Inline tags are unwrapped and adjacent text merged before this runs, so the text nodes
    # left in a cell are separated by block boundaries (<p>, <br>) and a space is right.
    return " ".join(node.text(deep=True, separator=" ").split())


def _table(node: LexborNode) -> Table:
    rows: list[list[tuple[str, int, int]]] = []
    for tr in node.css("tr"):
        row = []
        for cell in tr.iter():
            if cell.tag in ("td", "th"):
                attrs = cell.attributes
                row.append(
                    (_cell_text(cell), _span(attrs.get("rowspan")), _span(attrs.get("colspan")))
                )
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
    tree.unwrap_tags(_INLINE)
    tree.merge_text_nodes()
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node is not None else None
    flow = _Flow()
    root = tree.body or tree.root
    if root is not None:
        flow.walk(root)
    flow.flush()
    return Document(blocks=flow.blocks, source=path, format="html", encoding=encoding, title=title)
