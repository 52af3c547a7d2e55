"""The review queue (待审核): reports with audit errors held back until an editor looks.

Off by default, and then nothing differs: every report is published, its errors marked. A
warehouse whose ``review_errors`` setting is on (``xxgk settings review-errors on``) keeps a
newly loaded report with error-severity findings as ``reports.status = 'pending'``: its
facts, findings and provenance are stored like any report's, but ``current_reports`` (and so
every page, figure and export) reads only ``status = 'current'``, so it is not published,
and the revision it would have superseded stays published. An editor then either confirms
it (``confirm``: published as is, its errors marked as always) or corrects it: a correction
that leaves it without errors releases it (``release_cleared``, run by
``corrections.publish``). Either way it then supersedes the published revision exactly as an
ingest would have, unless a newer revision was published meanwhile: then it goes to history.

Every change is a batch (``warehouse.files.building``) and in the audit log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from pipelines import audit_log
from pipelines.warehouse import derived
from pipelines.warehouse.errors import WarehouseError
from pipelines.warehouse.files import building

SETTING = "review_errors"
PENDING = "pending"
MAX_NOTE = 500


def enabled(con: duckdb.DuckDBPyConnection) -> bool:
    rows = con.execute("SELECT max(value) FROM settings WHERE key = ?", [SETTING]).fetchall()
    return bool(rows) and rows[0][0] == "on"


def set_review_errors(db: Path, on: bool, who: str) -> list[str]:
    """Turn the queue on or off, as a batch. Turning it off publishes whatever it still
    holds (the default is "publish everything"), so no report stays hidden behind a queue
    nobody is shown; returns the reports so released."""
    with building(db) as con:
        con.execute("DELETE FROM settings WHERE key = ?", [SETTING])
        con.execute("INSERT INTO settings VALUES (?, ?)", [SETTING, "on" if on else "off"])
        released: list[str] = []
        if not on:
            released = [r for (r,) in con.execute(_PENDING_IDS).fetchall()]
            _publish_all(con, released, who, "review_released", {"reason": "queue_off"})
        audit_log.record(
            con,
            who,
            "setting",
            SETTING,
            {"value": "on" if on else "off", "released": released},
        )
    return released


_PENDING_IDS = f"SELECT report_id FROM reports WHERE status = '{PENDING}' ORDER BY report_id"


def hold_batch(con: duckdb.DuckDBPyConnection, batch_id: str) -> list[str]:
    """Hold the reports this batch made current that have audit errors, and give back to the
    revisions they superseded their place (repeated: a revision given back that came in the
    same batch with errors is held too). The ingest calls it before ``corrections.reconcile``,
    so corrections stay with the published revision."""
    held: list[str] = []
    while True:
        ids = [
            r
            for (r,) in con.execute(
                "SELECT report_id FROM reports WHERE batch_id = ? AND status = 'current' "
                "AND has_errors",
                [batch_id],
            ).fetchall()
        ]
        if not ids:
            return held
        con.execute(
            f"UPDATE reports SET status = '{PENDING}', superseded_by = NULL "
            "WHERE report_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        )
        con.execute(
            "UPDATE reports SET status = 'current', superseded_by = NULL "
            "WHERE status = 'superseded' AND superseded_by IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        )
        held += ids


def held(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The reports waiting for review, oldest first, each with its error findings."""
    rows = con.execute(
        "SELECT r.report_id, r.organ_id, r.organ, r.year, r.ingested_at, r.source_path, "
        "r.is_demo FROM reports r "
        f"WHERE r.status = '{PENDING}' ORDER BY r.ingested_at, r.organ, r.year, r.report_id"
    ).fetchall()
    out = []
    for report_id, organ_id, organ, year, at, path, is_demo in rows:
        findings = con.execute(
            "SELECT rule, message FROM findings WHERE report_id = ? AND severity = 'error' "
            "ORDER BY rule, message",
            [report_id],
        ).fetchall()
        out.append(
            {
                "report_id": report_id,
                "organ_id": organ_id,
                "organ": organ,
                "year": year,
                "ingested_at": at,
                "source_path": path,
                "is_demo": is_demo,
                "errors": [{"rule": r, "message": m} for r, m in findings],
            }
        )
    return out


def confirm(db: Path, report_ids: list[str], who: str, note: str = "") -> list[str]:
    """Publish held reports as they are (their errors marked), as one batch, or none of
    them if any is not held. Returns the ids that went current (one a newer revision
    overtook meanwhile goes to history instead)."""
    who, note = (who or "").strip(), (note or "").strip()
    if not who:
        raise WarehouseError("请指明确认人 / who is required")
    if len(note) > MAX_NOTE:
        raise WarehouseError(f"备注过长（不超过 {MAX_NOTE} 字）/ note too long")
    ids = list(dict.fromkeys(r.strip() for r in report_ids if r and r.strip()))
    if not ids:
        return []
    with building(db) as con:
        pending = {r for (r,) in con.execute(_PENDING_IDS).fetchall()}
        missing = [r for r in ids if r not in pending]
        if missing:
            raise WarehouseError(
                "以下报告不在待审核队列中，全部未确认 / not held, nothing confirmed: "
                + ", ".join(m[:16] for m in missing)
            )
        return _publish_all(con, ids, who, "review_confirm", {"note": note})


def release_cleared(con: duckdb.DuckDBPyConnection, report_ids: list[str], who: str) -> set[str]:
    """After a correction: the held reports among ``report_ids`` that have no error left are
    published. Returns their organs (for the caller's ``derived.refresh``)."""
    if not report_ids:
        return set()
    ids = [
        r
        for (r,) in con.execute(
            f"SELECT report_id FROM reports WHERE status = '{PENDING}' AND NOT has_errors "
            "AND report_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY report_id",
            [report_ids],
        ).fetchall()
    ]
    if not ids:
        return set()
    _publish_all(con, ids, who, "review_released", {"reason": "corrected"})
    return _organs(con, ids)


def _organs(con: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    rows = con.execute(
        "SELECT DISTINCT organ_id FROM reports WHERE report_id IN (SELECT unnest(?::VARCHAR[]))",
        [ids],
    ).fetchall()
    return {r for (r,) in rows}


def _publish_all(
    con: duckdb.DuckDBPyConnection,
    ids: list[str],
    who: str,
    action: str,
    detail: dict[str, Any],
) -> list[str]:
    """Each held report takes its place as an ingest would have placed it; the corrections
    of a revision it supersedes follow it (``corrections.reconcile``), and the organs'
    current reports and cross-year findings are computed again."""
    from pipelines import corrections

    if not ids:
        return []
    published: list[str] = []
    for report_id in ids:
        row = con.execute(
            "SELECT organ_id, year, ingested_at FROM reports WHERE report_id = ?", [report_id]
        ).fetchone()
        assert row is not None, report_id
        organ_id, year, at = row
        there = con.execute(
            "SELECT report_id, ingested_at FROM reports WHERE status = 'current' "
            "AND organ_id = ? AND year = ?",
            [organ_id, year],
        ).fetchall()
        newer = [r for r, t in there if t > at]
        if newer:  # a later revision was published meanwhile: this one is history
            con.execute(
                "UPDATE reports SET status = 'superseded', superseded_by = ? WHERE report_id = ?",
                [newer[0], report_id],
            )
            outcome = "superseded"
        else:
            con.execute(
                "UPDATE reports SET status = 'superseded', superseded_by = ? "
                "WHERE report_id IN (SELECT unnest(?::VARCHAR[]))",
                [report_id, [r for r, _ in there]],
            )
            con.execute(
                "UPDATE reports SET status = 'current', superseded_by = NULL WHERE report_id = ?",
                [report_id],
            )
            published.append(report_id)
            outcome = "published"
        audit_log.record(
            con,
            who,
            action,
            report_id,
            {**detail, "organ": organ_id, "year": year, "outcome": outcome},
        )
    organs = _organs(con, ids)
    organs |= corrections.reconcile(con, organs, who)
    derived.refresh(con, sorted(organs))
    return published


def describe(con: duckdb.DuckDBPyConnection) -> str:
    """The setting and the queue's length in one line, for ``xxgk settings``."""
    n = len(con.execute(_PENDING_IDS).fetchall())
    state = "开启" if enabled(con) else "关闭"
    return json.dumps({SETTING: state, "待审核": n}, ensure_ascii=False)


def run_job(folder: Path) -> int:
    """The dashboard's confirmation, in a child process (``dashboard.jobs``): ``confirm`` of
    the request's reports, waiting its turn for the warehouse's lock."""
    from dashboard import jobs

    request = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    editor = request.get("editor", "")

    def publish() -> dict[str, Any]:
        db, ids, note = Path(request["db"]), request["report_ids"], request.get("note", "")
        published = jobs.when_free(folder, lambda: confirm(db, ids, editor, note))
        return {"status": "done", "published": published}

    return jobs.run(folder, publish, editor=editor, failure="确认失败，未写入，仓库保持原样")


if __name__ == "__main__":
    import sys

    sys.exit(run_job(Path(sys.argv[1])))
