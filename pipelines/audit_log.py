"""The audit log: who changed what in the warehouse or signed in to edit it, and when.

One log, two stores, because the warehouse has exactly one writer at a time and the
dashboard never is it:

- **The warehouse table ``audit_log``** (migration 7) holds what a batch does. A batch
  writes into its private copy of the warehouse and publishes it by renaming it over the old
  file (``warehouse.files.building``); ``record(con, …)`` inserts the batch's event in that
  same copy, so the event is published exactly when, and only if, the batch is.
- **The journal** ``<warehouse>.audit.jsonl`` beside the warehouse file (``XXGK_AUDIT_LOG``
  names another) holds everything that happens outside a batch: the dashboard's sign-ins,
  sign-outs and refused attempts, and ``xxgk user add/remove``. The dashboard opens the
  warehouse read-only, and writing one line into it would mean copying the whole file (as a
  batch does) and failing whenever an ingest holds the writer's lock: a sign-in may neither
  take that long nor be refused for it. A second DuckDB file is no better, since DuckDB lets
  one process write a file and the dashboard and the CLI are two. So ``append`` adds one JSON
  object a line, under an exclusive ``flock``, with ``O_APPEND``, then ``fsync``.

``read`` merges both, newest first. Nothing in xxgk updates or deletes a row of either: the
table is carried forward by every batch like every other table, and the journal is only ever
appended to. (A warehouse served by several replicas, each with its own copy, has a journal
per replica; the table travels with the copies.)
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb
    import polars as pl

JOURNAL_ENV = "XXGK_AUDIT_LOG"
MAX_WHO = 200
MAX_ACTION = 64
MAX_TARGET = 1000
MAX_LINE = 64 * 1024  # a line longer than this in the journal was not written by us


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime  # UTC, aware
    who: str
    action: str
    target: str
    detail: dict[str, Any] = field(default_factory=dict)
    source: str = "journal"  # journal | warehouse: where it was read from


def _text(value: object, limit: int) -> str:
    return ("" if value is None else str(value))[:limit]


def _event(who: object, action: object, target: object, detail: Mapping | None) -> Event:
    action = _text(action, MAX_ACTION)
    if not action:
        raise ValueError("an audit event needs an action")
    return Event(
        datetime.now(UTC),
        _text(who, MAX_WHO),
        action,
        _text(target, MAX_TARGET),
        dict(detail or {}),
    )


def _json(detail: Mapping[str, Any]) -> str:
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str)


def os_user() -> str:
    """Who runs this command, as the machine knows them (for the CLI and batches)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return f"uid {os.getuid()}"


# ---------------------------------------------------------------------------------------------
# The warehouse table
# ---------------------------------------------------------------------------------------------


def record(
    con: duckdb.DuckDBPyConnection,
    who: str,
    action: str,
    target: str = "",
    detail: Mapping[str, Any] | None = None,
) -> Event:
    """Insert one event on a connection that writes a warehouse batch (``building``)."""
    event = _event(who, action, target, detail)
    con.execute(
        "INSERT INTO audit_log (at_utc, who, action, target, detail) VALUES (?, ?, ?, ?, ?)",
        [event.at.replace(tzinfo=None), event.who, event.action, event.target, _json(event.detail)],
    )
    return event


def warehouse_frame(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """The table as a frame (the dashboard caches it per published warehouse)."""
    return con.sql(
        'SELECT at_utc AS "at", who, action, target, detail FROM audit_log ORDER BY at_utc DESC'
    ).pl()


def _from_frame(frame: pl.DataFrame) -> Iterator[Event]:
    for at, who, action, target, detail in frame.iter_rows():
        yield Event(at.replace(tzinfo=UTC), who, action, target or "", _loads(detail), "warehouse")


def _loads(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"value": value}


# ---------------------------------------------------------------------------------------------
# The journal
# ---------------------------------------------------------------------------------------------


def journal_path(db: Path) -> Path:
    """``XXGK_AUDIT_LOG``, else ``xxgk.audit.jsonl`` beside ``xxgk.duckdb``."""
    named = os.environ.get(JOURNAL_ENV)
    return Path(named) if named else db.with_name(f"{db.stem}.audit.jsonl")


def append(
    path: Path,
    who: str,
    action: str,
    target: str = "",
    detail: Mapping[str, Any] | None = None,
) -> Event:
    """Add one event to the journal; OSError if it cannot be written (the caller decides
    whether the action may go on unrecorded: a sign-in may not)."""
    event = _event(who, action, target, detail)
    line = json.dumps(
        {
            "at": event.at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "who": event.who,
            "action": event.action,
            "target": event.target,
            "detail": event.detail,
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = (line + "\n").encode("utf-8")
        # a line torn by a full disk earlier would swallow this one: start on a fresh line
        end = os.lseek(fd, 0, os.SEEK_END)
        if end and _last_byte(path, end) != b"\n":
            data = b"\n" + data
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    return event


def _last_byte(path: Path, size: int) -> bytes:
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        return fh.read(1)


def journal_events(path: Path) -> list[Event]:
    """Every readable event of the journal, in file order; a line that is not one of ours
    (torn, edited by hand) is skipped rather than stopping the page."""
    events: list[Event] = []
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError:
        return events
    with fh:
        for raw in fh:
            if len(raw) > MAX_LINE:
                continue
            try:
                obj = json.loads(raw)
                at = datetime.fromisoformat(str(obj["at"]).replace("Z", "+00:00"))
            except (ValueError, KeyError, TypeError):
                continue
            if not isinstance(obj, dict) or at.tzinfo is None:
                continue
            detail = obj.get("detail")
            events.append(
                Event(
                    at.astimezone(UTC),
                    _text(obj.get("who"), MAX_WHO),
                    _text(obj.get("action"), MAX_ACTION),
                    _text(obj.get("target"), MAX_TARGET),
                    detail if isinstance(detail, dict) else {},
                    "journal",
                )
            )
    return events


# ---------------------------------------------------------------------------------------------
# Both
# ---------------------------------------------------------------------------------------------


def merge(
    *sources: Iterable[Event], action: str | None = None, who: str | None = None
) -> list[Event]:
    """The events of every source, newest first, optionally of one action or one person."""
    out = [
        e
        for source in sources
        for e in source
        if (action is None or e.action == action) and (who is None or e.who == who)
    ]
    out.sort(key=lambda e: e.at, reverse=True)
    return out


def read(
    con: duckdb.DuckDBPyConnection | None,
    journal: Path | None,
    action: str | None = None,
    who: str | None = None,
) -> list[Event]:
    """The whole log: the warehouse's table (``con``, a reader is enough) and the journal."""
    table: Iterable[Event] = () if con is None else _from_frame(warehouse_frame(con))
    return merge(table, journal_events(journal) if journal else (), action=action, who=who)


def events_of(frame: pl.DataFrame) -> list[Event]:
    """``warehouse_frame``'s rows as events (for a caller that cached the frame)."""
    return list(_from_frame(frame))
