"""The numbers of one organ's reports, year after year, as a small simulation.

Each organ gets a profile once (how many requests it draws, who asks, how it tends to
decide, how much it licenses and fines), then the years are played in order so what a
report carries over is what the previous report left: 上年结转 (Y) is 结转下年度 (Y−1) per
applicant column, 现行有效件数 (Y) is 现行有效件数 (Y−1) + 制发 − 废止, and the 2019
edition's 上一年项目数量 (Y) is 上一年项目数量 (Y−1) + 本年增/减 (Y−1). A year the organ does
not publish is still played, so the carry-over stays right across a coverage gap.

The figures satisfy the template's arithmetic (H1–H5) by construction: every column is
built as new + carried = closed + carried forward, and the closed requests are split over
the outcome rows. Real-world defects are added afterwards (``defects``), never here.

Volumes are heavy-tailed: lognormal medians by kind (a city government draws hundreds, a
county government tens, a bureau a handful), a few very busy county governments, a trend per
organ and the odd spike year.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from pipelines import catalog
from pipelines.catalog import APPLICANT_KEYS, REVIEW_KEYS, request_rows
from pipelines.demo.random_tools import binomial, chance, jitter, multinomial, poisson
from pipelines.demo.roster import Organ

FIRST_YEAR = 2019
LAST_YEAR = 2025
ROW_APPLICANTS = APPLICANT_KEYS[:-1]  # the six applicant columns; 总计 is their sum

# Share of closed requests per outcome group, and within a group per numbered sub-row, in
# catalog order. Roughly the national pattern: most are granted, a third cannot be provided
# (mostly "not held"), a minority are not processed or partly granted, few are denied.
_GROUP_SHARES = {
    "granted": 0.44,
    "partial": 0.07,
    "denied": 0.045,
    "unavailable": 0.29,
    "not_processed": 0.075,
    "other": 0.08,
}
_SUB_SHARES = {
    "denied": (0.03, 0.12, 0.05, 0.22, 0.15, 0.28, 0.10, 0.05),
    "unavailable": (0.72, 0.16, 0.12),
    "not_processed": (0.38, 0.30, 0.04, 0.14, 0.14),
    "other": (0.45, 0.03, 0.52),
}
_LEGAL_SPLIT = (0.55, 0.02, 0.05, 0.25, 0.13)  # commercial, research, public, legal, other
_REVIEW_SPLIT = (0.55, 0.12, 0.18, 0.15)  # upheld, corrected, other, pending


def _leaf_keys(group: str) -> list[str]:
    return [r.metric.key for r in catalog.REQUEST_ROWS if r.group == group and r.keywords]


def edition_of(year: int) -> str:
    """The template edition a year's report is due in (spec §0)."""
    return "2019" if year <= 2020 else "2021"


@dataclass(slots=True)
class Figures:
    """One organ-year's numbers, as a consistent report would print them.

    ``requests`` maps each printed part 三 row (metric key) to its 7 values in applicant
    order; ``active`` maps part 二 metric keys to values (amounts in 万元) and
    ``amount_raw`` keeps how an amount is printed; ``prose`` maps channel keys to the counts
    the text states.
    """

    year: int
    edition: str
    other_subrows: bool
    requests: dict[str, list[int | None]]
    review: list[int | None]
    active: dict[str, int | float | None]
    amount_raw: dict[str, str] = field(default_factory=dict)
    prose: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Profile:
    requests: float  # expected new requests in 2019
    growth: float  # yearly log growth
    legal_share: float
    legal_split: list[float]
    outcomes: dict[str, float]  # leaf metric key -> share (2021 leaves, granted and partial)
    forward_rate: float  # share of new requests still open at year end
    review_rate: float
    licensing: float
    other_services: float
    penalty: float
    coercion: float
    fees_wan: float
    office_only: bool  # reports only its own office's (zero) licensing and penalties
    normative_rate: float
    rules_rate: float
    procurement: float
    portal: float
    channels: dict[str, float]  # channel key -> yearly count (0: the report never names it)


@dataclass(slots=True)
class _State:
    carried: list[int]  # 上年结转 by applicant column (six)
    rules_total: int
    normative_total: int
    rules_in_force: int | None = None
    normative_in_force: int | None = None
    items: dict[str, int] = field(default_factory=dict)  # 上一年项目数量 by active row


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * rng.lognormvariate(0.0, sigma) if median > 0 else 0.0


def _profile(organ: Organ, rng: random.Random) -> _Profile:
    dept = organ.department
    if dept is None:
        city = organ.level == "city"
        base = _lognormal(rng, 250 if city else 45, 0.7 if city else 0.9)
        if not city and chance(rng, 0.04):
            base *= rng.uniform(8, 25)  # a land-expropriation district: thousands a year
        legal = rng.uniform(0.03, 0.12)
        scale = 2.5 if city else 1.0
        licensing, penalty, coercion = 2500 * scale, 600 * scale, 40 * scale
        fees, other_services = 400 * scale, 1500 * scale
        normative, rules = (15.0, 1.5) if city else (8.0, 0.0)
        procurement = 80 if city else 40
        portal = _lognormal(rng, 4000 if city else 1500, 0.5)
    else:
        base = _lognormal(rng, dept.requests, 0.9)
        legal = min(0.6, dept.legal_share * rng.lognormvariate(0.0, 0.3))
        licensing, penalty, coercion = dept.licensing, dept.penalty, dept.coercion
        fees, other_services = dept.fees_wan, dept.licensing * 0.3
        normative, rules, procurement = 1.5, 0.0, 10
        portal = _lognormal(rng, 180, 0.7)
    shares = jitter(rng, list(_GROUP_SHARES.values()), 0.35)
    outcomes: dict[str, float] = {}
    for group, share in zip(_GROUP_SHARES, shares, strict=True):
        if group in _SUB_SHARES:
            subs = jitter(rng, _SUB_SHARES[group], 0.3)
            norm = sum(subs)
            for key, s in zip(_leaf_keys(group), subs, strict=True):
                outcomes[key] = share * s / norm
        else:
            outcomes[f"outcome.{group}"] = share
    office_only = organ.kind == "government" and chance(rng, 0.3)
    channels: dict[str, float] = {}
    if chance(rng, 0.7 if organ.kind == "government" else 0.4):
        channels["wechat"] = portal * rng.uniform(0.3, 0.9)
    if organ.kind == "government":
        if chance(rng, 0.3):
            channels["weibo"] = portal * rng.uniform(0.2, 0.6)
        if organ.level == "city" or chance(rng, 0.2):
            channels["gazette"] = rng.choice((4, 6, 12, 12, 24))
        channels["exec_meeting"] = rng.uniform(12, 40)
        channels["interpretation"] = _lognormal(rng, 50 if organ.level == "city" else 25, 0.5)
        if chance(rng, 0.35):
            channels["press_conference"] = rng.uniform(3, 20)
    elif chance(rng, 0.6):
        channels["interpretation"] = _lognormal(rng, 6, 0.6)
    return _Profile(
        requests=base,
        growth=rng.gauss(0.04, 0.12),
        legal_share=legal,
        legal_split=jitter(rng, _LEGAL_SPLIT, 0.4),
        outcomes=outcomes,
        forward_rate=0.0 if chance(rng, 0.35) else rng.uniform(0.01, 0.08),
        review_rate=0.008 * rng.lognormvariate(0.0, 0.6),
        licensing=_lognormal(rng, licensing, 0.6),
        other_services=_lognormal(rng, other_services, 0.6),
        penalty=_lognormal(rng, penalty, 0.7),
        coercion=_lognormal(rng, coercion, 0.8),
        fees_wan=_lognormal(rng, fees, 0.8) if chance(rng, 0.8) else 0.0,
        office_only=office_only,
        normative_rate=_lognormal(rng, normative, 0.5),
        rules_rate=rules,
        procurement=_lognormal(rng, procurement, 0.6),
        portal=portal,
        channels=channels,
    )


def _initial_state(profile: _Profile, organ: Organ, rng: random.Random) -> _State:
    carried = [0] * len(ROW_APPLICANTS)
    if profile.forward_rate > 0:
        open_2018 = poisson(rng, profile.requests * profile.forward_rate)
        carried = multinomial(rng, open_2018, _applicant_probs(profile))
    government = organ.kind == "government"
    items = {
        "licensing": _items(rng, profile.licensing, 1.5, 10),
        "other_services": _items(rng, profile.other_services, 1.0, 5),
        "penalty": _items(rng, profile.penalty, 12.0, 20),
        "coercion": _items(rng, profile.coercion, 3.0, 3),
        "fees": rng.randint(3, 25) if profile.fees_wan > 0 else 0,
    }
    return _State(
        carried=carried,
        rules_total=rng.randint(15, 60) if profile.rules_rate > 0 else 0,
        normative_total=rng.randint(20, 120) if government else rng.randint(0, 20),
        items=items,
    )


def _items(rng: random.Random, decisions: float, per_root: float, floor: int) -> int:
    """The number of items (项目) in a power list, which grows with the decisions made."""
    if decisions <= 0:
        return 0
    return round((floor + per_root * math.sqrt(decisions)) * rng.uniform(0.7, 1.3))


def _applicant_probs(profile: _Profile) -> list[float]:
    total = sum(profile.legal_split)
    legal = [profile.legal_share * s / total for s in profile.legal_split]
    return [1.0 - profile.legal_share, *legal]


def _requests(
    rng: random.Random, profile: _Profile, state: _State, year: int, edition: str, subrows: bool
) -> dict[str, list[int | None]]:
    """Part 三 for one year: every column balances, every row's 总计 is its sum."""
    level = profile.requests * math.exp(profile.growth * (year - FIRST_YEAR))
    level *= rng.lognormvariate(0.0, 0.3)
    if chance(rng, 0.05):
        level *= rng.uniform(2.5, 6.0)  # a campaign, a demolition project, one serial applicant
    new = multinomial(rng, poisson(rng, level), _applicant_probs(profile))
    forward = [binomial(rng, n, profile.forward_rate) for n in new]
    closed = [n + c - f for n, c, f in zip(new, state.carried, forward, strict=True)]

    leaves = list(profile.outcomes)
    weights = [profile.outcomes[k] for k in leaves]
    by_leaf: dict[str, list[int]] = {k: [] for k in leaves}
    for n in closed:
        for key, k in zip(leaves, multinomial(rng, n, weights), strict=True):
            by_leaf[key].append(k)

    def row(values: list[int]) -> list[int | None]:
        return [*values, sum(values)]

    rows: dict[str, list[int | None]] = {
        "requests.new_received": row(new),
        "requests.carried_over": row(state.carried),
    }
    other_keys = _leaf_keys("other")
    for r in request_rows(edition, subrows):
        key = r.metric.key
        if key in by_leaf:
            rows[key] = row(by_leaf[key])
        elif key == "outcome.other.total":
            rows[key] = row([sum(by_leaf[k][i] for k in other_keys) for i in range(len(new))])
    rows["outcome.total"] = row(closed)
    rows["requests.carried_forward"] = row(forward)
    state.carried = forward
    return {k: rows[k] for k in (r.metric.key for r in request_rows(edition, subrows))}


def _review(rng: random.Random, profile: _Profile, received: int) -> list[int | None]:
    """Part 四: review and litigation are rare, and grow with the requests refused."""
    out: list[int | None] = []
    for rate in (profile.review_rate, profile.review_rate * 0.3, profile.review_rate * 0.2):
        n = poisson(rng, rate * received)
        parts = multinomial(rng, n, _REVIEW_SPLIT)
        out.extend([*parts, n])
    assert len(out) == len(REVIEW_KEYS)
    return out


def _yearly(rng: random.Random, median: float, sigma: float = 0.35) -> int:
    return round(_lognormal(rng, median, sigma)) if median > 0 else 0


def _amount(rng: random.Random, wan: float) -> tuple[float, str]:
    """An amount in 万元 and how the report prints it (2 decimals, or whole 元)."""
    value = round(wan, 2)
    if value == 0:
        return 0, "0"
    if chance(rng, 0.25):
        yuan = round(wan * 10000)
        return round(yuan / 10000, 6), f"{yuan}元"
    return value, f"{value:.2f}".rstrip("0").rstrip(".")


def _active(
    rng: random.Random, profile: _Profile, state: _State, edition: str, year: int
) -> tuple[dict[str, int | float | None], dict[str, str]]:
    """Part 二 for one year, carrying item counts and documents in force across years."""
    active: dict[str, int | float | None] = {}
    raw: dict[str, str] = {}
    growth = math.exp(0.03 * (year - FIRST_YEAR))
    zero = profile.office_only
    decisions = {
        "licensing": 0 if zero else _yearly(rng, profile.licensing * growth),
        "other_services": 0 if zero else _yearly(rng, profile.other_services),
        "penalty": 0 if zero else _yearly(rng, profile.penalty, 0.5),
        "coercion": 0 if zero else _yearly(rng, profile.coercion, 0.6),
    }
    normative_new = poisson(rng, profile.normative_rate)
    rules_new = poisson(rng, profile.rules_rate)
    if edition == "2019":
        for row, new in (("rules", rules_new), ("normative_docs", normative_new)):
            published = new - binomial(rng, new, 0.05)
            total_attr = f"{row.split('_')[0]}_total"
            total = getattr(state, total_attr) + published
            setattr(state, total_attr, total)
            active[f"active.{row}.new_made"] = new
            active[f"active.{row}.new_published"] = published
            active[f"active.{row}.total_published"] = total
        for row in ("licensing", "other_services", "penalty", "coercion", "fees"):
            prev = 0 if zero else state.items[row]
            change = 0
            if prev > 0 and chance(rng, 0.6):
                change = max(-prev, round(rng.gauss(0, max(1.0, prev * 0.04))))
            state.items[row] = state.items[row] + change
            active[f"active.{row}.prev_items"] = prev
            active[f"active.{row}.net_change"] = change
            if row != "fees":
                active[f"active.{row}.decisions"] = decisions[row]
        projects = poisson(rng, profile.procurement)
        wan = projects * _lognormal(rng, 25, 0.8) if projects else 0.0
        value, printed = _amount(rng, wan)
        active["active.procurement.projects"] = projects
        active["active.procurement.amount_wan"] = value
        raw["active.procurement.amount_wan"] = printed
    else:
        for row, new in (("rules", rules_new), ("normative_docs", normative_new)):
            attr = f"{row.split('_')[0]}_in_force"
            in_force = getattr(state, attr)
            if in_force is None:  # the first 2021-edition year: what is still valid of it all
                total = getattr(state, f"{row.split('_')[0]}_total")
                in_force = round(total * rng.uniform(0.3, 0.7))
            rate = 0.3 if chance(rng, 0.1) else 0.05  # now and then a clean-up campaign
            repealed = binomial(rng, in_force, rate)
            in_force = in_force + new - repealed
            setattr(state, attr, in_force)
            active[f"active.{row}.issued"] = new
            active[f"active.{row}.repealed"] = repealed
            active[f"active.{row}.in_force"] = in_force
        for row in ("licensing", "penalty", "coercion"):
            active[f"active.{row}.decisions"] = decisions[row]
        wan = 0.0 if zero or profile.fees_wan == 0 else _lognormal(rng, profile.fees_wan, 0.3)
        value = round(wan, 2)
        active["active.fees.amount_wan"] = value
        raw["active.fees.amount_wan"] = f"{value:.2f}".rstrip("0").rstrip(".") if value else "0"
    return active, raw


def _prose(rng: random.Random, profile: _Profile, year: int, received: int) -> dict[str, int]:
    growth = math.exp(0.05 * (year - FIRST_YEAR))
    out = {"portal": max(1, round(profile.portal * growth * rng.lognormvariate(0.0, 0.2)))}
    for channel, level in profile.channels.items():
        if channel in ("gazette", "exec_meeting", "press_conference"):
            out[channel] = max(1, round(level * rng.uniform(0.85, 1.15)))
        else:
            out[channel] = max(1, round(level * growth * rng.lognormvariate(0.0, 0.25)))
    out["requests_received"] = received
    return out


def organ_years(
    organ: Organ, seed: int, last_year: int = LAST_YEAR, drift: float = 0.03
) -> Iterator[Figures]:
    """Every year's figures for one organ, 2019 to ``last_year``, in order.

    ``drift`` is the share of 2021-edition reports that still print part 三's （六）其他处理
    as the 2019 single row (as 洪泽区 did in 2023 and 2024).
    """
    rng = random.Random(f"xxgk-demo-figures:{seed}:{organ.name}")
    profile = _profile(organ, rng)
    state = _initial_state(profile, organ, rng)
    for year in range(FIRST_YEAR, last_year + 1):
        edition = edition_of(year)
        subrows = edition == "2021" and not chance(rng, drift)
        requests = _requests(rng, profile, state, year, edition, subrows)
        received = requests["requests.new_received"][-1]
        assert received is not None
        review = _review(rng, profile, received)
        active, raw = _active(rng, profile, state, edition, year)
        yield Figures(
            year=year,
            edition=edition,
            other_subrows=subrows,
            requests=requests,
            review=review,
            active=active,
            amount_raw=raw,
            prose=_prose(rng, profile, year, received),
        )
