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
    summary: pl.DataFrame  # queries.scope_summary for sel
    per_year: pl.DataFrame  # queries.reports_per_year for sel: reports and organs per year
    organs_every_year: int  # organs of sel with a report in every one of its years

    @property
    def years(self) -> list[int]:
        """The years the selection has reports in, ascending (never a year without any)."""
        return [int(y) for y in self.per_year["year"].to_list()]

    @property
    def focus_year(self) -> int | None:
        """The year KPIs and per-unit charts are shown for: the latest year with reports in
        the selection (not the end of the year range, which may have none yet)."""
        return self.years[-1] if self.years else None

    @property
    def organs(self) -> int:
        return int(self.summary["organs"][0]) if self.summary.height else 0

    @property
    def coverage(self) -> dict[int, int] | None:
        """Year -> organs with a report that year, when not every organ of the selection
        reports every year (so a total's rise or fall is partly who reported); else None."""
        counts = dict(zip(self.years, self.per_year["organs"].to_list(), strict=True))
        if not counts or self.organs_every_year >= self.organs:
            return None
        return counts


def publish(ctx: Context) -> None:
    st.session_state[_KEY] = ctx


def current() -> Context:
    return st.session_state[_KEY]
