"""The sidebar filters, bound to the URL so a link reopens the same view.

Every widget has ``bind="query-params"`` and a short key (``prov``, ``city``, ``county``,
``organ``, ``years``, ``kind``, ``demo``, ``same``); the URL carries the option labels
(``?prov=黑龙江省&years=2021&years=2024``), which a reader can read and edit. A value equal
to its default is left out of the URL. The filters cascade: a city is chosen within the
chosen province, a county within the city; the years offered are those with reports in
the region, organ kind and demo switch chosen; the organs offered are those with a report
in all of that, so the sidebar's count of organs is the page header's.

The widgets live in the entry script (``app.py``), not in a page, so they and their URL
parameters survive moving between pages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import polars as pl
import streamlit as st

from dashboard import db, labels, queries
from dashboard.selection import UNKNOWN_REGION, Selection

BIND = "query-params"


def _all(v: object) -> str:
    return labels.ALL if v is None else str(v)


def _names(values: pl.Series) -> list[str]:
    """Distinct region names in order, the unknown region last."""
    known = [v for v in values.unique(maintain_order=True).to_list() if v is not None]
    if values.null_count():
        known.append(UNKNOWN_REGION)
    return known


def _within(frame: pl.DataFrame, column: str, value: str | None) -> pl.DataFrame:
    if value is None:
        return frame
    if value == UNKNOWN_REGION:
        return frame.filter(pl.col(column).is_null())
    return frame.filter(pl.col(column) == value)


def organ_labels(options: pl.DataFrame) -> dict[str, str]:
    """organ_id -> a name unique among the organs (the county is added to a repeated name)."""
    names = dict(zip(options["organ_id"], options["name"], strict=True))
    seen: dict[str, int] = {}
    for name in names.values():
        seen[name] = seen.get(name, 0) + 1
    out = {}
    for row in options.iter_rows(named=True):
        name = row["name"]
        if seen[name] > 1:
            name = f"{name}（{row['county'] or row['city'] or row['province'] or row['organ_id']}）"
        if row["is_demo"]:
            name = f"{name}［{labels.DEMO}］"
        out[row["organ_id"]] = name
    return out


def _region_label(level: str, parent: str | None) -> Callable[[object], str]:
    """How a region option reads: its name; "全部"; for no place at this level, the parent's
    own organs ("淮安市本级") or, at the top, an unknown place."""
    own = labels.own_level(level, parent)

    def label(v: object) -> str:
        if v is None:
            return labels.ALL
        return own if v == UNKNOWN_REGION else str(v)

    return label


def render(options: pl.DataFrame) -> tuple[Selection, dict[str, str]]:
    """Draws the filters; returns the selection and the organ labels.

    Top to bottom, each filter narrows the next one's choices: region, organ kind, demo
    data, then the years (only years that have reports in what is chosen so far), then the
    organ (only organs with a report in the selection, so its count is the header's).
    """
    names = organ_labels(options)
    with st.sidebar:
        st.subheader("筛选")
        province = st.selectbox(
            "省（自治区、直辖市）",
            [None, *_names(options["province"])],
            format_func=_region_label("province", None),
            key="prov",
            bind=BIND,
        )
        scope = _within(options, "province", province)
        city = county = None
        if province is not None and province != UNKNOWN_REGION:
            city = st.selectbox(
                "市（地区）",
                [None, *_names(scope["city"])],
                format_func=_region_label("city", province),
                key="city",
                bind=BIND,
            )
            scope = _within(scope, "city", city)
        if city is not None and city != UNKNOWN_REGION:
            county = st.selectbox(
                "县（市、区）",
                [None, *_names(scope["county"])],
                format_func=_region_label("county", city),
                key="county",
                bind=BIND,
            )
            scope = _within(scope, "county", county)

        kind = st.radio(
            "机关类型",
            [None, *labels.ORGAN_KINDS],
            format_func=lambda v: labels.ALL if v is None else labels.ORGAN_KINDS[v],
            horizontal=True,
            key="kind",
            bind=BIND,
        )
        include_demo = st.toggle(
            f"包含{labels.DEMO}",
            value=True,
            key="demo",
            bind=BIND,
            help=f"{labels.DEMO}是生成的演示报告，不是真实报告；图表中会注明。",
        )
        region = Selection(
            province=province,
            city=city,
            county=county,
            kind=kind,
            include_demo=bool(include_demo),
        )
        years = db.q(queries.years_in, region)
        year_from = year_to = None
        if len(years) > 1:
            year_from, year_to = st.select_slider(
                "年度",
                options=years,
                value=(years[0], years[-1]),
                format_func=str,
                key="years",
                bind=BIND,
            )
        elif years:
            year_from = year_to = years[0]
            st.caption(f"年度：{years[0]}（所选范围内只有这一年的报告）")
        else:
            st.caption("年度：所选范围内没有报告")
        same = st.toggle(
            "仅看每年都有报告的机关",
            value=False,
            key="same",
            bind=BIND,
            help="只保留所选每一年都有报告的机关，使逐年比较的口径一致（同一批机关）。",
        )
        sel = replace(
            region,
            year_from=year_from,
            year_to=year_to,
            known_years=tuple(years),
            same_organs=bool(same),
        )
        within = set(db.q(queries.organs_in, sel))
        organ_ids = [o for o in options["organ_id"].to_list() if o in within]
        organ = st.selectbox(
            f"机关（{len(organ_ids)} 个）",
            [None, *organ_ids],
            format_func=lambda v: labels.ALL if v is None else names.get(v, v),
            key="organ",
            bind=BIND,
            help="所选地区、类型和年度内有报告的机关。",
        )
        st.caption("筛选条件保存在网址中：复制地址栏即可分享当前视图。")

    return replace(sel, organ_id=organ), names
