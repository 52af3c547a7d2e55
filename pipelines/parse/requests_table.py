"""Part 三: the 收到和处理政府信息公开申请情况 matrix, read row by row by label.

The rows arrive as a stream, so a table split by page breaks or cut by footers is read as
one. Each row's label cells are matched against the catalog: leaf keywords first (they are
unique), then the four numbered top rows, then the lettered groups. A group label alone sets
the context for the sub-rows after it; a label without numbers waits for the numbers on the
next row (converters cut wrapped labels from their numbers), and numbers without a label
wait for the next label. Fragments of a label split by a page break are recognised as such.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache

from pipelines import catalog
from pipelines.catalog import REQUEST_GROUPS, REQUEST_ROWS, RequestRow
from pipelines.parse.labels import (
    Value,
    alignments,
    normalize,
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

    @property
    def found(self) -> bool:
        return bool(self.seen)


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


def parse_requests(rows: list[list[str]]) -> RequestsTable:
    out = RequestsTable()
    context: str | None = None
    pending: _Match | None = None  # a label waiting for its numbers
    orphans: list[Value] = []  # numbers waiting for their label
    width = 7

    columns: tuple[str, ...] = catalog.APPLICANT_KEYS

    def subtotal_columns(header: str) -> tuple[str, ...]:
        """Where a report's own 小计 column sits among the legal-person columns, as printed."""
        words = [(header.find(a.label), a.key) for a in catalog.APPLICANTS[1:6]]
        words.append((header.find("小计"), catalog.SUBTOTAL_APPLICANT.key))
        legal = [key for pos, key in sorted(words) if pos >= 0]
        if len(legal) != 6:  # the legal columns are not all named: assume after 其他
            legal = [*catalog.LEGAL_APPLICANTS, catalog.SUBTOTAL_APPLICANT.key]
        return ("natural_person", *legal, "total")

    def place(match: _Match, values: list[Value], labels: list[str]) -> None:
        nonlocal context
        candidates = alignments(values, width)
        fitted = candidates[0] if candidates else None
        if len(candidates) > 1 and width == 7:
            fitted = max(candidates, key=balance_score)
        if len(candidates) > 1 and len({tuple(c) for c in candidates}) > 1:
            out.warnings.append(
                f"第三部分“{''.join(labels) or (match.row.metric.label if match.row else '')}”"
                "一行首尾都有空白单元格，无法从位置确定空白属于哪一列，"
                "已按总计与各列之和相符的读法读取，请核对原表"
            )
        if fitted is None:
            name = "".join(labels) or (match.row.metric.label if match.row else "")
            numbers = [v.raw for v in values if v.raw]
            out.warnings.append(
                f"第三部分“{name}”一行有{len(numbers)}个数字，应为{width}个，"
                f"未读取：{' '.join(numbers)}"
            )
            return
        if match.kind == "row" and match.row is not None:
            metric = match.row.metric.key
            if match.row.group is not None:
                context = match.row.group
            if match.row.group == "other":
                is_sub = metric != "outcome.other.total"
                if out.other_has_subrows is None:
                    out.other_has_subrows = is_sub
                elif is_sub and out.other_has_subrows is False:
                    # The （六） row printed numbers and then came its three 2021 sub-rows:
                    # those numbers were the group's subtotal, not a template cell.
                    out.other_has_subrows = True
                    moved = [f for f in out.facts if f.metric == "outcome.other.total"]
                    out.facts[:] = [f for f in out.facts if f.metric != "outcome.other.total"]
                    out.subtotals.extend(moved)
            target = out.facts
        else:  # a group label carrying numbers
            group = match.group
            assert group is not None
            context = group
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
                    name = "".join(labels) or group
                    out.warnings.append(f"第三部分“{name}”一行无法归类，未读取")
                    return
                target = out.subtotals
        if metric in out.seen:
            name = "".join(labels) or metric
            out.warnings.append(f"第三部分“{name}”重复出现，保留第一次的数字")
            return
        out.seen.add(metric)
        for applicant, v in zip(columns, fitted, strict=True):
            if v.unreadable:
                name = catalog.METRICS_BY_KEY[metric].label
                column = catalog.APPLICANT_LABELS[applicant]
                out.warnings.append(
                    f"第三部分“{name}”一行“{column}”列一格{unreadable_reason(v.raw)}"
                )
            fact = Fact("requests", metric, applicant, v.number, v.raw, v.unit)
            # A 小计 column is the report's own addition, not a template cell (checked by H4).
            (out.subtotals if applicant == "legal.subtotal" else target).append(fact)

    for cells in rows:
        if is_page_footer(cells):
            continue
        labels, values = split_label_values(cells)
        text = normalize("".join(labels))
        if not labels and not any(v.raw for v in values):
            continue
        if _is_header(text, values):
            if "小计" in text:
                out.has_subtotal_column = True
                width = 8
                columns = subtotal_columns(text)
            continue
        has_numbers = any(v.raw for v in values)
        match = classify(labels, context) if labels else None
        if (
            not has_numbers
            and match is not None
            and (match.kind == "row" or match.group in ("granted", "partial", "total"))
            and len(values) >= width
        ):
            place(match, values, labels)  # every cell printed blank: nulls, not a lost row
            pending = None
            continue
        if match is not None and match.kind == "results":
            match = None if not has_numbers else match
            if match is None:
                continue
        if has_numbers:
            if match is None or match.kind == "results":
                if pending is not None and (not labels or _is_debris(labels)):
                    place(pending, values, labels)
                    pending = None
                elif not labels:
                    orphans = values
                else:
                    out.warnings.append(f"第三部分未能识别的行：“{' '.join(labels)}”")
                continue
            place(match, values, labels)
            pending = None
            continue
        # A label without numbers.
        if match is None:
            if not _is_debris(labels):
                out.warnings.append(f"第三部分未能识别的文字：“{' '.join(labels)}”")
            continue
        if match.kind == "group":
            context = match.group
            own = _OWN.get(match.group or "")
            if orphans and own is not None:
                place(match, orphans, labels)
                orphans = []
            elif own is not None:
                pending = match
            if match.group == "other" and out.other_has_subrows is None:
                pending = match
            continue
        if match.kind == "row":
            if orphans:
                place(match, orphans, labels)
                orphans = []
            else:
                pending = match
    return out


def expected_rows(other_has_subrows: bool) -> tuple[RequestRow, ...]:
    edition = "2021" if other_has_subrows else "2019"
    return catalog.request_rows(edition, other_has_subrows)
