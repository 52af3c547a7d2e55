"""What the entry script hands to the page being shown: the selection and its labels.

``app.py`` draws the sidebar once per run, then runs the page; the page reads the result
from here (session state, so concurrent sessions never share it).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import streamlit as st

from dashboard.selection import Selection

_KEY = "_xxgk_context"


@dataclass(frozen=True, slots=True)
class Context:
    sel: Selection
    names: dict[str, str]  # organ_id -> unique display name
    years: list[int]  # every year the warehouse has
    summary: pl.DataFrame  # queries.scope_summary for sel


def publish(ctx: Context) -> None:
    st.session_state[_KEY] = ctx


def current() -> Context:
    return st.session_state[_KEY]
