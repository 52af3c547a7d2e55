"""``xxgk ingest``: files and folders in, one published warehouse batch out.

Files are read, parsed, audited and identified in worker processes (``pipelines.prepare``,
run by ``pipelines.workers``: bounded in memory, CPU time and number in flight); the parent
alone writes, into a private copy of the warehouse that is published only when the whole
batch is in (``warehouse.files.building``). One bad file is a row in ``ingest_errors`` and
a line in the summary; it never stops the batch and never leaves half a report behind.
A file whose bytes are already in the warehouse is skipped before it is parsed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import audit_log, corrections, review
from pipelines.discover import discover
from pipelines.errors import ReportError
from pipelines.manifest import Manifest
from pipelines.prepare import Context, Failure, Prepared, Unchanged, init, lost, prepare
from pipelines.progress import Progress
from pipelines.readers import READER_MODULES
from pipelines.warehouse import derived
from pipelines.warehouse.errors import WarehouseError
from pipelines.warehouse.files import building
from pipelines.warehouse.load import BatchWriter
from pipelines.workers import run_ordered


@dataclass(slots=True)
class Summary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    ambiguous: list[tuple[str, str]] = field(default_factory=list)
    # files kept as history because the report current for their organ and year is fuller
    held: list[tuple[str, str]] = field(default_factory=list)
    unsupported: int = 0  # files in the folders that are not in a report format
    cross_year_findings: int = 0
    batch_id: str = ""
    # reports held for review (待审核, ``pipelines.review``): loaded, not published
    pending: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + len(self.held) + len(self.failed)


def ingest(
    paths: Iterable[str | Path],
    db: Path,
    manifest_paths: Iterable[Path] = (),
    is_demo: bool = False,
    workers: int | None = None,
    progress: bool = True,
    prefer_newer: bool = False,
    actor: str | None = None,
) -> Summary:
    """Load files and folders as one batch; publish it only if all of it went in.

    A bad file is a row in ``ingest_errors`` and the batch goes on. Anything else that goes
    wrong (a bug, a full disk) stops the batch: nothing is published, and the cause comes
    back as one ``WarehouseError`` line, which ``xxgk ingest`` prints (exit status 2)
    instead of a traceback. ``workers=0`` parses in this process (no per-file limits).
    ``actor`` is who the audit log names for the batch (default: the OS user).
    """
    try:
        return _ingest(paths, db, manifest_paths, is_demo, workers, progress, prefer_newer, actor)
    except (WarehouseError, ReportError):
        raise  # already a message for people
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())[:500]
        raise WarehouseError(
            f"{db}: 导入失败，本批次未写入，仓库保持原样 / ingest failed, nothing was "
            f"published: {detail}"
        ) from exc


def _ingest(
    paths: Iterable[str | Path],
    db: Path,
    manifest_paths: Iterable[Path],
    is_demo: bool,
    workers: int | None,
    progress: bool,
    prefer_newer: bool,
    actor: str | None = None,
) -> Summary:
    manifest = Manifest()
    for m in manifest_paths:
        manifest.load(Path(m))
    found = discover(list(paths), manifest)
    summary = Summary(batch_id=uuid.uuid4().hex[:12], unsupported=found.unsupported)
    if workers is None:
        workers = min(os.cpu_count() or 1, max(len(found.files), 1))
    with building(db) as con:
        con.execute(
            "INSERT INTO batches (batch_id, started_at) VALUES (?, now())", [summary.batch_id]
        )
        writer = BatchWriter(con, summary.batch_id, prefer_newer=prefer_newer)
        for path, reason in [*found.problems, *manifest.problems]:
            writer.error(path, "not_found", reason)
        identities = {
            r: (o, y)
            for r, o, y in con.execute("SELECT report_id, organ_id, year FROM reports").fetchall()
        }
        reread: frozenset[bytes] = frozenset()
        if manifest.by_organ:  # a manifest may move known reports: re-read what it speaks for
            reread = frozenset(
                bytes.fromhex(r)
                for (r,) in con.execute(
                    "SELECT report_id FROM reports WHERE organ IN (SELECT unnest(?))",
                    [list(manifest.by_organ)],
                ).fetchall()
            )
        context = Context(manifest, frozenset(map(bytes.fromhex, identities)), reread, is_demo)
        seen: set[str] = set()
        bar = Progress(len(found.files), "导入", enabled=progress)
        results = run_ordered(
            prepare,
            found.files,
            workers=workers,
            on_lost=lost,
            init=init,
            init_args=(context,),
            # the readers import their libraries on first use: once per forkserver, here
            preload=["pipelines.prepare", *READER_MODULES],
        )
        for result in results:
            bar.update()
            if isinstance(result, Unchanged) or (
                isinstance(result, Prepared) and result.report_id in seen
            ):
                summary.unchanged += 1
                continue
            if isinstance(result, Failure):
                writer.error(result.path, result.kind, result.reason)
                continue
            seen.add(result.report_id)
            if result.ambiguous:
                summary.ambiguous.append((result.path, result.organ))
            if result.report_id in identities:
                if identities[result.report_id] == (result.organ_id, result.year):
                    summary.unchanged += 1
                else:
                    writer.reidentify(result)
                continue
            writer.add(result)
        writer.flush()
        summary.new, summary.updated = writer.counts.new, writer.counts.updated
        summary.held, summary.failed = writer.counts.held, writer.counts.failures
        queue = review.enabled(con)
        if queue:  # before reconcile: corrections stay with the revision still published
            summary.pending = review.hold_batch(con, summary.batch_id)
        # corrections follow their report to a new revision, or turn stale (``corrections``)
        touched = writer.touched | corrections.reconcile(
            con, writer.touched, actor or audit_log.os_user()
        )
        summary.cross_year_findings = derived.refresh(con, sorted(touched))
        con.execute(
            "UPDATE batches SET finished_at = now(), new = ?, updated = ?, unchanged = ?, "
            "failed = ? WHERE batch_id = ?",
            [
                summary.new,
                summary.updated,
                summary.unchanged,
                len(summary.failed),
                summary.batch_id,
            ],
        )
        # in the batch's own copy: the event is published exactly when the batch is
        audit_log.record(
            con,
            actor or audit_log.os_user(),
            "ingest",
            summary.batch_id,
            {
                "new": summary.new,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "failed": len(summary.failed),
                "held": len(summary.held),
                "files": len(found.files),
                "demo": is_demo,
            }
            | ({"pending": summary.pending} if queue else {}),
        )
    return summary
