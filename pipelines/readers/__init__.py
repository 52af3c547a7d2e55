"""Readers: one per file format, each turning bytes into the same Document.

``read_document`` picks the reader from the file's content first and its name second, so
a report saved with the wrong extension is still read (a ``.doc`` that is really a web
page goes to the HTML reader, a ``.pdf`` that is really a DOCX to the Word reader).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from pipelines.document import Document
from pipelines.errors import UnreadableFile, UnsupportedFormat
from pipelines.readers.docx import read_docx
from pipelines.readers.html import read_html
from pipelines.readers.legacy import read_legacy
from pipelines.readers.pdf import read_pdf
from pipelines.readers.text import read_text

MAX_BYTES = 200 * 1024 * 1024

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


def reader_for(kind: str, path: str) -> Reader:
    if kind == "html":
        return read_html
    if kind == "text":
        return read_text
    if kind == "pdf":
        return read_pdf
    if kind == "docx":
        return read_docx
    if kind == "doc":
        suffix = Path(path).suffix.lower()
        return partial(read_legacy, suffix=suffix if suffix in _LEGACY_SUFFIXES else ".doc")
    if kind == "rtf":
        return partial(read_legacy, suffix=".rtf")
    raise UnsupportedFormat(path, f"暂不支持{kind}格式 / {kind} is not supported")


def read_bytes(data: bytes, path: str) -> Document:
    if not data.strip():
        raise UnreadableFile(path, "文件为空 / the file is empty")
    kind = _sniff(data, Path(path).suffix.lower())
    return reader_for(kind, path)(data, path)


def read_document(path: str | Path) -> Document:
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise UnreadableFile(str(p), f"文件过大（{size} 字节）/ file too large")
        data = p.read_bytes()
    except IsADirectoryError as exc:
        raise UnreadableFile(str(p), "这是一个文件夹，不是文件 / is a directory") from exc
    except FileNotFoundError as exc:
        raise UnreadableFile(str(p), "文件不存在 / no such file") from exc
    except PermissionError as exc:
        raise UnreadableFile(str(p), "没有读取权限 / permission denied") from exc
    except OSError as exc:
        raise UnreadableFile(str(p), f"无法读取文件 / cannot read: {exc.strerror}") from exc
    return read_bytes(data, str(p))
