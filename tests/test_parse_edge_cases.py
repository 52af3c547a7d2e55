"""Rows real reports print in ways the template does not: subtotals, blank ends, blank rows."""

from __future__ import annotations

from pipelines.audit import audit_report
from pipelines.document import Document, Table
from pipelines.parse import parse_document
from pipelines.parse.model import Report
from pipelines.parse.sections import is_page_footer
from pipelines.pipeline import parse_bytes
from pipelines.readers import read_bytes
from tests.helpers import SAMPLES, expected_facts, load_expected

SEED = (SAMPLES / "000_seed.txt").read_text(encoding="utf-8")
WANT = expected_facts(load_expected("000_seed"))


def parse(text: str) -> Report:
    return parse_bytes(text.encode("utf-8"), "report.txt")


def row(report: Report, metric: str) -> list[float | int | None]:
    return [f.value for f in report.facts if f.metric == metric]


def test_blank_total_at_the_end_of_a_text_row_stays_in_its_column() -> None:
    text = SEED.replace(
        "一、本年新收政府信息公开申请数量\t\t4\t0\t0\t0\t0\t0\t4\t",
        "一、本年新收政府信息公开申请数量\t\t4\t0\t0\t0\t0\t0\t\t",
    )
    report = parse(text)
    assert row(report, "requests.new_received") == [4, 0, 0, 0, 0, 0, None]
    base = {(f.rule, f.cells[0]) for f in parse(SEED).findings}
    assert {(f.rule, f.cells[0]) for f in report.findings} == base | {
        ("P3", "requests.new_received@total")
    }
    assert any("首尾都有空白单元格" in w for w in report.warnings)


def test_blank_first_column_of_a_text_row_stays_in_its_column() -> None:
    text = SEED.replace(
        "二、上年结转政府信息公开申请数量\t\t0\t0\t0\t0\t0\t0\t0\t",
        "二、上年结转政府信息公开申请数量\t\t\t2\t0\t0\t0\t0\t2\t",
    )
    assert row(parse(text), "requests.carried_over") == [None, 2, 0, 0, 0, 0, 2]


def test_a_heji_subtotal_row_under_a_group_is_not_the_grand_total() -> None:
    text = SEED.replace(
        "\t\t8. 属于行政查询事项\t0\t0\t0\t0\t0\t0\t0\n",
        "\t\t8. 属于行政查询事项\t0\t0\t0\t0\t0\t0\t0\n\t\t合计\t1\t0\t0\t0\t0\t0\t1\n",
    )
    assert text != SEED
    report = parse(text)
    facts = {f.cell: f.value for f in report.facts}
    assert facts == WANT  # the grand total is still the printed 0 row
    assert [(f.metric, f.value) for f in report.subtotals if f.applicant == "total"] == [
        ("outcome.denied.total", 1)
    ]
    assert not [f for f in report.findings if f.rule == "H4"]  # 1 = 0+…+1+…+0


def test_a_row_printed_all_blank_is_seven_nulls() -> None:
    text = SEED.replace(
        "\t(二) 部分公开(区分处理的,只记这一情形,不计其他情形)\t0\t0\t0\t0\t0\t0\t0\t",
        "\t(二) 部分公开(区分处理的,只记这一情形,不计其他情形)\t\t\t\t\t\t\t\t",
    )
    assert text != SEED
    report = parse(text)
    assert row(report, "outcome.partial") == [None] * 7
    assert not any("缺少" in w for w in report.warnings)


def test_a_subtotal_column_is_read_where_the_header_puts_it() -> None:
    lines = SEED.split("\n")
    header = next(i for i, line in enumerate(lines) if "商业企业" in line)
    lines[header] = "\t\t\t小计\t商业企业\t科研机构\t社会公益组织\t法律服务机构\t其他\t\t"
    i = next(i for i, line in enumerate(lines) if line.startswith("一、本年新收"))
    lines[i] = "一、本年新收政府信息公开申请数量\t\t4\t1\t1\t0\t0\t0\t0\t5\t"
    report = parse("\n".join(lines))
    assert row(report, "requests.new_received") == [4, 1, 0, 0, 0, 0, 5]
    assert [
        (f.applicant, f.value) for f in report.subtotals if f.metric == "requests.new_received"
    ] == [("legal.subtotal", 1)]
    assert all(f.applicant != "legal.subtotal" for f in report.facts)


def test_missing_part_headings_lose_no_row() -> None:
    for heading in ("三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况"):
        assert f"\n{heading}\n" in SEED
        report = parse(SEED.replace(f"\n{heading}\n", "\n"))
        assert {f.cell: f.value for f in report.facts} == WANT, heading
        assert {f.rule for f in report.findings} == {"H1", "H2"}, heading


def test_2021_other_row_with_numbers_then_sub_rows_is_a_subtotal() -> None:
    """A 2021 table whose （六）其他处理 row prints 5 before its three sub-rows (all 0)."""
    document = read_bytes((SAMPLES / "shuyang_fgj_2023.html").read_bytes(), "x.html")
    blocks = []
    for block in document.blocks:
        if isinstance(block, Table) and any("本年新收" in c for r in block.cells for c in r):
            cells = []
            for r in block.cells:
                if any(c.startswith("1.申请人无正当理由") for c in r):
                    label = ["三、本年度办理结果", "（六）其他处理", "（六）其他处理"]
                    cells.append([*label, "5", "", "", "", "", "", "5"])
                cells.append(r)
            block = Table(cells=cells)
        blocks.append(block)
    report = parse_document(Document(blocks=blocks, source="x.html", format="html"))
    assert report.table_editions["requests"] == "2021"
    assert all(f.metric != "outcome.other.total" for f in report.facts)
    other = [f.value for f in report.subtotals if f.metric == "outcome.other.total"]
    assert other == [5, None, None, None, None, None, 5]
    h4 = [(f.cells[0], f.expected, f.actual) for f in audit_report(report) if f.rule == "H4"]
    assert h4 == [
        ("outcome.other.total@natural_person", 0, 5),
        ("outcome.other.total@total", 0, 5),
    ]


def test_prose_counts_with_thousands_separators_and_other_applications() -> None:
    text = SEED.replace(
        "前进区政府门户网站全年对外公开各类政府信息 2974 条",
        "前进区政府门户网站全年对外公开各类政府信息 1,234 条，收到行政复议申请1件",
    )
    report = parse(text)
    counts = {(p.channel, p.value) for p in report.prose_counts}
    assert ("portal", 1234) in counts
    assert ("requests_received", 1) not in counts
    assert not [f for f in report.findings if f.rule == "X1"]


def test_amount_unit_in_the_header_is_converted_to_wan() -> None:
    text = SEED.replace("采购总金额\t", "采购总金额（元）\t").replace(
        "政府集中采购\t0\t0\t", "政府集中采购\t3\t251000\t"
    )
    amount = next(f for f in parse(text).facts if f.metric == "active.procurement.amount_wan")
    assert (amount.value, amount.unit, amount.raw) == (25.1, "万元", "251000（元）")


def test_review_row_with_a_blank_first_cell_or_all_blank() -> None:
    numbers = "\t".join(["0"] * 15)
    assert f"\n{numbers}\n" in SEED
    first_blank = parse(SEED.replace(numbers, "\t".join(["", "1", *["0"] * 13])))
    assert [f.value for f in first_blank.facts if f.table == "review"][:3] == [None, 1, 0]
    all_blank = parse(SEED.replace(numbers, "\t".join([""] * 15)))
    assert [f.value for f in all_blank.facts if f.table == "review"] == [None] * 15
    assert not any("第四部分" in w for w in all_blank.warnings)


def test_text_in_a_part_3_cell_is_named_and_shifts_nothing() -> None:
    """“三” for 3: before, it joined the label and the row slid one column left."""
    report = parse(SEED.replace("\t(一) 予以公开\t3\t", "\t(一) 予以公开\t三\t"))
    assert row(report, "outcome.granted") == [None, 0, 0, 0, 0, 0, 3]
    assert report.fact_map()["outcome.granted@natural_person"].raw == "三"
    assert report.warnings == ["第三部分“予以公开”一行“自然人”列一格“三”不是数字，未读取"]
    # And the audit sees 0 + … = 3 in that row.
    h3 = [(f.expected, f.actual) for f in report.findings if f.rule == "H3"]
    assert h3 == [(0, 3)]


def test_text_in_the_last_part_3_cell_is_named() -> None:
    report = parse(
        SEED.replace(
            "\t\t5. 属于三类内部事务信息\t1\t0\t0\t0\t0\t0\t1",
            "\t\t5. 属于三类内部事务信息\t1\t0\t0\t0\t0\t0\t壹",
        )
    )
    assert row(report, "outcome.denied.internal_affairs") == [1, 0, 0, 0, 0, 0, None]
    assert report.warnings == ["第三部分“属于三类内部事务信息”一行“总计”列一格“壹”不是数字，未读取"]


def test_text_in_a_part_4_cell_is_named_and_shifts_nothing() -> None:
    numbers = "\t".join(["0"] * 15)
    report = parse(SEED.replace(numbers, "\t".join(["0", "2.6e3", *["0"] * 13])))
    review = [f.value for f in report.facts if f.table == "review"]
    assert review == [0, None, *[0] * 13]
    assert report.warnings == ["第四部分“行政复议·结果纠正”一格“2.6e3”不是数字，未读取"]
    assert not any("第四部分" in w for w in parse(SEED).warnings)


def test_a_2019_other_row_printed_all_blank_is_seven_nulls() -> None:
    """（六）其他处理 is a group label as well as the 2019 row: printed blank, it was dropped."""
    printed = "\t(六) 其他处理\t0\t0\t0\t0\t0\t0\t0"
    assert printed in SEED
    for blank in ("", "—"):
        report = parse(SEED.replace(printed, "\t(六) 其他处理" + f"\t{blank}" * 7))
        assert row(report, "outcome.other.total") == [None] * 7
        assert [f.raw for f in report.facts if f.metric == "outcome.other.total"] == [blank] * 7
        assert report.table_editions["requests"] == "2019"
        assert not any("缺少" in w for w in report.warnings)
        assert {f.cell: f.value for f in report.facts if f.metric != "outcome.other.total"} == {
            k: v for k, v in WANT.items() if not k.startswith("outcome.other.total@")
        }


def test_a_2021_other_label_row_printed_blank_is_no_subtotal() -> None:
    """A 2021 table may print （六）其他处理 as a row of its own with empty cells above its
    three sub-rows: that is the group's label, not a subtotal of blanks (which H4 would
    then hold against the sub-rows)."""
    document = read_bytes((SAMPLES / "shuyang_fgj_2023.html").read_bytes(), "x.html")
    blocks = []
    for block in document.blocks:
        if isinstance(block, Table) and any("本年新收" in c for r in block.cells for c in r):
            cells = []
            for r in block.cells:
                if any(c.startswith("1.申请人无正当理由") for c in r):
                    cells.append(
                        ["三、本年度办理结果", "（六）其他处理", "（六）其他处理", *[""] * 7]
                    )
                cells.append(r)
            block = Table(cells=cells)
        blocks.append(block)
    report = parse_document(Document(blocks=blocks, source="x.html", format="html"))
    want = expected_facts(load_expected("shuyang_fgj_2023"))
    assert {f.cell: f.value for f in report.facts} == want
    assert report.subtotals == []
    assert report.table_editions["requests"] == "2021"


PART_HEADINGS = (
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
)


def _parts(text: str) -> list[str]:
    """The seed cut at its part headings: before 二, 二, 三, 四, from 五 on."""
    cuts = [text.index(f"\n{h}\n") + 1 for h in PART_HEADINGS]
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def test_parts_printed_in_any_order_are_all_read() -> None:
    head, two, three, four, tail = _parts(SEED)
    orders = {
        "四 before 三": head + two + four + three + tail,
        "三 before 二": head + three + two + four + tail,
        "四、三、二": head + four + three + two + tail,
    }
    for name, text in orders.items():
        report = parse(text)
        assert {f.cell: f.value for f in report.facts} == WANT, name
        assert {f.rule for f in report.findings} == {"H1", "H2"}, name
        assert not any("未找到" in w or "缺少" in w for w in report.warnings), name


def test_parts_out_of_order_without_their_headings_are_found_by_their_tables() -> None:
    head, two, three, four, tail = _parts(SEED)
    three, four = (p.split("\n", 1)[1] for p in (three, four))  # headings dropped
    report = parse(head + two + four + three + tail)
    assert {f.cell: f.value for f in report.facts} == WANT
    # Part 一's own sub-heading "(五) 政府信息公开申请行政复议、提起行政诉讼情况" is not the
    # start of part 四.
    assert "行政复议" in head


def test_a_numbered_line_in_part_five_is_not_a_part_heading() -> None:
    """Out-of-order headings are taken only when their part's table is under them."""
    head, two, three, four, tail = _parts(SEED)
    text = head + two + three + four + tail.replace("\n\n", "\n\n三、加强依申请公开工作\n\n", 1)
    assert text != SEED
    report = parse(text)
    assert {f.cell: f.value for f in report.facts} == WANT
    assert not any("未找到" in w or "缺少" in w for w in report.warnings)


def test_two_numbers_spaced_out_are_a_row_not_a_page_number() -> None:
    """pdftotext prints a two-column row as "0   0"; read as "00" it was a page footer."""
    assert is_page_footer(["— 5 —"]) and is_page_footer(["-3-"]) and is_page_footer(["第3页 共5页"])
    assert not is_page_footer(["0   0"])
    text = SEED.replace("政府集中采购\t0\t0\t", "政府集中采购\n3   251000")
    amount = next(f for f in parse(text).facts if f.metric == "active.procurement.projects")
    assert amount.value == 3


def test_a_numbered_line_whose_prose_names_the_table_is_not_its_heading() -> None:
    """Part 三's heading missing, and part 五 holds "三、…" over a sentence saying 本年新收:
    the sentence is not part 三's table, which is found where it is printed."""
    text = SEED.replace("\n三、收到和处理政府信息公开申请情况\n", "\n").replace(
        "\n五、存在的主要问题及改进情况\n",
        "\n五、存在的主要问题及改进情况\n\n三、依申请公开工作\n\n本年新收政府信息公开申请4件。\n",
    )
    report = parse(text)
    assert {f.cell: f.value for f in report.facts} == WANT
