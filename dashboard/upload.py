"""Reports uploaded through the dashboard: unpacked, previewed, stored, and ingested as a batch.

The 导入报告 page adds no second way into the warehouse. A file is parsed for its preview by
the same chain ``xxgk parse`` runs (``pipelines.pipeline.parse_bytes``, with the readers'
size limits), its identity is settled by the function an ingest settles it with
(``pipelines.prepare.identify``) against the manifest it will be ingested with, and what an
editor settles by hand is checked by the manifest's own row rules. On confirmation the files
are written under the upload folder (``data/uploads/`` beside the warehouse) named by their
SHA-256, like ``xxgk fetch`` stores downloads, with a ``manifest.csv`` row each, and
``pipelines.ingest.ingest`` loads them as one batch in a child process (``dashboard.jobs``):
the Streamlit server never holds the writer, and ``xxgk ingest data/uploads`` rebuilds the
same warehouse.

This module does not import Streamlit: the child process runs it as ``python -m
dashboard.upload JOB_DIR``, and the tests call it directly.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import re
import stat
import struct
import sys
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboard import jobs
from pipelines.discover import MANIFEST_NAME, SUPPORTED
from pipelines.errors import ReportError
from pipelines.fetch import extension
from pipelines.kept import merge_manifest, write_atomically
from pipelines.manifest import Manifest, ManifestError
from pipelines.parse.model import Report
from pipelines.paths import default_db
from pipelines.readers import MAX_BYTES

MiB = 1024 * 1024
# One upload: the files dropped plus every member of their zips. A person checks each
# preview before confirming; past a few hundred, ``xxgk ingest`` of a folder is the tool.
MAX_FILES = 200
# What one zip may inflate to in all, and the entries its directory may list (files,
# folders and skipped names alike): a zip is refused before anything is inflated past these.
MAX_ZIP_TOTAL = 256 * MiB
MAX_ZIP_ENTRIES = 1000
ARCHIVES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".zst")
UPLOADS_NAME = "uploads"
JOBS_NAME = ".jobs"  # hidden: an ingest of the upload folder never reads it
# Columns of the upload folder's manifest: the ingest reads the first four; the rest say
# which file it was and who gave it, for people (the manifest ignores unknown columns).
MANIFEST_COLUMNS = ("file", "organ", "region_code", "year", "name", "uploaded_by", "uploaded_at")
SETTLED = ("organ", "region_code", "year")
# Line breaks by ``str.splitlines``, which the manifest reads with: a value holding one
# would cut its row in two. Control characters too, as the manifest refuses them.
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_DRIVE = re.compile(r"^[A-Za-z]:")
# The ingest's advice for a file it cannot identify names the manifest; here the fields are it.
_MANIFEST_ADVICE = re.compile(r"[，,]\s*请在\s*(?:清单)?[（(]?manifest\.csv[）)]?\s*中指定\s*\w+")


def uploads_dir(db: Path | None = None) -> Path:
    """The upload folder: ``uploads/`` beside the warehouse, so the data folder holds both."""
    return (db or default_db()).resolve().parent / UPLOADS_NAME


chinese = jobs.chinese


# ---------------------------------------------------------------------------------------------
# Unpacking
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One file to preview, or one that was refused before it could be (``refused``)."""

    name: str  # as uploaded; a zip member as ``报告.zip › 2023/沭阳.html``
    data: bytes = b""
    refused: str | None = None


class ZipRefused(Exception):
    """The whole zip is refused: nothing in it is read."""


def _is_zip(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06")


def _entry_count(data: bytes) -> int:
    """The entries a zip's end record says it lists, read before ``zipfile`` builds an object
    per entry (a 200 MB zip of empty names would list millions)."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        raise ZipRefused("不是有效的 zip 压缩包（找不到目录）")
    (entries,) = struct.unpack_from("<H", data, at + 10)
    if entries == 0xFFFF:  # a ZIP64 archive: more entries than any upload needs
        raise ZipRefused(f"压缩包条目过多（超过 {MAX_ZIP_ENTRIES} 个）")
    return entries


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: a zip made on a Chinese Windows machine
    stores GBK bytes without the UTF-8 flag, which ``zipfile`` decodes as CP437."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


def _unsafe(name: str) -> bool:
    """A name that would leave the folder it is unpacked into, were it unpacked."""
    path = name.replace("\\", "/")
    return path.startswith("/") or bool(_DRIVE.match(path)) or ".." in path.split("/")


def unpack(name: str, data: bytes) -> list[Item]:
    """The report files in a zip, read into memory and never onto disk.

    The whole zip is refused for a member name that climbs out of its folder (``../``, an
    absolute path, a drive), for more entries than ``MAX_ZIP_ENTRIES``, or for members that
    together would inflate past ``MAX_ZIP_TOTAL`` (each read is also stopped there, whatever
    the headers claim). A zip inside the zip, an encrypted member, a link and a member past
    the readers' size limit are refused one by one; hidden files and folders are skipped, and
    a file in no report format is listed as not read.
    """
    try:
        count = _entry_count(data)
        if count > MAX_ZIP_ENTRIES:
            raise ZipRefused(f"压缩包条目过多（{count} 个，上限 {MAX_ZIP_ENTRIES} 个）")
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise ZipRefused(f"压缩包条目过多（上限 {MAX_ZIP_ENTRIES} 个）")
            names = [_member_name(i) for i in infos]
            for member in names:
                if _unsafe(member):
                    raise ZipRefused(f"压缩包中有不安全的路径“{member}”，整个压缩包不予解压")
            declared = sum(i.file_size for i in infos)
            if declared > MAX_ZIP_TOTAL:
                raise ZipRefused(
                    f"压缩包解压后过大（{declared // MiB} MB，上限 {MAX_ZIP_TOTAL // MiB} MB）"
                )
            return list(_members(zf, name, infos, names))
    except ZipRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise ZipRefused(f"压缩包已损坏或格式不受支持（{exc}）") from exc
    except (OSError, ValueError, RuntimeError) as exc:  # zlib errors, bad offsets
        raise ZipRefused(f"压缩包无法读取（{exc}）") from exc


def _members(
    zf: zipfile.ZipFile, zip_name: str, infos: list[zipfile.ZipInfo], names: list[str]
) -> Iterable[Item]:
    left = MAX_ZIP_TOTAL
    for info, member in zip(infos, names, strict=True):
        shown = f"{zip_name} › {member}"
        parts = member.replace("\\", "/").split("/")
        if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts if p):
            continue
        suffix = os.path.splitext(member)[1].lower()
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            yield Item(shown, refused="压缩包中的符号链接，未读取")
        elif suffix in ARCHIVES:
            yield Item(shown, refused="压缩包内嵌套的压缩包不予解压，请解压后分别上传")
        elif info.flag_bits & 0x1:
            yield Item(shown, refused="加密的压缩包成员，无法读取")
        elif suffix not in SUPPORTED:
            kinds = "、".join(sorted(SUPPORTED))
            yield Item(shown, refused=f"不是报告格式（支持 {kinds}），未读取")
        elif info.file_size > MAX_BYTES:
            yield Item(shown, refused=f"文件过大（上限 {MAX_BYTES // MiB} MB）")
        else:
            with zf.open(info) as fh:
                body = fh.read(min(MAX_BYTES, left) + 1)
            if len(body) > min(MAX_BYTES, left):
                raise ZipRefused(f"压缩包解压后超过 {MAX_ZIP_TOTAL // MiB} MB 上限")
            left -= len(body)
            if _is_zip(body) and not _is_office(body):
                yield Item(shown, refused="压缩包内嵌套的压缩包不予解压，请解压后分别上传")
            else:
                yield Item(shown, body)


def _is_office(data: bytes) -> bool:
    """A Word file is a zip too: it names its parts in ``[Content_Types].xml``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "[Content_Types].xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        return False


def expand(files: Iterable[tuple[str, bytes]]) -> list[Item]:
    """Files as dropped -> the files to preview, each zip replaced by its members."""
    items: list[Item] = []
    for name, data in files:
        suffix = os.path.splitext(name)[1].lower()
        # a zip by its name, or by its bytes under a name no reader claims (a Word file is
        # a zip too, and a damaged one is the Word reader's to explain)
        if suffix == ".zip" or (suffix not in SUPPORTED and _is_zip(data) and not _is_office(data)):
            try:
                members = unpack(name, data)
            except ZipRefused as exc:
                items.append(Item(name, refused=str(exc)))
                continue
            items.extend(members or [Item(name, refused="压缩包中没有文件")])
        else:
            items.append(Item(name, data))
    readable = 0
    out = []
    for item in items:
        if item.refused is None:
            readable += 1
            if readable > MAX_FILES:
                item = Item(item.name, refused=f"超过单次上传上限（{MAX_FILES} 份），未读取")
        out.append(item)
    return out


# ---------------------------------------------------------------------------------------------
# Preview
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    """One uploaded file as parsed for its preview."""

    name: str
    data: bytes
    sha256: str = ""
    suffix: str = ".txt"
    report: Report | None = None
    reason: str | None = None  # why it cannot be read: it is left out
    duplicate_of: str | None = None  # the same bytes came earlier in this upload

    @property
    def stored_name(self) -> str:
        return f"{self.sha256}{self.suffix}"


def parse(item: Item) -> Candidate:
    """Read, parse and audit one file in memory, as ``xxgk parse`` would; never raises."""
    from pipelines.pipeline import parse_bytes

    c = Candidate(item.name, item.data, reason=item.refused)
    if item.refused is not None:
        return c
    c.sha256 = hashlib.sha256(item.data).hexdigest()
    c.suffix = extension(item.data, "file" + os.path.splitext(item.name)[1].lower())
    try:
        c.report = parse_bytes(item.data, item.name)
    except ReportError as exc:
        c.reason = chinese(exc.reason)
    except MemoryError:
        c.reason = "解析所需内存超出限制"
    except RecursionError:
        c.reason = "文件结构嵌套过深"
    except Exception as exc:  # a parser bug is this file's failure, not the page's
        c.reason = f"解析程序出错：{exc!r}"[:300]
    return c


def mark_duplicates(candidates: Sequence[Candidate]) -> None:
    first: dict[str, str] = {}
    for c in candidates:
        if c.report is None:
            continue
        c.duplicate_of = first.get(c.sha256)
        first.setdefault(c.sha256, c.name)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who published a report and for when, as the ingest will settle it."""

    organ: str
    organ_id: str
    organ_kind: str
    region_status: str
    province: str | None
    city: str | None
    county: str | None
    region_code: str | None
    year: int
    warnings: tuple[str, ...]


def clean(value: str) -> str:
    return " ".join(value.split())


def check_fields(fields: dict[str, str]) -> str | None:
    """Why settled values cannot stand in a manifest row, by the manifest's own rules."""
    from pipelines.regions import gazetteer

    for name in SETTLED:
        if _BREAKS.search(fields.get(name, "")):
            return "不能含换行符或控制字符"
    row = {"file": "x", **{k: v for k, v in fields.items() if k in SETTLED}}
    entry = Manifest.entry(row, gazetteer().by_code, file_row=True)
    return chinese(entry.error) if entry.error else None


def read_manifest(into: Path) -> tuple[Manifest, dict[str, dict[str, str]], str | None]:
    """The upload folder's manifest as the ingest will read it, its file rows by file name,
    and why it could not be read (then the preview goes on without it)."""
    manifest = Manifest()
    rows: dict[str, dict[str, str]] = {}
    path = into / MANIFEST_NAME
    if not path.exists():
        return manifest, rows, None
    try:
        manifest.load(path)
        reader = csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())
        for row in reader:
            name = (row.get("file") or "").strip()
            if name:
                rows[name] = {k.strip(): (v or "").strip() for k, v in row.items() if k}
    except (ManifestError, OSError, UnicodeDecodeError) as exc:
        return Manifest(), {}, chinese(str(exc))
    return manifest, rows, None


def settle(
    c: Candidate,
    fields: dict[str, str],
    into: Path,
    manifest: Manifest,
    existing: dict[str, str] | None = None,
) -> tuple[Identity | None, dict[str, str], str | None]:
    """What the ingest will read ``c`` as once ``fields`` are in its manifest row.

    Returns the identity (or None), the settled fields as given (trimmed), and why the file
    cannot load yet: a field that breaks the manifest's rules, or what the text and the
    fields still leave open (no organ, no year). The identity is ``prepare.identify``'s, run
    on a copy of the parsed report against the upload folder's manifest (``manifest``) with
    this file's row (``existing``, the row an earlier upload of the same bytes left, with
    ``fields`` written over it as ``store`` will): the preview is what the ingest does, not
    a second guess of it.
    """
    from pipelines.prepare import identify
    from pipelines.regions import gazetteer

    assert c.report is not None
    given = {k: clean(fields.get(k, "")) for k in SETTLED}
    if reason := check_fields(given):
        return None, given, reason
    path = str(into / c.stored_name)
    row = {k: v for k, v in (existing or {}).items() if k in (*SETTLED, "organ_kind")}
    row.update({k: v for k, v in given.items() if v})
    entry = Manifest.entry({**row, "file": c.stored_name}, gazetteer().by_code, file_row=True)
    if entry.error:  # a field an earlier upload or a person left in the row
        return None, given, f"上传文件夹的 manifest.csv 中该文件的行：{chinese(entry.error)}"
    probe = Manifest()
    probe.by_organ = manifest.by_organ
    probe.by_file = {os.path.normpath(path): entry}
    report = dataclasses.replace(
        c.report, region=dataclasses.replace(c.report.region), warnings=list(c.report.warnings)
    )
    who = identify(report, path, probe)
    if isinstance(who, str):  # the fields above are this page's manifest: say so
        return None, given, _MANIFEST_ADVICE.sub("", chinese(who))
    organ_id, kind, status = who
    assert report.organ is not None and report.year is not None
    r = report.region
    identity = Identity(
        report.organ,
        organ_id,
        kind,
        status,
        r.province,
        r.city,
        r.county,
        r.code,
        report.year,
        tuple(str(w) for w in report.warnings),
    )
    return identity, given, None


def manifest_row(c: Candidate, given: dict[str, str]) -> dict[str, str]:
    """The settled fields worth a manifest row: what differs from what the text printed.
    (A region code the organ's name already gives would only mark the region 按清单指定.)"""
    assert c.report is not None
    read = {
        "organ": c.report.organ or "",
        "region_code": c.report.region.code or "",
        "year": str(c.report.year or ""),
    }
    return {k: v for k, v in given.items() if v and v != read[k]}


def in_warehouse(cur: Any, report_ids: tuple[str, ...]) -> dict[str, tuple[str, int, str]]:
    """Which of these files' bytes the warehouse already holds: report id -> (organ, year,
    status). Such a file loads as 未变化 (unless its row now settles it differently)."""
    if not report_ids:
        return {}
    rows = cur.execute(
        "SELECT report_id, organ, year, status FROM reports WHERE report_id IN (SELECT unnest(?))",
        [list(report_ids)],
    ).fetchall()
    return {r: (o, y, s) for r, o, y, s in rows}


# ---------------------------------------------------------------------------------------------
# Storing and the batch
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Upload:
    """One file the editor confirmed: its bytes, stored name and settled fields."""

    name: str
    data: bytes
    stored_name: str
    fields: dict[str, str] = field(default_factory=dict)


def _plain(value: str) -> str:
    return _BREAKS.sub(" ", value)


def store(into: Path, uploads: Sequence[Upload], editor: str) -> tuple[list[Path], Path]:
    """Write the files (the same bytes twice are one file, written once) and their manifest
    rows; a row already there keeps what this upload does not settle anew, and every
    other row and column (a person may have added ``organ_kind``) is kept."""
    into.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for u in uploads:
        path = into / u.stored_name
        if not path.exists():
            write_atomically(path, u.data)
        paths.append(path)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    rows: dict[str, dict[str, str]] = {}
    for u in uploads:
        row = rows.setdefault(u.stored_name, {})
        row.update({k: v for k, v in u.fields.items() if v})
        row["name"] = _plain(u.name)
        row["uploaded_by"] = _plain(editor)
        row["uploaded_at"] = now
    target = merge_manifest(into, MANIFEST_COLUMNS, rows, first_only=frozenset({"name"}))
    return list(dict.fromkeys(paths)), target


Job = jobs.Job
State = jobs.State
_json = jobs.write_json


def start(db: Path, uploads: Sequence[Upload], editor: str, into: Path | None = None) -> Job:
    """Store the files and start their ingest in a child process (``dashboard.jobs``);
    returns at once."""
    into = into or uploads_dir(db)
    paths, manifest = store(into, uploads, editor)
    folder = jobs.new_folder(into / JOBS_NAME)
    names: dict[str, str] = {}
    for u in uploads:
        names.setdefault(u.stored_name, u.name)
    return jobs.spawn(
        folder,
        "dashboard.upload",
        {
            "db": str(db.resolve()),
            "files": [str(p) for p in paths],
            "manifest": str(manifest),
            "editor": editor,
            "names": names,
        },
    )


def state(job: Job) -> State:
    """Where the batch is: its progress while it runs, its result when it has ended."""
    return jobs.state(job, "导入进程意外退出，本批次未写入，仓库保持原样")


# ---------------------------------------------------------------------------------------------
# The child process
# ---------------------------------------------------------------------------------------------


class _ProgressStream(io.TextIOBase):
    """Stands in for stderr in the child: the ingest's progress line (``导入 [██··] 3/5``)
    becomes ``progress.json``, which the page polls. It claims to be a terminal, so the
    ingest redraws the line after every file rather than every few seconds."""

    _COUNT = re.compile(r"\] (\d+)/(\d+) ")

    def __init__(self, path: Path, log: Any) -> None:
        self.path = path
        self.log = log
        self.last = 0.0

    def isatty(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        found = self._COUNT.findall(s)
        if found:
            done, total = map(int, found[-1])
            now = time.monotonic()
            if done >= total or now - self.last > 0.2:
                self.last = now
                _json(self.path, {"done": done, "total": total})
        else:
            self.log.write(s)
            self.log.flush()
        return len(s)


def _summary(summary: Any, names: dict[str, str], editor: str) -> dict[str, Any]:
    def named(path: str) -> str:
        base = re.split(r"[/\\]", path)[-1]
        return names.get(base, base)

    return {
        "status": "done",
        "batch_id": summary.batch_id,
        "new": summary.new,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "failed": [[named(p), chinese(r)] for p, r in summary.failed],
        "held": [[named(p), chinese(r)] for p, r in summary.held],
        "ambiguous": [[named(p), o] for p, o in summary.ambiguous],
        "cross_year_findings": summary.cross_year_findings,
        # who confirmed the batch: shown with its summary and kept in the manifest rows
        "editor": editor,
    }


def run_job(folder: Path) -> int:
    """The child: one ``ingest`` of the stored files with the upload folder's manifest.

    Another writer holding the warehouse (the lock of ``warehouse.files.building``) is
    waited for (``jobs.when_free``): two editors confirming at once both load.
    """
    from pipelines.ingest import ingest

    request = json.loads((folder / "job.json").read_text(encoding="utf-8"))
    if request.get("kind") == "fetch":
        return _run_fetch(folder, request)
    editor = request.get("editor", "")

    def load() -> dict[str, Any]:
        summary = jobs.when_free(
            folder,
            lambda: ingest(
                request["files"],
                Path(request["db"]),
                manifest_paths=[Path(request["manifest"])],
                progress=True,
                # the audit log (``pipelines.audit_log``) names the editor for the batch
                actor=editor,
            ),
        )
        return _summary(summary, request.get("names", {}), editor)

    log = sys.stderr
    sys.stderr = _ProgressStream(folder / "progress.json", log)
    try:
        return jobs.run(folder, load, editor=editor, failure="导入失败，本批次未写入，仓库保持原样")
    finally:
        sys.stderr = log


# ---------------------------------------------------------------------------------------------
# Fetching from portals (``xxgk fetch`` from the page)
# ---------------------------------------------------------------------------------------------

FETCHED_NAME = "fetched"  # beside the warehouse: ``data/fetched``, the CLI's default folder
FETCH_STATUS = {"fetched": "已下载", "unchanged": "跳过（未变化）", "failed": "失败"}


def fetched_dir(db: Path | None = None) -> Path:
    """Where the page stores downloads: the folder ``xxgk fetch`` uses by default, so that
    ``xxgk ingest data/fetched`` rebuilds what either of them loaded."""
    return (db or default_db()).resolve().parent / FETCHED_NAME


def start_fetch(db: Path, urls: str, editor: str, into: Path | None = None) -> Job:
    """Start fetching a pasted URL list and ingesting what came in a child process.

    The list is written to the job folder as a file so that the child reads it with
    ``pipelines.fetch.read_url_list``: the page and ``xxgk fetch`` accept the same lines.
    """
    into = into or fetched_dir(db)
    folder = jobs.new_folder(into / JOBS_NAME)
    write_atomically(folder / "urls.txt", urls.encode("utf-8"))
    return jobs.spawn(
        folder,
        "dashboard.upload",
        {
            "kind": "fetch",
            "db": str(db.resolve()),
            "urls": str(folder / "urls.txt"),
            "into": str(into.resolve()),
            "editor": editor,
        },
    )


def fetch_phase(job: Job) -> str:
    """``fetch`` while URLs are downloaded, ``ingest`` once the batch loads (its progress
    line carries no phase); the page words its progress bar by it."""
    try:
        progress = json.loads((job.folder / "progress.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "fetch"
    return str(progress.get("phase", "ingest"))


def _run_fetch(folder: Path, request: dict[str, Any]) -> int:
    """The child for a URL list: ``pipelines.fetch`` downloads and stores, then one ingest
    loads the stored files, as ``xxgk fetch`` does, but named for the editor in the audit
    log and waiting its turn for the warehouse like an upload."""
    from pipelines import fetch
    from pipelines.ingest import ingest

    editor = request.get("editor", "")
    into = Path(request["into"])
    progress = folder / "progress.json"
    rows: list[dict[str, Any]] = []  # kept in the result even if the batch fails after them
    log = sys.stderr

    def fetch_and_load() -> dict[str, Any]:
        batch = None
        lines, bad = fetch.read_url_list(Path(request["urls"]))
        total, done = len(lines) + len(bad), [0]

        def logged(_line: str) -> None:  # one call per URL or bad line, in list order
            done[0] += 1
            _json(progress, {"phase": "fetch", "done": done[0], "total": total})

        _json(progress, {"phase": "fetch", "done": 0, "total": total})
        outcomes = fetch.fetch_all(lines, into, fetch.Options(), logged, bad)
        rows.extend(
            {"line": n, "url": text, "status": "failed", "reason": chinese(reason)}
            for n, reason, text in bad
        )
        for o in outcomes:
            rows.append(
                {
                    "line": o.line.number,
                    "url": o.line.url,
                    "status": o.status,
                    "reason": chinese(o.reason),
                    "attachment": o.url if o.referrer else None,
                    "file": o.path.name if o.path else None,
                }
            )
        rows.sort(key=lambda r: r["line"])
        stored = [o for o in outcomes if o.path is not None]
        if stored:
            manifest = fetch.write_manifest(into, stored)
            paths = list(dict.fromkeys(str(o.path) for o in stored))
            sys.stderr = _ProgressStream(progress, log)
            summary = jobs.when_free(
                folder,
                lambda: ingest(paths, Path(request["db"]), manifest_paths=[manifest], actor=editor),
            )
            names = {o.path.name: o.url or o.line.url for o in stored if o.path}
            batch = _summary(summary, names, editor)
        return {"status": "done", "batch": batch}

    try:
        return jobs.run(
            folder,
            fetch_and_load,
            editor=editor,
            failure="下载或导入失败，本批次未写入，仓库保持原样",
            base={"urls": rows, "batch": None},
        )
    finally:
        sys.stderr = log


# Where a report came from, for 报告详情: its URL as a link, and when it was downloaded.


def fetched_at(source_path: str | None, report_id: str) -> str | None:
    """When the file was downloaded, from the sidecar ``pipelines.fetch.store`` wrote beside
    it; None when there is none, or it speaks of other bytes (a file copied elsewhere)."""
    if not source_path:
        return None
    sidecar = Path(source_path).parent / f"{report_id}.json"
    try:
        if sidecar.stat().st_size > MiB:
            return None
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        when = dt.datetime.fromisoformat(str(meta["fetched_at"]).replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(meta, dict) or meta.get("sha256") != report_id:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return f"{when.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"


def source_note(url: str | None, when: str | None = None) -> str:
    """Markdown for 报告详情's caption: 原文网址 linked to ``url`` itself, or the value as
    plain text when it is no web address a reader may safely open (``javascript:``,
    ``data:``; the warehouse may hold what no manifest would let in)."""
    from dashboard import safe
    from pipelines.manifest import check_url

    parts = []
    if url:
        if check_url(url) is None and url.split(":", 1)[0].lower() in ("http", "https"):
            # an angle-bracket destination takes the URL verbatim; only its own brackets and
            # backslashes need escaping, and autolinks or Streamlit's extensions never apply
            target = url.replace("\\", "\\\\").replace("<", "\\<").replace(">", "\\>")
            parts.append(f"[原文网址](<{target}>)")
        else:
            parts.append(f"原文网址（未链接）：{safe.md(url[:200])}")
    if when:
        parts.append(f"下载于 {safe.md(when)}")
    return " · ".join(parts)


if __name__ == "__main__":
    sys.exit(run_job(Path(sys.argv[1])))
