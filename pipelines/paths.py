"""Where the warehouse is unless told otherwise.

Kept apart from ``pipelines.warehouse`` (which imports DuckDB) because every command needs
the default for its ``--db`` option, and ``xxgk parse`` or ``xxgk --help`` should not pay
for a database library they never open.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB = Path("data/xxgk.duckdb")


def default_db() -> Path:
    """``XXGK_DB`` or ``data/xxgk.duckdb``, as every ``xxgk`` command and the dashboard."""
    return Path(os.environ.get("XXGK_DB") or DEFAULT_DB)
