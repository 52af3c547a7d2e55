"""One layout of the template's part 三 and 四, drawn by the dashboard, the demo and the CLI.

The three drawers used to write the layout out each on its own; now they take it from
``pipelines.template_layout``, and these tests read each drawing back: the same rows, in the
same order, under the same labels, with the same merged cells.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from dashboard import report_tables
from pipelines import catalog, cli
from pipelines import template_layout as layout
from pipelines.demo import content
from pipelines.demo.simulate import Figures
from pipelines.pipeline import parse_file
from tests.helpers import SAMPLES


class _Cells(HTMLParser):
    """The rows of an HTML table as (tag, text, rowspan, colspan) tuples."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str, int, int]]] = []
        self._open: tuple[str, int, int] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            a = dict(attrs)
            self._open = (tag, int(a.get("rowspan") or 1), int(a.get("colspan") or 1))
            self._text = ""

    def handle_data(self, data: str) -> None:
        if self._open:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._open:
            kind, rowspan, colspan = self._open
            self.rows[-1].append((kind, self._text, rowspan, colspan))
            self._open = None


def _heads(rows: list[layout.Row]) -> list[list[tuple[str, int, int]]]:
    return [[(c.text, c.rowspan, c.colspan) for c in r if isinstance(c, layout.Head)] for r in rows]


@pytest.mark.parametrize(("edition", "subrows"), [("2019", False), ("2021", False), ("2021", True)])
def test_the_layout_is_the_template(edition: str, subrows: bool) -> None:
    rows = layout.requests_body(edition, subrows)
    labels = [[h.text for h in r if isinstance(h, layout.Head)][-1] for r in rows]
    # （六）其他处理 is one row (2019, and 2021 reports printing the old part 三), or a group
    # label over the 2021 template's three sub-rows
    assert ("（六）其他处理" in labels) == (not subrows)
    spans = {h.text: h.rowspan for r in rows for h in r if isinstance(h, layout.Head)}
    assert spans["（六）其他处理"] == (3 if subrows else 1)
    assert ("1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请" in labels) == subrows
    assert labels[0] == "一、本年新收政府信息公开申请数量"
    assert labels[-1] == "四、结转下年度继续办理"
    # 三、本年度办理结果 spans every result row; each row has a number per applicant
    results = next(h for r in rows for h in r if isinstance(h, layout.Head) and h.rowspan > 10)
    assert results.text == "三、本年度办理结果"
    assert results.rowspan == len(rows) - 3
    assert all(sum(isinstance(c, layout.Slot) for c in r) == 7 for r in rows)


@pytest.mark.parametrize(("edition", "subrows"), [("2019", False), ("2021", True)])
def test_the_dashboard_draws_the_layout(edition: str, subrows: bool) -> None:
    html = report_tables.requests_html(edition, subrows, {}, {})
    parser = _Cells()
    parser.feed(html)
    # every number cell is absent here ("—"): what is left is the header and label cells
    drawn = [[(t, rs, cs) for _, t, rs, cs in r if t != "—"] for r in parser.rows]
    expected = _heads([*layout.requests_header(), *layout.requests_body(edition, subrows)])
    assert drawn == expected
    review = _Cells()
    review.feed(report_tables.review_html({}, {}))
    assert [[c[1:] for c in r if c[0] == "th"] for r in review.rows] == _heads(layout.review_rows())


def test_the_demo_draws_the_layout() -> None:
    """The demo's grid is the layout with the labels in the template's own typography."""
    printed = catalog.request_rows("2019", False)
    figures = Figures(
        year=2020,
        edition="2019",
        other_subrows=False,
        requests={r.metric.key: list(range(7)) for r in printed},
        review=[0] * 15,
        active={},
    )
    style = content.Style(
        fullwidth=True,
        numeral_space=False,
        leaf_mark=".",
        leaf_space=False,
        partial_note="",
        quotes=("“", "”"),
        normative_label="行政规范性文件",
        blank="",
        plus_sign=False,
        active_split=False,
        blank_legal=False,
        title_form=0,
    )
    grid = content.requests_grid(figures, style)
    rows = [*layout.requests_header(), *layout.requests_body("2019", False)]
    heads = [[(c.text, c.rowspan, c.colspan) for c in r if not c.text.isdigit()] for r in grid.rows]
    assert heads == _heads(rows)
    assert [c.text for c in grid.rows[3] if c.text.isdigit()] == [str(i) for i in range(7)]


def test_the_command_line_prints_the_rows_in_template_order() -> None:
    report = parse_file(SAMPLES / "000_seed.txt")
    text = cli.render_text(report)
    part3 = text.split(layout.PART_HEADINGS[3])[1].split(layout.PART_HEADINGS[4])[0]
    printed = [re.sub(r"[\s\d—-]+$", "", line).strip() for line in part3.splitlines()[2:]]
    body = layout.requests_body(report.edition, False)
    expected: list[str] = []
    for row in body:
        for head in (c for c in row if isinstance(c, layout.Head)):
            expected.append(head.text)
    assert [p for p in printed if p] == expected
    # 属于三类内部事务信息: 1 from 自然人, 1 in total, as the seed prints it
    line = next(ln for ln in part3.splitlines() if "属于三类内部事务信息" in ln)
    assert line.split()[1:] == ["1", "0", "0", "0", "0", "0", "1"]
