"""The demo corpus: every generated report parses back to its ground truth, cell for cell.

A few hundred reports in every format the readers support and both template editions are
written to disk and read back with ``parse_file``; every number must equal the truth
(blank stays None), and the audit must raise exactly the findings of the defects that were
injected (none for a consistent report). The generator must also be deterministic, lazy,
and true to the places and carry-over rules it claims.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pipelines.demo import (
    DEFAULT_CITIES,
    Summary,
    generate_corpus,
    iter_reports,
    supported_formats,
)
from pipelines.demo.defects import KINDS
from pipelines.demo.roster import iter_organs
from pipelines.parse.labels import normalize
from pipelines.parse.model import Report
from pipelines.pipeline import parse_file
from pipelines.regions import gazetteer, resolve_organ
from tests.helpers import expected_facts

# Three years (both editions, and the 2020 -> 2021 edition change), one or two departments
# per county: about 230 reports over all four cities.
SAMPLE = {"seed": 7, "years": (2020, 2021, 2024), "departments": (1, 2)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Summary]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate_corpus(out, **SAMPLE)


def _truths(out: Path) -> list[dict[str, Any]]:
    paths = sorted((out / "truth").rglob("*.json"))
    return [json.loads(p.read_text(encoding="utf-8")) for p in paths]


def _findings(items: list[Any]) -> Counter[tuple[str, frozenset[str]]]:
    return Counter(
        (f["rule"], frozenset(f["cells"])) if isinstance(f, dict) else (f.rule, frozenset(f.cells))
        for f in items
    )


def _mismatches(report: Report, truth: dict[str, Any]) -> list[str]:
    """Everything in which the parsed report differs from its truth, as readable lines."""
    out: list[str] = []
    got = {f.cell: f.value for f in report.facts}
    want = expected_facts(truth)
    if got != want:
        diff = sorted(k for k in got.keys() | want.keys() if got.get(k, "-") != want.get(k, "-"))
        out.append(
            f"{len(diff)} cells differ, e.g. {[(k, got.get(k), want.get(k)) for k in diff[:3]]}"
        )
    for field in ("organ", "year", "edition"):
        if getattr(report, field) != truth[field]:
            out.append(f"{field}: {getattr(report, field)!r} != {truth[field]!r}")
    if report.region.to_json() != truth["region"]:
        out.append(f"region: {report.region.to_json()} != {truth['region']}")
    if _findings(report.findings) != _findings(truth["expected_findings"]):
        out.append(
            f"findings: {sorted(_findings(report.findings))} "
            f"!= {sorted(_findings(truth['expected_findings']))}"
        )
    found = Counter((p.channel, p.value) for p in report.prose_counts)
    stated = Counter((p["channel_key"], p["value"]) for p in truth["prose_counts"])
    if found != stated:
        out.append(f"prose counts: {sorted(found)} != {sorted(stated)}")
    for p in truth["prose_counts"]:
        sentence = normalize(p["sentence"])
        if not any(
            q.channel == p["channel_key"]
            and q.value == p["value"]
            and sentence in normalize(q.sentence)
            for q in report.prose_counts
        ):
            out.append(f"prose sentence not kept: {p['sentence']}")
    return out


def test_sample_covers_every_supported_format_both_editions_and_all_cities(
    corpus: tuple[Path, Summary],
) -> None:
    out, summary = corpus
    assert 150 <= summary.reports <= 400
    assert set(summary.by_format) == set(supported_formats())
    assert {"text", "html"} <= set(summary.by_format)
    assert set(summary.by_edition) == {"2019", "2021"}
    cities = {t["region"]["code"][:4] for t in _truths(out)}
    assert cities == {c[:4] for c in DEFAULT_CITIES}


def test_every_generated_report_parses_to_its_truth(corpus: tuple[Path, Summary]) -> None:
    out, _ = corpus
    failures: dict[str, list[str]] = {}
    truths = _truths(out)
    for truth in truths:
        report = parse_file(out / truth["file"])
        problems = _mismatches(report, truth)
        if problems:
            failures[f"{truth['file']} ({truth['form']})"] = problems
    assert not failures, f"{len(failures)} of {len(truths)} reports misread: " + json.dumps(
        dict(itertools.islice(failures.items(), 8)), ensure_ascii=False, indent=1
    )


def test_consistent_reports_raise_no_finding(corpus: tuple[Path, Summary]) -> None:
    out, _ = corpus
    consistent = [t for t in _truths(out) if not t["injected_errors"]]
    assert len(consistent) > 100
    assert all(t["expected_findings"] == [] for t in consistent)
    for truth in consistent[::10]:
        report = parse_file(out / truth["file"])
        assert [f for f in report.findings if f.severity == "error"] == [], truth["file"]


def test_the_audit_finds_exactly_the_injected_errors(tmp_path: Path) -> None:
    """Every report carries one defect here; the audit must name it and nothing else."""
    reports = iter_reports(
        seed=3,
        years=(2020, 2023),
        departments=(0, 1),
        formats={"text": 2, "html": 2, "docx": 1},
        defect_rate=1.0,
    )
    kinds: Counter[str] = Counter()
    for generated in itertools.islice(reports, 120):
        path = tmp_path / Path(generated.relpath).name
        path.write_bytes(generated.data)
        report = parse_file(path)
        truth = generated.truth
        for error in truth["injected_errors"]:
            kinds[error["kind"]] += 1
            assert error["findings"], error  # a defect that raises nothing is no test
            found = _findings(report.findings)
            for finding in error["findings"]:
                key = (finding["rule"], frozenset(finding["cells"]))
                assert found[key], f"{generated.relpath}: {error['kind']} not found as {key}"
        assert _findings(report.findings) == _findings(truth["expected_findings"]), (
            generated.relpath
        )
        assert {f.rule for f in report.findings} == set(
            itertools.chain.from_iterable(e["rules"] for e in truth["injected_errors"])
        )
    assert set(kinds) == {k for k, _ in KINDS}, kinds


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    def digests(seed: int, fmt: str) -> list[str]:
        stream = iter_reports(seed=seed, formats=[fmt], years=(2020, 2022))
        return [
            hashlib.sha256(r.data + json.dumps(r.truth, sort_keys=True).encode()).hexdigest()
            for r in itertools.islice(stream, 3)
        ]

    for fmt in supported_formats():
        assert digests(11, fmt) == digests(11, fmt), fmt
        assert digests(11, fmt) != digests(12, fmt), fmt


def test_generator_streams_in_constant_memory() -> None:
    stream = iter_reports(cities="all", formats=["text", "html"])
    assert inspect.isgenerator(stream)
    # The national corpus is ~80,000 reports; the first ones come at once, and memory does
    # not grow with the number of reports drawn.
    for _ in itertools.islice(stream, 20):
        pass
    tracemalloc.start()
    try:
        for _ in itertools.islice(stream, 200):
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak


def test_roster_is_every_county_of_the_four_cities_with_real_codes() -> None:
    gz = gazetteer()
    organs = list(iter_organs())
    for city in DEFAULT_CITIES:
        counties = {p.code for p in gz.children(city) if p.level == "county"}
        here = [o for o in organs if o.region.code and o.place.city_code == city]
        assert {o.place.code for o in here if o.level == "county"} == counties
        assert [o.name for o in here if o.level == "city"] == [f"{gz.by_code[city].name}人民政府"]
        for county in counties:
            departments = [o for o in here if o.place.code == county and o.kind == "department"]
            assert 2 <= len(departments) <= 4
    for organ in organs:
        assert resolve_organ(organ.name).region == organ.region, organ.name


def test_years_carry_over_and_some_organ_years_are_missing() -> None:
    """上年结转 (Y) = 结转下年度 (Y−1); 现行有效 (Y) = 现行有效 (Y−1) + 制发 − 废止;
    上一年项目数量 (2020) = 上一年项目数量 (2019) + 本年增/减 (2019)."""
    truths = [r.truth for r in iter_reports(seed=5, formats=["text"])]
    by_organ: dict[str, dict[int, dict[str, Any]]] = {}
    for t in truths:
        by_organ.setdefault(t["organ"], {})[t["year"]] = t
    organs = len(by_organ)
    missing = 1 - len(truths) / (organs * 7)
    assert 0.03 < missing < 0.12, missing
    defective = sum(1 for t in truths if t["injected_errors"])
    assert 0.01 < defective / len(truths) < 0.06

    def zeros(values: list[int | None]) -> list[int]:
        return [v or 0 for v in values]

    pairs = 0
    for years in by_organ.values():
        for year, t in years.items():
            prev = years.get(year - 1)
            if prev is None:
                continue
            pairs += 1
            assert zeros(t["requests"]["二、上年结转政府信息公开申请数量"]) == zeros(
                prev["requests"]["四、结转下年度继续办理"]
            )
            if year >= 2022:
                for label, cols in t["active"].items():
                    if "现行有效件数" in cols:
                        before = next(
                            v["现行有效件数"]
                            for k, v in prev["active"].items()
                            if "现行有效件数" in v and k[-3:] == label[-3:]
                        )
                        assert cols["现行有效件数"] == (
                            before + cols["本年制发件数"] - cols["本年废止件数"]
                        )
            if year == 2020:
                for label, cols in t["active"].items():
                    if "上一年项目数量" in cols:
                        p = prev["active"][label]
                        assert cols["上一年项目数量"] == p["上一年项目数量"] + p["本年增/减"]
    assert pairs > 500


def test_volumes_are_heavy_tailed_and_mostly_natural_persons() -> None:
    truths = [r.truth for r in iter_reports(seed=5, formats=["text"])]
    received = {"government": [], "department": []}
    natural = total = 0
    for t in truths:
        row = t["requests"]["一、本年新收政府信息公开申请数量"]
        received[t["organ_kind"]].append(row[-1])
        natural += row[0] or 0
        total += row[-1]
    gov, dep = sorted(received["government"]), sorted(received["department"])
    assert 20 <= gov[len(gov) // 2] <= 200 < gov[-1]  # tens to hundreds, a few in thousands
    assert max(gov) >= 1000
    assert dep[len(dep) // 2] < gov[len(gov) // 2]
    assert 0.8 < natural / total < 0.97
