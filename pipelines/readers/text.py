"""Plain-text reports: web pages copied as text, and what PDF converters write.

A line with tabs is a table row (a web table copied as text); a line framed by ``|`` is a
Markdown pipe-table row; a line whose fields are separated by runs of spaces and that holds
a number is a row laid out by a converter. Everything else is a paragraph. Consecutive rows
form one table; the parser reads rows as a stream, so where a table is cut (a page footer,
an empty line) does not matter.
"""

from __future__ import annotations

import re

from pipelines.document import Document, Paragraph, Table
from pipelines.errors import UnreadableFile
from pipelines.readers.encoding import decode, looks_binary

_PIPE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_SPACE_RUN = re.compile(r"\s{2,}")
_HAS_DIGIT = re.compile(r"[0-9０-９]")


def split_line(line: str) -> list[str] | None:
    """The cells of a table-like line, or None for a paragraph line."""
    if "\t" in line:
        return [c.strip() for c in line.rstrip("\r\n").split("\t")]
    stripped = line.strip()
    if stripped.startswith("|") and stripped.endswith("|") and stripped.count("|") >= 3:
        if _PIPE_SEPARATOR.match(stripped):
            return []
        return [c.strip() for c in stripped[1:-1].split("|")]
    fields = _SPACE_RUN.split(stripped)
    if len(fields) >= 3 and _HAS_DIGIT.search(stripped):
        return fields
    return None


def read_text(data: bytes, path: str) -> Document:
    text, encoding = decode(data, path)
    if looks_binary(text):
        raise UnreadableFile(path, "文件含有二进制内容，不是文本 / binary content, not text")
    blocks: list[Paragraph | Table] = []
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            blocks.append(Table(cells=list(rows)))
            rows.clear()

    for line in text.splitlines():
        cells = split_line(line)
        if cells is None:
            stripped = line.strip()
            if stripped:
                flush()
                blocks.append(Paragraph(stripped))
            continue
        if cells:
            rows.append(cells)
    flush()
    return Document(blocks=blocks, source=path, format="text", encoding=encoding)
