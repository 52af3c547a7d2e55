"""Report files for the dashboard's tests and benchmark, made from the real seed report.

The dashboard needs several organs, regions and years to have anything to compare, but the
tests must not depend on the demo generator (``pipelines.demo``). So this module rewrites the
seed report (``data/samples/000_seed.txt``, a real 2019-edition report) under other organ
names and years, with its table numbers replaced by figures that satisfy the template's
arithmetic — except where a defect is asked for, so the audit has errors to report. The files
then go through the real ``pipelines.ingest.ingest``: the warehouse the dashboard reads in the
tests is built exactly as in production.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest import ingest
from tests.helpers import SAMPLES
from tests.warehouse_helpers import seed_as, write

SEED_ORGAN = "前进区政府办"
SEED_YEAR = "2020"

# Department names printed after the place name; the government office is the seed's own.
DEPARTMENTS = ("教育局", "财政局", "自然资源局", "市场监督管理局", "卫生健康委员会")


@dataclass(frozen=True, slots=True)
class Figures:
    """The numbers written into one report's tables (all columns, total last)."""

    natural: dict[str, int]
    legal: dict[str, int]  # in the 商业企业 column
    review: list[int]  # 15 numbers in printed order
    active: dict[str, list[int]]
    portal: int  # items published on the portal, stated in part 一's prose
    zero_total: bool  # leave （七）总计 at zero, like the real seed: an H1/H2 error


# Part 三 rows, by a fragment of the printed label, and part 二 rows.
_REQUEST_LABELS = {
    "new_received": "一、本年新收政府信息公开申请数量",
    "granted": "(一) 予以公开",
    "partial": "(二) 部分公开",
    "internal_affairs": "5. 属于三类内部事务信息",
    "third_party": "4. 保护第三方合法权益",
    "not_held": "1. 本机关不掌握相关政府信息",
    "needs_creation": "2. 没有现成信息需要另行制作",
    "petition": "1. 信访举报投诉类申请",
    "duplicate": "2. 重复申请",
    "other": "(六) 其他处理",
    "total": "(七) 总计",
}
_ACTIVE_LABELS = ("规章", "规范性文件", "行政许可", "行政处罚", "行政强制")
_OUTCOMES = (
    "granted",
    "partial",
    "internal_affairs",
    "third_party",
    "not_held",
    "needs_creation",
    "petition",
    "duplicate",
    "other",
)
_SHARES = (0.45, 0.07, 0.02, 0.03, 0.25, 0.05, 0.05, 0.03, 0.05)


def _split(rng: random.Random, n: int) -> dict[str, int]:
    out = dict.fromkeys(_OUTCOMES, 0)
    for _ in range(n):
        out[rng.choices(_OUTCOMES, _SHARES)[0]] += 1
    return out


def random_figures(rng: random.Random, scale: float, zero_total: bool = False) -> Figures:
    """Consistent figures around ``scale`` requests (H1–H3 and H5 hold unless ``zero_total``)."""
    received = max(0, round(rng.lognormvariate(0, 0.6) * scale))
    legal_n = round(received * rng.uniform(0.0, 0.3))
    natural = _split(rng, received - legal_n)
    legal = _split(rng, legal_n)
    natural["new_received"] = received - legal_n
    legal["new_received"] = legal_n
    review_groups = []
    for cases in (rng.randint(0, 6), rng.randint(0, 3), rng.randint(0, 2)):
        parts = [0, 0, 0, 0]
        for _ in range(cases):
            parts[rng.choices(range(4), (0.55, 0.15, 0.15, 0.15))[0]] += 1
        review_groups.extend([*parts, cases])
    active = {
        label: [rng.randint(0, 20), rng.randint(0, 20), rng.randint(20, 200)]
        for label in _ACTIVE_LABELS
    }
    portal = round(rng.lognormvariate(0, 0.5) * 60 * scale)
    return Figures(natural, legal, review_groups, active, portal, zero_total)


def _cells(natural: int, legal: int) -> list[int]:
    return [natural, legal, 0, 0, 0, 0, natural + legal]


def render(figures: Figures, organ: str, year: int) -> str:
    """The seed report's text as ``organ`` for ``year``, carrying ``figures``."""
    text = seed_as(organ).replace(SEED_YEAR, str(year))
    received = figures.natural["new_received"] + figures.legal["new_received"]
    text = text.replace("收到依申请公开政府信息 4 条", f"收到依申请公开政府信息 {received} 条")
    text = text.replace("政府信息 2974 条", f"政府信息 {figures.portal} 条")
    lines = text.split("\n")
    totals = {
        "total": (
            sum(figures.natural[k] for k in _OUTCOMES),
            sum(figures.legal[k] for k in _OUTCOMES),
        )
    }
    if figures.zero_total:
        totals["total"] = (0, 0)
    for i, line in enumerate(lines):
        for key, label in _REQUEST_LABELS.items():
            if label not in line:
                continue
            nat, leg = totals.get(key, (figures.natural.get(key, 0), figures.legal.get(key, 0)))
            head = line.split(label)[0] + label
            rest = line.split(label, 1)[1]
            # keep the cells that precede the numbers (a tab, or the sub-row's own label)
            prefix = re.match(r"^((?:\t[^\t\d][^\t]*)*\t+)", rest)
            lead = prefix.group(1) if prefix else "\t"
            lines[i] = head + lead + "\t".join(str(v) for v in _cells(nat, leg))
        if re.fullmatch(r"0(\t0){14}", line):
            lines[i] = "\t".join(str(v) for v in figures.review)
        for label in _ACTIVE_LABELS:
            if re.fullmatch(rf"{label}\t0\t0\t0", line):
                lines[i] = label + "\t" + "\t".join(str(v) for v in figures.active[label])
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Organ:
    name: str  # as printed: 向阳区政府办, 向阳区教育局
    year_from: int
    year_to: int
    folder: str = ""  # region folders above the organ's own (the ingest's region hint)


def jiamusi_organs(years: Iterable[int] = range(2019, 2025)) -> list[Organ]:
    """The general offices (政府办, departments in their own right) and a few departments of
    佳木斯市's districts."""
    ys = list(years)
    out: list[Organ] = []
    # 向阳区 and 郊区 exist in other cities too: the folder names settle where they are.
    folder = "黑龙江省/佳木斯市"
    for district in ("向阳区", "前进区", "东风区", "郊区"):
        out.append(Organ(f"{district}政府办", ys[0], ys[-1], folder))
        for dept in DEPARTMENTS[:2]:
            out.append(Organ(f"{district}{dept}", ys[0], ys[-1], folder))
    # One organ that reported only in the last years: a gap in the coverage matrix.
    out.append(Organ("东风区自然资源局", ys[-2], ys[-1], folder))
    # The city's own government: no county, so "佳木斯市本级" among the city's districts.
    out.append(Organ("佳木斯市人民政府", ys[0], ys[-1], folder))
    return out


def national_organs(n_reports: int, years: Iterable[int] = range(2019, 2025)) -> list[Organ]:
    """Enough organs of real counties (government office and departments) for ``n_reports``."""
    from pipelines.regions import gazetteer

    ys = list(years)
    gz = gazetteer()
    out: list[Organ] = []
    cities = sorted((p for p in gz.by_code.values() if p.level == "city"), key=lambda p: p.code)
    for city in cities:
        for county in gz.children(city.code):
            for suffix in ("政府办", *DEPARTMENTS):
                out.append(Organ(f"{city.name}{county.name}{suffix}", ys[0], ys[-1]))
                if len(out) * len(ys) >= n_reports:
                    return out
    return out


def write_corpus(
    folder: Path,
    organs: Iterable[Organ],
    seed: int = 7,
    scale: float = 20.0,
    defect_rate: float = 0.05,
) -> list[Path]:
    """One text file per organ and year; returns the paths written."""
    rng = random.Random(seed)
    paths = []
    for organ in organs:
        organ_scale = scale * rng.lognormvariate(0, 0.8)
        for year in range(organ.year_from, organ.year_to + 1):
            if organ.name == SEED_ORGAN and str(year) == SEED_YEAR:
                continue  # the real seed report is this organ's 2020 report
            figures = random_figures(rng, organ_scale, zero_total=rng.random() < defect_rate)
            text = render(figures, organ.name, year)
            path = folder / organ.folder / organ.name / f"{year}.txt"
            paths.append(write(path, text))
    return paths


# Demo-flagged reports: an organ that has nothing else (郊区市场监督管理局, unplaced: 郊区 is
# in several cities and no folder says which), the only reports of the last year (2025), and
# the earlier years of an organ whose later reports are real (东风区自然资源局).
DEMO_ORGANS = (
    Organ("郊区市场监督管理局", 2021, 2025),
    Organ("东风区自然资源局", 2021, 2022, "黑龙江省/佳木斯市"),
)


def build_test_warehouse(tmp: Path) -> Path:
    """A warehouse from the shipped real samples, seed variants, and one demo-flagged batch.

    Real: the four files in ``data/samples`` plus the seed under the other districts of
    佳木斯市 and the city government for 2019–2024 (one organ from 2023 only). Demo:
    ``DEMO_ORGANS`` flagged ``is_demo`` through ``ingest(..., is_demo=True)``, so the 示例数据
    switch has work to do: without them the last year (2025) has no report at all.
    """
    db = tmp / "dashboard.duckdb"
    real = tmp / "reports"
    write_corpus(real, jiamusi_organs(), seed=7)
    write(real / "天气预报.txt", "今日天气\n晴\n")  # not a report: one ingest error
    ingest([SAMPLES, real], db, progress=False)
    demo = tmp / "demo"
    write_corpus(demo, DEMO_ORGANS, seed=11)
    ingest([demo], db, is_demo=True, progress=False)
    return db


# ---------------------------------------------------------------------------------------------
# Hand-chosen figures: the peer benchmark and the watch list
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Spec:
    """One report's numbers, chosen by hand so a person can check every result.

    All requests are 自然人's; those neither granted nor partly granted are 本机关不掌握, except
    ``carried_forward``, which is carried into next year (结转下年度) instead of decided.
    ``review`` and ``litigation`` (未经复议直接起诉) are 维持, 纠正, 其他, 尚未审结.
    """

    received: int
    granted: int
    partial: int = 0
    review: tuple[int, int, int, int] = (0, 0, 0, 0)
    litigation: tuple[int, int, int, int] = (0, 0, 0, 0)
    carried_forward: int = 0
    zero_total: bool = False  # （七）总计 printed as zeros: audit errors H1 and H2


def spec_figures(spec: Spec) -> Figures:
    natural = dict.fromkeys(_OUTCOMES, 0)
    natural.update(
        new_received=spec.received,
        granted=spec.granted,
        partial=spec.partial,
        not_held=spec.received - spec.granted - spec.partial - spec.carried_forward,
    )
    legal = dict.fromkeys((*_OUTCOMES, "new_received"), 0)
    review = [*spec.review, sum(spec.review), *spec.litigation, sum(spec.litigation), 0, 0, 0, 0, 0]
    active = {label: [1, 1, 10] for label in _ACTIVE_LABELS}
    return Figures(natural, legal, review, active, 100, spec.zero_total)


def render_spec(spec: Spec, organ: str, year: int) -> str:
    """``render`` for a hand-chosen report, with its 结转下年度 row filled in."""
    text = render(spec_figures(spec), organ, year)
    label = "四、结转下年度继续办理"
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(label) and spec.carried_forward:
            lead = re.match(rf"^{label}(\t+)", line)
            cells = _cells(spec.carried_forward, 0)
            lines[i] = label + (lead.group(1) if lead else "\t") + "\t".join(map(str, cells))
    return "\n".join(lines)


_HUAIAN = "江苏省/淮安市"
_COUNTIES = ("清江浦区", "淮阴区", "淮安区", "洪泽区", "涟水县", "盱眙县", "金湖县")
_CITIES = ("淮安市", "宿迁市", "盐城市", "扬州市", "镇江市", "泰州市")
_R, _L = "review", "litigation"


def peer_corpus() -> dict[str, tuple[str, dict[int, Spec]]]:
    """Organ (as printed) → (region folder, year → its report), 2021–2024, in 江苏省.

    - the education bureaux of 淮安市's seven districts and counties (县级 教育局, 7):
      淮安区 jumps from 10 to 80 requests (×8, 2022), 洪泽区 falls from 210 to 20 (×0.095,
      2023), 涟水县 grants about 15% where the others grant 80%, 盱眙县 has no 2023 report,
      金湖县 prints a zero 总计 in 2024 (audit errors), 清江浦区 carries 4 requests into 2023
      that its 2023 report does not take over (S1). In 2024 every one has at least 30
      concluded reviews and lawsuits: 洪泽区 lost 20 of 50 reviews, 淮阴区 15 of 35 lawsuits;
    - three county 财政局 (a group of three: under the small-N guard), 盱眙县's with a 10%
      公开率, 涟水县's from 2 to 12 requests (×6 on a small base), 金湖县's stopping after 2022;
    - six city 教育局 (each with five peers, exactly the guard's minimum);
    - two county governments, one city government and two general offices printed as
      政府办 and 人民政府办公室 (one kind), for 2023–2024.
    """
    out: dict[str, tuple[str, dict[int, Spec]]] = {}

    def rates(received: list[int | None], share: float, **last: object) -> dict[int, Spec]:
        specs = {}
        for year, n in zip(range(2021, 2025), received, strict=True):
            if n is not None:
                specs[year] = Spec(n, round(n * share))
        if last:
            year = max(specs)
            specs[year] = replace_spec(specs[year], **last)
        return specs

    edu = {
        "清江浦区": rates([40, 44, 48, 52], 0.8, review=(30, 1, 0, 0), litigation=(30, 0, 0, 0)),
        "淮阴区": rates([60, 62, 64, 66], 0.8, review=(30, 2, 0, 0), litigation=(20, 15, 0, 0)),
        "淮安区": rates([10, 80, 85, 90], 0.8, review=(31, 1, 0, 0), litigation=(30, 1, 0, 0)),
        "洪泽区": rates([200, 210, 20, 30], 0.8, review=(30, 20, 0, 0), litigation=(30, 0, 0, 0)),
        "涟水县": rates([35, 36, 37, 38], 0.15, review=(32, 0, 0, 0), litigation=(31, 0, 0, 0)),
        "盱眙县": rates([50, 52, None, 56], 0.8, review=(30, 1, 0, 0), litigation=(30, 1, 0, 0)),
        "金湖县": rates(
            [45, 46, 47, 48], 0.8, review=(30, 0, 0, 0), litigation=(30, 0, 0, 0), zero_total=True
        ),
    }
    edu["清江浦区"][2022] = replace_spec(edu["清江浦区"][2022], carried_forward=4)
    for county, specs in edu.items():
        out[f"{county}教育局"] = (_HUAIAN, specs)
    out["涟水县财政局"] = (_HUAIAN, rates([2, 12, 13, 14], 0.5))
    out["盱眙县财政局"] = (_HUAIAN, rates([40, 40, 40, 40], 0.1))
    out["金湖县财政局"] = (_HUAIAN, rates([60, 60, None, None], 0.85))
    for i, city in enumerate(_CITIES):
        out[f"{city}教育局"] = (f"江苏省/{city}", rates([100 + 10 * i] * 4, 0.7 + 0.02 * i))
    two_years = [None, None, 70, 75]
    out["洪泽区人民政府"] = (_HUAIAN, rates(two_years, 0.6))
    out["金湖县人民政府"] = (_HUAIAN, rates(two_years, 0.6))
    out["淮安市人民政府"] = (_HUAIAN, rates([None, None, 300, 320], 0.6))
    out["涟水县政府办"] = (_HUAIAN, rates(two_years, 0.6))
    out["盱眙县人民政府办公室"] = (_HUAIAN, rates(two_years, 0.6))
    return out


def replace_spec(spec: Spec, **changes: object) -> Spec:
    from dataclasses import replace

    return replace(spec, **changes)  # type: ignore[arg-type]


def build_peer_warehouse(tmp: Path) -> Path:
    """A warehouse of ``peer_corpus`` only, through the real ingest."""
    db = tmp / "peers.duckdb"
    folder = tmp / "peer_reports"
    for organ, (region, specs) in peer_corpus().items():
        for year, spec in specs.items():
            write(folder / region / organ / f"{year}.txt", render_spec(spec, organ, year))
    summary = ingest([folder], db, progress=False)
    assert not summary.failed, summary.failed
    return db
