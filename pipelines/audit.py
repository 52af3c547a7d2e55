"""The report's own arithmetic (勾稽关系, ``docs/template.md`` §7) as findings.

A report that contradicts itself is kept exactly as published; these findings are what
tell the reader. Every rule's id, severity and title live in ``catalog.RULES``; a finding
is built by ``_finding``, which takes the severity from there, so a rule cannot be
``error`` in one place and ``warning`` in another, and an id outside the catalog cannot be
emitted. Rule ids are the spec's: H1–H5 for broken identities (severity ``error``), P1–P3
and S4 for what merely looks wrong (``warning``; S1–S3 need two years and run in the
warehouse, ``pipelines.warehouse.derived``), plus X1 for a count stated in the prose that
the table contradicts. Blank component cells count as 0 (P3); a blank total whose
components are not all zero is reported as a missing total, not as a mismatch.

The rest are xxgk's own, not the template's. Part 二 has no identity of its own, so they
add what plain logic guarantees inside one report (A1–A3: an item count cannot fall below
zero, documents issued and not repealed are still in force, money is not spent on no
projects), magnitudes no organ can have (R1 implausible, R2 not even storable; the limits
live in ``catalog.PLAUSIBLE_MAX``), X2 for a part 二 figure the prose states otherwise, and
B1/B2 for a 总计 or a part 四 group left blank where the arithmetic, reading blanks as 0,
cannot see a lost cell. Severity follows the spec's line: ``error`` for what cannot be
true, ``warning`` for what only looks wrong.
"""

from __future__ import annotations

from pipelines import catalog
from pipelines.catalog import APPLICANT_KEYS, APPLICANT_LABELS, LEGAL_APPLICANTS
from pipelines.parse.labels import too_long_number
from pipelines.parse.model import Fact, Finding, Number, Report

_RESULT_ROWS = ("outcome.granted", "outcome.partial")
_OTHER_SUBROWS = tuple(
    r.metric.key for r in catalog.REQUEST_ROWS if r.group == "other" and r.keywords
)
# The titles by rule id, for readers that knew them here (the rules live in catalog.RULES).
RULE_TITLES: dict[str, str] = {r.id: r.title for r in catalog.RULES}
# The part 二 rows whose 2019 item counts (上一年项目数量, 本年增/减) A1 checks.
_ITEM_ROWS = tuple(
    row for t in catalog.ACTIVE_TABLES["2019"] if "net_change" in t.columns for row in t.rows
)
# What a prose figure is compared with: 制发 is the 2019 edition's 本年新制作数量 too.
_STATED_COLUMNS = {
    "issued": ("issued", "new_made"),
    "repealed": ("repealed",),
    "in_force": ("in_force",),
}


def _finding(
    rule: str,
    message: str,
    expected: Number | None = None,
    actual: Number | None = None,
    cells: tuple[str, ...] = (),
) -> Finding:
    """A finding of one of this module's rules, with the severity the catalog gives it."""
    spec = catalog.RULES_BY_ID[rule]
    assert spec.scope == "report", rule  # the cross-year rules run in the warehouse
    return Finding(rule, spec.severity, message, expected, actual, cells)


def _leaves(group: str) -> tuple[str, ...]:
    return tuple(r.metric.key for r in catalog.REQUEST_ROWS if r.group == group and r.keywords)


def _fmt(n: Number) -> str:
    return f"{n:g}" if isinstance(n, float) else str(n)


class _Cells:
    """Facts by (metric, applicant): tuple keys, so no address string is built per lookup."""

    def __init__(self, facts: list[Fact]) -> None:
        self.by_cell = {(f.metric, f.applicant): f for f in facts}
        # A row's blank 总计 whose parts are not all zero is a missing number, not a zero: the
        # column checks read it as the sum of its parts, and P3 reports it once (§7.3).
        self.imputed: dict[tuple[str, str | None], Number] = {}
        for (metric, applicant), f in self.by_cell.items():
            if applicant == "total" and f.value is None:
                parts = [self.by_cell.get((metric, a)) for a in APPLICANT_KEYS[:-1]]
                total = sum(p.value for p in parts if p is not None and p.value is not None)
                if total:
                    self.imputed[(metric, applicant)] = total

    def has(self, metric: str, applicant: str | None = None) -> bool:
        return (metric, applicant) in self.by_cell

    def get(self, metric: str, applicant: str | None = None) -> Fact | None:
        return self.by_cell.get((metric, applicant))

    def num(self, metric: str, applicant: str | None = None) -> Number:
        f = self.get(metric, applicant)
        if f is None:
            return 0
        if f.value is None:
            return self.imputed.get((metric, applicant), 0)
        return f.value


def _check_sum(
    out: list[Finding],
    cells: _Cells,
    rule: str,
    total: tuple[str, str | None],
    parts: list[tuple[str, str | None]],
    message: str,
) -> None:
    """One identity ``total == sum(parts)``; a blank total is P3, not a mismatch."""
    by_cell = cells.by_cell
    total_fact = by_cell.get(total)
    if total_fact is None:
        return
    expected: Number = 0
    for p in parts:
        fact = by_cell.get(p)
        if fact is None:
            return  # a missing row is reported by the parser, not here
        if fact.value is not None:
            expected += fact.value
        else:
            expected += cells.imputed.get(p, 0)
    if total_fact.value is None:
        if expected != 0:
            names = tuple(_address(m, a) for m, a in (total, *parts))
            text = f"{message}：总计一格为空，而其组成部分之和为{_fmt(expected)}"
            out.append(_finding("P3", text, expected, None, names))
        return
    actual = total_fact.value
    if abs(actual - expected) > 1e-9:
        names = tuple(_address(m, a) for m, a in (total, *parts))
        text = f"{message}：组成部分之和为{_fmt(expected)}，但填报的总计为{_fmt(actual)}"
        out.append(_finding(rule, text, expected, actual, names))


def _address(metric: str, applicant: str | None) -> str:
    return f"{metric}@{applicant}" if applicant else metric


def audit_report(report: Report) -> list[Finding]:
    out: list[Finding] = []
    cells = _Cells([*report.facts, *report.subtotals])
    other_rows = (
        _OTHER_SUBROWS
        if any(cells.has(k, "total") for k in _OTHER_SUBROWS)
        else ("outcome.other.total",)
    )
    leaves = (
        *_RESULT_ROWS,
        *_leaves("denied"),
        *_leaves("unavailable"),
        *_leaves("not_processed"),
        *other_rows,
    )
    for c in APPLICANT_KEYS:
        col = APPLICANT_LABELS[c]
        # H1: 一 + 二 = 三(七) + 四, for every column.
        h1 = (
            "requests.new_received",
            "requests.carried_over",
            "outcome.total",
            "requests.carried_forward",
        )
        if all(cells.has(k, c) for k in h1):
            closed = cells.get("outcome.total", c)
            if closed is not None and (
                closed.value is not None or ("outcome.total", c) in cells.imputed
            ):
                lhs = cells.num(h1[0], c) + cells.num(h1[1], c)
                rhs = cells.num(h1[2], c) + cells.num(h1[3], c)
                if lhs != rhs:
                    out.append(
                        _finding(
                            "H1",
                            f"第三部分“{col}”列：本年新收与上年结转之和为{_fmt(lhs)}，"
                            f"但办理结果总计与结转下年度之和为{_fmt(rhs)}",
                            lhs,
                            rhs,
                            tuple(f"{k}@{c}" for k in h1),
                        )
                    )
        # H2: the results add up to （七）总计.
        _check_sum(
            out,
            cells,
            "H2",
            ("outcome.total", c),
            [(k, c) for k in leaves],
            f"第三部分“{col}”列办理结果",
        )
        # H4: printed group subtotals.
        for sub in report.subtotals:
            if sub.applicant != c:
                continue
            group = sub.metric.split(".")[1]
            sub_cells = _Cells([*report.facts, sub])
            _check_sum(
                out,
                sub_cells,
                "H4",
                (sub.metric, c),
                [(k, c) for k in _leaves(group)],
                f"第三部分“{catalog.METRICS_BY_KEY[sub.metric].label}”小计“{col}”列",
            )
    # H3: every row's 总计 column is the sum of its applicant columns.
    metrics = dict.fromkeys(f.metric for f in report.facts if f.table == "requests")
    for metric in metrics:
        label = catalog.METRICS_BY_KEY[metric].label
        _check_sum(
            out,
            cells,
            "H3",
            (metric, "total"),
            [(metric, a) for a in APPLICANT_KEYS if a != "total"],
            f"第三部分“{label}”行",
        )
        if cells.has(metric, "legal.subtotal"):
            _check_sum(
                out,
                cells,
                "H4",
                (metric, "legal.subtotal"),
                [(metric, a) for a in LEGAL_APPLICANTS],
                f"第三部分“{label}”行法人或其他组织小计",
            )
    # H5: review and litigation totals.
    for group, glabel in catalog.REVIEW_GROUPS:
        _check_sum(
            out,
            cells,
            "H5",
            (f"{group}.total", None),
            [(f"{group}.{o}", None) for o, _ in catalog.REVIEW_OUTCOMES if o != "total"],
            f"第四部分“{glabel}”",
        )
    out.extend(_blank_totals(cells, metrics))
    out.extend(_blank_review(cells))
    out.extend(_plausibility(report, cells))
    out.extend(_active_logic(cells))
    out.extend(_magnitudes(report))
    out.extend(_stated_figures(report, cells))
    return out


_REVIEW_PARTS = {
    g: tuple(f"{g}.{o}" for o, _ in catalog.REVIEW_OUTCOMES) for g, _ in catalog.REVIEW_GROUPS
}


def _blank_totals(cells: _Cells, metrics: dict[str, None]) -> list[Finding]:
    """B1: a blank 总计 beside printed parts that are all 0 (P3 takes the non-zero case).

    The arithmetic reads a blank as 0, so such a row adds up; but the template prints every
    总计, and a 总计 that went missing while its row printed numbers is how a dropped or
    shifted cell shows (the cells after it move left, the last one is left empty).
    """
    out: list[Finding] = []
    by_cell = cells.by_cell
    rows = [((m, "total"), [(m, a) for a in APPLICANT_KEYS[:-1]]) for m in metrics]
    rows += [((keys[-1], None), [(k, None) for k in keys[:-1]]) for keys in _REVIEW_PARTS.values()]
    for total, parts in rows:
        fact = by_cell.get(total)
        if fact is None or fact.value is not None or fact.unreadable:
            continue
        printed = [f for p in parts if (f := by_cell.get(p)) is not None and f.value is not None]
        if printed and not any(f.value for f in printed):
            metric = total[0]
            if total[1] == "total":
                where = f"第三部分“{catalog.METRICS_BY_KEY[metric].label}”行"
            else:
                where = f"第四部分“{dict(catalog.REVIEW_GROUPS)[metric.rsplit('.', 1)[0]]}”"
            out.append(
                _finding(
                    "B1",
                    f"{where}：总计一格空白，而同行其他格填有数字（均为0），总计应填0",
                    0,
                    None,
                    (_address(*total), *(f.cell for f in printed)),
                )
            )
    return out


def _blank_review(cells: _Cells) -> list[Finding]:
    """B2: a report with no case prints 0s in part 四; a group of five cells left blank is
    a statistic not reported (or a row cut short, which the readers pad blank)."""
    blank = [
        g
        for g, keys in _REVIEW_PARTS.items()
        if all(
            (f := cells.by_cell.get((k, None))) is not None and f.value is None and not f.unreadable
            for k in keys
        )
    ]
    if len(blank) == len(_REVIEW_PARTS):
        text = "第四部分行政复议、行政诉讼的15格全部空白，未填报任何数字（没有案件应填0）"
        return [_finding("B2", text, None, None, catalog.REVIEW_KEYS)]
    labels = dict(catalog.REVIEW_GROUPS)
    return [
        _finding(
            "B2",
            f"第四部分“{labels[g]}”的5格全部空白，未填报（没有案件应填0）",
            None,
            None,
            _REVIEW_PARTS[g],
        )
        for g in blank
    ]


def _cell_label(f: Fact) -> str:
    label = catalog.METRICS_BY_KEY[f.metric].label
    return label + (f"（{APPLICANT_LABELS[f.applicant]}）" if f.applicant else "")


def _magnitudes(report: Report) -> list[Finding]:
    """R1: beyond what any organ prints (``catalog.PLAUSIBLE_MAX``); R2: a number with more
    digits than a DOUBLE keeps, which the parser refused to round and left unread."""
    out: list[Finding] = []
    limits = catalog.PLAUSIBLE_MAX_BY_METRIC
    for f in report.facts:
        limit = limits.get(f.metric)
        if limit is None:
            continue
        if f.value is None:
            if f.raw and too_long_number(f.raw):
                out.append(
                    _finding(
                        "R2",
                        f"“{_cell_label(f)}”填报为{f.raw}，超过{catalog.MAX_EXACT_DIGITS}位"
                        "有效数字，不可能是真实数字，也无法精确保存，未读取",
                        None,
                        None,
                        (f.cell,),
                    )
                )
            continue
        if abs(f.value) > limit:
            out.append(
                _finding(
                    "R1",
                    f"“{_cell_label(f)}”填报为{f.raw or _fmt(f.value)}，超出同类数字的合理范围"
                    f"（不超过{limit:,}），请核对单位或是否多填了数字",
                    limit,
                    f.value,
                    (f.cell,),
                )
            )
    return out


def _values(cells: _Cells, *metrics: str) -> list[Number] | None:
    """The printed values of the bare (part 二) cells, or None if any is absent or blank."""
    out = []
    for metric in metrics:
        f = cells.get(metric)
        if f is None or f.value is None:
            return None
        out.append(f.value)
    return out


def _active_logic(cells: _Cells) -> list[Finding]:
    """A1–A3: what one report's part 二 cells cannot say at once."""
    out: list[Finding] = []
    # A1 (2019 edition): 本年增/减 is the change from 上一年项目数量, so their sum is this
    # year's item count, which cannot be negative (the same sum S3 carries across years).
    for row in _ITEM_ROWS:
        keys = (f"active.{row}.prev_items", f"active.{row}.net_change")
        got = _values(cells, *keys)
        if got is not None and got[0] + got[1] < 0:
            label = catalog.ACTIVE_ROWS_BY_KEY[row].label
            out.append(
                _finding(
                    "A1",
                    f"“{label}”上一年项目数量为{_fmt(got[0])}，本年增/减为{_fmt(got[1])}，"
                    f"本年项目数量将为{_fmt(got[0] + got[1])}，不能为负",
                    0,
                    got[0] + got[1],
                    keys,
                )
            )
    # A2 (2021 edition): S2 says 现行有效 = last year's 现行有效 + 制发 − 废止, and last
    # year's stock is not negative, so 制发 − 废止 ≤ 现行有效 (a warning, as S2 is: a
    # document that lapses without being repealed breaks it).
    for row in ("rules", "normative_docs"):
        keys = (f"active.{row}.issued", f"active.{row}.repealed", f"active.{row}.in_force")
        got = _values(cells, *keys)
        if got is not None and got[0] - got[1] > got[2]:
            label = catalog.ACTIVE_ROWS_BY_KEY[row].label
            out.append(
                _finding(
                    "A2",
                    f"“{label}”本年制发{_fmt(got[0])}件、废止{_fmt(got[1])}件，"
                    f"现行有效件数却只有{_fmt(got[2])}件（至少应为{_fmt(got[0] - got[1])}件）",
                    got[0] - got[1],
                    got[2],
                    keys,
                )
            )
    # A3 (2019 edition): 采购总金额 is spent on the 采购项目; none, no money.
    keys = ("active.procurement.projects", "active.procurement.amount_wan")
    got = _values(cells, *keys)
    if got is not None and got[0] == 0 and got[1] > 0:
        out.append(
            _finding(
                "A3",
                f"“政府集中采购”采购项目数量为0，采购总金额却为{_fmt(got[1])}万元",
                0,
                got[1],
                keys,
            )
        )
    return out


def _stated_figures(report: Report, cells: _Cells) -> list[Finding]:
    """X2: a part 二 figure part 一 states that the table contradicts (like X1, xxgk's own
    check; only when no stated figure for that cell matches, since prose gives sub-counts)."""
    out: list[Finding] = []
    by_metric: dict[str, list] = {}
    for s in report.stated_figures:
        by_metric.setdefault(s.metric, []).append(s)
    for metric, stated in by_metric.items():
        _, row, column = metric.split(".")
        for col in _STATED_COLUMNS[column]:
            fact = cells.get(f"active.{row}.{col}")
            if fact is None:
                continue
            if fact.value is not None and all(s.value != fact.value for s in stated):
                s = stated[0]
                label = catalog.METRICS_BY_KEY[fact.metric].label
                out.append(
                    _finding(
                        "X2",
                        f"正文称{label}为{s.value}件（“{s.sentence}”），但第二部分表格填报为"
                        f"{_fmt(fact.value)}件",
                        s.value,
                        fact.value,
                        (fact.metric,),
                    )
                )
            break
    return out


def _plausibility(report: Report, cells: _Cells) -> list[Finding]:
    out: list[Finding] = []
    for f in report.facts:
        if f.value is None:
            continue
        metric = catalog.METRICS_BY_KEY.get(f.metric)
        if metric is None:
            continue
        if metric.unit == "万元":
            if f.value < 0:
                label = metric.label
                out.append(
                    _finding("P2", f"“{label}”金额为负数：{f.raw}", None, f.value, (f.cell,))
                )
            continue
        if metric.signed:
            if isinstance(f.value, float):
                label = metric.label
                out.append(_finding("P1", f"“{label}”应为整数：{f.raw}", None, f.value, (f.cell,)))
            continue
        if f.value < 0 or isinstance(f.value, float):
            label = metric.label + (f"（{APPLICANT_LABELS[f.applicant]}）" if f.applicant else "")
            out.append(
                _finding(
                    "P1",
                    f"“{label}”应为非负整数，填报为{f.raw}",
                    None,
                    f.value,
                    (f.cell,),
                )
            )
    for row in ("rules", "normative_docs"):
        new, total = f"active.{row}.new_published", f"active.{row}.total_published"
        if cells.has(new) and cells.has(total):
            n, t = cells.get(new), cells.get(total)
            if n and t and n.value is not None and t.value is not None and n.value > t.value:
                label = catalog.ACTIVE_ROWS_BY_KEY[row].label
                out.append(
                    _finding(
                        "S4",
                        f"“{label}”本年新公开数量（{_fmt(n.value)}）大于对外公开总数量"
                        f"（{_fmt(t.value)}）",
                        t.value,
                        n.value,
                        (new, total),
                    )
                )
    stated = [p for p in report.prose_counts if p.channel == "requests_received"]
    table = cells.get("requests.new_received", "total")
    if stated and table is not None and table.value is not None:
        # Only when no stated count matches: prose may also give a sub-count (by channel).
        p = stated[0]
        if all(q.value != table.value for q in stated):
            out.append(
                _finding(
                    "X1",
                    f"正文称收到申请{p.value}件（“{p.sentence}”），但第三部分表格本年新收申请"
                    f"总计为{_fmt(table.value)}件",
                    p.value,
                    table.value,
                    ("requests.new_received@total",),
                )
            )
    return out
