"""Every real report parses to exactly the numbers a person read out of it."""

from __future__ import annotations

import pytest

from pipelines.pipeline import parse_file
from tests.helpers import SAMPLES, expected_facts, load_expected, missing_prose_counts

TEXT_AND_HTML = ["000_seed.txt", "shuyang_fgj_2023.html"]


@pytest.mark.parametrize("name", TEXT_AND_HTML)
def test_every_cell_matches_expected(name: str) -> None:
    report = parse_file(SAMPLES / name)
    expected = load_expected(name.rsplit(".", 1)[0])
    got = {f.cell: f.value for f in report.facts}
    want = expected_facts(expected)
    assert got == want
    assert report.year == expected["year"]
    assert report.edition == expected["edition"]
    assert report.organ == expected["organ"]


@pytest.mark.parametrize("name", TEXT_AND_HTML)
def test_prose_counts_match_expected(name: str) -> None:
    report = parse_file(SAMPLES / name)
    expected = load_expected(name.rsplit(".", 1)[0])
    assert missing_prose_counts(report, expected) == []
