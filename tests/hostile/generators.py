"""Hostile inputs, written at test time into a folder the test owns.

None of these files is committed: each function is the recipe for one kind of small or
strange file that used to eat the machine, and writes it when a test asks. The big ones stay
cheap to make: "200 MB of text" is a sparse file (a real report, then a hole), and the DOCX
whose ``document.xml`` is 250 MB is deflated while it is written, so neither the test nor the
disk ever holds the 250 MB.
"""

from __future__ import annotations

import os
import random
import zipfile
from pathlib import Path

from tests.helpers import SAMPLES

SEED = SAMPLES / "000_seed.txt"
MiB = 1024 * 1024

# Words of the seed report's prose (part 一), each once in the file and outside every table.
PROSE_ANCHORS = ("高度重视", "积极协调", "严肃认真", "没有政府信息公开收费", "没有发生因政府")


def span_grid_html(folder: Path, rows: int = 1000) -> Path:
    """About 47 KB of cells that each claim every row below and every column to the right.

    Expanded as written, row r's cell covers (rows - r) rows by as many columns as it may:
    tens of millions of grid positions from a thousand short lines.
    """
    cells = "".join(f"<tr><td rowspan=99999 colspan=99999>{r}</td></tr>\n" for r in range(rows))
    path = folder / "span_grid.html"
    path.write_text(f"<html><body><table>\n{cells}</table></body></html>\n", encoding="utf-8")
    return path


def nested_html(folder: Path, tag: str, depth: int) -> Path:
    """``depth`` nested ``<tag>`` elements around one line of text."""
    body = f"<{tag}>" * depth + "一、总体情况" + f"</{tag}>" * depth
    path = folder / f"nested_{tag}_{depth}.html"
    path.write_text(f"<html><body>{body}</body></html>\n", encoding="utf-8")
    return path


def reopened_fonts_html(folder: Path, fonts: int = 3000) -> Path:
    """Unclosed ``<font>`` tags that the HTML algorithm re-opens in every later paragraph.

    80 KB; parsed as the standard says, ``fonts`` x ``fonts`` elements (9 million).
    """
    opened = "".join(f'<font color="c{i}">' for i in range(fonts))
    body = f"<p>{opened}</p>" + "<p>x</p>" * fonts
    path = folder / "reopened_fonts.html"
    path.write_text(f"<html><body>{body}</body></html>\n", encoding="utf-8")
    return path


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _paragraph(i: int) -> str:
    # Numbered so that deflate cannot squeeze it past the old 200:1 ratio guard: what
    # this tests is the size the reader may inflate, not the ratio.
    text = "前进区政府办高度重视政府信息公开工作，由区政府副区长担任组长。" * 6
    return f"<w:p><w:r><w:t>{i:08d} {text}</w:t></w:r></w:p>"


def huge_docx(folder: Path, xml_bytes: int = 250 * MiB) -> Path:
    """A valid DOCX whose ``document.xml`` is ``xml_bytes`` of numbered paragraphs.

    Streamed through ``zipfile`` in chunks, so the largest thing in memory is one chunk.
    """
    path = folder / "huge.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as member:
            head = f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>'
            member.write(head.encode())
            written, i = len(head), 0
            while written < xml_bytes:
                chunk = "".join(_paragraph(i + k) for k in range(1000)).encode()
                member.write(chunk)
                written += len(chunk)
                i += 1000
            member.write(b"</w:body></w:document>")
    return path


def dense_docx(folder: Path, xml_bytes: int) -> Path:
    """A DOCX whose ``document.xml`` is ``xml_bytes`` of empty paragraphs, one per 6 bytes.

    The most elements a given amount of XML can hold. One paragraph in a hundred carries a
    random revision id, enough entropy to keep the zip under the 200:1 ratio guard.
    """
    rng = random.Random(xml_bytes)
    head = f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>'
    tail = "<w:p><w:r><w:t>一、总体情况</w:t></w:r></w:p></w:body></w:document>"
    pieces: list[str] = [head]
    size = len(head.encode()) + len(tail.encode())
    while True:
        piece = "<w:p/>" * 99 + f'<w:p w:rsidR="{rng.getrandbits(32):08X}"/>'
        if size + len(piece) > xml_bytes:
            break
        pieces.append(piece)
        size += len(piece)
    pieces.append(tail)
    path = folder / "dense.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("word/document.xml", "".join(pieces))
    return path


def fifo(folder: Path) -> Path:
    """A named pipe nobody writes to: opening it to read waits for a writer forever."""
    path = folder / "report.txt"
    os.mkfifo(path)
    return path


def sparse_text(folder: Path, size: int = 200 * MiB) -> Path:
    """The seed report followed by a hole: ``size`` bytes on paper, a few KB on disk."""
    path = folder / "big.txt"
    with path.open("wb") as f:
        f.write(SEED.read_bytes())
        f.truncate(size)
    return path


def long_text(folder: Path, size: int) -> Path:
    """At least ``size`` bytes of real report text: the seed, over and over."""
    seed = SEED.read_bytes()
    path = folder / "long.txt"
    path.write_bytes(seed * (size // len(seed) + 1))
    return path


def short_lines_text(folder: Path, size: int) -> Path:
    """``size`` bytes of one-character lines: one paragraph (a row) per two bytes."""
    path = folder / "short_lines.txt"
    path.write_bytes(b"x\n" * (size // 2))
    return path


def damaged_text(folder: Path, in_table: bool = False) -> Path:
    """The seed report with five stray 0xFF bytes in its prose, or one in a table cell.

    The table byte lands between "4" and the tab after it in the 本年新收 row.
    """
    data = SEED.read_bytes()
    if in_table:
        row = "一、本年新收政府信息公开申请数量\t\t4".encode()
        at = data.index(row) + len(row)
        data = data[:at] + b"\xff" + data[at:]
    else:
        for word in PROSE_ANCHORS:
            at = data.index(word.encode())
            data = data[:at] + b"\xff" + data[at:]
    path = folder / ("damaged_table.txt" if in_table else "damaged_prose.txt")
    path.write_bytes(data)
    return path
