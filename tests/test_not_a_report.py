"""Files that are not reports get one clear line naming the file and the reason."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.errors import NotAReport, ReportError, UnreadableFile
from pipelines.pipeline import parse_bytes, parse_file
from pipelines.readers import read_bytes
from tests.helpers import SAMPLES

PRE_2019 = """某某县人民政府2017年政府信息公开工作年度报告
一、概述
2017年，我县主动公开政府信息2974条，收到依申请公开政府信息4条，均已按期答复。
二、主动公开政府信息情况
全年通过政府网站公开信息2000条。
三、依申请公开政府信息情况
全年收到申请4件。
"""
UNRELATED_PAGE = """<html><head><meta charset="utf-8"><title>天气预报</title></head>
<body><h1>今日天气</h1><table><tr><td>城市</td><td>气温</td></tr>
<tr><td>北京</td><td>12</td></tr></table></body></html>"""


def xxgk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args], capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("name", "content", "error", "reason"),
    [
        ("empty.txt", b"", UnreadableFile, "文件为空"),
        ("blank.html", b"  \n\n ", UnreadableFile, "文件为空"),
        ("weather.html", UNRELATED_PAGE.encode(), NotAReport, "未找到年度报告的统计表"),
        ("old.txt", PRE_2019.encode("gbk"), NotAReport, "2019年以前"),
        ("noise.bin", bytes(range(256)) * 40, UnreadableFile, "不是文本"),
    ],
)
def test_non_reports_are_refused_with_a_reason(
    tmp_path: Path, name: str, content: bytes, error: type[ReportError], reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(error) as info:
        parse_file(path)
    assert reason in str(info.value)
    assert str(path) in str(info.value)
    result = xxgk("parse", str(path), "--json")
    assert result.returncode != 0
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert reason in result.stderr and name in result.stderr


def test_missing_file_is_one_line(tmp_path: Path) -> None:
    result = xxgk("parse", str(tmp_path / "nope.txt"), "--json")
    assert result.returncode != 0
    assert "文件不存在" in result.stderr and "Traceback" not in result.stderr


def test_parse_json_contract() -> None:
    result = xxgk("parse", str(SAMPLES / "000_seed.txt"), "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) >= {
        "organ",
        "region",
        "year",
        "edition",
        "facts",
        "prose_counts",
        "findings",
        "warnings",
    }
    assert doc["organ"] == "前进区政府办" and doc["year"] == 2020 and doc["edition"] == "2019"
    assert doc["region"]["county"] == "前进区"
    first = doc["facts"][0]
    assert first == {"table": "active", "metric": "active.rules.new_made", "value": 0}
    requests = [f for f in doc["facts"] if f["table"] == "requests"]
    assert len(requests) == 23 * 7
    assert {"table", "metric", "applicant", "value"} == set(requests[0])
    assert {f["rule"] for f in doc["findings"]} == {"H1", "H2"}
    assert all(
        set(f) == {"rule", "severity", "message", "expected", "actual", "cells"}
        for f in doc["findings"]
    )


def test_overrides_from_the_command_line() -> None:
    result = xxgk(
        "parse",
        str(SAMPLES / "000_seed.txt"),
        "--json",
        "--organ",
        "佳木斯市前进区人民政府办公室",
        "--year",
        "2020",
        "--province",
        "黑龙江省",
        "--city",
        "佳木斯市",
        "--county",
        "前进区",
        "--region-code",
        "230804",
    )
    doc = json.loads(result.stdout)
    assert doc["organ"] == "佳木斯市前进区人民政府办公室"
    assert doc["region"] == {
        "province": "黑龙江省",
        "city": "佳木斯市",
        "county": "前进区",
        "code": "230804",
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096), st.sampled_from(["x.txt", "x.html", "x", "x.htm"]))
def test_readers_raise_only_report_errors_on_arbitrary_bytes(data: bytes, name: str) -> None:
    with contextlib.suppress(ReportError):
        read_bytes(data, name)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=3000))
def test_parser_raises_only_report_errors_on_arbitrary_text(text: str) -> None:
    for data in (text.encode("utf-8"), text.encode("gb18030")):
        with contextlib.suppress(ReportError):
            parse_bytes(data, "x.txt")


SEED_LINES = (SAMPLES / "000_seed.txt").read_text(encoding="utf-8").split("\n")


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, len(SEED_LINES) - 1), max_size=12))
def test_parser_survives_a_report_with_lines_missing(drop: list[int]) -> None:
    text = "\n".join(line for i, line in enumerate(SEED_LINES) if i not in set(drop))
    try:
        report = parse_bytes(text.encode(), "seed.txt")
    except ReportError:
        return
    assert all(f.value is None or isinstance(f.value, int | float) for f in report.facts)


def test_several_files_give_json_lines_and_a_bad_one_its_own_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = xxgk(
        "parse",
        str(SAMPLES / "000_seed.txt"),
        str(empty),
        str(SAMPLES / "shuyang_fgj_2023.html"),
        "--json",
    )
    assert result.returncode == 2  # one file failed; the others are printed
    lines = result.stdout.strip().split("\n")
    assert [json.loads(line)["organ"] for line in lines] == ["前进区政府办", "沭阳县发展和改革局"]
    assert result.stderr.count("\n") == 1 and "empty.txt" in result.stderr
