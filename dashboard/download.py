"""A download: the sidebar's selection written as a file by ``pipelines.export``.

The dashboard writes files exactly as ``xxgk export`` does (the same filters, the same
query, DuckDB writing Parquet and CSV straight to disk), so a download and an export of the
same filters hold the same rows; the file also records the dashboard's own selection. Files
are written into a private folder of the server process, and handed to the browser from
there (``dashboard.server``), never held in memory whole.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import secrets
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb

from dashboard.selection import Selection
from pipelines import export
from pipelines.filters import Filters

FORMS = {"long": "长表：每个单元格一行", "wide": "宽表：每份报告一行，每个指标一列"}
FORMATS = {"parquet": "Parquet", "csv": "CSV（UTF-8，Excel 可直接打开）", "xlsx": "Excel"}
MIME = {
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXCEL_MAX_ROWS = export.EXCEL_MAX_ROWS
REPORT_COLUMNS = export.REPORT_COLUMNS
KEEP_SECONDS = 3600  # a prepared file stays downloadable this long
cell_order = export.cell_order
dictionary = export.dictionary


def filters(sel: Selection, tables: list[str]) -> Filters:
    return dataclasses.replace(sel.filters(), tables=tuple(tables))


def count_rows(cur: duckdb.DuckDBPyConnection, sel: Selection, form: str, tables: list[str]) -> int:
    return export.count_rows(cur, filters(sel, tables), form)


def write(
    cur: duckdb.DuckDBPyConnection,
    sel: Selection,
    form: str,
    file_format: str,
    tables: list[str],
    path: Path,
) -> int:
    """Write the selection to ``path``; raises ``ExportError`` when Excel cannot hold it."""
    extra = {
        "xxgk.selection": json.dumps(sel.as_dict(), ensure_ascii=False),
        "xxgk.form": form,
    }
    return export.write(cur, filters(sel, tables), path, file_format, form, extra_meta=extra)


def file_name(sel: Selection, form: str, file_format: str) -> str:
    parts = ["xxgk", form]
    parts.extend(p for p in (sel.province, sel.city, sel.county) if p)
    if sel.year_from is not None:
        parts.append(f"{sel.year_from}-{sel.year_to}")
    name = "_".join(parts).replace("/", "_").replace("\\", "_")
    return f"{name}.{file_format}"


# ---------------------------------------------------------------------------------------------
# Prepared files, by token
# ---------------------------------------------------------------------------------------------


def folder() -> Path:
    """This server's download folder (``XXGK_DOWNLOADS`` or one in the temporary folder)."""
    path = Path(
        os.environ.get("XXGK_DOWNLOADS")
        or Path(tempfile.gettempdir()) / f"xxgk-downloads-{os.getuid()}"
    )
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _sweep(root: Path) -> None:
    """Remove prepared files older than ``KEEP_SECONDS``."""
    cutoff = time.time() - KEEP_SECONDS
    for entry in root.iterdir():
        try:
            if entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def _write_file(
    db: str, sel: Selection, form: str, file_format: str, tables: list[str], path: str
) -> int:
    """In a child process: its own read-only connection, its own memory."""
    from pipelines.warehouse.files import open_readonly

    con = open_readonly(Path(db))
    try:
        return write(con, sel, form, file_format, tables, Path(path))
    finally:
        con.close()


def prepare(
    db: Path, sel: Selection, form: str, file_format: str, tables: list[str]
) -> tuple[str, int]:
    """Write a download; returns its token (the only way to fetch it) and its row count.

    The file is written by a child process, so the server's memory does not grow with the
    size of a download (DuckDB keeps what it has used for a while) and one large download
    does not hold up the pages of other readers.
    """
    root = folder()
    _sweep(root)
    token = secrets.token_urlsafe(24)
    place = root / token
    place.mkdir(mode=0o700)
    path = place / file_name(sel, form, file_format)
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as child:
            n = child.submit(
                _write_file, str(db), sel, form, file_format, list(tables), str(path)
            ).result()
    except BaseException:
        shutil.rmtree(place, ignore_errors=True)
        raise
    return token, n


def prepared(token: str) -> Path | None:
    """The file a token stands for, if it is still there (tokens are checked, not trusted)."""
    if not token or not all(c.isalnum() or c in "-_" for c in token) or len(token) > 64:
        return None
    place = folder() / token
    files = [p for p in place.iterdir() if p.is_file()] if place.is_dir() else []
    return files[0] if len(files) == 1 else None
