"""Seeded mutants of the real reports: never a traceback, never a silent change in 三 or 四.

Each mutant is one careless edit of a shipped report's bytes (a digit changed, two cells
swapped, a row deleted or doubled, a cell dropped, junk bytes, a truncated file, two lines
swapped, a number in Chinese numerals or with more digits than a DOUBLE keeps). Parsing one
may refuse the file (``ReportError``) but must not raise anything else; and whenever the
numbers read from part 三 or 四 differ from the original's, the report must say so: a new
error-severity finding, or a new warning (parser warning or warning-severity finding) about
that table. Part 二 has too little arithmetic to promise that (``pipelines/audit.py`` says
what it can check); its unreadable cells and missing rows are tested in
``tests/test_part2_checks.py``.

Run with ``-s`` to see the tally per sample, mutation kind and outcome.
"""

from __future__ import annotations

import random
import re
import traceback
from collections import Counter
from collections.abc import Callable

from pipelines.errors import ReportError
from pipelines.parse.model import Finding, Report
from pipelines.pipeline import parse_bytes
from tests.helpers import SAMPLES

SEED = 20240531
PER_KIND = 30
TABLES = {"requests": "第三部分", "review": "第四部分"}

Mutant = tuple[bytes, str] | None  # the mutated file and what was done, or None: no target


# --- where the cells are ----------------------------------------------------------------------


class Source:
    """A report's bytes with the spans of its numeric table cells, rows and lines."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name = name
        self.data = data
        text = data.decode("utf-8")
        self.text = text
        if name.endswith(".html"):
            start = text.find("<table")
            # A number alone in a text node of a table cell: <span …>26</span>.
            self.cells = [m.span(1) for m in re.finditer(r">(\d+)<", text) if m.start() > start > 0]
            self.rows = [m.span() for m in re.finditer(r"<tr\b.*?</tr>", text, re.S)]
            self.cell_blocks = [m.span() for m in re.finditer(r"<td\b.*?</td>", text, re.S)]
        else:
            self.cells = []
            self.rows = []
            self.cell_blocks = []
            pos = 0
            for line in text.split("\n"):
                if "\t" in line:
                    self.rows.append((pos, pos + len(line) + 1))
                    offset = pos
                    for cell in line.split("\t"):
                        span = (offset, offset + len(cell))
                        self.cell_blocks.append(span)
                        if cell.strip().isdigit():
                            self.cells.append(span)
                        offset += len(cell) + 1
                pos += len(line) + 1

    def edit(self, spans: list[tuple[tuple[int, int], str]]) -> bytes:
        text = self.text
        for (a, b), new in sorted(spans, reverse=True):
            text = text[:a] + new + text[b:]
        return text.encode("utf-8")


# --- the mutations ----------------------------------------------------------------------------

_NUMERALS = "零一二三四五六七八九"


def chinese(n: int, rng: random.Random) -> str:
    """A number as a careless copy writes it in Chinese: 二十六, or digit by digit 二六."""
    if n < 10 or n >= 10**5 or rng.random() < 0.3:
        return "".join(_NUMERALS[int(d)] for d in str(n))
    out, units = "", ["", "十", "百", "千", "万"]
    digits = str(n)
    for i, d in enumerate(digits):
        place = len(digits) - 1 - i
        if d != "0":
            out += _NUMERALS[int(d)] + units[place]
        elif out and not out.endswith("零") and place:
            out += "零"
    out = out.rstrip("零")
    return out[1:] if out.startswith("一十") else out


def change_digit(src: Source, rng: random.Random) -> Mutant:
    a, b = rng.choice(src.cells)
    cell = src.text[a:b]
    i = rng.randrange(len(cell))
    new = cell[:i] + rng.choice([d for d in "0123456789" if d != cell[i]]) + cell[i + 1 :]
    return src.edit([((a, b), new)]), f"{cell}→{new} at {a}"


def swap_cells(src: Source, rng: random.Random) -> Mutant:
    # Only cells that differ: swapping two equal cells is no change at all.
    for _ in range(50):
        x, y = rng.sample(src.cells, 2)
        cx, cy = src.text[x[0] : x[1]], src.text[y[0] : y[1]]
        if cx.strip() != cy.strip():
            return src.edit([(x, cy), (y, cx)]), f"{cx}@{x[0]} ⇄ {cy}@{y[0]}"
    return None


def delete_row(src: Source, rng: random.Random) -> Mutant:
    span = rng.choice(src.rows)
    return src.edit([(span, "")]), f"row at {span[0]}"


def duplicate_row(src: Source, rng: random.Random) -> Mutant:
    a, b = rng.choice(src.rows)
    return src.edit([((a, b), src.text[a:b] * 2)]), f"row at {a}"


def delete_cell(src: Source, rng: random.Random) -> Mutant:
    a, b = rng.choice(src.cell_blocks)
    if not src.name.endswith(".html"):
        b = min(b + 1, len(src.text))  # the tab after it, so the row shifts
    return src.edit([((a, b), "")]), f"cell {src.text[a:b][:20]!r} at {a}"


_JUNK_TEXT = "0123456789abcXYZ.,-+/\t \n　，。：“”（）一二十百元件\x00\x07\ufffd"


def junk_bytes(src: Source, rng: random.Random) -> Mutant:
    """Raw bytes (mostly breaking the encoding) half the time, junk characters otherwise."""
    at = rng.randrange(len(src.data))
    n = rng.randint(1, 8)
    if rng.random() < 0.5:
        junk = bytes(rng.randrange(256) for _ in range(n))
    else:
        junk = "".join(rng.choice(_JUNK_TEXT) for _ in range(n)).encode("utf-8")
        at = len(src.data[:at].decode("utf-8", "ignore").encode("utf-8"))  # a character edge
    return src.data[:at] + junk + src.data[at:], f"{junk!r} at byte {at}"


def truncate(src: Source, rng: random.Random) -> Mutant:
    at = rng.randrange(len(src.data))
    return src.data[:at], f"cut at byte {at}"


def swap_lines(src: Source, rng: random.Random) -> Mutant:
    lines = src.text.split("\n")
    i, j = rng.sample(range(len(lines)), 2)
    if lines[i] == lines[j]:
        return None
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines).encode("utf-8"), f"lines {i} ⇄ {j}"


def chinese_numerals(src: Source, rng: random.Random) -> Mutant:
    a, b = rng.choice(src.cells)
    cell = src.text[a:b].strip()
    new = chinese(int(cell), rng)
    return src.edit([((a, b), new)]), f"{cell}→{new} at {a}"


def huge_number(src: Source, rng: random.Random) -> Mutant:
    a, b = rng.choice(src.cells)
    new = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(22))
    return src.edit([((a, b), new)]), f"{src.text[a:b]}→{new} at {a}"


KINDS: dict[str, Callable[[Source, random.Random], Mutant]] = {
    "digit change": change_digit,
    "swap two cells": swap_cells,
    "delete a row": delete_row,
    "duplicate a row": duplicate_row,
    "delete a cell": delete_cell,
    "junk bytes": junk_bytes,
    "truncate": truncate,
    "swap two lines": swap_lines,
    "Chinese numerals": chinese_numerals,
    "23-digit number": huge_number,
}

# --- judging a mutant -------------------------------------------------------------------------


def _numbers(report: Report, table: str) -> dict[str, object]:
    return {
        f.cell: (f.value, f.raw if f.value is None else "")
        for f in report.facts
        if f.table == table
    }


def _key(f: Finding) -> tuple:
    return (f.rule, f.severity, f.cells, f.expected, f.actual)


def _about(f: Finding, table: str) -> bool:
    prefixes = {"requests": ("requests.", "outcome."), "review": ("review.", "litigation.")}
    return any(c.startswith(prefixes[table]) for c in f.cells)


def _undetectable(before: dict[str, object], after: dict[str, object]) -> bool:
    """Two components of one part 四 group swapped: every identity (H5) sums them alike, so
    no arithmetic can see it. (In part 三 every cell sits in one row identity, H3, and one
    column identity, H1 or H2, with no other cell in both, so a swap there always shows.)"""
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if len(changed) != 2 or not all(k in before and k in after for k in changed):
        return False
    x, y = changed
    same_group = x.rsplit(".", 1)[0] == y.rsplit(".", 1)[0]
    components = not x.endswith(".total") and not y.endswith(".total")
    swapped = before[x] == after[y] and before[y] == after[x]
    return x.startswith(("review.", "litigation.")) and same_group and components and swapped


def _zero_blank_only(before: dict[str, object], after: dict[str, object]) -> bool:
    """Every changed cell went between 0 and blank. The template's arithmetic reads a blank
    as 0 (§7.3) and reports print a zero either way, so a table whose zeros and blanks
    traded places (a blank cell dropped from a row of zeros, markup lines swapped in a
    Word-exported page) adds up exactly as before: nothing in the numbers can show it. B1
    catches the case that does show, a 总计 left blank beside printed zeros."""
    zero_or_blank = {(0, ""), (None, "")}
    changed = [k for k in before.keys() | after.keys() if before.get(k) != after.get(k)]
    return all(before.get(k) in zero_or_blank and after.get(k) in zero_or_blank for k in changed)


def judge(original: Report, name: str, data: bytes) -> tuple[str, str]:
    """(outcome, detail) for one mutant."""
    try:
        report = parse_bytes(data, name)
    except ReportError:
        return "refused", ""
    was = {t: _numbers(original, t) for t in TABLES}
    now = {t: _numbers(report, t) for t in TABLES}
    changed = [t for t in TABLES if was[t] != now[t]]
    if not changed:
        return "no change in 三/四", ""
    old_findings = {_key(f) for f in original.findings}
    new_findings = [f for f in report.findings if _key(f) not in old_findings]
    if any(f.severity == "error" and _about(f, t) for t in changed for f in new_findings):
        return "caught by audit", ""
    new_warnings = [w for w in report.warnings if w not in original.warnings]
    if any(TABLES[t] in w for t in changed for w in new_warnings) or any(
        f.severity == "warning" and _about(f, t) for t in changed for f in new_findings
    ):
        return "caught by warning", ""
    if changed == ["review"] and _undetectable(was["review"], now["review"]):
        return "excluded: part 四 components swapped", ""
    if all(_zero_blank_only(was[t], now[t]) for t in changed):
        return "excluded: 0 ⇄ blank", ""
    detail = {
        t: [
            (k, was[t].get(k), now[t].get(k))
            for k in sorted(was[t].keys() | now[t].keys())
            if was[t].get(k) != now[t].get(k)
        ][:4]
        for t in changed
    }
    return "SILENT", str(detail)


def test_mutants_never_crash_and_never_change_parts_3_and_4_silently() -> None:
    tally: Counter[tuple[str, str, str]] = Counter()
    silent: list[str] = []
    crashes: list[str] = []
    for name in ("000_seed.txt", "shuyang_fgj_2023.html"):
        src = Source(name, (SAMPLES / name).read_bytes())
        original = parse_bytes(src.data, name)
        rng = random.Random(f"{SEED}:{name}")
        for kind, mutate in KINDS.items():
            made = 0
            for _ in range(PER_KIND * 3):
                if made == PER_KIND:
                    break
                mutant = mutate(src, rng)
                if mutant is None:
                    continue
                made += 1
                data, what = mutant
                try:
                    outcome, detail = judge(original, name, data)
                except Exception as exc:  # the point is to catch anything
                    where = traceback.extract_tb(exc.__traceback__)[-1]
                    crashes.append(
                        f"{name} {kind} {what}: {type(exc).__name__}: {exc} "
                        f"({where.filename}:{where.lineno})"
                    )
                    outcome, detail = "CRASH", ""
                tally[(name, kind, outcome)] += 1
                if outcome == "SILENT":
                    silent.append(f"{name} {kind} {what}: {detail}")
    lines = []
    for name in ("000_seed.txt", "shuyang_fgj_2023.html"):
        for kind in KINDS:
            counts = {o: n for (s, k, o), n in tally.items() if s == name and k == kind}
            text = ", ".join(f"{n} {o}" for o, n in sorted(counts.items(), key=lambda x: -x[1]))
            lines.append(f"{name:24} {kind:18} {text}")
    summary = "\n".join(lines)
    print("\n" + summary)
    assert sum(tally.values()) >= 400, summary
    assert not crashes, "\n".join([summary, *crashes[:10]])
    assert not silent, "\n".join([summary, *silent[:20]])
