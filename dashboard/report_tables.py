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
from pipelines import template_layout as layout

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
table.xxgk td.fixed {{ box-shadow: inset 0 -3px 0 #1565c0; }}
table.xxgk span.fixed-mark {{ color: #1565c0; font-size: 11px; margin-left: 3px; }}
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
    corrected: Mapping[str, str] | None = None,
) -> str:
    """A number cell; ``flagged`` maps a cell address to its flag (``flag_cells``);
    ``corrected`` a corrected cell to its note (old value, who, when, why)."""
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
        fixed = corrected is not None and address in corrected
        if blank:
            text = _e(raw) if raw.strip() and not fixed else "（空）"
            classes.append("blank")
            title = "原表此格为空白（按空值处理，不是 0）"
    if address in flagged:
        css, message = flagged[address]
        classes.append(css)
        title = message
    if corrected is not None and address in corrected:
        classes.append("fixed")
        text += '<span class="fixed-mark">已更正</span>'
        title = corrected[address] + (f"\n{title}" if title else "")
    tip = f' title="{_e(title)}"' if title else ""
    return f'<td class="{" ".join(classes)}" data-cell="{_e(address)}"{span}{tip}>{text}</td>'


def _column_head(label: str, column: str) -> str:
    """A printed column label, with its unit when the label does not say it and a reader
    could not guess it (the 2019 template's 采购总金额 is in 万元; a count is in 件)."""
    unit = catalog.ACTIVE_COLUMNS_BY_KEY[column].unit
    if unit == "万元" and unit not in label:
        return f"{label}（{unit}）"
    return label


def active_html(
    edition: str,
    cells: Mapping[str, Cell],
    flagged: Mapping[str, Flag],
    corrected: Mapping[str, str] | None = None,
) -> str:
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
            tds = "".join(
                _td(f"active.{row_key}.{c}", cells, flagged, corrected=corrected) for c in t.columns
            )
            rows.append(f'<tr><td class="label">{_e(label)}</td>{tds}</tr>')
        parts.append(
            f'<table class="xxgk"><tr><th>{layout.CONTENT_HEAD}</th>{head}</tr>'
            f"{''.join(rows)}</table>"
        )
    return "".join(parts)


def _table(
    rows: list[layout.Row],
    cells: Mapping[str, Cell],
    flagged: Mapping[str, Flag],
    corrected: Mapping[str, str] | None = None,
) -> str:
    """A template grid as HTML: headers as ``th`` in the header rows (before the first number),
    labels beside numbers as ``td``."""
    out = []
    numbers_started = False
    for row in rows:
        numbers_started = numbers_started or any(isinstance(c, layout.Slot) for c in row)
        tds = []
        for c in row:
            if isinstance(c, layout.Slot):
                tds.append(_td(c.address, cells, flagged, corrected=corrected))
                continue
            span = (f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "") + (
                f' colspan="{c.colspan}"' if c.colspan > 1 else ""
            )
            tag = '<td class="label"' if numbers_started else "<th"
            tds.append(f"{tag}{span}>{_e(c.text)}</{tag[1:3]}>")
        out.append(f"<tr>{''.join(tds)}</tr>")
    return f'{STYLE}<table class="xxgk">{"".join(out)}</table>'


def requests_html(
    edition: str,
    other_has_subrows: bool,
    cells: Mapping[str, Cell],
    flagged: Mapping[str, Flag],
    corrected: Mapping[str, str] | None = None,
) -> str:
    rows = [*layout.requests_header(), *layout.requests_body(edition, other_has_subrows)]
    return _table(rows, cells, flagged, corrected)


def review_html(
    cells: Mapping[str, Cell],
    flagged: Mapping[str, Flag],
    corrected: Mapping[str, str] | None = None,
) -> str:
    return _table(layout.review_rows(), cells, flagged, corrected)


def correction_notes(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """A corrected cell's tooltip: the value printed, who corrected it, when and why (plain
    text; ``_td`` escapes it with everything else)."""
    notes = {}
    for r in rows:
        old = r["old_value"] if r["old_value"] is not None else "空白"
        when = f"{r['at_utc']:%Y-%m-%d %H:%M} UTC" if r["at_utc"] is not None else ""
        notes[r["target"]] = f"已更正：原表为 {old}；{r['who']} 于 {when} 更正；理由：{r['reason']}"
    return notes
