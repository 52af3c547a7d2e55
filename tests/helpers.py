"""Shared test material: the real reports shipped in ``data/samples`` and their expected numbers.

The expected files (``tests/corpus/expected``) were read out of each report by hand; they name
rows by template label, so ``expected_facts`` maps them onto canonical keys through the catalog.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipelines import catalog
from pipelines.parse.labels import normalize

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = CORPUS / "expected"


def load_expected(stem: str) -> dict:
    return json.loads((EXPECTED / f"{stem}.json").read_text(encoding="utf-8"))


def _request_key(path: str) -> str:
    wanted = normalize(path)
    for row in catalog.REQUEST_ROWS:
        if normalize(row.metric.path) == wanted:
            return row.metric.key
    raise KeyError(f"no catalog row for expected label {path!r}")


def _active_key(row_label: str, column_label: str) -> str:
    row = next(r.key for r in catalog.ACTIVE_ROWS if row_label in (r.label, *r.variants))
    col = next(
        c.key
        for c in catalog.ACTIVE_COLUMNS
        if column_label == c.label or any(v in column_label for v in c.variants)
    )
    return f"active.{row}.{col}"


def expected_facts(expected: dict) -> dict[str, float | int | None]:
    """Expected values by cell address (``metric@applicant`` or bare metric)."""
    out: dict[str, float | int | None] = {}
    for path, values in expected["requests"].items():
        key = _request_key(path)
        for applicant, value in zip(catalog.APPLICANT_KEYS, values, strict=True):
            out[f"{key}@{applicant}"] = value
    for key, value in zip(catalog.REVIEW_KEYS, expected["review_litigation"], strict=True):
        out[key] = value
    for row_label, columns in expected["active"].items():
        for column_label, value in columns.items():
            out[_active_key(row_label, column_label)] = value
    return out


def missing_prose_counts(report, expected: dict) -> list[dict]:
    """The expected prose counts the report lacks: same channel and value, and the expected
    sentence inside the report's (compared without whitespace: extractors add spaces)."""
    missing = []
    for want in expected.get("prose_counts", []):
        channel = next(
            c.key
            for c in catalog.CHANNELS
            if want["channel"] == c.label or want["channel"] in c.keywords
        )
        if not any(
            p.value == want["value"]
            and p.channel == channel
            and normalize(want["sentence"]) in normalize(p.sentence)
            for p in report.prose_counts
        ):
            missing.append(want)
    return missing
