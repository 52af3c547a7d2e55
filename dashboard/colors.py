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

# Reasons inherit their group's hue, lighter for later sub-rows.
_REASON_RAMPS: dict[str, tuple[str, ...]] = {
    "denied": (
        "#7b1e16",
        "#962519",
        "#b02c1e",
        "#c0392b",
        "#cf5a4e",
        "#dc7a70",
        "#e79b93",
        "#f1bcb7",
    ),
    "unavailable": ("#b86e00", "#f39c12", "#f8c471"),
    "not_processed": ("#4e3726", "#6b4c33", "#8f6b4c", "#b08e70", "#d0b59b"),
    "other": ("#5f6b6d", "#95a5a6", "#c4cdce"),
}


def reason_color(group: str, index: int) -> str:
    ramp = _REASON_RAMPS.get(group, ("#95a5a6",))
    return ramp[index % len(ramp)]


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
