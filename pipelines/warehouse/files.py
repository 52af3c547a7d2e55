"""Where the warehouse lives, and how a batch replaces it without readers ever noticing.

DuckDB allows one writer process per file, and a reader (the dashboard) holding the file
blocks a writer. So a batch never writes the published file: it copies it to a hidden
sibling, loads into the copy, checkpoints, closes, and publishes it with ``os.replace``.
Readers that have the old file open keep reading the old inode until they re-attach;
killing a batch at any moment leaves the published file as it was before the batch. An
exclusive lock file keeps two batches from racing to publish.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipelines.paths import DEFAULT_DB, default_db
from pipelines.warehouse.errors import WarehouseError
from pipelines.warehouse.schema import check_current, migrate

__all__ = ["DEFAULT_DB", "building", "default_db", "open_readonly", "settings", "version_key"]


def settings(spill: bool = False) -> dict[str, str]:
    """DuckDB's memory bound for a connection xxgk opens (DuckDB's own default is 80% of the
    machine). The writer gets 1 GB; a reader (the dashboard, an export) 512 MB, so that with
    Python around it a process stays under a gigabyte however large its query. Beyond it
    DuckDB spills to disk: an in-memory reader to the system's temporary folder.
    ``XXGK_DUCKDB_MEMORY`` overrides both."""
    limit = os.environ.get("XXGK_DUCKDB_MEMORY") or ("512MB" if spill else "1GB")
    config = {"memory_limit": limit}
    if spill:
        config["temp_directory"] = os.path.join(tempfile.gettempdir(), f"xxgk-duckdb-{os.getpid()}")
    return config


def _building_name(path: Path) -> Path:
    return path.parent / f".{path.name}.building-{os.getpid()}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def building(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a private copy of the warehouse, published on success."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = path.parent / f".{path.name}.lock"
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WarehouseError(
                f"{path}: 另一个导入正在写入该仓库，请稍后再试 / another ingest is running"
            ) from exc
        for stale in path.parent.glob(f".{path.name}.building-*"):
            stale.unlink(missing_ok=True)  # left by a batch that was killed
        tmp = _building_name(path)
        if path.exists():
            try:
                shutil.copyfile(path, tmp)
            except BaseException as exc:  # a full disk: no partial copy may stay behind
                tmp.unlink(missing_ok=True)
                if isinstance(exc, OSError):
                    raise WarehouseError(
                        f"{path}: 无法复制仓库以写入新批次（{exc.strerror}），仓库保持原样 / "
                        "cannot copy the warehouse for the batch"
                    ) from exc
                raise
        try:
            con = duckdb.connect(str(tmp), config=settings())
        except duckdb.Error as exc:
            tmp.unlink(missing_ok=True)
            raise WarehouseError(f"{path}: 无法打开仓库文件 / cannot open: {exc}") from exc
        try:
            try:
                migrate(con)
            except WarehouseError as exc:  # says what is wrong; add which file
                raise WarehouseError(f"{path}: {exc}") from None
            yield con
            con.execute("CHECKPOINT")
            con.close()
        except BaseException:
            con.close()
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)
            raise
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)


def open_readonly(path: Path) -> duckdb.DuckDBPyConnection:
    """Attach the published warehouse read-only to a fresh in-memory database.

    Attaching (rather than ``duckdb.connect(path)``) sidesteps DuckDB's per-process instance
    cache, so re-opening after a batch was published sees the new file, not the old one.
    """
    if not path.exists():
        raise WarehouseError(
            f"{path}: 仓库不存在，请先运行 xxgk ingest / no warehouse yet, run xxgk ingest"
        )
    con = duckdb.connect(config=settings(spill=True))
    literal = str(path.resolve()).replace("'", "''")
    try:
        con.execute(f"ATTACH '{literal}' AS wh (READ_ONLY)")
    except duckdb.Error as exc:
        con.close()
        raise WarehouseError(f"{path}: 无法打开仓库文件 / cannot open: {exc}") from exc
    con.execute("USE wh")
    try:
        check_current(con)  # an older or newer file holds tables this xxgk would misread
    except WarehouseError as exc:
        con.close()
        raise WarehouseError(f"{path}: {exc}") from None
    return con


def version_key(path: Path) -> tuple[int, int, int]:
    """Changes whenever a batch publishes a new file (inode, size, mtime)."""
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)
