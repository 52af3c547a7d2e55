"""The audit flags exactly the arithmetic a report breaks, with the spec's rule ids."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from pipelines import audit, catalog
from pipelines.pipeline import parse_file
from pipelines.warehouse.derived import cross_year_sql
from tests.helpers import SAMPLES

SEED_TEXT = (SAMPLES / "000_seed.txt").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_seed_total_row_is_flagged_h1_and_h2() -> None:
    report = parse_file(SAMPLES / "000_seed.txt")
    errors = [f for f in report.findings if f.severity == "error"]
    assert {(f.rule, f.cells[0], f.expected, f.actual) for f in errors} == {
        ("H1", "requests.new_received@natural_person", 4, 0),
        ("H1", "requests.new_received@total", 4, 0),
        ("H2", "outcome.total@natural_person", 4, 0),
        ("H2", "outcome.total@total", 4, 0),
    }
    assert all("第三部分" in f.message for f in errors)
    assert not [f for f in report.findings if f.severity == "warning"]


def test_consistent_report_has_no_findings() -> None:
    """沭阳 2023 adds up; its blank legal-person columns are blanks, not errors."""
    report = parse_file(SAMPLES / "shuyang_fgj_2023.html")
    assert report.findings == []
    blanks = [f for f in report.facts if f.value is None]
    assert len(blanks) == 25 * 5  # 25 printed rows x 5 legal-person columns


def test_row_total_column_mismatch_is_h3(tmp_path: Path) -> None:
    # 予以公开: 自然人 3 but 总计 printed 5 -> H3 on that row (and H2 on 总计 column).
    text = SEED_TEXT.replace(
        "(一) 予以公开\t3\t0\t0\t0\t0\t0\t3", "(一) 予以公开\t3\t0\t0\t0\t0\t0\t5"
    )
    report = parse_file(_write(tmp_path, text))
    h3 = [f for f in report.findings if f.rule == "H3"]
    assert [(f.cells[0], f.expected, f.actual) for f in h3] == [("outcome.granted@total", 3, 5)]


def test_blank_total_with_nonzero_parts_is_p3_not_a_mismatch(tmp_path: Path) -> None:
    """Only P3: the blank is a missing number, so the 总计 column still adds up (§7.3)."""
    fixed = SEED_TEXT.replace("(七) 总计\t0\t0\t0\t0\t0\t0\t0", "(七) 总计\t4\t0\t0\t0\t0\t0\t4")
    assert parse_file(_write(tmp_path, fixed)).findings == []
    text = fixed.replace("(一) 予以公开\t3\t0\t0\t0\t0\t0\t3", "(一) 予以公开\t3\t0\t0\t0\t0\t0\t—")
    report = parse_file(_write(tmp_path, text))
    p3 = [f for f in report.findings if f.rule == "P3"]
    assert [(f.cells[0], f.expected, f.severity) for f in p3] == [
        ("outcome.granted@total", 3, "warning")
    ]
    assert [f.rule for f in report.findings] == ["P3"]
    granted = report.fact_map()["outcome.granted@total"]
    assert granted.value is None and granted.raw == "—"


def test_review_total_mismatch_is_h5(tmp_path: Path) -> None:
    lines = SEED_TEXT.split("\n")
    i = lines.index("\t".join(["0"] * 15))
    lines[i] = "\t".join(["10", "1", "0", "0", "0"] + ["0"] * 10)
    report = parse_file(_write(tmp_path, "\n".join(lines)))
    h5 = [f for f in report.findings if f.rule == "H5"]
    assert [(f.cells[0], f.expected, f.actual) for f in h5] == [("review.total", 11, 0)]


def test_prose_contradicting_table_is_a_warning(tmp_path: Path) -> None:
    text = SEED_TEXT.replace("收到依申请公开政府信息 4 条", "收到依申请公开政府信息 17 条")
    report = parse_file(_write(tmp_path, text))
    x1 = [f for f in report.findings if f.rule == "X1"]
    assert [(f.severity, f.expected, f.actual) for f in x1] == [("warning", 17, 4)]


def test_negative_count_is_p1(tmp_path: Path) -> None:
    text = SEED_TEXT.replace("规章\t0\t0\t0", "规章\t-2\t0\t0")
    report = parse_file(_write(tmp_path, text))
    assert [(f.rule, f.cells) for f in report.findings if f.rule == "P1"] == [
        ("P1", ("active.rules.new_made",))
    ]


def test_blank_total_beside_printed_zeros_is_b1(tmp_path: Path) -> None:
    """A dropped last cell leaves the row's 总计 blank; the arithmetic still adds up (0)."""
    row = "\t\t2. 其他法律行政法规禁止公开\t0\t0\t0\t0\t0\t0\t0"
    assert row in SEED_TEXT
    report = parse_file(_write(tmp_path, SEED_TEXT.replace(row, row[: -len("0")])))
    b1 = [f for f in report.findings if f.rule == "B1"]
    assert [(f.severity, f.cells[0], f.expected, f.actual, len(f.cells)) for f in b1] == [
        ("warning", "outcome.denied.law_prohibited@total", 0, None, 7)
    ]
    # A row printed all blank is a row printed blank, not a lost total.
    all_blank = SEED_TEXT.replace(row, "\t\t2. 其他法律行政法规禁止公开" + "\t" * 7)
    assert not [f for f in parse_file(_write(tmp_path, all_blank)).findings if f.rule == "B1"]


def test_part_4_left_blank_is_b2(tmp_path: Path) -> None:
    numbers = "\t".join(["0"] * 15)
    all_blank = parse_file(_write(tmp_path, SEED_TEXT.replace(numbers, "\t" * 14)))
    assert [(f.rule, f.severity, len(f.cells)) for f in all_blank.findings if f.rule == "B2"] == [
        ("B2", "warning", 15)
    ]
    # Only 未经复议直接起诉 left blank: one finding naming its five cells.
    direct_blank = "\t".join(["0"] * 5 + [""] * 5 + ["0"] * 5)
    report = parse_file(_write(tmp_path, SEED_TEXT.replace(numbers, direct_blank)))
    assert [f.cells for f in report.findings if f.rule == "B2"] == [
        tuple(
            f"litigation.direct.{o}" for o in ("upheld", "corrected", "other", "pending", "total")
        )
    ]


def test_a_23_digit_count_is_r2_and_never_a_float(tmp_path: Path) -> None:
    huge = "12345678901234567890123"
    text = SEED_TEXT.replace("\t(一) 予以公开\t3\t", f"\t(一) 予以公开\t{huge}\t")
    report = parse_file(_write(tmp_path, text))
    cell = report.fact_map()["outcome.granted@natural_person"]
    assert (cell.value, cell.raw) == (None, huge)
    assert [(f.rule, f.severity, f.cells) for f in report.findings if f.rule == "R2"] == [
        ("R2", "error", ("outcome.granted@natural_person",))
    ]
    # Nothing larger than a 15-digit number reaches a fact or a finding.
    numbers = [f.value for f in report.facts] + [
        n for f in report.findings for n in (f.expected, f.actual)
    ]
    assert all(n is None or abs(n) < 10**15 for n in numbers)


def test_an_implausible_request_count_is_r1(tmp_path: Path) -> None:
    """Two million new requests in one 区政府办 (limit 10^6): a warning, as printed."""
    text = SEED_TEXT.replace(
        "一、本年新收政府信息公开申请数量\t\t4\t0\t0\t0\t0\t0\t4\t",
        "一、本年新收政府信息公开申请数量\t\t2000000\t0\t0\t0\t0\t0\t2000000\t",
    )
    report = parse_file(_write(tmp_path, text))
    r1 = [(f.cells, f.expected, f.actual) for f in report.findings if f.rule == "R1"]
    assert r1 == [
        (("requests.new_received@natural_person",), 1_000_000, 2_000_000),
        (("requests.new_received@total",), 1_000_000, 2_000_000),
    ]


# ---------------------------------------------------------------------------------------------
# One catalog of rules (catalog.RULES), for the audit and the warehouse alike
# ---------------------------------------------------------------------------------------------


def _rules_the_audit_emits() -> set[str]:
    """Every rule id pipelines/audit.py can put in a finding, read from its source.

    Findings are built only by ``_finding`` (checked here: no other call builds one), whose
    rule is a literal or, inside ``_check_sum``, that function's ``rule`` argument, itself
    a literal at every call.
    """
    tree = ast.parse(Path(audit.__file__).read_text(encoding="utf-8"))
    builder = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_finding")
    inside = {id(n) for n in ast.walk(builder)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name, args = node.func.id, node.args
        if name == "Finding" and id(node) not in inside:
            raise AssertionError(f"line {node.lineno}: a finding built without _finding")
        rule = args[0] if name == "_finding" else args[2] if name == "_check_sum" else None
        if rule is None:
            continue
        if isinstance(rule, ast.Constant) and isinstance(rule.value, str):
            out.add(rule.value)
        else:
            assert name == "_finding" and isinstance(rule, ast.Name) and rule.id == "rule"
    return out


def _rules_the_warehouse_emits() -> set[tuple[str, str, str]]:
    """(rule, severity, scope) of every findings row the cross-year SQL inserts."""
    sql = cross_year_sql("TRUE")
    found = re.findall(
        r"INSERT INTO findings\nSELECT cur\.report_id, '(\w+)', '(\w+)',.*?\n       '(\w+)'\n",
        sql,
        re.S,
    )
    # S1 per applicant column (7), S2 twice per document row (2 × 2), S3 per item row (5)
    assert len(found) == sql.count("INSERT INTO findings") == 7 + 2 * 2 + 5
    return set(found)


def test_every_rule_the_audit_or_the_warehouse_emits_is_in_the_catalog_and_back() -> None:
    by_scope = {
        scope: {r.id for r in catalog.RULES if r.scope == scope} for scope in catalog.RULE_SCOPES
    }
    assert _rules_the_audit_emits() == by_scope["report"]
    assert (
        {r for r, _, _ in _rules_the_warehouse_emits()}
        == by_scope["cross_year"]
        == {
            "S1",
            "S2",
            "S3",
        }
    )
    assert _rules_the_warehouse_emits() == {
        (r.id, r.severity, r.scope) for r in catalog.RULES if r.scope == "cross_year"
    }
    assert len(catalog.RULES) == len(catalog.RULES_BY_ID) == 21
    assert {r.severity for r in catalog.RULES} == set(catalog.SEVERITIES)
    assert [r.id for r in catalog.RULES if r.severity == "error"] == [
        *("H1", "H2", "H3", "H4", "H5", "A1", "A3", "R2")
    ]
    # The dashboard's titles (audit.RULE_TITLES) are the catalog's.
    assert {r.id: r.title for r in catalog.RULES} == audit.RULE_TITLES


def test_a_finding_takes_its_severity_from_the_catalog(tmp_path: Path) -> None:
    """The seed's errors, and a warning of each kind the seed can be edited into."""
    text = SEED_TEXT.replace("收到依申请公开政府信息 4 条", "收到依申请公开政府信息 17 条")
    text = text.replace("规章\t0\t0\t0", "规章\t-2\t0\t0")
    report = parse_file(_write(tmp_path, text))
    assert {f.rule for f in report.findings} == {"H1", "H2", "P1", "X1"}
    assert all(f.severity == catalog.RULES_BY_ID[f.rule].severity for f in report.findings)
