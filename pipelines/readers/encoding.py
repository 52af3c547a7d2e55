"""Turning the bytes of a Chinese document into text without losing characters.

Decoding is done here, before any HTML parser sees the bytes: lxml silently truncates a
``charset=gb2312`` page at the first character outside GB2312, and selectolax ignores the
declaration. Every GB label is read as GB18030, the superset, and charset-normalizer is only
asked, with the whole file, when there is no BOM, no declaration and the bytes are neither
UTF-8 nor GB18030.
"""

from __future__ import annotations

import codecs
import re

from pipelines.errors import UnreadableFile

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GB_LABELS = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "ms936", "gb_2312-80"}
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)


def _canonical(label: str) -> str | None:
    label = label.strip().lower()
    if label in _GB_LABELS:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in its first 4 KiB, if any."""
    m = _META_CHARSET.search(data[:4096])
    return _canonical(m.group(1).decode("ascii", "ignore")) if m else None


def decode(data: bytes, path: str, declared: str | None = None) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise UnreadableFile when the bytes are not text."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(name), name
            except UnicodeDecodeError as exc:
                raise UnreadableFile(path, f"文件编码损坏（{name}）/ broken {name} text") from exc
    candidates = [c for c in (declared, "utf-8", "gb18030") if c]
    for name in dict.fromkeys(candidates):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile(path, "无法识别文件编码，不是文本文件 / not a text file")
    return str(best), best.encoding


def looks_binary(text: str) -> bool:
    """Control characters other than whitespace mean the bytes were not text."""
    sample = text[:16384]
    if not sample:
        return False
    return len(_CONTROL.findall(sample)) / len(sample) > 0.01
