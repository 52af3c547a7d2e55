"""Turning the bytes of a Chinese document into text without losing characters.

Decoding is done here, before any HTML parser sees the bytes: lxml silently truncates a
``charset=gb2312`` page at the first character outside GB2312, and selectolax ignores the
declaration. Every GB label is read as GB18030, the superset, and charset-normalizer is only
asked, with the whole file, when there is no BOM, no declaration and the bytes are neither
UTF-8 nor GB18030, not even with a few damaged bytes.

A file damaged in a few bytes (a stray 0xFF from a bad copy) is still read: when one of the
encodings above decodes it with at most ``DAMAGE_FLOOR`` bytes, or ``DAMAGE_SHARE`` of the
file, that it cannot decode, those bytes become U+FFFD and the report carries a warning.
That is safe only outside the tables, where a lost byte costs a character of prose; in a
table it could sit in a number or in the label that says what the number is, so a damaged
cell makes the whole file refused (``Decoded.warnings``), as a more damaged file is.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.document import Block, Paragraph
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


DAMAGE_FLOOR = 8  # undecodable bytes always tolerated outside the tables
DAMAGE_SHARE = 0.001  # ... or this share of the file's bytes, if that is more
_REPLACEMENT = "\ufffd"
_EACH_BYTE = "xxgk-replace-each-byte"


def _replace_each_byte(exc: UnicodeError) -> tuple[str, int]:
    """One U+FFFD per undecodable byte, so that counting them counts the bytes."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return _REPLACEMENT * (exc.end - exc.start), exc.end


codecs.register_error(_EACH_BYTE, _replace_each_byte)


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    encoding: str
    damaged: int = 0  # undecodable bytes, each replaced by U+FFFD

    def warnings(self, blocks: Iterable[Block], path: str) -> list[str]:
        """The damage as a warning for the report; refused when it reached a table cell."""
        if not self.damaged:
            return []
        label = "UTF-8" if self.encoding.startswith("utf-8") else self.encoding.upper()
        damage = f"文件中有 {self.damaged} 个字节无法按 {label} 解码"
        for block in blocks:
            if isinstance(block, Paragraph):
                continue
            if any(_REPLACEMENT in cell for row in block.cells for cell in row):
                raise UnreadableFile(
                    path,
                    f"{damage}，其中有的在表格里 / {self.damaged} undecodable bytes, "
                    "some inside a table",
                )
        return [f"{damage}，已替换为 {_REPLACEMENT}；表格中的数字未受影响"]


def _tolerable(damaged: int, size: int) -> bool:
    return damaged <= max(DAMAGE_FLOOR, size * DAMAGE_SHARE)


def _repaired(data: bytes, name: str) -> Decoded | None:
    """``data`` read as ``name`` with its few undecodable bytes replaced, if they are few.

    The fast built-in "replace" pass counts the damaged spots first, so a file that is not
    this encoding at all costs no Python call per bad byte.
    """
    if not _tolerable(data.decode(name, "replace").count(_REPLACEMENT), len(data)):
        return None
    text = data.decode(name, _EACH_BYTE)
    damaged = text.count(_REPLACEMENT)
    return Decoded(text, name, damaged) if _tolerable(damaged, len(data)) else None


def decode(data: bytes, path: str, declared: str | None = None) -> Decoded:
    """The text of ``data``; raise UnreadableFile when the bytes are not text."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(name), name)
            except UnicodeDecodeError as exc:
                repaired = _repaired(data, name)
                if repaired is None:
                    raise UnreadableFile(
                        path, f"文件编码损坏（{name}）/ broken {name} text"
                    ) from exc
                return repaired
    candidates = list(dict.fromkeys(c for c in (declared, "utf-8", "gb18030") if c))
    for name in candidates:
        try:
            return Decoded(data.decode(name), name)
        except UnicodeDecodeError:
            continue
    for name in candidates:
        repaired = _repaired(data, name)
        if repaired is not None:
            return repaired
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile(path, "无法识别文件编码，不是文本文件 / not a text file")
    return Decoded(str(best), best.encoding)


def looks_binary(text: str) -> bool:
    """Control characters other than whitespace mean the bytes were not text."""
    sample = text[:16384]
    if not sample:
        return False
    return len(_CONTROL.findall(sample)) / len(sample) > 0.01
