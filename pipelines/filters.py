"""Which reports and cells a view or an export covers: one model, one SQL builder.

``xxgk export`` and every dashboard page and download select rows through ``Filters``, so
a file downloaded from the dashboard and one exported with the same filters hold the same
rows, and the file's metadata can record exactly what was applied (``as_metadata``).

Regions are matched by the names the warehouse stores (province, city, county), as the
dashboard's sidebar chooses them; a division code given on the command line is turned into
those names with the gazetteer the warehouse used. ``UNKNOWN`` at a level means "no place at
this level": reports whose organ could not be placed, or a city's own organs (市本级) when
it stands for the county. Every value is a bound parameter, never SQL text.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from pipelines import catalog

UNKNOWN = "（地区未识别）"
KINDS = ("government", "department")


class FilterError(ValueError):
    """A filter that cannot be applied, with a message for people (Chinese / English)."""


@dataclass(frozen=True, slots=True)
class Place:
    """A region to keep: None is "any" at that level, ``UNKNOWN`` is "none at that level"."""

    province: str | None = None
    city: str | None = None
    county: str | None = None
    code: str | None = None  # as given on the command line, for the record

    def clauses(self, alias: str, params: list[object]) -> list[str]:
        out = []
        for level in ("province", "city", "county"):
            value = getattr(self, level)
            if value is None:
                continue
            if value == UNKNOWN:
                out.append(f"{alias}.{level} IS NULL")
            else:
                out.append(f"{alias}.{level} = ?")
                params.append(value)
        return out


@dataclass(frozen=True, slots=True)
class Filters:
    years: tuple[int, ...] = ()
    places: tuple[Place, ...] = ()  # any of them
    organs: tuple[str, ...] = ()  # organ ids
    organ_kinds: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    include_demo: bool = True
    # only organs with a report in every selected year (a like-for-like trend)
    same_organs: bool = False

    def report_clauses(self, alias: str, params: list[object], years: bool = True) -> list[str]:
        """Conditions on ``current_reports`` as ``alias`` (not the table/metric filters)."""
        clauses = self._scope(alias, params)
        if years and self.years:
            clauses.append(f"{alias}.year IN (SELECT unnest(?::INTEGER[]))")
            params.append(list(self.years))
        if self.same_organs and self.years:
            inner = self._scope("s", params)
            inner.append("s.year IN (SELECT unnest(?::INTEGER[]))")
            params.append(list(self.years))
            clauses.append(
                f"{alias}.organ_id IN (SELECT s.organ_id FROM current_reports s WHERE "
                + " AND ".join(inner)
                + " GROUP BY s.organ_id HAVING count(DISTINCT s.year) = ?)"
            )
            params.append(len(set(self.years)))
        return clauses

    def _scope(self, alias: str, params: list[object]) -> list[str]:
        clauses: list[str] = []
        if self.places:
            either = []
            for place in self.places:
                parts = place.clauses(alias, params)
                either.append("(" + (" AND ".join(parts) or "TRUE") + ")")
            clauses.append("(" + " OR ".join(either) + ")")
        if self.organs:
            clauses.append(f"{alias}.organ_id IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(self.organs))
        if self.organ_kinds:
            clauses.append(f"{alias}.organ_kind IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(self.organ_kinds))
        if not self.include_demo:
            clauses.append(f"NOT {alias}.is_demo")
        return clauses

    def cell_clauses(self, alias: str, params: list[object]) -> list[str]:
        """Conditions on ``facts`` as ``alias``: which tables and metrics."""
        clauses = []
        if self.tables:
            clauses.append(f'{alias}."table" IN (SELECT unnest(?::VARCHAR[]))')
            params.append(list(self.tables))
        if self.metrics:
            clauses.append(f"{alias}.metric IN (SELECT unnest(?::VARCHAR[]))")
            params.append(list(self.metrics))
        return clauses

    def as_metadata(self) -> dict[str, object]:
        """Exactly what was applied, for the exported file's ``xxgk.filters``."""
        out: dict[str, object] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()
        }
        out["places"] = [{k: v for k, v in asdict(p).items() if v is not None} for p in self.places]
        return out


# ---------------------------------------------------------------------------------------------
# Command-line values, checked before anything is opened
# ---------------------------------------------------------------------------------------------


def parse_years(text: str) -> tuple[int, ...]:
    """``2021``, ``2019-2023`` or ``2019,2021`` within the years reports exist for."""
    from pipelines.manifest import FIRST_YEAR, last_year

    bad = FilterError(f"年度应写成 2021、2019-2023 或 2019,2021 / bad years: {text}")
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        m = re.fullmatch(r"([0-9]{4})(?:\s*-\s*([0-9]{4}))?", part)
        if not m:
            raise bad
        first, last = int(m.group(1)), int(m.group(2) or m.group(1))
        if first > last:
            raise FilterError(f"年度范围 {part} 的起止颠倒 / range runs backwards: {part}")
        if first < FIRST_YEAR or last > last_year():
            raise FilterError(
                f"年度应在 {FIRST_YEAR}–{last_year()} 之间 / years out of range: {part}"
            )
        out.extend(range(first, last + 1))
    return tuple(sorted(set(out)))


def place_of_code(code: str) -> Place:
    """A 6-digit division code (province, city or county) as the names the warehouse stores."""
    from pipelines.regions import gazetteer

    code = code.strip()
    if not re.fullmatch(r"[0-9]{6}", code):
        raise FilterError(f"行政区划代码应为 6 位数字 / a division code has 6 digits: {code!r}")
    g = gazetteer()
    place = g.by_code.get(code)
    if place is None:
        raise FilterError(f"行政区划代码 {code} 不存在 / unknown division code")
    region = g.region_of(place)
    return Place(region.province, region.city, region.county, code)


def check_metric(key: str) -> str:
    if key in catalog.METRICS_BY_KEY or key.startswith("active.extra."):
        return key
    close = [k for k in catalog.METRICS_BY_KEY if key.split(".")[-1] in k][:5]
    hint = f"；相近的有 {', '.join(close)}" if close else ""
    raise FilterError(f"没有指标 {key}{hint} / unknown metric key")
