"""Plain-text reports: web pages copied as text, and what PDF converters write.

A line with tabs is a table row (a web table copied as text); a line framed by ``|`` is a
Markdown pipe-table row; a line whose fields are separated by runs of spaces and that holds
a number is a row laid out by a converter. Everything else is a paragraph. Consecutive rows
form one table; the parser reads rows as a stream, so where a table is cut (a page footer,
an empty line) does not matter.

The text is held once: lines are cut from it one at a time rather than by ``splitlines()``,
which would hold a second full copy (and a list of every line) while the first is alive. A
line is never split into more than ``MAX_COLUMNS`` cells, whatever it holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipelines.document import MAX_COLUMNS, Budget, Document, Paragraph, Table
from pipelines.errors import UnreadableFile
from pipelines.readers.encoding import decode, looks_binary

_PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SPACE_RUN = re.compile(r"\s{2,}")
_HAS_DIGIT = re.compile(r"[0-9０-９]")
# The line boundaries of str.splitlines(), a CRLF counting as one.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def split_line(line: str) -> list[str] | None:
    """The cells of a table-like line, or None for a paragraph line.

    A row wider than ``MAX_COLUMNS`` comes back with ``MAX_COLUMNS + 1`` cells, the last
    holding the rest of the line, so the caller can refuse it without the split costing
    more than the limit.
    """
    if "\t" in line:
        return [c.strip() for c in line.rstrip("\r\n").split("\t", MAX_COLUMNS)]
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 3:
        if _PIPE_SEPARATOR.match(stripped):
            return []
        return [c.strip() for c in stripped[1:-1].split("|", MAX_COLUMNS)]
    fields = _SPACE_RUN.split(stripped, MAX_COLUMNS)
    if len(fields) >= 3 and _HAS_DIGIT.search(stripped):
        return fields
    return None


def lines(text: str) -> Iterator[str]:
    """``text.splitlines()``, one line at a time."""
    start = 0
    for brk in _LINE_BREAK.finditer(text):
        yield text[start : brk.start()]
        start = brk.end()
    if start < len(text):
        yield text[start:]


def read_text(data: bytes, path: str) -> Document:
    decoded = decode(data, path)
    if looks_binary(decoded.text):
        raise UnreadableFile(path, "文件含有二进制内容，不是文本 / binary content, not text")
    budget = Budget(path)
    blocks: list[Paragraph | Table] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            blocks.append(Table(cells=list(rows)))
            rows.clear()

    for line in lines(decoded.text):
        cells = split_line(line)
        if cells is None:
            stripped = line.strip()
            if stripped:
                budget.paragraph()
                flush()
                blocks.append(Paragraph(stripped))
            continue
        if cells:
            budget.row(len(cells))
            rows.append(cells)
    flush()
    return Document(
        blocks=blocks,
        source=path,
        format="text",
        encoding=decoded.encoding,
        warnings=decoded.warnings(blocks, path),
    )
