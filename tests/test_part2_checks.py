"""Part 二 (主动公开): nothing wrong loads silently.

Part 二 has no 勾稽关系 in the template, so a wrong number there shows only if the reader
says what it could not read (a cell that is not a number, a row that went missing) and the
audit checks what plain logic allows (A1–A3), magnitudes (R1, R2) and the prose (X2).
Every case is a real sample with one small edit; the expected values can be read off the
edit by hand.
"""

from __future__ import annotations

import json
import re

import pytest

from pipelines.parse.model import Report
from pipelines.pipeline import parse_bytes
from tests.helpers import SAMPLES

SEED = (SAMPLES / "000_seed.txt").read_text(encoding="utf-8")
SHUYANG = (SAMPLES / "shuyang_fgj_2023.html").read_text(encoding="utf-8")


def parse(text: str, name: str = "report.txt") -> Report:
    return parse_bytes(text.encode("utf-8"), name)


def seed_with(old: str, new: str) -> Report:
    assert old in SEED
    return parse(SEED.replace(old, new, 1))


def facts(report: Report) -> dict[str, tuple[float | int | None, str]]:
    return {f.cell: (f.value, f.raw) for f in report.facts if f.table == "active"}


def findings(report: Report, rule: str) -> list[tuple]:
    return [(f.severity, f.cells, f.expected, f.actual) for f in report.findings if f.rule == rule]


def _shuyang_row(label: str) -> re.Match[str]:
    """The <tr> of part 二 whose text is the label followed by its numbers."""
    for m in re.finditer(r"<tr\b.*?</tr>", SHUYANG, re.S):
        text = re.sub(r"\s+", "", re.sub(r"<[^>]+>", "", m.group()))
        if re.fullmatch(rf"{label}\d+", text):
            return m
    raise AssertionError(label)


def shuyang_with_row(label: str, numbers: list[str] | None) -> Report:
    """沭阳 2023 with one part 二 row's numbers replaced (or the row deleted: None)."""
    m = _shuyang_row(label)
    row = ""
    if numbers is not None:
        cells = iter(numbers)
        row = re.sub(r">\d+<", lambda _: f">{next(cells)}<", m.group())
    return parse(SHUYANG[: m.start()] + row + SHUYANG[m.end() :], "report.html")


# --- the samples say nothing new ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["000_seed.txt", "shuyang_fgj_2023.html"])
def test_the_samples_raise_no_part_2_warning_or_finding(name: str) -> None:
    report = parse_bytes((SAMPLES / name).read_bytes(), name)
    assert report.warnings == []
    assert not [f for f in report.findings if f.rule in ("A1", "A2", "A3", "R1", "R2", "X2")]


# --- a cell that is not a number ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "text"),
    [
        ("二千\t0\t0", "上一年项目数量", "二千"),
        ("0\t2.6e3\t0", "本年增/减", "2.6e3"),
        ("0\t0\t约20", "处理决定数量", "约20"),
    ],
)
def test_text_in_a_part_2_cell_is_named_not_blanked(cells: str, column: str, text: str) -> None:
    report = seed_with("行政许可\t0\t0\t0", f"行政许可\t{cells}")
    got = facts(report)
    key = {"上一年项目数量": "prev_items", "本年增/减": "net_change", "处理决定数量": "decisions"}
    fact = next(f for f in report.facts if f.metric == f"active.licensing.{key[column]}")
    assert (fact.value, fact.raw, fact.unreadable) == (None, text, True)
    # The other two cells of the row stay in their columns.
    others = [k for k in key.values() if k != key[column]]
    assert [got[f"active.licensing.{k}"] for k in others] == [(0, "0"), (0, "0")]
    assert report.warnings == [
        f"第二部分第二十条第（五）项“行政许可”一行“{column}”列一格“{text}”不是数字，未读取"
    ]


def test_text_in_the_first_cell_does_not_shift_the_amount() -> None:
    """Before, “二千” became part of the label and 0 slid into 采购项目数量."""
    report = seed_with("政府集中采购\t0\t0\t", "政府集中采购\t二千\t35\t")
    assert facts(report)["active.procurement.projects"] == (None, "二千")
    assert facts(report)["active.procurement.amount_wan"] == (35, "35")
    assert len(report.warnings) == 2  # the text, and the amount printed without a unit
    assert "“采购项目数量”列一格“二千”不是数字" in report.warnings[0]


@pytest.mark.parametrize("blank", ["", "—", "/", "无", "-", "——"])
def test_blank_markers_are_blanks_without_a_warning(blank: str) -> None:
    report = seed_with("行政许可\t0\t0\t0", f"行政许可\t0\t{blank}\t0")
    fact = next(f for f in report.facts if f.metric == "active.licensing.net_change")
    assert (fact.value, fact.unreadable) == (None, False)
    assert report.warnings == []


def test_the_json_contract_keeps_its_keys_for_an_unreadable_cell() -> None:
    report = seed_with("行政许可\t0\t0\t0", "行政许可\t二千\t0\t0")
    out = json.loads(json.dumps(report.to_json(), ensure_ascii=False))
    assert set(out) == {
        "organ",
        "region",
        "year",
        "edition",
        "table_editions",
        "facts",
        "prose_counts",
        "findings",
        "warnings",
    }
    cell = next(f for f in out["facts"] if f["metric"] == "active.licensing.prev_items")
    assert cell == {"table": "active", "metric": "active.licensing.prev_items", "value": None}
    assert any("二千" in w for w in out["warnings"])


# --- a row that went missing --------------------------------------------------------------------


def test_a_missing_2019_row_is_a_warning() -> None:
    report = seed_with("行政许可\t0\t0\t0\n", "")
    assert "active.licensing.decisions" not in facts(report)
    assert report.warnings == ["第二部分缺少“行政许可”一行（第二十条第（五）项）"]


def test_a_missing_caption_block_is_a_warning_for_each_row() -> None:
    block = "第二十条第(六)项\t\t\t\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n"
    block += "行政处罚\t0\t0\t0\n行政强制\t0\t0\t0\n"
    report = seed_with(block, "")
    assert report.warnings == [
        "第二部分缺少“行政处罚”一行（第二十条第（六）项）",
        "第二部分缺少“行政强制”一行（第二十条第（六）项）",
    ]


def test_a_missing_2021_row_is_a_warning() -> None:
    report = shuyang_with_row("行政许可", None)
    assert "active.licensing.decisions" not in facts(report)
    assert report.warnings == ["第二部分缺少“行政许可”一行（第二十条第（五）项）"]


def test_a_caption_printed_in_the_other_edition_expects_its_own_rows() -> None:
    """A 2019-edition report whose （五） table is printed in the 2021 layout (one column,
    行政许可 only) lacks no 其他对外管理服务事项 row; its other tables still are 2019."""
    old = (
        "信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n"
        "行政许可\t0\t0\t0\n其他对外管理服务事项\t0\t0\t0\n"
    )
    report = seed_with(old, "信息内容\t本年处理决定数量\n行政许可\t7\n")
    assert report.edition == "2019"
    assert facts(report)["active.licensing.decisions"] == (7, "7")
    assert report.warnings == []


# --- A1–A3: what one report's part 二 cannot say at once ----------------------------------------


def test_a1_item_count_cannot_fall_below_zero() -> None:
    """行政许可: 3 items last year, 5 fewer this year: -2 items."""
    report = seed_with("行政许可\t0\t0\t0", "行政许可\t3\t-5\t0")
    assert findings(report, "A1") == [
        ("error", ("active.licensing.prev_items", "active.licensing.net_change"), 0, -2)
    ]
    assert findings(seed_with("行政许可\t0\t0\t0", "行政许可\t3\t-3\t0"), "A1") == []


def test_a2_documents_issued_and_not_repealed_are_in_force() -> None:
    """沭阳 规范性文件: 8 issued, 0 repealed, so at least 8 in force; 5 printed."""
    report = shuyang_with_row("规范性文件", ["8", "0", "5"])
    assert findings(report, "A2") == [
        (
            "warning",
            (
                "active.normative_docs.issued",
                "active.normative_docs.repealed",
                "active.normative_docs.in_force",
            ),
            8,
            5,
        )
    ]
    # 8 issued, 4 repealed (some of earlier years): 5 in force is possible.
    assert findings(shuyang_with_row("规范性文件", ["8", "4", "5"]), "A2") == []


def test_a3_no_procurement_project_no_procurement_money() -> None:
    report = seed_with("政府集中采购\t0\t0\t", "政府集中采购\t0\t120\t")
    assert findings(report, "A3") == [
        ("error", ("active.procurement.projects", "active.procurement.amount_wan"), 0, 120)
    ]
    assert findings(seed_with("政府集中采购\t0\t0\t", "政府集中采购\t2\t120\t"), "A3") == []


def test_s4_still_flags_more_published_than_in_total() -> None:
    report = seed_with("规范性文件\t0\t0\t0", "规范性文件\t5\t5\t3")
    assert findings(report, "S4") == [
        (
            "warning",
            ("active.normative_docs.new_published", "active.normative_docs.total_published"),
            3,
            5,
        )
    ]


# --- R1, R2: magnitudes -------------------------------------------------------------------------


def test_r1_an_implausible_number_is_a_warning() -> None:
    """10^9 penalty decisions is more than any one organ makes (limit 10^8)."""
    report = seed_with("行政处罚\t0\t0\t0", "行政处罚\t0\t0\t1000000000")
    assert findings(report, "R1") == [
        ("warning", ("active.penalty.decisions",), 100_000_000, 1_000_000_000)
    ]
    # 9,999 规章 in force is odd but under the documents' limit of 10^5.
    assert findings(seed_with("规章\t0\t0\t0", "规章\t0\t0\t9999"), "R1") == []


def test_r2_a_23_digit_number_is_never_a_rounded_float() -> None:
    big = "12345678901234567890123"
    report = seed_with("规章\t0\t0\t0", f"规章\t{big}\t0\t0")
    fact = next(f for f in report.facts if f.metric == "active.rules.new_made")
    assert (fact.value, fact.raw, fact.unreadable) == (None, big, True)
    assert findings(report, "R2") == [("error", ("active.rules.new_made",), None, None)]
    assert report.warnings == [
        f"第二部分第二十条第（一）项“规章”一行“本年新制作数量”列一格“{big}”"
        "超过15位有效数字，无法精确保存，未读取"
    ]
    # 15 digits are stored exactly (and are implausible: R1).
    report = seed_with("规章\t0\t0\t0", "规章\t123456789012345\t0\t0")
    assert facts(report)["active.rules.new_made"] == (123456789012345, "123456789012345")
    assert [f.rule for f in report.findings if f.cells == ("active.rules.new_made",)] == ["R1"]


def test_a_prose_count_too_long_for_bigint_is_dropped_with_a_warning() -> None:
    big = "99999999999999999999999"  # > 2^63
    report = seed_with("各类政府信息 2974 条", f"各类政府信息 {big} 条")
    assert [(p.channel, p.value) for p in report.prose_counts] == [
        ("wechat", 2355),
        ("requests_received", 4),
    ]
    assert len(report.warnings) == 1
    assert big in report.warnings[0] and "未读取" in report.warnings[0]


# --- X2: the prose against the table ------------------------------------------------------------


def test_x2_a_part_2_figure_stated_in_the_prose_is_held_against_the_table() -> None:
    text = SEED.replace(
        "不予公开政府信息的情况未发生。",
        "不予公开政府信息的情况未发生。全年制发规范性文件3件。",
    )
    report = parse(text)
    assert [(s.metric, s.value) for s in report.stated_figures] == [
        ("active.normative_docs.issued", 3)
    ]
    # 2019 edition: 制发 is 本年新制作数量, printed 0.
    assert findings(report, "X2") == [("warning", ("active.normative_docs.new_made",), 3, 0)]
    assert "全年制发规范性文件3件" in next(f for f in report.findings if f.rule == "X2").message
    agreeing = parse(text.replace("规范性文件\t0\t0\t0", "规范性文件\t3\t3\t3"))
    assert findings(agreeing, "X2") == []


def test_x2_in_a_2021_report_compares_issued_and_in_force() -> None:
    text = SHUYANG.replace(
        "条。全年受理网络问政",
        "条。全年制发行政规范性文件8件，现行有效规范性文件20件。全年受理网络问政",
    )
    assert text.count("现行有效规范性文件20件") == 1
    report = parse(text, "report.html")
    assert sorted((s.metric, s.value) for s in report.stated_figures) == [
        ("active.normative_docs.in_force", 20),
        ("active.normative_docs.issued", 8),
    ]
    assert findings(report, "X2") == [("warning", ("active.normative_docs.in_force",), 20, 18)]
