"""A warehouse-writing job of the dashboard, run in a child process and polled by its page.

The Streamlit server never holds the warehouse's writer: a page that changes the warehouse
(导入报告, 人工更正) writes its request into a job folder and starts ``python -m MODULE
FOLDER``; the child writes ``progress.json`` while it runs and ``result.json`` when it ends,
and the page reads them on a timer. A child process, not a thread: the writer (and an
ingest's parse workers) then never share the server's memory, interpreter lock or signals,
and every session keeps being answered while it runs.

This module does not import Streamlit, so the children and the tests use it directly.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pipelines.kept import write_atomically

ROOT = Path(__file__).resolve().parent.parent
# Another writer holding the warehouse's lock (``warehouse.files.building``) is waited for
# this long: two editors confirming at once both get their turn.
WAIT_FOR_LOCK_SECONDS = 600.0
LOCKED = "another ingest is running"  # what ``building`` says when the lock is taken
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Job:
    """A job running (or run) in a child process; its folder holds its request, its
    progress, its log and its result."""

    folder: Path
    pid: int

    @property
    def request(self) -> dict[str, Any]:
        return json.loads((self.folder / "job.json").read_text(encoding="utf-8"))


@dataclass(frozen=True, slots=True)
class State:
    running: bool
    done: int = 0
    total: int = 0
    waiting: bool = False  # another writer holds the warehouse: this job waits its turn
    result: dict[str, Any] | None = None


def chinese(reason: str) -> str:
    """A pipeline reason without its English gloss (``文件为空 / the file is empty``), for a
    job's result."""
    head, sep, tail = reason.rpartition(" / ")
    return head if sep and head and tail.isascii() else reason


def write_json(path: Path, value: Any) -> None:
    write_atomically(path, json.dumps(value, ensure_ascii=False, indent=1).encode("utf-8"))


def new_folder(jobs: Path) -> Path:
    """A fresh job folder under ``jobs`` (named by time, so a listing reads as a log)."""
    folder = jobs / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    prune(jobs)
    return folder


def prune(jobs: Path, keep_days: float = 30) -> None:
    """Job folders are a few kilobytes of record; a month of them is kept."""
    cutoff = time.time() - keep_days * 86400
    for old in jobs.iterdir():
        try:
            if old.stat().st_mtime < cutoff and (old / "result.json").exists():
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


# Started children by pid, so a finished one is reaped (``poll``) and not left a zombie.
_children: dict[int, subprocess.Popen[bytes]] = {}


def spawn(folder: Path, module: str, request: dict[str, Any]) -> Job:
    """Write ``request`` as the job's ``job.json`` and start ``python -m module folder``;
    returns at once."""
    write_json(folder / "job.json", request)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env = {**os.environ, "PYTHONPATH": path}
    with open(folder / "stderr.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, str(folder)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            cwd=ROOT,
            env=env,
            close_fds=True,
        )
    _children[proc.pid] = proc
    return Job(folder, proc.pid)


def state(job: Job, died: str) -> State:
    """Where the job is: its progress while it runs, its result when it has ended (or a
    failed result saying ``died``, with the log's last line, if the child ended without
    writing one)."""
    result_path = job.folder / "result.json"
    if result_path.exists():
        _reap(job.pid)
        return State(False, result=json.loads(result_path.read_text(encoding="utf-8")))
    progress: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):  # not written yet, or being replaced
        progress = json.loads((job.folder / "progress.json").read_text(encoding="utf-8"))
    if _alive(job.pid):
        return State(
            True,
            int(progress.get("done", 0)),
            int(progress.get("total", 0)),
            bool(progress.get("waiting")),
        )
    if result_path.exists():  # written between the two looks
        return State(False, result=json.loads(result_path.read_text(encoding="utf-8")))
    log = (job.folder / "stderr.log").read_text(encoding="utf-8", errors="replace")
    tail = " ".join(log.strip().splitlines()[-1:])[:300]
    return State(
        False,
        result={
            "status": "failed",
            "error": died + (f"（{tail}）" if tail else ""),
            "editor": job.request.get("editor", ""),
        },
    )


def _reap(pid: int) -> None:
    proc = _children.pop(pid, None)
    if proc is not None:
        proc.poll()


def _alive(pid: int) -> bool:
    proc = _children.get(pid)
    if proc is not None:
        if proc.poll() is None:
            return True
        _children.pop(pid, None)
        return False
    try:  # started by another server process, or before a reload of this module
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def run(
    folder: Path,
    work: Callable[[], dict[str, Any]],
    *,
    editor: str,
    failure: str,
    base: dict[str, Any] | None = None,
) -> int:
    """The child's whole life after its request is read: ``work()`` (a dict with ``status``
    and what the page shows), then ``result.json`` written whatever happened, so the page
    never waits for a result that will not come. A refusal the warehouse or a report gives
    (``WarehouseError``, ``ReportError``) is shown in plain Chinese; anything else as
    ``failure`` with the exception. ``base``: what the result holds even if ``work`` fails
    half-way (a fetch's per-URL lines)."""
    from pipelines.errors import ReportError
    from pipelines.warehouse.errors import WarehouseError

    result: dict[str, Any] = {**(base or {}), "editor": editor}
    try:
        result.update(work())
    except (WarehouseError, ReportError) as exc:
        result.update(status="failed", error=chinese(str(exc)))
    except Exception as exc:  # recorded for the page, which would otherwise wait forever
        result.update(status="failed", error=f"{failure}（{type(exc).__name__}: {exc}）"[:500])
    write_json(folder / "result.json", result)
    return 0 if result.get("status") == "done" else 2


def when_free(folder: Path, write: Callable[[], T]) -> T:
    """``write()``, tried again every two seconds while another writer holds the warehouse
    (up to ``WAIT_FOR_LOCK_SECONDS``), the page told that the job waits its turn."""
    from pipelines.warehouse.errors import WarehouseError

    deadline = time.monotonic() + WAIT_FOR_LOCK_SECONDS
    while True:
        try:
            return write()
        except WarehouseError as exc:
            if LOCKED in str(exc) and time.monotonic() < deadline:
                write_json(folder / "progress.json", {"done": 0, "total": 0, "waiting": True})
                time.sleep(2.0)
                continue
            raise
