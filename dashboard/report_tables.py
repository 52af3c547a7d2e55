"""One report's parts 二, 三 and 四 as HTML tables laid out as the national template lays them.

A reader checking a number against the published report should find it in the same row
and column, under the same merged headers; so the tables are drawn from the catalog's
template structure (``catalog.ACTIVE_TABLES``, ``catalog.request_rows``, the review groups)
rather than from whatever facts happen to exist. Cells named by an audit finding are
highlighted with the finding's message as a tooltip; a blank printed cell says so. Every
text in them is escaped: a raw cell and a finding's message come from the report file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from dashboard import colors, safe
from pipelines import catalog

# Template wording of header cells that are not metric labels (docs/template.md §3.1, §4).
NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
APPLICANT_HEAD = "申请人情况"
LEGAL_HEAD = "法人或其他组织"
CONTENT_HEAD = "信息内容"
REVIEW_HEAD, LITIGATION_HEAD = "行政复议", "行政诉讼"
LITIGATION_KINDS = ("未经复议直接起诉", "复议后起诉")

STYLE = f"""
<style>
table.xxgk {{ border-collapse: collapse; font-size: 13px; margin: 4px 0 14px 0; }}
table.xxgk th, table.xxgk td {{ border: 1px solid #b0bec5; padding: 3px 7px; }}
table.xxgk th {{ background: #eceff1; font-weight: 600; text-align: center; }}
table.xxgk td.num {{ text-align: right; font-variant-numeric: tabular-nums; min-width: 46px; }}
table.xxgk td.label {{ text-align: left; }}
table.xxgk td.blank {{ color: #90a4ae; font-style: italic; }}
table.xxgk td.absent {{ color: #cfd8dc; }}
table.xxgk td.bad {{ background: #fdecea; outline: 2px solid {colors.SEVERITY["error"]};
                     outline-offset: -2px; font-weight: 700; }}
table.xxgk td.involved {{ background: #fdecea; }}
table.xxgk td.warn {{ background: #fff8e1; outline: 2px solid {colors.SEVERITY["warning"]};
                      outline-offset: -2px; }}
p.xxgk-caption {{ font-weight: 600; margin: 8px 0 2px 0; }}
</style>
"""

Cell = tuple[float | None, bool, str]  # value, blank, raw
Flag = tuple[str, str]  # css class, tooltip


def flag_cells(findings: Iterable[Mapping[str, Any]]) -> dict[str, Flag]:
    """Which cells the findings name, and how strongly.

    An unbalanced sum names every cell in it, though usually one is wrong. So a cell named
    by two or more error findings (the seed's （七）总计 fails both H1 and H2), or by a
    finding on its own, is framed (``bad``); a cell that only takes part in one unbalanced
    sum is tinted (``involved``); warnings are framed in yellow (``warn``). Cells of other
    years' reports (cross-year rules: ``2020:metric``) are not in this table.
    """
    errors: dict[str, int] = {}
    alone: set[str] = set()
    warned: set[str] = set()
    notes: dict[str, list[str]] = {}
    for f in findings:
        cells = [c for c in f["cells"] if ":" not in c]
        for cell in cells:
            notes.setdefault(cell, []).append(f"{f['rule']}：{f['message']}")
            if f["severity"] == "error":
                errors[cell] = errors.get(cell, 0) + 1
                if len(cells) == 1:
                    alone.add(cell)
            else:
                warned.add(cell)
    out: dict[str, Flag] = {}
    for cell, messages in notes.items():
        if cell in errors:
            css = "bad" if errors[cell] >= 2 or cell in alone else "involved"
        else:
            css = "warn"
        out[cell] = (css, "\n".join(messages))
    return out


_e = safe.html


def _value(v: float | None) -> str:
    if v is None:
        return ""
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def _td(
    address: str,
    cells: Mapping[str, Cell],
    flagged: Mapping[str, Flag],
    colspan: int = 1,
) -> str:
    """A number cell; ``flagged`` maps a cell address to its flag (``flag_cells``)."""
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    classes = ["num"]
    title = ""
    if address not in cells:
        text = "—"
        classes.append("absent")
        title = "报告中没有此单元格"
    else:
        value, blank, raw = cells[address]
        text = _value(value)
        if blank:
            text = _e(raw) if raw.strip() else "（空）"
            classes.append("blank")
            title = "原表此格为空白（按空值处理，不是 0）"
    if address in flagged:
        css, message = flagged[address]
        classes.append(css)
        title = message
    tip = f' title="{_e(title)}"' if title else ""
    return f'<td class="{" ".join(classes)}" data-cell="{_e(address)}"{span}{tip}>{text}</td>'


def _column_head(label: str, column: str) -> str:
    """A printed column label, with its unit when the label does not say it and a reader
    could not guess it (the 2019 template's 采购总金额 is in 万元; a count is in 件)."""
    unit = catalog.ACTIVE_COLUMNS_BY_KEY[column].unit
    if unit == "万元" and unit not in label:
        return f"{label}（{unit}）"
    return label


def active_html(edition: str, cells: Mapping[str, Cell], flagged: Mapping[str, Flag]) -> str:
    parts = [STYLE]
    for t in catalog.ACTIVE_TABLES[edition]:
        parts.append(f'<p class="xxgk-caption">第二十条第（{_e(t.item)}）项</p>')
        head = "".join(
            f"<th>{_e(_column_head(label, column))}</th>"
            for label, column in zip(t.column_labels, t.columns, strict=True)
        )
        rows = []
        for row_key in t.rows:
            row = catalog.ACTIVE_ROWS_BY_KEY[row_key]
            label = row.variants[0] if edition == "2021" and row.variants else row.label
            tds = "".join(_td(f"active.{row_key}.{c}", cells, flagged) for c in t.columns)
            rows.append(f'<tr><td class="label">{_e(label)}</td>{tds}</tr>')
        parts.append(
            f'<table class="xxgk"><tr><th>{CONTENT_HEAD}</th>{head}</tr>{"".join(rows)}</table>'
        )
    return "".join(parts)


def _row_label(row: catalog.RequestRow) -> str:
    return row.metric.path.rsplit("/", 1)[-1]


def requests_html(
    edition: str,
    other_has_subrows: bool,
    cells: Mapping[str, Cell],
    flagged: Mapping[str, Flag],
) -> str:
    applicants = catalog.APPLICANT_KEYS
    legal = [a for a in applicants if a.startswith("legal.")]
    head = (
        f'<tr><th rowspan="3" colspan="3">{_e(NOTE)}</th>'
        f'<th colspan="{len(applicants)}">{APPLICANT_HEAD}</th></tr>'
        f'<tr><th rowspan="2">{_e(catalog.APPLICANT_LABELS["natural_person"])}</th>'
        f'<th colspan="{len(legal)}">{LEGAL_HEAD}</th>'
        f'<th rowspan="2">{_e(catalog.APPLICANT_LABELS["total"])}</th></tr>'
        "<tr>" + "".join(f"<th>{_e(catalog.APPLICANT_LABELS[a])}</th>" for a in legal) + "</tr>"
    )
    rows = catalog.request_rows(edition, other_has_subrows)
    results = [r for r in rows if r.group is not None]
    group_sizes: dict[str, int] = {}
    for r in results:
        group_sizes[r.group or ""] = group_sizes.get(r.group or "", 0) + 1
    body = []
    results_started = False
    seen_groups: set[str] = set()
    for r in rows:
        tds = "".join(_td(f"{r.metric.key}@{a}", cells, flagged) for a in applicants)
        if r.group is None:
            body.append(f'<tr><td class="label" colspan="3">{_e(_row_label(r))}</td>{tds}</tr>')
            continue
        lead = ""
        if not results_started:
            results_started = True
            lead = f'<td class="label" rowspan="{len(results)}">三、本年度办理结果</td>'
        group = catalog.GROUPS_BY_KEY[r.group]
        group_label = f"（{group.numeral}）{group.label}"
        if group_sizes[r.group] == 1:
            body.append(f'<tr>{lead}<td class="label" colspan="2">{_e(group_label)}</td>{tds}</tr>')
            continue
        if r.group not in seen_groups:
            seen_groups.add(r.group)
            lead += f'<td class="label" rowspan="{group_sizes[r.group]}">{_e(group_label)}</td>'
        body.append(f'<tr>{lead}<td class="label">{_e(_row_label(r))}</td>{tds}</tr>')
    return f'{STYLE}<table class="xxgk">{head}{"".join(body)}</table>'


def review_html(cells: Mapping[str, Cell], flagged: Mapping[str, Flag]) -> str:
    outcomes = [label for _, label in catalog.REVIEW_OUTCOMES]
    n = len(outcomes)
    head = (
        f'<tr><th colspan="{n}">{REVIEW_HEAD}</th><th colspan="{2 * n}">{LITIGATION_HEAD}</th></tr>'
        + "<tr>"
        + "".join(f'<th rowspan="2">{_e(o)}</th>' for o in outcomes)
        + "".join(f'<th colspan="{n}">{_e(k)}</th>' for k in LITIGATION_KINDS)
        + "</tr><tr>"
        + "".join(f"<th>{_e(o)}</th>" for o in outcomes * 2)
        + "</tr>"
    )
    row = "".join(_td(k, cells, flagged) for k in catalog.REVIEW_KEYS)
    return f'{STYLE}<table class="xxgk">{head}<tr>{row}</tr></table>'
