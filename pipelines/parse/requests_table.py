"""Part 三: the 收到和处理政府信息公开申请情况 matrix, read row by row by label.

The rows arrive as a stream, so a table split by page breaks or cut by footers is read as
one. Each row's label cells are matched against the catalog: leaf keywords first (they are
unique), then the four numbered top rows, then the lettered groups. A group label alone sets
the context for the sub-rows after it. Fragments of a label split by a page break are
recognised as such.

When every line of numbers carries its own label, each row is placed by its label. When
some do not (a PDF converter printed a value row before or after its label, or wrapped a
label around it), the numbers are placed by the template's order of rows, anchored on the
lines whose labels are readable; the placement is kept only when the counts agree and,
for rows no label confirms, the table's own arithmetic (H1–H3) holds with it. Otherwise the
table is refused with a warning: every column still sums when rows slide by one, so a
shifted table would otherwise load silently.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines import catalog
from pipelines.catalog import REQUEST_GROUPS, REQUEST_ROWS, REQUEST_ROWS_BY_KEY, RequestRow
from pipelines.parse.labels import (
    Value,
    alignments,
    label_sides,
    normalize,
    numbers_only,
    split_label_values,
    strip_numbering,
    unreadable_reason,
)
from pipelines.parse.model import Fact
from pipelines.parse.sections import is_page_footer

_LEAVES = tuple(r for r in REQUEST_ROWS if r.group is not None and r.keywords)
_TOP = tuple(r for r in REQUEST_ROWS if r.group is None)
_OWN = {r.group: r for r in REQUEST_ROWS if r.group is not None and not r.keywords}
_GROUP_ORDER = ("partial", "denied", "granted", "unavailable", "not_processed", "other", "total")
_GROUPS = {g.key: g for g in REQUEST_GROUPS}

# Every official label and note of part 三, normalised: a text that is a piece of one of
# these is debris of a label split by a page break, not an unknown row.
_OFFICIAL_TEXT = normalize(
    "".join(r.metric.path for r in REQUEST_ROWS)
    + "部分公开（区分处理的，只计这一情形，不计其他情形）只记这一情形"
    + "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    + "".join(a.label for a in catalog.APPLICANTS)
    + "申请人情况法人或其他组织"
)


@dataclass(slots=True)
class RequestsTable:
    facts: list[Fact] = field(default_factory=list)
    subtotals: list[Fact] = field(default_factory=list)  # printed group subtotals (H4)
    warnings: list[str] = field(default_factory=list)
    other_has_subrows: bool | None = None
    has_subtotal_column: bool = False
    seen: set[str] = field(default_factory=set)
    # Found, but its numbers could not be placed with certainty: no cell is loaded, and a
    # warning names the rows that could not be placed.
    refused: bool = False

    @property
    def found(self) -> bool:
        return bool(self.seen) or self.refused


@dataclass(frozen=True, slots=True)
class _Match:
    kind: str  # "row" | "group" | "results" | "subtotal"
    row: RequestRow | None = None
    group: str | None = None


def _is_header(text: str, values: list[Value]) -> bool:
    hits = sum(1 for w in catalog.APPLICANT_HEADER_WORDS if w in text)
    if "勾稽" in text:
        return True
    return hits >= 2 or (hits >= 1 and not any(not v.blank for v in values))


def _leaf(parts: list[str], combined: str, context: str | None) -> RequestRow | None:
    candidates: list[tuple[int, int, RequestRow]] = []
    for row in _LEAVES:
        if row.exact:
            stripped = [strip_numbering(p) for p in parts]
            in_other = context == row.group or "其他处理" in combined
            if in_other and any(s in row.keywords for s in stripped):
                candidates.append((0, 1, row))
            continue
        for kw in row.keywords:
            if kw in combined:
                candidates.append((1 if row.group == context else 0, len(kw), row))
                break
    if not candidates:
        return None
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    return candidates[0][2]


def _group(parts: list[str]) -> str | None:
    for part in parts:
        label = strip_numbering(part)
        for key in _GROUP_ORDER:
            if any(label.startswith(k) for k in _GROUPS[key].keywords):
                return key
    combined = "".join(strip_numbering(p) for p in parts)
    for key in _GROUP_ORDER:
        if any(k in combined for k in _GROUPS[key].keywords):
            return key
    return None


def _fuzzy(combined: str) -> RequestRow | None:
    label = strip_numbering(combined)
    if len(label) < 4:
        return None
    best, best_score = None, 0.0
    for row in (*_LEAVES, *_TOP):
        target = normalize(row.metric.label)
        score = difflib.SequenceMatcher(None, label, target).ratio()
        if score > best_score:
            best, best_score = row, score
    return best if best_score >= 0.75 else None


def classify(labels: list[str], context: str | None) -> _Match | None:
    """What a row's label cells name, given the group the rows above opened."""
    return _classify(tuple(labels), context)


@lru_cache(maxsize=1 << 14)
def _classify(labels: tuple[str, ...], context: str | None) -> _Match | None:
    # Cached: every report repeats the template's few dozen labels.
    parts = [normalize(x) for x in labels if x.strip()]
    combined = "".join(parts)
    if not combined:
        return None
    for row in _TOP:
        if any(kw in combined for kw in row.keywords):
            return _Match("row", row=row)
    leaf = _leaf(parts, combined, context)
    if leaf is not None:
        return _Match("row", row=leaf)
    # A bare 小计/合计 under an open group is that group's subtotal; only （七）合计 is the total.
    if (
        any(strip_numbering(p) in ("小计", "合计") for p in parts)
        and not any(p.startswith("(七)") for p in parts)
        and context in catalog.DERIVED_GROUP_TOTALS
    ):
        return _Match("subtotal", group=context)
    group = _group(parts)
    if group is not None:
        return _Match("group", group=group)
    if any(w in combined for w in catalog.RESULTS_BLOCK_WORDS):
        return _Match("results")
    fuzzy = _fuzzy(combined)
    if fuzzy is not None:
        return _Match("row", row=fuzzy)
    return None


def _is_debris(labels: list[str]) -> bool:
    text = normalize("".join(labels))
    return bool(text) and (text in _OFFICIAL_TEXT or strip_numbering(text) in _OFFICIAL_TEXT)


def balance_score(values: list[Value]) -> float:
    """How well a part 三 row adds up: 2 when 总计 is the sum of the six columns, 1 when the
    总计 is blank (nothing to check), 0 when it contradicts them. Used only to decide which
    end of an ambiguous row a padding cell came from."""
    total = values[-1].number
    if total is None:
        return 1
    parts = sum(v.number for v in values[:6] if v.number is not None)
    return 2 if abs(parts - total) < 1e-9 else 0


# --- the lines of the table, in printed order ---------------------------------------------------


@dataclass(slots=True)
class _Line:
    """A row of part 三 that carries numbers or names a template row, as printed.

    ``values`` is empty for a label alone on its line. ``match`` is what the line's labels
    name; None when they name nothing (no label, debris of a split label, unreadable text,
    the 三、本年度办理结果 block label). ``width`` and ``columns`` are the layout in force
    where the line stands: a 小计 column in the header makes the rows eight wide.
    """

    labels: list[str]
    values: list[Value]
    match: _Match | None
    width: int
    columns: tuple[str, ...]
    unknown: bool = False  # its labels are text the reader cannot place (not debris)
    context: str | None = None  # the group open above it, for reading joined fragments


def _subtotal_columns(header: str) -> tuple[str, ...]:
    """Where a report's own 小计 column sits among the legal-person columns, as printed."""
    words = [(header.find(a.label), a.key) for a in catalog.APPLICANTS[1:6]]
    words.append((header.find("小计"), catalog.SUBTOTAL_APPLICANT.key))
    legal = [key for pos, key in sorted(words) if pos >= 0]
    if len(legal) != 6:  # the legal columns are not all named: assume after 其他
        legal = [*catalog.LEGAL_APPLICANTS, catalog.SUBTOTAL_APPLICANT.key]
    return ("natural_person", *legal, "total")


def _has_own_cells(match: _Match) -> bool:
    """The match names a row that prints numbers of its own (a leaf, a top row, or the
    groups （一）（二）（七）, and （六） in the 2019 layout), so a row of blank cells under it
    is that row printed blank."""
    if match.kind == "row":
        return True
    return match.kind == "group" and match.group in _OWN


def _next_context(match: _Match, context: str | None) -> str | None:
    if match.kind == "row":
        assert match.row is not None
        return match.row.group if match.row.group is not None else context
    return match.group


def _scan(rows: list[list[str]], out: RequestsTable) -> list[_Line]:
    """The table's lines in printed order, each with what its labels name.

    Nothing is placed here: whether a line's numbers belong to its own label or must be
    placed by the template's order is decided once the whole table has been seen.
    """
    lines: list[_Line] = []
    context: str | None = None
    width = 7
    columns: tuple[str, ...] = catalog.APPLICANT_KEYS
    for cells in rows:
        if is_page_footer(cells):
            continue
        labels, values = split_label_values(cells)
        if not labels:
            values = numbers_only(cells)
        text = normalize("".join(labels))
        if not labels and not any(v.raw for v in values):
            continue
        if _is_header(text, values):
            if "小计" in text:
                out.has_subtotal_column = True
                width = 8
                columns = _subtotal_columns(text)
            continue
        has_numbers = any(v.raw for v in values)
        match = classify(labels, context) if labels else None
        if match is not None and match.kind == "results":
            if not has_numbers:
                # 三、本年度办理结果 names the block: context, or the head of a wrapped label.
                lines.append(_Line(labels, [], None, width, columns, context=context))
                continue
            match = None
        if has_numbers or (match is not None and _has_own_cells(match) and len(values) >= width):
            # Numbers, or a row printed with every cell blank: nulls, never a lost row.
            unknown = match is None and bool(labels) and not _is_debris(labels)
            lines.append(_Line(labels, values, match, width, columns, unknown, context))
            if match is not None and alignments(values, width):
                context = _next_context(match, context)
            continue
        if match is None:
            # Kept as a fragment: with the piece on the other side of its numbers it may
            # read as the label a converter wrapped around them.
            unknown = not _is_debris(labels)
            lines.append(_Line(labels, [], None, width, columns, unknown, context))
            continue
        if match.kind == "subtotal":
            continue  # a 小计 label without numbers places nothing
        lines.append(_Line(labels, [], match, width, columns, context=context))
        context = _next_context(match, context)
    return lines


def _fit(values: list[Value], width: int) -> tuple[list[Value] | None, bool]:
    """The row's ``width`` values once padding is dropped, and whether another reading of
    its blank ends was possible (then the one whose 总计 adds up is taken)."""
    candidates = alignments(values, width)
    if not candidates:
        return None, False
    fitted = candidates[0]
    if len(candidates) > 1 and width == 7:
        fitted = max(candidates, key=balance_score)
    return fitted, len(candidates) > 1 and len({tuple(c) for c in candidates}) > 1


class _Placer:
    """Writes a line's numbers into the table as the row ``match`` names: the one place
    where part 三 cells become facts, whether a row was found by its label or by order."""

    def __init__(self, out: RequestsTable) -> None:
        self.out = out

    def place(self, match: _Match, line: _Line) -> None:
        out = self.out
        labels, values, width = line.labels, line.values, line.width
        fitted, ambiguous = _fit(values, width)
        name = "".join(labels) or (match.row.metric.label if match.row else "")
        if ambiguous:
            out.warnings.append(
                f"第三部分“{name}”一行首尾都有空白单元格，无法从位置确定空白属于哪一列，"
                "已按总计与各列之和相符的读法读取，请核对原表"
            )
        if fitted is None:
            numbers = [v.raw for v in values if v.raw]
            out.warnings.append(
                f"第三部分“{name}”一行有{len(numbers)}个数字，应为{width}个，"
                f"未读取：{' '.join(numbers)}"
            )
            return
        if match.kind == "row" and match.row is not None:
            metric = match.row.metric.key
            if match.row.group == "other":
                is_sub = metric != "outcome.other.total"
                if out.other_has_subrows is None:
                    out.other_has_subrows = is_sub
                elif is_sub and out.other_has_subrows is False:
                    # The （六） row came first and then its three 2021 sub-rows: its numbers
                    # were the group's subtotal, not a template cell; left blank, it was
                    # only the group's label row.
                    out.other_has_subrows = True
                    moved = [f for f in out.facts if f.metric == "outcome.other.total"]
                    out.facts[:] = [f for f in out.facts if f.metric != "outcome.other.total"]
                    if any(f.value is not None or f.raw for f in moved):
                        out.subtotals.extend(moved)
            target = out.facts
        else:  # a group label carrying numbers
            group = match.group
            assert group is not None
            own = _OWN.get(group)
            if (
                match.kind == "group"
                and own is not None
                and (group != "other" or out.other_has_subrows is not True)
            ):
                metric = own.metric.key
                target = out.facts
                if group == "other":
                    out.other_has_subrows = False
            else:
                metric = catalog.DERIVED_GROUP_TOTALS.get(group, "")
                if not metric:
                    out.warnings.append(f"第三部分“{''.join(labels) or group}”一行无法归类，未读取")
                    return
                if not any(v.raw for v in fitted):
                    return  # a group's label row printed with blank cells: no subtotal
                target = out.subtotals
        if metric in out.seen:
            out.warnings.append(f"第三部分“{''.join(labels) or metric}”重复出现，保留第一次的数字")
            return
        out.seen.add(metric)
        columns = line.columns
        for applicant, v in zip(columns, fitted, strict=True):
            if v.unreadable:
                label = catalog.METRICS_BY_KEY[metric].label
                column = catalog.APPLICANT_LABELS[applicant]
                out.warnings.append(
                    f"第三部分“{label}”一行“{column}”列一格{unreadable_reason(v.raw)}"
                )
            fact = Fact("requests", metric, applicant, v.number, v.raw, v.unit, v.origin)
            # A 小计 column is the report's own addition, not a template cell (checked by H4).
            (out.subtotals if applicant == "legal.subtotal" else target).append(fact)


def parse_requests(rows: list[list[str]]) -> RequestsTable:
    out = RequestsTable()
    lines = _scan(rows, out)
    # A line of numbers with no label of its own (none at all, or only a fragment of one)
    # means the labels and the numbers were printed apart: only the template's order can
    # say whose numbers they are.
    apart = [
        ln
        for ln in lines
        if ln.values and ln.match is None and not ln.unknown and _fit(ln.values, ln.width)[0]
    ]
    _unknown_text(lines, out, bool(apart))
    if apart:
        return _align(lines, out)
    placer = _Placer(out)
    for ln in lines:
        if not ln.values:
            continue  # a label alone, and no numbers without a label: a row not printed
        if ln.match is None:
            if ln.unknown:
                out.warnings.append(f"第三部分未能识别的行：“{' '.join(ln.labels)}”")
            continue  # a stray number (a page number) among rows that all carry labels
        placer.place(ln.match, ln)
    return out


# --- labels and numbers printed apart: placing numbers by the template's order -----------------


def _template_key(match: _Match | None, other_sub: bool) -> str | None:
    """The template row a match names in the layout tried, or None (a group's own label
    row, a subtotal, nothing)."""
    if match is None:
        return None
    if match.kind == "row":
        assert match.row is not None
        return match.row.metric.key
    if match.kind == "group" and match.group in _OWN:
        if match.group == "other" and other_sub:
            return None
        return _OWN[match.group].metric.key
    return None


def _label(key: str) -> str:
    return catalog.METRICS_BY_KEY[key].label


def _names(keys: list[str]) -> str:
    """Rows named in a warning: all of them when few, the ends and the count when many."""
    quoted = [f"“{_label(k)}”" for k in keys]
    if len(quoted) <= 8:
        return "".join(quoted)
    return f"{''.join(quoted[:3])}……{quoted[-1]}共{len(quoted)}行"


def _unknown_text(lines: list[_Line], out: RequestsTable, apart: bool) -> None:
    """Warn about text alone on a line that names nothing. When labels and numbers were
    printed apart, a piece next to a line of numbers is taken for a wrapped label's."""
    for i, ln in enumerate(lines):
        if ln.values or not ln.unknown:
            continue
        beside = [lines[j] for j in (i - 1, i + 1) if 0 <= j < len(lines)]
        if apart and any(b.values for b in beside):
            continue
        out.warnings.append(f"第三部分未能识别的文字：“{' '.join(ln.labels)}”")


def _arithmetic(rows: dict[str, dict[str, Value]], leaves: tuple[str, ...]) -> list[str]:
    """The identities H1–H3 that the rows, as placed, break (empty when all hold).

    A blank cell counts as 0 and a blank 总计 as the sum of its row, as in the audit; a cell
    that is not a number leaves the identity unverifiable, which is a failure here.
    """
    if any(v.unreadable for cells in rows.values() for v in cells.values()):
        return ["有不是数字的格"]
    parts = catalog.APPLICANT_KEYS[:-1]

    def cell(key: str, applicant: str) -> float:
        v = rows.get(key, {}).get(applicant)
        if v is not None and v.number is not None:
            return v.number
        if applicant == "total":
            return sum(cell(key, a) for a in parts)
        return 0

    failed: list[str] = []
    for key, cells in rows.items():
        total = cells.get("total")
        if (
            total is not None
            and total.number is not None
            and abs(total.number - sum(cell(key, a) for a in parts)) > 1e-9
        ):
            failed.append(f"H3“{_label(key)}”行")
    for a in catalog.APPLICANT_KEYS:
        column = catalog.APPLICANT_LABELS[a]
        closed = cell("outcome.total", a)
        if abs(closed - sum(cell(k, a) for k in leaves)) > 1e-9:
            failed.append(f"H2“{column}”列")
        opened = cell("requests.new_received", a) + cell("requests.carried_over", a)
        if abs(opened - closed - cell("requests.carried_forward", a)) > 1e-9:
            failed.append(f"H1“{column}”列")
    return failed


@dataclass(slots=True)
class _Attempt:
    placements: list[tuple[_Match, _Line]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failure: str | None = None  # the refusal, in words
    unplaced: int = 0  # how many rows could not be placed (to pick the clearest refusal)


def _try_layout(lines: list[_Line], other_sub: bool, loosen_groups: bool) -> _Attempt:
    """Place every line of numbers in one layout of the template.

    Lines whose own label names a template row are anchors. Between two anchors (or the
    table's edges) the lines of numbers without a label fill the template rows that lie
    between them, in order; their counts must agree. The labels confirm such a run when it
    is one line for the one row between two anchors, or when every line of the run has
    its row's label on the same side (all just above, all just below, or all wrapped
    around it: ``labels.label_sides``). A run the labels do not confirm is placed by order
    alone, and then the table's own arithmetic (H1–H3) must hold with it.
    """
    edition = "2021" if other_sub else "2019"
    template = [r.metric.key for r in catalog.request_rows(edition, other_sub)]
    index = {k: i for i, k in enumerate(template)}
    attempt = _Attempt()
    # (kind, key, line): "A" anchor, "N" placed by its own label outside the template
    # (a printed subtotal), "V" numbers to place by order, "L" a label alone, "F" text
    # alone that names no row (a fragment of a wrapped label, a group's label).
    events: list[tuple[str, str | None, _Line]] = []
    for ln in lines:
        key = _template_key(ln.match, other_sub)
        if ln.values and _fit(ln.values, ln.width)[0] is None:
            # Numbers that cannot be a row ("（三）不予公开  2": a wrapped label's numbering)
            # are text here, a piece of a label.
            raw = [v.raw for v in ln.values if v.raw]
            ln = _Line([*ln.labels, *raw], [], None, ln.width, ln.columns, context=ln.context)
            key = None
        if not ln.values:
            events.append(("L", key, ln) if key in index else ("F", None, ln))
        elif key in index:
            events.append(("A", key, ln))
        elif ln.match is not None and not (loosen_groups and ln.match.kind == "group"):
            events.append(("N", None, ln))
        else:
            events.append(("V", None, ln))
    anchored = {key for kind, key, _ in events if kind == "A"}

    assigned: dict[int, str] = {}  # event position -> template row
    runs: list[list[int]] = []  # the lines placed between two anchors, by run
    unplaced: list[str] = []
    counts: list[str] = []

    def settle(lo: int, hi: int, waiting: list[int]) -> None:
        slots = [template[j] for j in range(lo + 1, hi) if template[j] not in anchored]
        if not waiting:
            return  # rows with no numbers anywhere: not printed ("缺少" says so)
        if not slots:
            # Numbers where no row is left: a doubled line, or a label printed beside its
            # neighbour's numbers, and then the labelled rows around it are suspect too.
            where = [template[j] for j in (lo, hi) if 0 <= j < len(template)]
            unplaced.extend(where)
            counts.append(f"{_names(where)}之间多出{len(waiting)}行数字")
            return
        if len(waiting) != len(slots):
            unplaced.extend(slots)
            counts.append(f"{len(waiting)}行数字对应{len(slots)}行")
            return
        for p, key in zip(waiting, slots, strict=True):
            assigned[p] = key
        runs.append(waiting)

    last = -1
    waiting: list[int] = []
    for p, (kind, key, _) in enumerate(events):
        if kind == "V":
            waiting.append(p)
        elif kind == "A":
            assert key is not None
            settle(last, index[key], waiting)
            last, waiting = max(last, index[key]), []
    settle(last, len(template), waiting)

    if unplaced:
        names = _names(unplaced)
        attempt.failure = (
            f"第三部分的标签与数字分行印出，数字行数与模板的行对不上（{'；'.join(counts)}），"
            f"无法确定{names}的数字，第三部分整表未读取"
        )
        attempt.unplaced = len(unplaced)
        return attempt

    def is_label(q: int) -> bool:
        return 0 <= q < len(events) and events[q][0] in ("L", "F")

    def joined(a: int, b: int) -> str | None:
        match = classify([*events[a][2].labels, *events[b][2].labels], events[a][2].context)
        return _template_key(match, other_sub)

    def confirmed(run: list[int]) -> bool:
        if len(run) == 1:
            return True  # one line for the one row between two anchors (or a table edge)
        sides = [label_sides(p, assigned[p], is_label, lambda q: events[q][1], joined) for p in run]
        return bool(set.intersection(*sides))

    by_order = [assigned[p] for run in runs if not confirmed(run) for p in run]
    if by_order:
        rows: dict[str, dict[str, Value]] = {}
        for p, (kind, key, ln) in enumerate(events):
            key = assigned.get(p, key) if kind in ("A", "V") else None
            fitted = _fit(ln.values, ln.width)[0] if key is not None else None
            if key is not None and fitted is not None and key not in rows:
                rows[key] = dict(zip(ln.columns, fitted, strict=True))
        leaves = tuple(k for k in template if k.startswith("outcome.") and k != "outcome.total")
        broken = _arithmetic(rows, leaves)
        if broken:
            names = _names(by_order)
            attempt.failure = (
                f"第三部分的标签与数字分行印出，{names}只能按模板顺序对齐，"
                f"而这样读出的表不满足勾稽关系（{'、'.join(broken[:4])}"
                f"{'等' if len(broken) > 4 else ''}），无法确认对齐，第三部分整表未读取"
            )
            attempt.unplaced = len(by_order)
            return attempt

    for p, (kind, _, ln) in enumerate(events):
        if kind in ("A", "N"):
            assert ln.match is not None
            attempt.placements.append((ln.match, ln))
        elif p in assigned:
            row = REQUEST_ROWS_BY_KEY[assigned[p]]
            attempt.placements.append((_Match("row", row=row), ln))
            if ln.unknown:
                attempt.warnings.append(
                    f"第三部分“{' '.join(ln.labels)}”一行的标签未能识别，"
                    f"按模板顺序读作“{row.metric.label}”"
                )
    return attempt


def _align(lines: list[_Line], out: RequestsTable) -> RequestsTable:
    """Labels and numbers printed apart: place the numbers by the template's order, or
    refuse the table with a warning. A shifted table never loads silently."""
    subrows = any(
        ln.match is not None
        and ln.match.kind == "row"
        and ln.match.row is not None
        and ln.match.row.group == "other"
        for ln in lines
    )
    layouts = [True] if subrows else [False, True]
    refusals: list[_Attempt] = []
    for other_sub in layouts:
        for loosen_groups in (False, True):
            attempt = _try_layout(lines, other_sub, loosen_groups)
            if attempt.failure is None:
                placer = _Placer(out)
                for match, ln in attempt.placements:
                    placer.place(match, ln)
                out.warnings.extend(attempt.warnings)
                if out.other_has_subrows is None and out.found:
                    out.other_has_subrows = other_sub
                return out
            refusals.append(attempt)
    best = min(refusals, key=lambda a: a.unplaced)
    assert best.failure is not None
    out.warnings.append(best.failure)
    out.refused = True
    return out


def expected_rows(other_has_subrows: bool) -> tuple[RequestRow, ...]:
    edition = "2021" if other_has_subrows else "2019"
    return catalog.request_rows(edition, other_has_subrows)
