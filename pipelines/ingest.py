"""``xxgk ingest``: files and folders in, one published warehouse batch out.

Files are parsed in parallel over the machine's cores (the parser is pure Python, so
processes, not threads); the parent alone writes, into a private copy of the warehouse that
is published only when the whole batch is in (``warehouse.files.building``). One bad file
becomes a row in ``ingest_errors`` and a line in the summary; it never stops the batch and
never leaves half a report behind.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.audit import audit_report
from pipelines.errors import ReportError
from pipelines.manifest import Entry, Manifest
from pipelines.parse import parse_document
from pipelines.parse.model import Report
from pipelines.progress import Progress
from pipelines.readers import MAX_BYTES, read_bytes
from pipelines.regions import gazetteer, resolve_organ
from pipelines.warehouse.errors import WarehouseError
from pipelines.warehouse.files import building
from pipelines.warehouse.load import BatchWriter, Parsed, run_cross_year
from pipelines.warehouse.schema import refresh_derived

SUPPORTED = frozenset(
    {".txt", ".text", ".md", ".htm", ".html", ".shtml", ".xhtml", ".pdf", ".docx", ".doc", ".wps"}
)
MANIFEST_NAME = "manifest.csv"

_KNOWN: frozenset[str] = frozenset()
_FORCE: frozenset[str] = frozenset()  # paths a manifest speaks for: parse even if known


@dataclass(slots=True)
class Summary:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    ambiguous: list[tuple[str, str]] = field(default_factory=list)
    cross_year_findings: int = 0
    batch_id: str = ""

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged + len(self.failed)


def discover(paths: Iterable[str | Path], manifest: Manifest) -> list[str]:
    """Every supported file under the given paths, in a stable order; reads manifests found."""
    out: list[str] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = []
            for f in p.rglob("*"):
                rel = f.relative_to(p).parts
                if any(part.startswith(".") for part in rel) or "truth" in rel[:-1]:
                    continue
                if f.name == MANIFEST_NAME:
                    manifest.load(f)
                elif f.is_file() and f.suffix.lower() in SUPPORTED:
                    found.append(str(f))
            out.extend(sorted(found))
        else:
            out.append(str(p))  # named explicitly: try it whatever its extension
    return list(dict.fromkeys(out))


def _init_worker(known: frozenset[str], force: frozenset[str]) -> None:
    global _KNOWN, _FORCE
    _KNOWN, _FORCE = known, force


def document_text(rows: Iterable[list[str]]) -> str:
    return "\n".join("\t".join(c for c in row) for row in rows)


def parse_one(path: str) -> tuple[str, str, str | None, object, object]:
    """Worker: ``(status, path, report_id, report|error kind, text|reason)``."""
    try:
        p = Path(path)
        size = p.stat().st_size
        if size > MAX_BYTES:
            return ("error", path, None, "unreadable", f"文件过大（{size} 字节）/ file too large")
        data = p.read_bytes()
        report_id = hashlib.sha256(data).hexdigest()
        if report_id in _KNOWN and path not in _FORCE:
            return ("unchanged", path, report_id, None, None)
        doc = read_bytes(data, path)
        report = parse_document(doc)
        report.findings = audit_report(report)
        return ("ok", path, report_id, report, document_text(doc.rows()))
    except ReportError as exc:
        return ("error", path, None, exc.kind, exc.reason)
    except OSError as exc:
        return ("error", path, None, "unreadable", f"无法读取文件 / cannot read: {exc.strerror}")
    except Exception as exc:  # a parser bug must not stop the batch; it is recorded
        return ("error", path, None, "internal", f"解析程序出错 / parser error: {exc!r}")


def _results(
    files: list[str], known: frozenset[str], force: frozenset[str], workers: int
) -> Iterator[tuple]:
    if workers <= 1 or len(files) < 16:
        _init_worker(known, force)
        yield from map(parse_one, files)
        return
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["pipelines.ingest"])
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=ctx, initializer=_init_worker, initargs=(known, force)
    ) as pool:
        yield from pool.map(parse_one, files, chunksize=8)


_PLACE_IN_PATH = re.compile(r"[^/\\]+")


def _folder_hint(path: str, candidates: list) -> list:
    """Keep the candidates whose province or city is named by a folder on the path."""
    g = gazetteer()
    parts = set(_PLACE_IN_PATH.findall(str(Path(path).parent)))
    kept = []
    for c in candidates:
        province = g.by_code.get(c.province_code)
        city = g.by_code.get(c.city_code)
        if (province and province.name in parts) or (city and city.name in parts):
            kept.append(c)
    return kept


def identify(report: Report, path: str, manifest: Manifest, is_demo: bool) -> Parsed | str:
    """Organ identity and region for a parsed report, or the reason it cannot be loaded.

    A file row of the manifest wins over an organ row, field by field. The year comes from a
    file row only: an organ row speaks for every report of the organ, and one year for all of
    them would make them supersede each other (``Manifest.load`` refuses such a row).
    """
    by_file = manifest.for_file(path) or Entry()
    by_organ = manifest.for_organ(report.organ) or Entry()
    entry = Entry(
        region_code=by_file.region_code or by_organ.region_code,
        year=by_file.year,
        organ_kind=by_file.organ_kind or by_organ.organ_kind,
    )
    if entry.year:
        report.year = entry.year
    if report.year is None:
        return "未能读出报告年度，请在清单（manifest.csv）中指定 year / no report year"
    if not report.organ:
        return "未能读出发布机关名称 / no organ name in the title"
    resolution = resolve_organ(report.organ)
    status = "resolved" if report.region.code else "unknown"
    g = gazetteer()
    if entry.region_code:
        report.region = g.region_of(g.by_code[entry.region_code])
        status = "manifest"
    elif resolution.ambiguous:
        kept = _folder_hint(path, resolution.candidates)
        if len(kept) == 1:
            report.region = g.region_of(kept[0])
            status = "folder"
        else:
            status = "ambiguous"
    kind = entry.organ_kind or resolution.organ_kind
    if report.region.code:
        organ_id = f"{report.region.code}:{resolution.organ_suffix}"
    else:
        organ_id = "name:" + re.sub(r"\s+", "", report.organ)
    return Parsed(path, "", report, "", organ_id, kind, status, is_demo)


def ingest(
    paths: Iterable[str | Path],
    db: Path,
    manifest_paths: Iterable[Path] = (),
    is_demo: bool = False,
    workers: int | None = None,
    progress: bool = True,
) -> Summary:
    """Load files and folders as one batch; publish it only if all of it went in.

    A bad file is a row in ``ingest_errors`` and the batch goes on. Anything else that goes
    wrong (a bug, a full disk, a constraint the batch breaks) stops the batch: nothing is
    published, and the cause comes back as one ``WarehouseError`` line, which ``xxgk ingest``
    prints (exit status 2) instead of a traceback.
    """
    try:
        return _ingest(paths, db, manifest_paths, is_demo, workers, progress)
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
) -> Summary:
    manifest = Manifest()
    for m in manifest_paths:
        manifest.load(Path(m))
    files = discover(paths, manifest)
    summary = Summary(batch_id=uuid.uuid4().hex[:12])
    workers = workers or os.cpu_count() or 1
    with building(db) as con:
        con.execute(
            "INSERT INTO batches (batch_id, started_at) VALUES (?, now())", [summary.batch_id]
        )
        identities = {
            r: (o, y)
            for r, o, y in con.execute("SELECT report_id, organ_id, year FROM reports").fetchall()
        }
        known = frozenset(identities)
        # A manifest may change who a known report belongs to: re-read what it speaks for.
        force = frozenset(
            files if manifest.by_organ else [f for f in files if manifest.for_file(f)]
        )
        writer = BatchWriter(con, summary.batch_id)
        seen: set[str] = set()
        bar = Progress(len(files), "导入", enabled=progress)
        for status, path, report_id, payload, text in _results(files, known, force, workers):
            bar.update()
            if status == "unchanged" or (report_id and report_id in seen):
                summary.unchanged += 1
                continue
            if status == "error":
                writer.error(path, str(payload), str(text))
                summary.failed.append((path, str(text)))
                continue
            assert isinstance(payload, Report) and report_id is not None
            item = identify(payload, path, manifest, is_demo)
            if isinstance(item, str):
                writer.error(path, "not_identified", item)
                summary.failed.append((path, item))
                continue
            item.report_id, item.text = report_id, str(text)
            if item.region_status == "ambiguous":
                payload.warnings.append(
                    f"“{payload.organ}”的地区有多个同名候选，未能确定，请在 manifest.csv 中指定"
                )
                summary.ambiguous.append((path, payload.organ or ""))
            seen.add(report_id)
            if report_id in identities:
                if identities[report_id] == (item.organ_id, payload.year):
                    summary.unchanged += 1
                else:
                    writer.reidentify(item)
                continue
            writer.add(item)
        writer.flush()
        summary.new, summary.updated = writer.counts.new, writer.counts.updated
        refresh_derived(con, ("current_reports",))
        summary.cross_year_findings = run_cross_year(con)
        refresh_derived(con)
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
    return summary
