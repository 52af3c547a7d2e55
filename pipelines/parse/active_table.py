"""Part 二: the 主动公开 sub-tables, one per 第二十条第（N）项 caption.

Columns are mapped by their header labels and fall back on the edition's layout by
position when a header is truncated or lost (a ``<br>`` in a header cell, a page break that
eats the 信息内容 cell). Amounts are normalised to 万元 with the printed text kept.

Part 二 has almost no arithmetic to betray a lost number, so what the reader cannot place
is said aloud: a cell that is not a number, and a row the printed layout has but the report
lacks (each captioned sub-table is expected in the edition its own header shows, because
real reports mix the 2019 and 2021 layouts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines import catalog
from pipelines.parse.labels import (
    Value,
    fit_values,
    label_sides,
    normalize,
    numbers_only,
    split_label_values,
    strip_numbering,
    unreadable_reason,
)
from pipelines.parse.model import Fact
from pipelines.parse.sections import is_page_footer

# A unit in a (normalised) header cell: 本年收费金额（单位：万元）, 采购总金额（元）.
_HEADER_UNIT = re.compile(r"\((?:单位:?)?(万元|亿元|元)\)")
_CAPTION = re.compile(r"第二十条第\(?([一二三四五六七八九十]+)\)?项")


@dataclass(slots=True)
class ActiveTable:
    facts: list[Fact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    edition: str | None = None
    # Rows of sub-tables whose numbers could not be placed with certainty (not loaded; a
    # warning names them).
    refused: list[str] = field(default_factory=list)


@lru_cache(maxsize=4096)
def detect_edition(text: str) -> str | None:
    for edition, markers in catalog.EDITION_MARKERS.items():
        if any(normalize(m) in text for m in markers):
            return edition
    return None


@lru_cache(maxsize=4096)
def _column(label: str) -> str | None:
    text = normalize(label)
    for col in catalog.ACTIVE_COLUMNS:
        if normalize(col.label) == text:
            return col.key
    for col in catalog.ACTIVE_COLUMNS:
        if any(normalize(v) in text for v in col.variants):
            return col.key
    return None


@lru_cache(maxsize=4096)
def _row_key(label: str) -> str | None:
    text = strip_numbering(normalize(label))
    text = re.split(r"[(（]", text, maxsplit=1)[0] or text
    for row in catalog.ACTIVE_ROWS:
        if text in (row.label, *row.variants):
            return row.key
    for row in catalog.ACTIVE_ROWS:
        names = sorted((row.label, *row.variants), key=len, reverse=True)
        if any(text.startswith(n) or text.endswith(n) for n in names):
            return row.key
    return None


def _amount(v: Value, header_unit: str | None) -> tuple[float | int | None, str | None]:
    """Normalise an amount to 万元; returns (value, unit as printed or None if unknown)."""
    if v.number is None:
        return None, header_unit
    unit = v.unit or header_unit
    if unit == "元":
        return round(v.number / 10000, 6), "元"
    if unit == "亿元":
        return v.number * 10000, "亿元"
    return v.number, unit


def _caption(item: str | None) -> str:
    return f"第二十条第（{item}）项" if item else ""


def _column_label(edition: str, item: str | None, col: str) -> str:
    """The column's label as the edition prints it under that caption."""
    for table in catalog.ACTIVE_TABLES[edition]:
        if (item is None or table.item == item) and col in table.columns:
            return table.column_labels[table.columns.index(col)]
    return catalog.ACTIVE_COLUMNS_BY_KEY[col].label


def _layout_edition(item: str, columns: list[str] | None, edition: str) -> str:
    """The edition whose layout a captioned sub-table's header shows (its own, if mapped)."""
    if columns:
        for e in catalog.EDITIONS:
            table = catalog.active_table(e, item)
            if table is not None and set(table.columns) == set(columns):
                return e
    return edition


def missing_rows(
    edition: str, layouts: dict[str, str], rows_seen: set[str]
) -> list[tuple[str, str]]:
    """(item, row key) of every row the printed layout has and the report does not.

    A caption the report prints is expected in the layout its header shows; a caption it
    does not print at all, in the detected edition's layout.
    """
    out = []
    for table in catalog.ACTIVE_TABLES[edition]:
        layout = catalog.active_table(layouts.get(table.item, edition), table.item) or table
        out.extend((table.item, row) for row in layout.rows if row not in rows_seen)
    return out


@dataclass(slots=True)
class _Line:
    """A row of part 二 with a row label, numbers, or both, and the header in force there."""

    labels: list[str]
    values: list[Value]
    row_key: str | None
    item: str | None  # the caption above it (第二十条第（N）项)
    columns: list[str] | None
    header_unit: str | None
    header: bool = False  # a header row: it parts the lines around it (a page break)


def _scan(
    rows: list[list[str]], out: ActiveTable, edition: str
) -> tuple[list[_Line], dict[str, str]]:
    """Part 二's row lines in printed order, and the layout each caption's header shows."""
    lines: list[_Line] = []
    item: str | None = None
    columns: list[str] | None = None
    header_unit: str | None = None
    layouts: dict[str, str] = {}  # caption item -> the edition its header shows
    for cells in rows:
        if is_page_footer(cells):
            continue
        labels, values = split_label_values(cells)
        if not labels:
            values = numbers_only(cells)
            if not any(v.raw for v in values):
                continue
        text = normalize("".join(labels))
        if not text and not values:
            continue
        m = _CAPTION.search(text)
        if m:
            item, columns, header_unit = m.group(1), None, None
            layouts.setdefault(item, edition)
            continue
        has_numbers = any(not v.blank for v in values)
        if not has_numbers and ("信息内容" in text or any(_column(x) for x in labels)):
            mapped = [_column(x) for x in labels if "信息内容" not in normalize(x)]
            unit = _HEADER_UNIT.search(text)
            header_unit = unit.group(1) if unit else None
            if mapped and all(mapped) and len(set(mapped)) == len(mapped):
                columns = [c for c in mapped if c]
            else:
                columns = None  # truncated header: the layout decides by position
            if item is not None:
                layouts[item] = _layout_edition(item, columns, edition)
            lines.append(_Line(labels, [], None, item, columns, header_unit, header=True))
            continue
        if not labels:
            lines.append(_Line([], values, None, item, columns, header_unit))
            continue
        row_key = _row_key(labels[0]) or _row_key(text)
        if row_key is None:
            if values and (has_numbers or any(v.unreadable for v in values)):
                out.warnings.append(f"第二部分未能识别的行：“{' '.join(labels)}”")
            elif not values:  # a piece of a wrapped label, maybe
                lines.append(_Line(labels, [], None, item, columns, header_unit))
            continue
        lines.append(_Line(labels, values, row_key, item, columns, header_unit))
    return lines, layouts


def _place_block(
    block: list[_Line], layout: catalog.ActiveTable | None, caption: str
) -> tuple[list[tuple[str, _Line]], list[str], str | None]:
    """Which row each line of numbers of one captioned sub-table fills.

    Returns (row key, line) pairs to place, the rows refused, and the refusal's warning.
    A line whose own label names a row is placed by it. Lines of numbers without a label
    (printed apart from their labels) fill the rows of the sub-table's layout between the
    labelled rows, in order, when their counts agree and the labels confirm them: one line
    for the one row left, or every line with its row's label on the same side
    (``labels.label_sides``). Part 二 has no arithmetic to confirm anything else, so
    otherwise the sub-table is refused.
    """
    placed = [(ln.row_key, ln) for ln in block if ln.row_key is not None and ln.values]
    if layout is None:
        return placed, [], None
    # Numbers that cannot be a row of this sub-table (a page number beside a 3-column table)
    # are not a row printed apart from its label.
    block = [
        ln
        for ln in block
        if ln.row_key is not None
        or not ln.values
        or fit_values(ln.values, len(layout.columns)) is not None
    ]
    if not any(ln.row_key is None and ln.values for ln in block):
        return placed, [], None
    order = list(layout.rows)
    anchored = {key for key, _ in placed if key in order}
    slots_left = [r for r in order if r not in anchored]
    if not slots_left:
        return placed, [], None

    assigned: dict[int, str] = {}
    runs: list[list[int]] = []
    unplaced: list[str] = []  # rows whose count of lines disagrees
    guessed: list[str] = []  # rows only order could place
    last, waiting = -1, []

    def settle(lo: int, hi: int) -> None:
        slots = [order[j] for j in range(lo + 1, hi) if order[j] not in anchored]
        if not waiting or not slots:
            return
        if len(waiting) != len(slots):
            unplaced.extend(slots)
            return
        assigned.update(zip(waiting, slots, strict=True))
        runs.append(list(waiting))

    for p, ln in enumerate(block):
        if ln.row_key is None and ln.values:
            waiting.append(p)
        elif ln.values and ln.row_key in order:
            settle(last, order.index(ln.row_key))
            last, waiting = max(last, order.index(ln.row_key)), []
    settle(last, len(order))

    def is_label(q: int) -> bool:
        return 0 <= q < len(block) and not block[q].values and not block[q].header

    def joined(a: int, b: int) -> str | None:
        return _row_key("".join([*block[a].labels, *block[b].labels]))

    for run in runs:
        sides = [
            label_sides(p, assigned[p], is_label, lambda q: block[q].row_key, joined) for p in run
        ]
        if len(run) == 1 and (len(layout.columns) > 1 or sides[0]):
            # One line for the one row left between labelled rows. A lone number (a
            # one-column table) could as well be a page number: its label must be beside it.
            continue
        if not set.intersection(*sides):
            guessed += [assigned[p] for p in run]
    if unplaced or guessed:
        names = "".join(
            f"“{catalog.ACTIVE_ROWS_BY_KEY[r].label}”" for r in order if r in unplaced + guessed
        )
        why = (
            "数字行数与表格的行对不上"
            if unplaced
            else "标签不在数字的同一侧，只能按顺序猜测，第二部分又没有勾稽关系可以核对"
        )
        warning = f"第二部分{caption}的标签与数字分行印出，{why}，无法确定{names}的数字，该表未读取"
        return [], order, warning
    out = []
    for p, ln in enumerate(block):
        if ln.row_key is not None and ln.values:
            out.append((ln.row_key, ln))
        elif p in assigned:
            out.append((assigned[p], ln))
    return out, [], None


def parse_active(rows: list[list[str]], year: int | None) -> ActiveTable:
    out = ActiveTable()
    seen: set[str] = set()
    rows_seen: set[str] = set()  # row keys recognised, read or not

    # The edition shows in the headers; read it first so truncated headers can fall back.
    for cells in rows:
        edition = detect_edition(normalize("".join(cells)))
        if edition:
            out.edition = edition
            break
    edition = out.edition or ("2021" if (year or 0) >= 2021 else "2019")
    lines, layouts = _scan(rows, out, edition)

    def default_columns(row_key: str, item: str | None) -> list[str] | None:
        for table in catalog.ACTIVE_TABLES[edition]:
            if (item is None or table.item == item) and row_key in table.rows:
                return list(table.columns)
        return None

    def place(row_key: str, ln: _Line) -> None:
        item, labels, values = ln.item, ln.labels, ln.values
        label = labels[0] if labels else catalog.ACTIVE_ROWS_BY_KEY[row_key].label
        rows_seen.add(row_key)
        cols = ln.columns
        if cols is None or not all(f"active.{row_key}.{c}" in catalog.METRICS_BY_KEY for c in cols):
            cols = default_columns(row_key, item)
        if cols is None:
            out.warnings.append(f"第二部分“{label}”不属于{edition}版模板的表格")
            return
        fitted = fit_values(values, len(cols))
        if fitted is None:
            out.warnings.append(
                f"第二部分“{label}”一行有{len(values)}个值，应为{len(cols)}个，未读取"
            )
            return
        for col, v in zip(cols, fitted, strict=True):
            metric = f"active.{row_key}.{col}"
            if metric in seen:
                continue
            seen.add(metric)
            if v.unreadable:
                column = _column_label(edition, item, col)
                where = f"第二部分{_caption(item)}“{label}”一行“{column}”列"
                out.warnings.append(f"{where}一格{unreadable_reason(v.raw)}")
            if col == "amount_wan":
                number, unit = _amount(v, ln.header_unit)
                if unit is None and number:
                    out.warnings.append(f"第二部分“{label}”金额{v.raw}未注明单位，按万元读取")
                # The value is in 万元 now; the printed text keeps the unit it was read in.
                raw = v.raw if v.unit or not unit else f"{v.raw}（{unit}）"
                out.facts.append(Fact("active", metric, None, number, raw, "万元", v.origin))
            else:
                out.facts.append(Fact("active", metric, None, v.number, v.raw, v.unit, v.origin))

    # Each captioned sub-table is placed on its own: a refusal costs only that table.
    blocks: list[list[_Line]] = []
    for ln in lines:
        if not blocks or blocks[-1][0].item != ln.item:
            blocks.append([])
        blocks[-1].append(ln)
    for block in blocks:
        item = block[0].item
        layout = None
        if item is not None:
            layout = catalog.active_table(layouts.get(item, edition), item)
        placements, refused, warning = _place_block(block, layout, _caption(item))
        for row_key, ln in placements:
            place(row_key, ln)
        if warning is not None:
            out.warnings.append(warning)
            out.refused.extend(refused)
            rows_seen.update(refused)
    if out.facts or out.refused:
        for table_item, row in missing_rows(edition, layouts, rows_seen):
            label = catalog.ACTIVE_ROWS_BY_KEY[row].label
            out.warnings.append(f"第二部分缺少“{label}”一行（{_caption(table_item)}）")
    return out
