"""Every colour the dashboard uses, in one place.

A disposition keeps its colour on every page (予以公开 is always green, 不予公开 always red),
so a reader who learnt the overview can read the drill-down at a glance. Colours are chosen
to stay distinguishable for the common red-green colour deficiencies by varying lightness,
not hue alone.
"""

from __future__ import annotations

from pipelines import catalog

DISPOSITION: dict[str, str] = {
    "granted": "#1b7f3b",  # 予以公开: dark green
    "partial": "#8cc97e",  # 部分公开: light green
    "denied": "#c0392b",  # 不予公开: red
    "unavailable": "#f39c12",  # 无法提供: amber
    "not_processed": "#7f5a3c",  # 不予处理: brown
    "other": "#95a5a6",  # 其他处理: grey
}

# The reasons of one group are drawn together (原因细分), so they need hues a reader can tell
# apart, not eight shades of one red: the group's own colour first, then a qualitative
# palette without hues near it (Tableau 10, as used for the series of several regions).
_REASON_PALETTES: dict[str, tuple[str, ...]] = {
    "denied": (
        DISPOSITION["denied"],
        "#4e79a7",
        "#f28e2b",
        "#59a14f",
        "#b07aa1",
        "#76b7b2",
        "#edc948",
        "#9c755f",
    ),
    "unavailable": (DISPOSITION["unavailable"], "#4e79a7", "#59a14f", "#b07aa1"),
    "not_processed": (
        DISPOSITION["not_processed"],
        "#4e79a7",
        "#f28e2b",
        "#59a14f",
        "#b07aa1",
        "#76b7b2",
    ),
    "other": (DISPOSITION["other"], "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1"),
}


def reason_color(group: str, index: int) -> str:
    palette = _REASON_PALETTES.get(group, (DISPOSITION["other"],))
    return palette[index % len(palette)]


APPLICANT: dict[str, str] = dict(
    zip(
        (a.key for a in catalog.APPLICANTS if a.key != "total"),
        ("#2c7fb8", "#f28e2b", "#59a14f", "#b07aa1", "#e15759", "#9c9c9c"),
        strict=True,
    )
)

REVIEW_OUTCOME: dict[str, str] = {
    "upheld": "#2c7fb8",
    "corrected": "#c0392b",
    "other": "#95a5a6",
    "pending": "#d5dbdb",
}
REVIEW_GROUP: dict[str, str] = {
    "review": "#2c7fb8",
    "litigation.direct": "#e67e22",
    "litigation.after_review": "#8e44ad",
}

SEVERITY: dict[str, str] = {"error": "#c0392b", "warning": "#f1c40f"}

# The coverage matrix: a report that exists and adds up, one with audit errors, none at all.
COVERAGE: dict[str, str] = {"present": "#1b7f3b", "errors": "#c0392b", "missing": "#eceff1"}

EDITION: dict[str, str] = {"2019": "#5d6d7e", "2021": "#2c7fb8"}

PRIMARY = "#2c7fb8"
# A bar resting mostly on reports with audit errors: hatched in this colour (not red, which
# is 不予公开's; see measures.unreliable).
HATCH = "#ffffff"
AXIS_NOTE = "#90a4ae"  # the second line of a year tick: how many organs reported
SECONDARY = "#f28e2b"
MUTED = "#b0bec5"  # a rate on too few requests: shown, greyed, never ranked
MEDIAN = "#34495e"
DEMO = "#7e57c2"  # the 示例数据 badge
BREAK = "#7f8c8d"  # the line marking the 2021 template change

# Lines for several regions: a qualitative palette that avoids the disposition hues.
SERIES: tuple[str, ...] = (
    "#2c7fb8",
    "#f28e2b",
    "#59a14f",
    "#b07aa1",
    "#76b7b2",
    "#edc948",
    "#9c755f",
    "#ff9da7",
    "#17becf",
    "#bab0ac",
)

# Sequential scale for heatmaps (light = low).
HEAT: list[str] = ["#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"]
# Diverging scale for year-on-year change (red = down, blue = up).
DIVERGING: list[str] = ["#b2182b", "#ef8a62", "#f7f7f7", "#67a9cf", "#2166ac"]
