"""Readers: one per file format, each turning bytes into the same Document.

``read_document`` picks the reader from the file's content first and its name second, so
a report saved with the wrong extension is still read (a ``.doc`` that is really a web
page goes to the HTML reader, a ``.pdf`` that is really a DOCX to the Word reader).

Every file is read through ``read_regular_file``, which takes nothing but a regular file
(``/dev/zero`` or a named pipe would be read forever) and never more than ``MAX_BYTES``.
Each format then has its own limit, because what a reader builds from a byte differs.
Text and HTML are decoded whole and parsed into one node or row per few bytes (190 MB of
text took 1.4 GB and 10 s to read): 16 MiB, against real reports under 5 MB. A Word file
is a zip, and what it may inflate is bounded in ``docx``: 32 MiB for the file itself. A
PDF carries fonts and images and is read a page at a time: 64 MiB, against real ones under
50 MB. The legacy formats are converted to DOCX by LibreOffice: 32 MiB, like Word.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from functools import partial
from pathlib import Path

from pipelines.document import Document
from pipelines.errors import UnreadableFile, UnsupportedFormat
from pipelines.readers.text import read_text

MiB = 1024 * 1024
MAX_BYTES_BY_KIND = {
    "text": 16 * MiB,
    "html": 16 * MiB,
    "docx": 32 * MiB,
    "doc": 32 * MiB,
    "rtf": 32 * MiB,
    "pdf": 64 * MiB,
}
MAX_BYTES = max(MAX_BYTES_BY_KIND.values())  # any file, before its format is known
_CHUNK = MiB

Reader = Callable[[bytes, str], Document]

_LEGACY_SUFFIXES = (".doc", ".wps", ".dot")


def _sniff(data: bytes, suffix: str) -> str:
    head = data[:2048].lstrip().lower()
    if head.startswith(b"%pdf") or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if (
        suffix in (".html", ".htm", ".shtml", ".xhtml")
        or head.startswith((b"<!doctype html", b"<html", b"<?xml"))
        or b"<body" in data[:8192].lower()
    ):
        return "html"
    return "text"


# The readers imported on first use (see ``reader_for``); a long-running process that will
# read many files (an ingest's workers) imports them up front instead.
READER_MODULES = (
    "pipelines.readers.html",
    "pipelines.readers.pdf",
    "pipelines.readers.docx",
    "pipelines.readers.legacy",
)


def reader_for(kind: str, path: str) -> Reader:
    # Only the text reader is imported with this package: the others bring in selectolax,
    # pypdfium2, python-docx and lxml, or subprocess, which cost a command that reads one
    # text file most of its start-up time. Each is imported when a file of its kind is read.
    if kind == "text":
        return read_text
    if kind == "html":
        from pipelines.readers.html import read_html

        return read_html
    if kind == "pdf":
        from pipelines.readers.pdf import read_pdf

        return read_pdf
    if kind == "docx":
        from pipelines.readers.docx import read_docx

        return read_docx
    if kind == "doc":
        from pipelines.readers.legacy import read_legacy

        suffix = Path(path).suffix.lower()
        return partial(read_legacy, suffix=suffix if suffix in _LEGACY_SUFFIXES else ".doc")
    if kind == "rtf":
        from pipelines.readers.legacy import read_legacy

        return partial(read_legacy, suffix=".rtf")
    raise UnsupportedFormat(path, f"暂不支持{kind}格式 / {kind} is not supported")


def _too_large(path: str, size: int, limit: int) -> UnreadableFile:
    return UnreadableFile(path, f"文件过大（{size} 字节，上限 {limit // MiB} MB）/ file too large")


def read_bytes(data: bytes, path: str) -> Document:
    if not data.strip():
        raise UnreadableFile(path, "文件为空 / the file is empty")
    kind = _sniff(data, Path(path).suffix.lower())
    limit = MAX_BYTES_BY_KIND.get(kind, MAX_BYTES)
    if len(data) > limit:
        raise _too_large(path, len(data), limit)
    doc = reader_for(kind, path)(data, path)
    if kind in _GRID_KINDS:
        doc.locate_cells()
    return doc


# Formats whose tables are grids of the file itself, so a cell's table, row and column say
# where it was printed (a PDF's reader gives each cell its page and box instead; plain text
# has no cells to point at).
_GRID_KINDS = frozenset({"docx", "doc", "rtf", "html"})


def _refuse_kind(path: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise UnreadableFile(path, "这是一个文件夹，不是文件 / is a directory")
    if not stat.S_ISREG(mode):
        raise UnreadableFile(path, "不是普通文件（设备、管道或套接字）/ not a regular file")


def read_regular_file(path: str | Path) -> bytes:
    """The bytes of a regular file of at most ``MAX_BYTES``, or one UnreadableFile.

    The path is looked at before it is opened (``stat`` follows a symlink, so a link to a
    regular file is read): opening a pipe waits for a writer, and a device may never end.
    It is then opened non-blocking, so a path swapped for a pipe in between cannot hang the
    open, and the open file is looked at again, which is the check that counts. The read
    stops one byte past the limit, so a file that grows while it is read is refused too.
    """
    name = str(path)
    try:
        _refuse_kind(name, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except FileNotFoundError as exc:
        raise UnreadableFile(name, "文件不存在 / no such file") from exc
    except PermissionError as exc:
        raise UnreadableFile(name, "没有读取权限 / permission denied") from exc
    except OSError as exc:
        raise UnreadableFile(name, f"无法读取文件 / cannot read: {exc.strerror}") from exc
    try:
        info = os.fstat(fd)
        _refuse_kind(name, info.st_mode)
        if info.st_size > MAX_BYTES:
            raise _too_large(name, info.st_size, MAX_BYTES)
        chunks: list[bytes] = []
        total = 0
        want = info.st_size + 1  # all of it in one read, and the end seen in the next
        while total <= MAX_BYTES:
            chunk = os.read(fd, min(max(want - total, _CHUNK), MAX_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise UnreadableFile(name, f"无法读取文件 / cannot read: {exc.strerror}") from exc
    finally:
        os.close(fd)
    if total > MAX_BYTES:
        raise _too_large(name, total, MAX_BYTES)
    return b"".join(chunks)  # one chunk, the usual case, is returned without a copy


def read_document(path: str | Path) -> Document:
    return read_bytes(read_regular_file(path), str(path))
