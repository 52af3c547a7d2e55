"""HTML reports, usually a whole portal page with the report somewhere inside.

The bytes are decoded first (see ``encoding``), then parsed by selectolax (lexbor): fast and
tolerant of the Word-export markup portals publish. Block elements become paragraphs, a
table without nested tables becomes a grid with ``rowspan``/``colspan`` expanded, and a
table that holds other tables is page layout: its cells are read as ordinary content.

Hostile markup is defused before lexbor sees it, because some of lexbor's work grows with
the square of the nesting depth and that cannot be interrupted once started:

- inline tags (``<span>``, ``<font>``, ``<b>``…) carry no structure and are cut out of the
  text with one linear regex pass. Unwrapping them in the tree costs time proportional to
  their depth for each one (100,000 nested ``<span>`` took 27 s of CPU), and the formatting
  ones among them (``<b>``, ``<font>``…) are what the HTML parsing algorithm re-opens in
  every new paragraph: 80 KB of unclosed ``<font>`` became 9 million nodes and 4 GB.
- a page with more than ``MAX_TAGS`` tags left is refused. Lexbor walks the stack of open
  elements for many tags (every ``<div>`` looks for an open ``<p>``), so its time is bounded
  by tags × depth; under the limit that is about a second at worst, whatever the nesting.
  A real report page has about 2,000 tags once the inline ones are gone.
- the tree is walked with an explicit stack, not recursion, so depth is not bounded by
  Python's recursion limit, and which tables hold other tables is found in one pass over
  the tree, not by one search per table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import islice

from selectolax.lexbor import LexborHTMLParser, LexborNode

from pipelines.document import Budget, Document, Paragraph, Table, expand_spans
from pipelines.errors import UnreadableFile
from pipelines.readers.encoding import declared_charset, decode, looks_binary

MAX_TAGS = 50_000  # start and end tags left after inline ones are cut out

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


# Inline markup carries no structure; cutting it out first leaves far fewer nodes to walk
# (Word exports wrap every few characters in <span><font>) and nothing for lexbor to re-open.
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
# An inline tag whose attributes hold no "<" (a quoted one may hold ">"). Every failed
# attempt stops at the next "<", so the pass is linear in the page whatever it holds; the
# rare tag with "<" in an attribute is left for lexbor and unwrapped in the tree.
_INLINE_TAG = re.compile(
    rf"</?(?:{'|'.join(_INLINE)})(?=[\s/>])(?:[^<>\"']|\"[^\"<]*\"|'[^'<]*')*>", re.IGNORECASE
)
_ANY_TAG = re.compile(r"</?[A-Za-z]")
_LEFT_INLINE = ",".join(_INLINE)
_MAX_LEFT_INLINE = 1_000  # unwrapping in the tree costs their depth each


def _span(raw: str | None) -> int:
    if not raw:
        return 1
    digits = "".join(ch for ch in raw if ch.isdigit())[:6]  # expand_spans clips it
    return int(digits) if digits else 1


def _cell_text(node: LexborNode) -> str:
    # Inline tags are cut out and adjacent text merged before this runs, so the text nodes
    # left in a cell are separated by block boundaries (<p>, <br>) and a space is right.
    return " ".join(node.text(deep=True, separator=" ").split())


def _table(node: LexborNode, budget: Budget) -> Table:
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
    return expand_spans(rows, budget)


def _layout_tables(tree: LexborHTMLParser) -> set[int]:
    """The tables (by ``mem_id``) that hold another table: page layout, not data.

    Each table marks its ancestors up to the first one already marked, so every node is
    visited once however deep the tables nest.
    """
    marked: set[int] = set()
    layout: set[int] = set()
    for table in tree.css("table"):
        node = table.parent
        while node is not None and node.mem_id not in marked:
            marked.add(node.mem_id)
            if node.tag == "table":
                layout.add(node.mem_id)
            node = node.parent
    return layout


class _Flow:
    """Accumulates inline text into paragraphs, flushing at block boundaries."""

    def __init__(self, budget: Budget, layout: set[int]) -> None:
        self.blocks: list[Paragraph | Table] = []
        self.buffer: list[str] = []
        self.budget = budget
        self.layout = layout

    def flush(self) -> None:
        text = " ".join("".join(self.buffer).split())
        if text:
            self.budget.paragraph()
            self.blocks.append(Paragraph(text))
        self.buffer.clear()

    def walk(self, root: LexborNode) -> None:
        """Read ``root``'s content in document order, with an explicit stack of open nodes.

        Each entry is the iterator over an open node's children and whether leaving that
        node ends a paragraph.
        """
        stack: list[tuple[Iterator[LexborNode], bool]] = [(root.iter(include_text=True), False)]
        while stack:
            children, is_block = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                if is_block:
                    self.flush()
                continue
            tag = child.tag
            if tag == "-text":
                self.buffer.append(child.text_content or "")
            elif tag in _SKIP:
                continue
            elif tag == "br":
                self.flush()
            elif tag == "table" and child.mem_id not in self.layout:
                self.flush()
                self.blocks.append(_table(child, self.budget))
            elif tag in _BLOCK:  # a layout table too: its cells are content
                self.flush()
                stack.append((child.iter(include_text=True), True))
            else:
                stack.append((child.iter(include_text=True), False))


def _tags_over_limit(text: str) -> bool:
    if text.count("<") <= MAX_TAGS:  # every tag starts with one: no need to look closer
        return False
    return sum(1 for _ in islice(_ANY_TAG.finditer(text), MAX_TAGS + 1)) > MAX_TAGS


def _parse(text: str, path: str) -> LexborHTMLParser:
    text = _INLINE_TAG.sub("", text)
    if _tags_over_limit(text):
        raise UnreadableFile(
            path, f"网页标签过多（超过 {MAX_TAGS} 个）/ too much markup (over {MAX_TAGS} tags)"
        )
    tree = LexborHTMLParser(text)
    left = tree.css(_LEFT_INLINE)
    if 0 < len(left) <= _MAX_LEFT_INLINE:
        for node in left:
            node.unwrap()
    tree.merge_text_nodes()
    return tree


def read_html(data: bytes, path: str) -> Document:
    decoded = decode(data, path, declared_charset(data))
    if looks_binary(decoded.text):
        raise UnreadableFile(path, "文件含有二进制内容，不是网页 / binary content, not HTML")
    tree = _parse(decoded.text, path)
    title_node = tree.css_first("title")
    title = " ".join(title_node.text().split()) if title_node is not None else None
    flow = _Flow(Budget(path), _layout_tables(tree))
    root = tree.body or tree.root
    if root is not None:
        flow.walk(root)
    flow.flush()
    return Document(
        blocks=flow.blocks,
        source=path,
        format="html",
        encoding=decoded.encoding,
        title=title,
        warnings=decoded.warnings(flow.blocks, path),
    )
