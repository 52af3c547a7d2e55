"""Report files kept in a folder by their SHA-256, with the manifest that settles them.

``xxgk fetch`` and the dashboard's 导入报告 both keep what they bring in this way, so that
``xxgk ingest FOLDER`` rebuilds the same warehouse from the folder alone. Both may write
into one folder at once, and a person may have edited its ``manifest.csv`` (added a
``region_code`` column to settle a region): so files are written beside and renamed, the
manifest is merged under a lock, and every row and column already in it is kept.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from pipelines.discover import MANIFEST_NAME


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside, then rename: an ingest reading the folder never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def locked(into: Path) -> Iterator[None]:
    """Runs into one folder (two fetches, a fetch and an upload) take turns on its manifest."""
    with open(into / ".manifest.lock", "a") as lock:  # "a": a run that adds nothing touches nothing
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def merge_manifest(
    into: Path,
    columns: Sequence[str],
    rows_by_file: Mapping[str, Mapping[str, str]],
    first_only: frozenset[str] = frozenset(),
) -> Path:
    """Set the given fields of each file's row in ``into/manifest.csv`` (a row is created
    for a new file); a field in ``first_only`` (the name a file was first uploaded under) is
    set only where the row has none. Rows and columns already there are kept, and an
    unchanged manifest is not written again."""
    target = into / MANIFEST_NAME
    with locked(into):
        rows: dict[str, dict[str, str]] = {}
        names = list(columns)
        if target.exists():
            reader = csv.DictReader(target.read_text(encoding="utf-8-sig").splitlines())
            names += [c for c in reader.fieldnames or [] if c and c not in names]
            for row in reader:
                key = (row.get("file") or "").strip() or f"\0{len(rows)}"  # organ rows kept
                rows[key] = {k: v or "" for k, v in row.items() if k}
        for name, fields in rows_by_file.items():
            row = rows.setdefault(name, {"file": name})
            for key, value in fields.items():
                if key not in first_only or not row.get(key):
                    row[key] = value
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows.values():
            writer.writerow(row)
        data = out.getvalue().encode("utf-8-sig")
        if not (target.exists() and target.read_bytes() == data):
            write_atomically(target, data)
    return target
