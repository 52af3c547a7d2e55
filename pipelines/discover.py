"""Which files an ingest reads, and every place it could not look, said out loud.

Folders are walked once, in a stable order, following symbolic links to folders (people
organise reports with them) but never round a loop. A folder that cannot be read, a loop,
or a path that does not exist is a named problem in the batch's summary, never a quiet
skip. Hidden entries and the demo generator's ``truth`` folders are left out on purpose;
files whose extension is not a report format are counted, so the summary can say so.

File names are bytes on Linux and need not be UTF-8 (a report saved on a Chinese Windows
machine has a GBK name). The path as given is kept for opening the file; what is stored and
shown is ``display_path``, which reads the name as UTF-8 or GB18030 and escapes what is
neither, so one such name cannot stop a batch.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.manifest import Manifest

SUPPORTED = frozenset(
    {".txt", ".text", ".md", ".htm", ".html", ".shtml", ".xhtml", ".pdf", ".docx", ".doc", ".wps"}
)
MANIFEST_NAME = "manifest.csv"
_FETCH_SIDECAR = re.compile(r"[0-9a-f]{64}\.json")


def display_path(path: str | Path) -> str:
    """The path as text that can be stored and printed, whatever bytes its name holds."""
    raw = os.fsencode(path)
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")


@dataclass(slots=True)
class Found:
    files: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (display path, reason)
    unsupported: int = 0  # files in folders whose extension is not a report format


def _skipped(name: str) -> bool:
    return name.startswith(".")


def discover(paths: list[str | Path], manifest: Manifest) -> Found:
    """Every report file under ``paths``; reads the manifests it finds on the way."""
    found = Found()
    for raw in paths:
        path = os.path.abspath(os.fspath(raw))
        try:
            st = os.stat(path)
        except FileNotFoundError:
            found.problems.append(
                (display_path(raw), "文件或文件夹不存在 / no such file or folder")
            )
            continue
        except OSError as exc:
            found.problems.append((display_path(raw), f"无法访问 / cannot access: {exc.strerror}"))
            continue
        if os.path.isdir(path):
            files: list[str] = []
            _walk(path, manifest, found, files, {(st.st_dev, st.st_ino)})
            found.files.extend(sorted(files, key=os.fsencode))
        else:
            found.files.append(path)  # named explicitly: tried whatever its extension
    found.files = list(dict.fromkeys(found.files))
    return found


def _walk(
    top: str, manifest: Manifest, found: Found, files: list[str], ancestors: set[tuple[int, int]]
) -> None:
    """Collect the report files under ``top``; ``ancestors``: the folders on the way down."""
    try:
        entries = sorted(os.scandir(top), key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        reason = "没有权限" if isinstance(exc, PermissionError) else (exc.strerror or "")
        found.problems.append(
            (display_path(top), f"无法读取文件夹（{reason}）/ cannot read folder")
        )
        return
    for entry in entries:
        if _skipped(entry.name):
            continue
        try:
            is_dir = entry.is_dir()  # follows a link to a folder
        except OSError:
            is_dir = False
        if is_dir:
            if entry.name == "truth":
                continue
            try:
                st = entry.stat()
            except OSError as exc:
                found.problems.append(
                    (display_path(entry.path), f"无法访问 / cannot access: {exc.strerror}")
                )
                continue
            key = (st.st_dev, st.st_ino)
            if key in ancestors:
                found.problems.append(
                    (
                        display_path(entry.path),
                        "符号链接指向上级文件夹，形成循环，未进入 / symlink loop, not followed",
                    )
                )
                continue
            _walk(entry.path, manifest, found, files, ancestors | {key})
        elif entry.name == MANIFEST_NAME:
            manifest.load(Path(entry.path))
        elif os.path.splitext(entry.name)[1].lower() in SUPPORTED:
            files.append(entry.path)
        elif not _FETCH_SIDECAR.fullmatch(entry.name):  # `xxgk fetch`'s record of a download
            found.unsupported += 1
