"""People's corrections of a report (人工更正): a cell's value or the report's identity.

A report is kept exactly as published (``facts`` never changes); a correction is a row of
``corrections`` that the published values apply on top (``derived.PUBLISHED_FACTS``, and
from it ``report_figures``, ``current_facts`` and every export). It goes in as a batch does
(``warehouse.files.building``: a private copy, published whole under the warehouse's lock),
so a reader never sees half of it and a killed process leaves the warehouse as it was.

The corrected report's own audit is run again on the corrected values, so a finding the
wrong number caused goes away when the number is put right; its result is a function of
the facts and the active corrections only (``reaudit``), the same however often it runs.
Two of the parse-time rules need what the warehouse does not keep (H4: the subtotal rows a
report adds; X2: the part 二 figures stated in the prose): their findings stay as parsed.

A correction belongs to the report (its file) it was made on. Re-ingesting the same file
keeps it; a new revision of the report (another file for the organ and year) takes it over
when the new file prints the same old value, and otherwise turns it ``stale``: listed for
review, never dropped, not applied (``reconcile``, run by every ingest batch).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb

from pipelines import audit_log, catalog
from pipelines.audit import audit_report
from pipelines.parse.model import Fact, ProseCount, Report
from pipelines.warehouse import derived
from pipelines.warehouse.derived import FIELD_TARGETS, PUBLISHED_FACTS
from pipelines.warehouse.errors import WarehouseError
from pipelines.warehouse.files import building

# Rules whose inputs the warehouse does not keep: their parse-time findings stay.
KEPT_RULES: frozenset[str] = frozenset({"H4", "X2"})
FIELD_LABELS = {"organ": "发布机关", "region_code": "行政区划代码", "year": "报告年度"}
MAX_REASON = 500
CSV_COLUMNS = (
    "id",
    "report_id",
    "organ",
    "year",
    "target",
    "old_value",
    "new_value",
    "reason",
    "who",
    "at_utc",
    "status",
)


class CorrectionError(WarehouseError):
    """Corrections refused as a whole (nothing applied), each bad item with its reason."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "；".join(f"第 {i} 条：{reason}" for i, reason in problems)
        super().__init__(f"更正未应用（全部未写入）/ corrections refused, nothing applied：{lines}")


@dataclass(slots=True)
class Item:
    """One correction asked for. ``new_value`` None (or "") leaves the cell blank.
    ``old_value``, when given (an imported file), must still be what the report shows."""

    report_id: str
    target: str
    new_value: str | None
    reason: str
    old_value: str | None = None
    check_old: bool = False


@dataclass(slots=True)
class Summary:
    applied: list[int] = field(default_factory=list)  # ids of the new corrections
    unchanged: int = 0  # already in force exactly so
    reports: list[str] = field(default_factory=list)  # reports whose values changed


def number_text(value: float | None) -> str | None:
    """A number as stored in ``corrections`` (and shown): ``4``, not ``4.0``."""
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _clean(text: object) -> str:
    return "" if text is None else str(text).strip()


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) in ("Cc", "Cf") for c in text)


def parse_target(target: str) -> tuple[str, str | None]:
    metric, _, applicant = target.partition("@")
    return metric, (applicant or None)


def target_label(target: str) -> str:
    """A target as people read it: the template's path and applicant, or the field's name."""
    if target in FIELD_LABELS:
        return FIELD_LABELS[target]
    metric, applicant = parse_target(target)
    m = catalog.METRICS_BY_KEY.get(metric)
    if m is None:
        return target
    who = f"（{catalog.APPLICANT_LABELS.get(applicant, applicant)}）" if applicant else ""
    return f"{m.path}{who}"


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Checked:
    item: Item
    old: str | None  # as parsed (or as the report was identified before any correction)
    new: str | None  # normalised
    shown: str | None  # what the report shows now (with corrections)
    active_id: int | None  # the active correction of the same target, if any


def _cell_value(text: str, metric: catalog.Metric) -> tuple[str | None, str | None]:
    """(normalised value, why it cannot be) for a cell's new value."""
    text = text.replace(",", "").replace("，", "").replace(" ", "")
    try:
        number = float(text)
    except ValueError:
        return None, f"“{text[:20]}”不是数字 / not a number"
    if not math.isfinite(number):
        return None, "不是有限的数字 / not a finite number"
    if number < 0 and not metric.signed:
        return None, "不能为负数 / cannot be negative"
    if metric.unit != "万元" and not number.is_integer():
        return None, f"应为整数（单位：{metric.unit}）/ must be a whole number"
    limit = catalog.PLAUSIBLE_MAX_BY_METRIC.get(metric.key)
    if limit is not None and abs(number) > limit:
        return None, f"超出合理范围（上限 {limit:,}）/ implausibly large"
    return number_text(number), None


def _field_value(target: str, text: str) -> tuple[str | None, str | None]:
    from pipelines.manifest import check_year
    from pipelines.parse.metadata import looks_like_organ
    from pipelines.regions import gazetteer

    if not text:
        return None, f"{FIELD_LABELS[target]}不能为空 / cannot be blank"
    if target == "organ":
        if len(text) > 100 or _has_control(text) or not looks_like_organ(text):
            return None, "不像机关名称 / not an organ's name"
        return text, None
    if target == "region_code":
        if not (len(text) == 6 and text.isascii() and text.isdigit()) or (
            text not in gazetteer().by_code
        ):
            return None, f"未知的行政区划代码“{text[:20]}”/ unknown division code"
        return text, None
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        return None, "年度应为四位数字 / year must be four digits"
    if reason := check_year(int(text)):
        return None, reason
    return text, None


def _check(con: duckdb.DuckDBPyConnection, item: Item) -> _Checked | str:
    reason = _clean(item.reason)
    if not reason:
        return "请填写更正理由 / a reason is required"
    if len(reason) > MAX_REASON or _has_control(reason.replace("\n", " ")):
        return f"更正理由过长（不超过 {MAX_REASON} 字）或含控制字符 / reason too long"
    item.reason = reason
    found = con.execute(
        "SELECT r.status, r.edition, r.table_editions, r.organ, o.region_code, r.year "
        "FROM reports r LEFT JOIN organs o USING (organ_id) WHERE r.report_id = ?",
        [_clean(item.report_id)],
    ).fetchall()
    if not found:
        return "仓库中没有该报告 / no such report"
    status, edition, table_editions, organ, region_code, year = found[0]
    if status not in ("current", "pending"):  # pending: held for review (``review``)
        return "该报告已被新版本取代，只能更正现行版本 / not the current revision"
    target = _clean(item.target)
    new_text = _clean(item.new_value)
    active = con.execute(
        "SELECT id, old_value, new_value FROM corrections WHERE report_id = ? AND target = ? "
        "AND status = 'active' ORDER BY id DESC LIMIT 1",
        [item.report_id, target],
    ).fetchall()
    if target in FIELD_TARGETS:
        new, why = _field_value(target, new_text)
        if why:
            return why
        shown = {"organ": organ, "region_code": region_code, "year": str(year)}[target]
        old = active[0][1] if active else shown
    else:
        metric_key, applicant = parse_target(target)
        metric = catalog.METRICS_BY_KEY.get(metric_key)
        if metric is None or metric.derived:
            return f"“{target[:60]}”不是模板中的单元格 / not a cell of the template"
        if (metric.table == "requests") != (applicant is not None) or (
            applicant is not None and applicant not in catalog.APPLICANT_KEYS
        ):
            return f"“{target[:60]}”的申请人类型不对 / wrong applicant column"
        printed_in = json.loads(table_editions or "{}").get(metric.table, edition)
        if printed_in not in metric.editions:
            return f"该报告的{printed_in}版模板没有这一单元格 / not a cell of this edition"
        fact = con.execute(
            "SELECT f.value, p.value FROM facts f JOIN published_facts p ON "
            "p.report_id = f.report_id AND p.metric = f.metric "
            "AND p.applicant IS NOT DISTINCT FROM f.applicant "
            "WHERE f.report_id = ? AND f.metric = ? AND f.applicant IS NOT DISTINCT FROM ?",
            [item.report_id, metric_key, applicant],
        ).fetchall()
        if not fact:
            return "该报告没有印出这一单元格 / the report does not print this cell"
        if new_text:
            new, why = _cell_value(new_text, metric)
            if why:
                return why
        else:
            new = None
        old, shown = number_text(fact[0][0]), number_text(fact[0][1])
    if item.check_old and _clean(item.old_value) != (old or ""):
        return f"原值已变化（现为“{old or '空白'}”）/ the old value no longer matches"
    return _Checked(item, old, new, shown, active[0][0] if active else None)


# ---------------------------------------------------------------------------------------------
# Applying
# ---------------------------------------------------------------------------------------------


def apply(db: Path, items: list[Item], who: str) -> Summary:
    """Check every item, then apply them all as one published batch, or none of them.

    An item already in force exactly so counts as unchanged (an import run twice is one);
    any bad item refuses the whole call with ``CorrectionError`` naming each bad one.
    """
    who = _clean(who)
    if not who:
        raise CorrectionError([(0, "请指明更正人 / who is required")])
    if not items:
        return Summary()
    with building(db) as con:
        return apply_in(con, items, who)


def apply_in(con: duckdb.DuckDBPyConnection, items: list[Item], who: str) -> Summary:
    """``apply`` on a connection that writes a batch (the caller publishes it)."""
    checked: list[_Checked] = []
    problems: list[tuple[int, str]] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items, start=1):
        item.target = _clean(item.target)
        item.report_id = _clean(item.report_id)
        key = (item.report_id, item.target)
        if key in seen:
            problems.append((i, "同一处在本批中出现两次 / the same target twice"))
            continue
        seen.add(key)
        result = _check(con, item)
        if isinstance(result, str):
            problems.append((i, result))
        else:
            checked.append(result)
    if problems:
        raise CorrectionError(problems)
    summary = Summary()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    (next_id,) = con.execute("SELECT coalesce(max(id), 0) + 1 FROM corrections").fetchone() or (1,)
    fields: set[str] = set()
    for c in checked:
        if c.active_id is not None and c.shown == c.new:
            summary.unchanged += 1
            continue
        if c.active_id is None and c.old == c.new:
            summary.unchanged += 1  # asks for what the report prints: nothing to correct
            continue
        if c.active_id is not None:
            con.execute("UPDATE corrections SET status = 'replaced' WHERE id = ?", [c.active_id])
        con.execute(
            "INSERT INTO corrections VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active')",
            [next_id, c.item.report_id, c.item.target, c.old, c.new, c.item.reason, who, now],
        )
        audit_log.record(
            con,
            who,
            "correct",
            f"{c.item.report_id}:{c.item.target}",
            {"id": next_id, "old": c.old, "new": c.new, "reason": c.item.reason},
        )
        summary.applied.append(next_id)
        next_id += 1
        if c.item.report_id not in summary.reports:
            summary.reports.append(c.item.report_id)
        if c.item.target in FIELD_TARGETS:
            fields.add(c.item.report_id)
    touched = _organs_of(con, summary.reports)
    for report_id in sorted(fields):
        touched |= _apply_fields(con, report_id)
    publish(con, summary.reports, touched, who)
    return summary


def _organs_of(con: duckdb.DuckDBPyConnection, report_ids: list[str]) -> set[str]:
    if not report_ids:
        return set()
    rows = con.execute(
        "SELECT DISTINCT organ_id FROM reports WHERE report_id IN (SELECT unnest(?::VARCHAR[]))",
        [report_ids],
    ).fetchall()
    return {r for (r,) in rows}


def _apply_fields(con: duckdb.DuckDBPyConnection, report_id: str) -> set[str]:
    """Move a report to the organ, region and year its active field corrections give (as a
    manifest would, by the ingest's own ``reidentify``); the organs it left and joined."""
    from pipelines.regions import gazetteer, resolve_organ
    from pipelines.warehouse.load import BatchWriter

    wanted = dict(
        con.execute(
            "SELECT target, arg_max(new_value, id) FROM corrections WHERE report_id = ? "
            "AND status = 'active' AND target IN (SELECT unnest(?::VARCHAR[])) GROUP BY target",
            [report_id, list(FIELD_TARGETS)],
        ).fetchall()
    )
    if not wanted:
        return set()
    row = con.execute(
        "SELECT r.organ, r.year, r.organ_id, r.warnings, o.kind, o.region_code, o.region_status "
        "FROM reports r JOIN organs o USING (organ_id) WHERE r.report_id = ?",
        [report_id],
    ).fetchone()
    assert row is not None, report_id
    organ, year, organ_id, warnings, kind, code, region_status = row
    new_organ = wanted.get("organ", organ)
    new_year = int(wanted.get("year", year))
    new_code = wanted.get("region_code", code)
    if new_organ == organ and new_year == year and new_code == code:
        return set()
    resolution = resolve_organ(new_organ)
    g = gazetteer()
    if "region_code" in wanted:
        region, status = g.region_of(g.by_code[new_code]), "manifest"
    elif new_organ != organ:
        region = resolution.region
        status = "resolved" if region.code else "unknown"
        if not region.code and code:  # the name prints no place: the report's stays
            region, status = g.region_of(g.by_code[code]), region_status
    else:
        region, status = g.region_of(g.by_code[code]) if code else resolution.region, region_status
    suffix = resolution.organ_suffix
    new_id = f"{region.code}:{suffix}" if region.code else "name:" + "".join(new_organ.split())
    if "organ" not in wanted and new_id.split(":", 1)[1] == organ_id.split(":", 1)[-1]:
        kind_now = kind
    else:
        kind_now = resolution.organ_kind
    it = SimpleNamespace(
        report_id=report_id,
        organ_id=new_id,
        organ=new_organ,
        organ_kind=kind_now,
        region=(region.code, region.province, region.city, region.county),
        region_status=status,
        year=new_year,
        warnings=list(warnings or []),
        url=None,
    )
    writer = BatchWriter(con, "correction")
    writer.reidentify(it)  # type: ignore[arg-type]
    return writer.touched


def publish(
    con: duckdb.DuckDBPyConnection, report_ids: list[str], organs: set[str], who: str = ""
) -> None:
    """What the corrections of ``report_ids`` change: their figures, their audit, and the
    organs' current reports and cross-year findings. A report held for review that the
    corrections leave without errors is published (``review.release_cleared``)."""
    from pipelines import review

    derived.refresh_figures(con, report_ids)
    for report_id in report_ids:
        reaudit(con, report_id)
    organs = organs | review.release_cleared(con, report_ids, who)
    derived.refresh(con, sorted(organs))


def _num(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def reaudit(con: duckdb.DuckDBPyConnection, report_id: str) -> None:
    """The report's own audit again, on its published (corrected) values; the findings of
    ``KEPT_RULES`` stay as parsed. A function of the facts and the active corrections."""
    rows = con.execute(
        f'SELECT "table", metric, applicant, value, raw, unit FROM ({PUBLISHED_FACTS}) '
        'WHERE report_id = ? ORDER BY "table", metric, applicant',
        [report_id],
    ).fetchall()
    meta = con.execute(
        "SELECT organ, year, edition FROM reports WHERE report_id = ?", [report_id]
    ).fetchone()
    assert meta is not None, report_id
    prose = con.execute(
        "SELECT channel, label, value, sentence FROM prose_counts WHERE report_id = ?",
        [report_id],
    ).fetchall()
    report = Report(
        organ=meta[0],
        year=meta[1],
        edition=meta[2],
        facts=[Fact(t, m, a, _num(v), raw or "", u) for t, m, a, v, raw, u in rows],
        prose_counts=[ProseCount(*p) for p in prose],
    )
    findings = [f for f in audit_report(report) if f.rule not in KEPT_RULES]
    kept = ", ".join(f"'{r}'" for r in sorted(KEPT_RULES))
    con.execute(
        f"DELETE FROM findings WHERE report_id = ? AND scope = 'report' AND rule NOT IN ({kept})",
        [report_id],
    )
    if findings:
        con.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, 'report')",
            [
                (
                    report_id,
                    f.rule,
                    f.severity,
                    f.message,
                    None if f.expected is None else float(f.expected),
                    None if f.actual is None else float(f.actual),
                    list(f.cells),
                )
                for f in findings
            ],
        )
    con.execute(
        "UPDATE reports SET has_errors = EXISTS (SELECT 1 FROM findings f WHERE "
        "f.report_id = reports.report_id AND f.severity = 'error' AND f.scope = 'report') "
        "WHERE report_id = ?",
        [report_id],
    )


# ---------------------------------------------------------------------------------------------
# A batch's new revisions
# ---------------------------------------------------------------------------------------------


def reconcile(con: duckdb.DuckDBPyConnection, organs: set[str], who: str) -> set[str]:
    """After an ingest batch loaded reports of ``organs``: carry each active correction of a
    report that a new revision superseded over to that revision when it prints the same old
    value, mark it ``stale`` otherwise; apply the corrections of those organs' reports again
    (a manifest may have moved a report a correction had put elsewhere). Returns the organs
    whose derived rows must be refreshed (the caller's ``derived.refresh`` does it)."""
    if not organs:
        return set()
    has_any = con.execute("SELECT count(*) FROM corrections").fetchone()
    if not has_any or not has_any[0]:
        return set()
    con.execute("CREATE OR REPLACE TEMP TABLE xxgk_corr_organs (organ_id VARCHAR)")
    con.execute(
        "INSERT INTO xxgk_corr_organs SELECT DISTINCT unnest(?::VARCHAR[])", [sorted(organs)]
    )
    moved = con.execute(
        "SELECT c.id, c.report_id, c.target, c.old_value, r.superseded_by "
        "FROM corrections c JOIN reports r USING (report_id) "
        "WHERE c.status = 'active' AND r.status = 'superseded' AND r.superseded_by IS NOT NULL "
        "AND r.organ_id IN (SELECT organ_id FROM xxgk_corr_organs) ORDER BY c.id"
    ).fetchall()
    changed: set[str] = set()
    for cid, old_report, target, old_value, successor in moved:
        now_shows = _parsed_value(con, successor, target)
        changed.update((old_report, successor))
        if now_shows is not _MISSING and now_shows == old_value:
            con.execute("UPDATE corrections SET report_id = ? WHERE id = ?", [successor, cid])
            action = "correction_carried"
        else:
            con.execute("UPDATE corrections SET status = 'stale' WHERE id = ?", [cid])
            action = "correction_stale"
        audit_log.record(
            con,
            who,
            action,
            f"{old_report}:{target}",
            {
                "id": cid,
                "old": old_value,
                "now": None if now_shows is _MISSING else now_shows,
                "report": successor,
            },
        )
    corrected = [
        r
        for (r,) in con.execute(
            "SELECT DISTINCT c.report_id FROM corrections c JOIN reports r USING (report_id) "
            "WHERE c.status = 'active' AND r.organ_id IN (SELECT organ_id FROM xxgk_corr_organs)"
        ).fetchall()
    ]
    con.execute("DROP TABLE xxgk_corr_organs")
    touched = set(organs)
    for report_id in sorted(set(corrected)):
        touched |= _apply_fields(con, report_id)
    changed.update(corrected)
    ids = sorted(changed)
    derived.refresh_figures(con, ids)
    for report_id in ids:
        reaudit(con, report_id)
    return touched | _organs_of(con, ids)


_MISSING: Any = object()


def _parsed_value(con: duckdb.DuckDBPyConnection, report_id: str, target: str) -> Any:
    """What ``report_id`` itself says for ``target`` (no correction applied)."""
    if target in FIELD_TARGETS:
        row = con.execute(
            "SELECT r.organ, o.region_code, r.year FROM reports r JOIN organs o USING (organ_id) "
            "WHERE r.report_id = ?",
            [report_id],
        ).fetchone()
        if row is None:
            return _MISSING
        return {"organ": row[0], "region_code": row[1], "year": str(row[2])}[target]
    metric, applicant = parse_target(target)
    row = con.execute(
        "SELECT value FROM facts WHERE report_id = ? AND metric = ? "
        "AND applicant IS NOT DISTINCT FROM ?",
        [report_id, metric, applicant],
    ).fetchone()
    return _MISSING if row is None else number_text(row[0])


# ---------------------------------------------------------------------------------------------
# Reading, and the CSV form
# ---------------------------------------------------------------------------------------------


def listing(con: duckdb.DuckDBPyConnection, report_id: str | None = None) -> list[dict[str, Any]]:
    """Every correction (of one report if given), oldest first, with its report's organ and
    year, for people and for the CSV file."""
    where, params = ("WHERE c.report_id = ?", [report_id]) if report_id else ("", [])
    rows = con.execute(
        "SELECT c.id, c.report_id, r.organ, r.year, c.target, c.old_value, c.new_value, "
        "c.reason, c.who, c.at_utc, c.status FROM corrections c "
        f"LEFT JOIN reports r USING (report_id) {where} ORDER BY c.id",
        params,
    ).fetchall()
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows]


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _neutral(value: Any) -> str:
    """A text cell a spreadsheet would run as a formula gets a leading ``'`` (OWASP);
    ``read_csv`` takes it off again. Numbers (``-3``) are left as they are."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _unneutral(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA) else text


def write_csv(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    rows = listing(con)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(CSV_COLUMNS)
        for row in rows:
            out.writerow([_neutral(row[c]) for c in CSV_COLUMNS])
    tmp.replace(path)
    return len(rows)


def read_csv(path: Path) -> list[Item]:
    """Items from a CSV with a header (``report_id``, ``target``, ``new_value``, ``reason``;
    ``old_value`` checked when the column is there). Rows of stale or replaced corrections in
    an exported file are history, not requests, and are skipped."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = set(reader.fieldnames or ())
            missing = {"report_id", "target", "new_value", "reason"} - header
            if missing:
                raise WarehouseError(
                    f"{path}: 缺少列 {', '.join(sorted(missing))} / missing columns"
                )
            items = []
            for row in reader:
                row = {k: _unneutral(v or "") for k, v in row.items() if k}
                if row.get("status", "active") not in ("", "active"):
                    continue
                items.append(
                    Item(
                        report_id=row["report_id"],
                        target=row["target"],
                        new_value=row["new_value"] or None,
                        reason=row["reason"],
                        old_value=row.get("old_value") or None,
                        check_old="old_value" in header,
                    )
                )
            return items
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise WarehouseError(f"{path}: 无法读取 / cannot read: {exc}") from exc
