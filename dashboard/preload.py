"""The heavy libraries the dashboard's server imports once, before it accepts a connection.

Two sessions importing one at the same moment can each see a half-initialised module (the
first page once failed with "partially initialized module 'pandas' has no attribute
'Series'"), and the first reader of a page should not wait for an import (matplotlib, for
一键简报, takes most of a second). The scale benchmark imports the same list before it times
the pages, as the server does.
"""

from __future__ import annotations

import importlib

MODULES = (
    "duckdb",
    "pandas",
    "plotly.graph_objects",
    "polars",
    "dashboard.briefing_charts",  # matplotlib and its font lookup
)


def preload() -> None:
    for name in MODULES:
        importlib.import_module(name)
