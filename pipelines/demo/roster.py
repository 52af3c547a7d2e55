"""Who publishes: real places from the gazetteer and the organs that report for them.

The demo corpus is about real places so the dashboard's region filters, maps and codes are
the real ones: every county-level division of a prefecture-level city publishes a report for
its government and for each of its departments, and the city government publishes one of its
own. Department names are the standard county-level bureau names (``教育局``,
``自然资源局`` …); which of them a place has in the corpus is drawn from the seed, so the
roster is fixed for a seed and needs no list of real organs to be shipped.

Each department type also carries the scale of its work (how many requests, how many
licensing decisions, whether it collects fees), because a 市场监督管理局 and a 教育局 of the
same county differ far more than two 教育局 of different counties.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pipelines.parse.model import Region
from pipelines.regions import MUNICIPALITIES, Place, gazetteer

# The four cities of the default demo: four provinces, north to south-west.
DEFAULT_CITIES: tuple[str, ...] = ("320800", "230800", "330500", "510700")


@dataclass(frozen=True, slots=True)
class DepartmentType:
    """A kind of department, with medians of its yearly work (0: it does not do that)."""

    key: str
    name: str  # the bureau's name after the place: 教育局
    self_ref: str  # how its report refers to itself: 我局 / 我委
    requests: float  # disclosure requests received a year
    legal_share: float  # share of requests from legal persons and other organisations
    licensing: float  # 行政许可 decisions a year
    penalty: float  # 行政处罚 decisions a year
    coercion: float  # 行政强制 decisions a year
    fees_wan: float  # 行政事业性收费 collected a year, 万元


# The first four are the departments the demo always draws from first (most requests).
DEPARTMENTS: tuple[DepartmentType, ...] = (
    DepartmentType("education", "教育局", "我局", 4, 0.05, 60, 2, 0, 0),
    DepartmentType("natural_resources", "自然资源局", "我局", 14, 0.12, 300, 40, 8, 120),
    DepartmentType("market", "市场监督管理局", "我局", 8, 0.25, 4000, 300, 30, 3),
    DepartmentType("hrss", "人力资源和社会保障局", "我局", 6, 0.08, 400, 10, 0, 0),
    DepartmentType("housing", "住房和城乡建设局", "我局", 9, 0.10, 500, 30, 5, 40),
    DepartmentType("civil_affairs", "民政局", "我局", 3, 0.05, 80, 1, 0, 0),
    DepartmentType("finance", "财政局", "我局", 3, 0.10, 10, 2, 0, 0),
    DepartmentType("transport", "交通运输局", "我局", 3, 0.15, 600, 150, 20, 5),
    DepartmentType("agriculture", "农业农村局", "我局", 3, 0.08, 200, 30, 3, 0),
    DepartmentType("health", "卫生健康委员会", "我委", 4, 0.10, 800, 60, 2, 0),
    DepartmentType("development", "发展和改革局", "我局", 3, 0.15, 100, 3, 0, 0),
    DepartmentType("justice", "司法局", "我局", 2, 0.10, 20, 0, 0, 0),
    DepartmentType("water", "水利局", "我局", 2, 0.12, 90, 10, 1, 30),
    DepartmentType("emergency", "应急管理局", "我局", 2, 0.15, 120, 40, 2, 0),
    DepartmentType("culture", "文化广电和旅游局", "我局", 2, 0.10, 150, 20, 0, 0),
    DepartmentType("commerce", "商务局", "我局", 1, 0.20, 30, 2, 0, 0),
    DepartmentType("audit", "审计局", "我局", 1, 0.10, 0, 0, 0, 0),
    DepartmentType("statistics", "统计局", "我局", 1, 0.10, 0, 3, 0, 0),
    DepartmentType("medical_security", "医疗保障局", "我局", 2, 0.05, 10, 5, 0, 0),
    DepartmentType("veterans", "退役军人事务局", "我局", 1, 0.02, 0, 0, 0, 0),
    DepartmentType("urban_management", "城市管理局", "我局", 3, 0.10, 300, 500, 60, 10),
    DepartmentType("ecology", "生态环境局", "我局", 4, 0.20, 50, 40, 5, 0),
    DepartmentType("science", "科学技术局", "我局", 1, 0.20, 5, 0, 0, 0),
    DepartmentType("industry", "工业和信息化局", "我局", 1, 0.25, 10, 1, 0, 0),
    DepartmentType("forestry", "林业局", "我局", 1, 0.05, 60, 15, 1, 2),
)
CORE_DEPARTMENTS = 4


@dataclass(frozen=True, slots=True)
class Organ:
    """One publisher of reports: a government or a department of one real place."""

    name: str  # as printed in the report's title: 淮安市淮阴区教育局
    kind: str  # "government" | "department" (regions.organ_kind's terms)
    level: str  # "city" | "county": the place's level
    place: Place
    region: Region
    department: DepartmentType | None = None

    @property
    def self_ref(self) -> str:
        """How the report refers to its organ: 我区 / 我县 / 我市 / 我局."""
        if self.department is not None:
            return self.department.self_ref
        return "我" + self.place.name[-1]


def city_places(cities: Sequence[str] | str) -> list[Place]:
    """The prefecture-level cities asked for: codes (``320800``), names, or ``"all"``.

    A city with no county-level division in the gazetteer (东莞, 中山 …) is left out.
    """
    gz = gazetteer()
    if cities == "all":
        cities = sorted(p.code for p in gz.by_code.values() if p.level == "city")
    elif isinstance(cities, str):
        cities = (cities,)
    out: list[Place] = []
    for c in cities:
        place = gz.by_code.get(c)
        if place is None:
            named = [p for p in gz.by_name.get(c, []) if p.level == "city"]
            if len(named) != 1:
                raise ValueError(f"not one prefecture-level city: {c!r}")
            place = named[0]
        if place.code[:2] in MUNICIPALITIES:
            # 北京 天津 上海 重庆: the districts belong to the province-level city itself (the
            # gazetteer's 110100-style entries are only 市辖区 / 县 groupings).
            place = gz.by_code[place.province_code]
        elif place.level != "city":
            raise ValueError(f"{c!r} is a {place.level}, not a prefecture-level city")
        if place not in out and gz.children(place.code):
            out.append(place)
    return out


def _departments(rng: random.Random, low: int, high: int) -> list[DepartmentType]:
    """``low``..``high`` departments; the four core ones first, so small rosters stay typical."""
    k = rng.randint(low, high)
    core = list(DEPARTMENTS[:CORE_DEPARTMENTS])
    rest = list(DEPARTMENTS[CORE_DEPARTMENTS:])
    rng.shuffle(core)
    rng.shuffle(rest)
    picked = (core + rest)[: min(k, len(DEPARTMENTS))]
    order = {d.key: i for i, d in enumerate(DEPARTMENTS)}
    return sorted(picked, key=lambda d: order[d.key])


def iter_organs(
    cities: Sequence[str] | str = DEFAULT_CITIES,
    departments: tuple[int, int] = (2, 4),
    seed: int = 0,
) -> Iterator[Organ]:
    """Every organ of the cities, city government first, then each county and its departments.

    Lazy: ``cities="all"`` walks every prefecture-level city of the country (about 30,000
    organs with the default departments) without building the list.
    """
    gz = gazetteer()
    low, high = departments
    if not 0 <= low <= high:
        raise ValueError(f"departments range must be 0 <= low <= high, got {departments}")
    for city in city_places(cities):
        city_region = gz.region_of(city)
        yield Organ(f"{city.name}人民政府", "government", "city", city, city_region)
        for county in sorted(gz.children(city.code), key=lambda p: p.code):
            if county.level != "county":
                continue
            region = gz.region_of(county)
            prefix = f"{city.name}{county.name}"
            yield Organ(f"{prefix}人民政府", "government", "county", county, region)
            rng = random.Random(f"xxgk-demo-roster:{seed}:{county.code}")
            for dept in _departments(rng, low, high):
                yield Organ(f"{prefix}{dept.name}", "department", "county", county, region, dept)
