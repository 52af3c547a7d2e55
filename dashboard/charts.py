"""Plotly figures with one look: Chinese fonts and numbers, years as categories, the break.

Why a module: every page draws years on the x axis, marks the 2021 template change, writes
numbers with 万, and carries a report id in each point's ``customdata`` so a click can lead
to the report behind it. Doing that once keeps the pages short and the charts consistent:

- ``count_axis``: ticks of a count are whole numbers written as people write them
  ("8,000", or "0.8万" once the axis reaches 1万), never "8000" or "0.5";
- ``year_axis``: every year a tick, with how many organs reported that year under it when
  that changes from year to year (a total that moves with coverage says so on the chart);
- ``ranked_bars``: the one horizontal ranking every page draws (units by a number), with
  the number at the end of each bar and the audit mark in a column beside it;
- ``rate_line``: a rate over the years, its points on too few cases greyed, the legend in
  the line's own colour;
- ``heat_range``: a heatmap's colour scale capped at a high percentile, so one outlier
  does not wash out every other cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from dashboard import colors, fmt, labels

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
HEAT_PERCENTILE = 95  # a heatmap's darkest colour: this percentile of its cells, or above


def layout(
    fig: go.Figure,
    *,
    y_title: str = "",
    x_title: str = "",
    height: int = 360,
    percent: bool = False,
    legend: bool = True,
) -> go.Figure:
    fig.update_layout(
        font={"family": FONT, "size": 13},
        height=height,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        legend={
            "orientation": "h",
            "yanchor": "bottom",
            "y": 1.02,
            "x": 0,
            "title": None,
            "traceorder": "normal",
        },
        showlegend=legend,
        hoverlabel={"font": {"family": FONT}},
        separators=".,",
        plot_bgcolor="white",
    )
    # A unit such as "件" is not drawn as a rotated axis title (one rotated CJK character
    # reads as another); it goes in the chart's heading and the hover text instead.
    fig.update_yaxes(
        title={"text": y_title, "standoff": 4} if len(y_title) > 1 else None,
        gridcolor="#eceff1",
        zerolinecolor="#cfd8dc",
    )
    fig.update_xaxes(title=x_title or None)
    if percent:
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


# ---------------------------------------------------------------------------------------------
# Axes
# ---------------------------------------------------------------------------------------------


def _step(top: float, ticks: int = 5) -> float:
    """A round step (1, 2, 5 × 10ⁿ, never under 1) giving about ``ticks`` intervals."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * magnitude >= raw:
            return max(1.0, m * magnitude)
    return max(1.0, 10 * magnitude)


def count_ticks(top: float | None, bottom: float = 0.0) -> tuple[list[float], list[str]]:
    """Tick values and texts for a count axis from ``bottom`` (≤ 0) to ``top``."""
    top = float(top or 0)
    bottom = min(0.0, float(bottom or 0))
    step = _step(max(top, -bottom, 1.0))
    first = math.floor(bottom / step) * step
    last = max(math.ceil(top / step) * step, step)
    values = []
    v = first
    while v <= last + step / 2:
        values.append(v)
        v += step
    span = max(abs(top), abs(bottom))
    return values, [fmt.tick(v, span) for v in values]


def count_axis(
    fig: go.Figure,
    top: float | None,
    *,
    axis: str = "y",
    bottom: float = 0.0,
    log: bool = False,
) -> go.Figure:
    """Whole-number ticks for a count, written "8,000" or "0.8万" (``fmt.tick``).

    ``top`` is the largest value drawn (a stack's total, not one trace's); an axis of
    nothing but zeros runs 0–1 instead of −1–1.
    """
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    if log:
        hi = max(float(top or 1), 1.0)
        values = [10.0**k for k in range(0, math.ceil(math.log10(hi)) + 1)]
        return update(
            type="log", tickvals=values, ticktext=[fmt.tick(v, v) for v in values], tickmode="array"
        )
    values, texts = count_ticks(top, bottom)
    update(tickmode="array", tickvals=values, ticktext=texts)
    if not top and not bottom:
        update(range=[0, 1])
    return fig


def year_axis(
    fig: go.Figure,
    years: Sequence[int],
    coverage: Mapping[int, int] | None = None,
    *,
    short: bool = False,
) -> go.Figure:
    """Years as whole-number ticks, every year shown, never rotated.

    ``coverage`` (year → organs with a report that year), when given, is written under each
    year in grey ("122个机关", or "122个" in a narrow chart): a total that rises or falls
    with the number of organs reporting shows it on the chart itself.
    """
    ys = sorted(set(years))
    texts = [str(y) for y in ys]
    if coverage:
        unit = "个" if short else "个机关"
        texts = [
            f"{y}<br><span style='font-size:10px;color:{colors.AXIS_NOTE}'>"
            f"{coverage.get(y, 0)}{unit}</span>"
            for y in ys
        ]
    fig.update_xaxes(tickmode="array", tickvals=ys, ticktext=texts, showgrid=False, tickangle=0)
    return fig


def with_breaks(
    xs: Sequence[int], *columns: Sequence[object], cut_at: int | None = None
) -> tuple[list[int | None], ...]:
    """A line's points with a gap (None) wherever a year is missing between two points (no
    report that year: the line does not pretend to know it) and, with ``cut_at``, between
    the years before it and from it (a column that changed meaning at the 2021 template)."""
    out: list[list] = [[] for _ in range(1 + len(columns))]
    last = None
    for i, x in enumerate(xs):
        if last is not None and (x - last > 1 or (cut_at is not None and last < cut_at <= x)):
            for col in out:
                col.append(None)
        out[0].append(x)
        for col, values in zip(out[1:], columns, strict=True):
            col.append(values[i])
        last = x
    return tuple(out)


def template_break(fig: go.Figure, years: Sequence[int], note: str | None = None) -> go.Figure:
    """A dashed line between 2020 and 2021 where the national template changed."""
    change = labels.TEMPLATE_CHANGE_YEAR
    if years and min(years) < change <= max(years):
        fig.add_vline(x=change - 0.5, line_dash="dash", line_color=colors.BREAK, line_width=1)
        fig.add_annotation(
            x=change - 0.5,
            y=0.98,
            yref="paper",
            text=note or "2021 版模板",
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font={"size": 11, "color": colors.BREAK},
        )
    return fig


# ---------------------------------------------------------------------------------------------
# Ranked horizontal bars
# ---------------------------------------------------------------------------------------------


def _distinct(rows: Sequence[str]) -> list[str]:
    """Axis labels made distinct (two organs may share a name): a repeated label gets
    invisible zero-width spaces, or Plotly would draw both units' bars on one row."""
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        n = seen.get(row, 0)
        seen[row] = n + 1
        out.append(row + "\u200b" * n)
    return out


@dataclass(frozen=True, slots=True)
class Series:
    """One set of bars of a ranking: one value per row (a stacked ranking has several)."""

    name: str
    values: Sequence[float | None]
    color: str | Sequence[str]
    hover: Sequence[str] | None = None


def ranked_bars(
    rows: Sequence[str],
    series: Sequence[Series],
    *,
    ends: Sequence[str] | None = None,
    notes: Sequence[str] | None = None,
    hatched: Sequence[bool] | None = None,
    customdata: Sequence[Sequence[object]] | None = None,
    scale: str = "count",
    stacked: bool = False,
    x_title: str = "",
    row_height: int = 26,
) -> go.Figure:
    """Horizontal bars, one row per unit, first row on top: every ranking on every page.

    ``rows`` are the axis labels (plain text already made safe for Plotly); ``ends`` a text
    drawn at the end of each row's bar (its value); ``notes`` a column to the right of the
    plot (``measures.error_note``: "⚠ 1/29 份有错"); ``hatched`` rows whose bars are
    hatched (``measures.unreliable``). ``scale``: "count" (whole-number ticks, "8,000"),
    "share" (a % axis; a stacked share runs 0–100%) or "plain" (ticks left to Plotly, for
    the caller's ``tickformat``).
    """
    fig = go.Figure()
    n = len(rows)
    rows = _distinct(rows)
    for i, s in enumerate(series):
        last = i == len(series) - 1
        bar = go.Bar(
            y=list(rows),
            x=list(s.values),
            orientation="h",
            name=s.name,
            marker_color=s.color if isinstance(s.color, str) else list(s.color),
            customdata=[list(c) for c in customdata] if customdata is not None else None,
        )
        if s.hover is not None:
            bar.update(hovertext=list(s.hover), hoverinfo="text")
        if hatched is not None:
            bar.update(
                marker_pattern_shape=["/" if h else "" for h in hatched],
                marker_pattern_fgcolor=colors.HATCH,
                marker_pattern_solidity=0.35,
            )
        if last and ends is not None:
            bar.update(text=list(ends), textposition="outside", cliponaxis=False)
        fig.add_trace(bar)
    legend = len(series) > 1
    layout(
        fig,
        # a bar stays a bar's height however few rows there are
        height=max(150, row_height * n + 90 + (30 if legend else 0) + (20 if x_title else 0)),
        legend=legend,
        x_title=x_title,
    )
    fig.update_yaxes(autorange="reversed", automargin=True, ticksuffix="  ")
    if stacked:
        fig.update_layout(barmode="stack")
    totals = [
        sum(v or 0 for v in col) if stacked else max((v or 0 for v in col), default=0)
        for col in zip(*(s.values for s in series), strict=True)
    ]
    lows = [
        min((v or 0 for v in col), default=0)
        for col in zip(*(s.values for s in series), strict=True)
    ]
    top, bottom = max(totals, default=0), min(0, min(lows, default=0))
    pad = 0.18 if ends is not None else 0.02  # room for the text at a bar's end
    span = (top - bottom) or 1.0
    lo = bottom - (span * pad if bottom < 0 else 0)
    hi = top + span * pad
    if not top and not bottom:
        lo, hi = 0.0, 1.0
    if scale == "share":
        fig.update_xaxes(tickformat=".0%")
        if stacked:
            lo, hi = 0.0, 1.001  # the 100% tick drawn, not cut at the edge
    elif scale == "count":
        count_axis(fig, top, axis="x", bottom=bottom)
    fig.update_xaxes(range=[lo, hi])
    if notes is not None and any(notes):
        widest = max(len(t) for t in notes)
        fig.update_layout(margin={"r": 14 * widest + 20})
        for row, note in zip(rows, notes, strict=True):
            if note:
                fig.add_annotation(
                    x=1.0,
                    xref="paper",
                    xanchor="left",
                    xshift=8,
                    y=row,
                    yref="y",
                    text=note,
                    showarrow=False,
                    font={"size": 12, "color": colors.SEVERITY["error"]},
                )
    return fig


# ---------------------------------------------------------------------------------------------
# Rates over the years, heatmaps
# ---------------------------------------------------------------------------------------------


def rate_line(
    fig: go.Figure,
    years: Sequence[int],
    values: Sequence[float | None],
    small: Sequence[bool],
    hover: Sequence[str],
    *,
    name: str,
    color: str,
    show_small_legend: bool = True,
) -> go.Figure:
    """A rate over the years: the line and its points in ``color`` (so is its legend
    entry), and the points whose denominator is too small drawn over them in grey, as a
    legend entry of their own ("样本少")."""
    fig.add_trace(
        go.Scatter(
            x=list(years),
            y=list(values),
            mode="lines+markers",
            name=name,
            line={"color": color},
            marker={"color": color, "size": 9},
            hovertext=list(hover),
            hoverinfo="text",
        )
    )
    if any(small):
        fig.add_trace(
            go.Scatter(
                x=[y for y, s in zip(years, small, strict=True) if s],
                y=[v for v, s in zip(values, small, strict=True) if s],
                mode="markers",
                name="样本少（仅供参考）",
                marker={"color": colors.MUTED, "size": 11, "line": {"color": color, "width": 1}},
                hovertext=[h for h, s in zip(hover, small, strict=True) if s],
                hoverinfo="text",
                legendgroup="small",
                showlegend=show_small_legend,
            )
        )
    return fig


def heat_range(values: Sequence[float | None]) -> tuple[float | None, float | None, bool]:
    """``(zmin, zmax, capped)`` for a heatmap: the darkest colour at the
    ``HEAT_PERCENTILE``-th percentile of the cells when the largest cell lies well beyond it
    (one district's 1,179 against others' 17–332), so the other cells keep their shades."""
    cells = sorted(float(v) for v in values if v is not None and not fmt.is_missing(v))
    if not cells:
        return None, None, False
    rank = (len(cells) - 1) * HEAT_PERCENTILE / 100
    low, high = math.floor(rank), math.ceil(rank)
    cap = cells[low] + (cells[high] - cells[low]) * (rank - low)
    lo = min(cells[0], 0.0)
    if cells[-1] > cap * 1.5 and cap > lo:
        return lo, cap, True
    return lo, cells[-1], False
