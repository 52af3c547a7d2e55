"""Plotly figures with one look: Chinese fonts and numbers, years as categories, the break.

Why a module: every page draws years on the x axis, marks the 2021 template change, writes
numbers with 万, and carries a report id in each point's ``customdata`` so a click can lead
to the report behind it. Doing that once keeps the pages short and the charts consistent.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from dashboard import colors, fmt, labels

FONT = '"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'


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


def year_axis(fig: go.Figure, years: Sequence[int]) -> go.Figure:
    """Years as whole-number ticks, every year shown, never rotated."""
    ys = sorted(set(years))
    fig.update_xaxes(
        tickmode="array", tickvals=ys, ticktext=[str(y) for y in ys], showgrid=False, tickangle=0
    )
    return fig


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


def hover_numbers(values: Sequence[float | None], unit: str = "件") -> list[str]:
    return [fmt.num(v, unit) for v in values]


def hover_rates(values: Sequence[float | None]) -> list[str]:
    return [fmt.pct(v) for v in values]


def empty_figure(message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#7f8c8d"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return layout(fig, height=200, legend=False)
