"""Fixtures every dashboard test module shares: the app driven by AppTest on a module's
warehouse. A module gives ``db`` (the warehouse it builds with the real ingest); ``con`` and
``app`` follow from it, and a module may override ``app_timeout``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


@pytest.fixture(autouse=True)
def _keep_main_module() -> Iterator[None]:
    """AppTest runs the app as ``__main__`` and leaves it in ``sys.modules``; a later
    ``ProcessPoolExecutor`` (the ingest's forkserver) would then re-run the app in its
    workers. Put the real ``__main__`` back after every test."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.fixture()
def con(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    from pipelines.warehouse import open_readonly

    c = open_readonly(db)
    yield c
    c.close()


@pytest.fixture()
def app_timeout() -> float:
    return 60


@pytest.fixture()
def app(db: Path, monkeypatch: pytest.MonkeyPatch, app_timeout: float) -> AppTest:
    monkeypatch.setenv("XXGK_DB", str(db))
    return AppTest.from_file(str(APP), default_timeout=app_timeout)
