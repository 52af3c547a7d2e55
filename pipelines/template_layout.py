"""The template's part 三 and part 四 tables as grids: header and label cells with their
spans, and the canonical address of every number cell.

Three things draw these tables — the demo's report files, the dashboard's 报告详情 and
``xxgk parse``'s text output — and a reader compares each with the published report row by
row, so all three take the layout from here: the three header rows over the seven applicant
columns, 三、本年度办理结果 spanning the result rows, a group label spanning its numbered
sub-rows, the 2019/2021 differences (``catalog.request_rows``). How a label is printed (a
report's bracket width, numbering marks, quote marks) is the drawer's: ``RequestLabels``.
The template's own wording is in docs/template.md §3.1 and §4.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipelines import catalog

# Template wording of header cells that are not metric labels.
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_HEAD = "申请人情况"
LEGAL_HEAD = "法人或其他组织"
CONTENT_HEAD = "信息内容"
PART_HEADINGS = {
    1: "一、总体情况",
    2: "二、" + catalog.TABLES["active"],
    3: "三、" + catalog.TABLES["requests"],
    4: "四、" + catalog.TABLES["review"],
    5: "五、存在的主要问题及改进情况",
    6: "六、其他需要报告的事项",
}


@dataclass(frozen=True, slots=True)
class Head:
    """A printed header or label cell."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True, slots=True)
class Slot:
    """A number cell: the canonical address of its fact (``metric@applicant`` or a key)."""

    address: str


Row = list[Head | Slot]


def template_group(group: str) -> str:
    g = catalog.GROUPS_BY_KEY[group]
    return f"（{g.numeral}）{g.label}"


def template_leaf(row: catalog.RequestRow) -> str:
    """``1.属于国家秘密``: the last step of the catalog path is the printed sub-row label."""
    return row.metric.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class RequestLabels:
    """How a drawer prints part 三's group and sub-row labels; the template's by default."""

    group: Callable[[str], str] = template_group
    leaf: Callable[[catalog.RequestRow], str] = template_leaf


def results_label() -> str:
    """三、本年度办理结果: the first step of a result row's path."""
    return catalog.REQUEST_ROWS_BY_KEY["outcome.granted"].metric.path.split("/")[0]


def requests_header() -> list[Row]:
    """The three header rows: the note over the label columns, 申请人情况 over the seven
    applicant columns, 法人或其他组织 over its five."""
    labels = [catalog.APPLICANT_LABELS[a] for a in catalog.APPLICANT_KEYS]
    legal = labels[1:-1]
    return [
        [Head(NOTE, rowspan=3, colspan=3), Head(APPLICANT_HEAD, colspan=len(labels))],
        [
            Head(labels[0], rowspan=2),
            Head(LEGAL_HEAD, colspan=len(legal)),
            Head(labels[-1], rowspan=2),
        ],
        [Head(t) for t in legal],
    ]


def requests_body(
    edition: str, other_has_subrows: bool | None, labels: RequestLabels = RequestLabels()
) -> list[Row]:
    """The rows under the header: three label columns (merged as the template merges them),
    then one number cell per applicant."""
    printed = catalog.request_rows(edition, other_has_subrows)
    results = [r for r in printed if r.group is not None]
    sizes: dict[str, int] = {}
    for r in results:
        sizes[r.group or ""] = sizes.get(r.group or "", 0) + 1
    started: set[str] = set()
    rows: list[Row] = []
    for r in printed:
        slots = [Slot(f"{r.metric.key}@{a}") for a in catalog.APPLICANT_KEYS]
        if r.group is None:
            rows.append([Head(r.metric.path, colspan=3), *slots])
            continue
        cells: list[Head | Slot] = []
        if not started:
            cells.append(Head(results_label(), rowspan=len(results)))
        if sizes[r.group] > 1:  # a numbered sub-row under its group label
            if r.group not in started:
                cells.append(Head(labels.group(r.group), rowspan=sizes[r.group]))
            cells.append(Head(labels.leaf(r)))
        else:
            cells.append(Head(labels.group(r.group), colspan=2))
        started.add(r.group)
        rows.append([*cells, *slots])
    return rows


def review_rows() -> list[Row]:
    """Part 四: 行政复议 and 行政诉讼 over their outcomes, the two kinds of litigation, then
    the one row of fifteen numbers."""
    review = catalog.REVIEW_GROUPS[0][1]
    litigation = catalog.REVIEW_GROUPS[1][1].split("·")[0]
    kinds = [label.split("·")[1] for _, label in catalog.REVIEW_GROUPS[1:]]
    outcomes = [label for _, label in catalog.REVIEW_OUTCOMES]
    n = len(outcomes)
    return [
        [Head(review, colspan=n), Head(litigation, colspan=n * len(kinds))],
        [Head(o, rowspan=2) for o in outcomes] + [Head(k, colspan=n) for k in kinds],
        [Head(o) for o in outcomes * len(kinds)],
        [Slot(k) for k in catalog.REVIEW_KEYS],
    ]
