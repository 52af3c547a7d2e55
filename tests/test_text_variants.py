"""The seed report's numbers survive every shape a text copy of it can take."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pipelines.pipeline import parse_file
from tests import variants
from tests.helpers import SAMPLES, expected_facts, load_expected

SEED = SAMPLES / "000_seed.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")
WANT = expected_facts(load_expected("000_seed"))


def _facts(path: Path) -> dict[str, float | int | None]:
    return {f.cell: f.value for f in parse_file(path).facts}


@pytest.mark.parametrize(
    "encoding",
    ["gb18030", "gbk", "utf-8-sig", "utf-16"],
)
def test_encodings_are_detected_not_assumed(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "seed.txt"
    path.write_bytes(SEED_TEXT.encode(encoding))
    report = parse_file(path)
    assert {f.cell: f.value for f in report.facts} == WANT
    assert report.organ == "前进区政府办"


@pytest.mark.parametrize(
    "rewrite",
    [
        variants.to_markdown,
        variants.with_page_footers,
        variants.labels_cut_from_numbers,
        variants.ocr_like,
    ],
    ids=lambda f: f.__name__,
)
def test_converter_and_ocr_shapes(tmp_path: Path, rewrite: Callable[[str], str]) -> None:
    path = tmp_path / "seed.txt"
    path.write_text(rewrite(SEED_TEXT), encoding="utf-8")
    report = parse_file(path)
    assert {f.cell: f.value for f in report.facts} == WANT
    assert report.year == 2020
    assert report.edition == "2019"
    # The seed's broken 总计 row is still flagged, whatever the shape.
    assert {(f.rule, f.cells[0]) for f in report.findings if f.severity == "error"} == {
        ("H1", "requests.new_received@natural_person"),
        ("H1", "requests.new_received@total"),
        ("H2", "outcome.total@natural_person"),
        ("H2", "outcome.total@total"),
    }


def test_page_break_debris_is_not_a_warning() -> None:
    """The lone '理' (tail of the vertical 不予处理 cell) is recognised as debris."""
    report = parse_file(SEED)
    assert "\n理\t2. 重复申请\t" in SEED_TEXT
    assert not any("未能识别" in w for w in report.warnings), report.warnings


def test_a_missing_row_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "seed.txt"
    path.write_text(variants.without_row(SEED_TEXT, "要求提供公开出版物"), encoding="utf-8")
    report = parse_file(path)
    got = {f.cell: f.value for f in report.facts}
    missing = {k for k in WANT if k.startswith("outcome.not_processed.publication@")}
    assert len(missing) == 7
    assert got == {k: v for k, v in WANT.items() if k not in missing}
    assert any("要求提供公开出版物" in w for w in report.warnings)


def _labels_above_numbers(text: str) -> str:
    """Every table row of parts 二–四 as a label line, then a line of its numbers spaced out
    (``pdftotext`` on a table whose label cells wrap): no number shares a line with a label."""
    out: list[str] = []
    tables = False
    for line in text.split("\n"):
        tables = tables or line.startswith("二、主动公开")
        cells = [c.strip() for c in line.split("\t")]
        numbers = [c for c in cells if c.isdigit()]
        labels = [c for c in cells if c and not c.isdigit()]
        if not tables or "\t" not in line or not numbers or len(numbers) + len(labels) < 3:
            out.append(line)
            continue
        if labels:
            out.append("  ".join(labels))
        out.append("   ".join(numbers))
    return "\n".join(out)


def test_labels_above_their_numbers_keep_every_number_and_every_finding(tmp_path: Path) -> None:
    rewritten = _labels_above_numbers(SEED_TEXT)
    assert "\n5. 属于三类内部事务信息\n1   0   0   0   0   0   1\n" in rewritten
    path = tmp_path / "seed.txt"
    path.write_text(rewritten, encoding="utf-8")
    report = parse_file(path)
    assert {f.cell: f.value for f in report.facts} == WANT
    assert report.warnings == parse_file(SEED).warnings
    assert {(f.rule, f.cells[0]) for f in report.findings if f.severity == "error"} == {
        ("H1", "requests.new_received@natural_person"),
        ("H1", "requests.new_received@total"),
        ("H2", "outcome.total@natural_person"),
        ("H2", "outcome.total@total"),
    }
