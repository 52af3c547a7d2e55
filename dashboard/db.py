"""The warehouse connection and the query cache, for the Streamlit process.

One read-only connection per published warehouse file: the ingest publishes a new file
with ``os.replace``, so the cache is keyed on ``version_key`` (inode, size, mtime) and the
next rerun after a publish opens the new file; the old connection keeps reading the old
inode until it is dropped. Each query runs on its own ``cursor()`` (DuckDB refuses one
connection used from two threads, and Streamlit serves sessions on several threads).

Query results are cached per warehouse version and arguments: they are small aggregated
frames, so a rerun triggered by a widget does not touch DuckDB at all.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import streamlit as st

from pipelines.paths import default_db
from pipelines.warehouse.files import open_readonly, version_key

T = TypeVar("T")
Key = tuple[str, tuple[int, int, int]]


def warehouse_path() -> Path:
    """``XXGK_DB`` or ``data/xxgk.duckdb``, as every ``xxgk`` command."""
    return default_db()


def warehouse_key() -> Key | None:
    """Identifies the published file; None when there is no warehouse yet."""
    path = warehouse_path()
    try:
        return (str(path.resolve()), version_key(path))
    except FileNotFoundError:
        return None


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(key: Key) -> duckdb.DuckDBPyConnection:
    return open_readonly(Path(key[0]))


def cursor(key: Key) -> duckdb.DuckDBPyConnection:
    cur = _connection(key).cursor()
    cur.execute("USE wh")
    return cur


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(key: Key, name: str, args: tuple[Any, ...]) -> Any:
    module, _, qualname = name.partition(":")
    fn: Callable[..., Any] = getattr(importlib.import_module(module), qualname)
    cur = cursor(key)
    try:
        return fn(cur, *args)
    finally:
        cur.close()


def q(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(cursor, *args)`` on the current warehouse, cached by warehouse version, the
    function's full name (module and name: two modules may both have a ``count_rows``) and
    the arguments."""
    key = warehouse_key()
    if key is None:
        raise FileNotFoundError(warehouse_path())
    return _cached(key, f"{fn.__module__}:{fn.__qualname__}", args)
