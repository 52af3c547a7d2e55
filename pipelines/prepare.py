"""One file, read into the rows the warehouse loads: the work of an ingest's worker process.

Everything that can go wrong with one file happens here, in the worker, and ends as a
``Failure`` naming the file: unreadable bytes, not a report, an organ or year that cannot be
settled, a number or text the warehouse could not store. So the parent, which alone
writes, receives only rows it can load, already packed as Arrow, and a bad file can never
stop the batch at insert time.

Identity (organ, region, year) is settled here too: the worker has the manifest, and the
division gazetteer is loaded once per worker, not once per file.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from pipelines.audit import audit_report
from pipelines.discover import display_path
from pipelines.errors import ReportError
from pipelines.manifest import Entry, Manifest, check_year
from pipelines.parse import parse_document
from pipelines.parse.metadata import IdentityWarning, looks_like_organ
from pipelines.parse.model import Report
from pipelines.readers import read_bytes, read_regular_file
from pipelines.regions import gazetteer, read_region, resolve_organ
from pipelines.workers import ItemTimeout

FACT_SCHEMA = pa.schema(
    [
        ("report_id", pa.string()),
        ("table", pa.string()),
        ("metric", pa.string()),
        ("applicant", pa.string()),
        ("value", pa.float64()),
        ("blank", pa.bool_()),
        ("raw", pa.string()),
        ("unit", pa.string()),
        ("source_page", pa.int16()),
        ("source_box", pa.list_(pa.float32())),
        ("source_table", pa.int16()),
        ("source_row", pa.int16()),
        ("source_col", pa.int16()),
    ]
)
_INT64_MAX = 2**63 - 1


@dataclass(slots=True)
class Failure:
    path: str  # display form
    kind: str
    reason: str


@dataclass(slots=True)
class Unchanged:
    path: str
    report_id: str


@dataclass(slots=True)
class Prepared:
    """A report ready to load: its row in ``reports``, its organ, and its child rows."""

    path: str  # display form, stored as source_path
    report_id: str
    organ_id: str
    organ: str
    organ_kind: str
    region: tuple[str | None, str | None, str | None, str | None]  # code, province, city, county
    region_status: str
    year: int
    edition: str
    table_editions: str
    format: str
    has_errors: bool
    cells: int  # printed cells (blank ones included): how complete this version is
    facts: pa.RecordBatch
    findings: list[tuple[Any, ...]]  # rule, severity, message, expected, actual, cells
    prose: list[tuple[Any, ...]]  # channel, label, value, sentence
    text: str
    warnings: list[str] = field(default_factory=list)
    ambiguous: bool = False
    is_demo: bool = False
    url: str | None = None  # where the file was downloaded from (a manifest's ``url``)


Result = Prepared | Unchanged | Failure


@dataclass(slots=True)
class Context:
    """What every worker knows about the batch (sent once, when the worker starts)."""

    manifest: Manifest
    known: frozenset[bytes] = frozenset()  # sha256 digests of reports already loaded
    reread: frozenset[bytes] = frozenset()  # known reports a manifest row speaks for
    is_demo: bool = False


_context = Context(Manifest())


def init(context: Context) -> None:
    global _context
    _context = context
    gazetteer()  # once per worker, before the first file


def lost(path: str) -> Failure:
    """A file whose worker died twice on it (memory or CPU limit, or a crash)."""
    return Failure(
        display_path(path),
        "crashed",
        "解析进程异常退出（超出内存或时间限制）/ the parser's process died on this file",
    )


def prepare(path: str) -> Result:
    """Read, parse, audit and identify one file; never raises for a bad file."""
    shown = display_path(path)
    try:
        data = read_regular_file(path)
        digest = hashlib.sha256(data).digest()
        report_id = digest.hex()
        ctx = _context
        entry = ctx.manifest.for_file(path)
        if digest in ctx.known and digest not in ctx.reread and (entry is None or entry.only_url):
            return Unchanged(shown, report_id)
        doc = read_bytes(data, shown)
        del data
        report = parse_document(doc)
        report.findings = audit_report(report)
        text = "\n".join("\t".join(row) for row in doc.rows())
        return _pack(report, path, shown, report_id, text)
    except ReportError as exc:
        return Failure(shown, exc.kind, exc.reason)
    except ItemTimeout:
        return Failure(shown, "timeout", "解析超时 / parsing took too long")
    except MemoryError:
        return Failure(shown, "too_large", "解析所需内存超出限制 / parsing needs too much memory")
    except RecursionError:
        return Failure(shown, "too_large", "文件结构嵌套过深 / nested too deeply")
    except Exception as exc:  # a parser bug must not stop the batch; it is recorded
        return Failure(shown, "internal", f"解析程序出错 / parser error: {exc!r}"[:500])


def identify(report: Report, path: str, manifest: Manifest) -> tuple[str, str, str] | str:
    """``(organ_id, organ_kind, region_status)`` for a parsed report, or why it cannot load.

    The one place a report's identity is settled. The parser read what the text prints (the
    organ only if it looks like one, the region the organ's name names, with a warning for
    each it could not settle); here the manifest and the folders on the path settle the
    rest, and the parser's warning about what they settled is dropped, so a stored report
    never says 机关不详 or 未能确定 about an organ or a region it has.

    Organ: a file row's ``organ``, else the title's, else the nearest folder named like an
    organ. Region: the manifest's code, else what the name prints, else (for an ambiguous
    name) a folder naming one candidate's province or city. A file row of the manifest wins
    over an organ row, field by field; the year comes from a file row only. Sets the
    report's organ, region and year where they are settled here.
    """
    by_file = manifest.for_file(path) or Entry()
    if by_file.error:
        return by_file.error
    if by_file.organ and by_file.organ != report.organ:
        _settle_organ(report, by_file.organ)
    elif report.organ is None and (folder := _folder_organ(path)):
        _settle_organ(report, folder)
        report.warnings.append(f"标题未写明发布机关，取自文件夹名“{folder}”")
    by_organ = manifest.for_organ(report.organ) or Entry()
    if by_organ.error:
        return by_organ.error
    if by_file.year:
        report.year = by_file.year
    if report.year is None:
        return "未能读出报告年度，请在清单（manifest.csv）中指定 year / no report year"
    if reason := check_year(report.year):
        return reason
    if not report.organ:
        return (
            "未能从标题读出发布机关名称（机关不详），请在 manifest.csv 中指定 organ "
            "/ no organ name in the title: give it in manifest.csv"
        )
    resolution = resolve_organ(report.organ)
    status = "resolved" if report.region.code else "unknown"
    g = gazetteer()
    code = by_file.region_code or by_organ.region_code
    if code:
        report.region = g.region_of(g.by_code[code])
        status = "manifest"
    elif resolution.ambiguous:
        kept = _folder_hint(path, resolution.candidates)
        if len(kept) == 1:
            report.region = g.region_of(kept[0])
            status = "folder"
        else:
            status = "ambiguous"
    if status in ("manifest", "folder"):
        _drop_identity_warnings(report, "region")
    kind = by_file.organ_kind or by_organ.organ_kind or resolution.organ_kind
    if report.region.code:
        organ_id = f"{report.region.code}:{resolution.organ_suffix}"
    else:
        organ_id = "name:" + re.sub(r"\s+", "", report.organ)
    return organ_id, kind, status


def _drop_identity_warnings(report: Report, about: str) -> None:
    report.warnings = [
        w for w in report.warnings if not (isinstance(w, IdentityWarning) and w.about == about)
    ]


def _settle_organ(report: Report, organ: str) -> None:
    """Another organ than the title's: its region is what its own name prints."""
    report.organ = organ
    _drop_identity_warnings(report, "organ")
    _drop_identity_warnings(report, "region")
    report.region, warnings = read_region(organ)
    report.warnings.extend(warnings)


_PLACE_IN_PATH = re.compile(r"[^/\\]+")


def _folders(path: str) -> list[str]:
    """The folders on the path, nearest first."""
    return _PLACE_IN_PATH.findall(display_path(path).rsplit("/", 1)[0])[::-1]


def _folder_organ(path: str) -> str | None:
    """The nearest folder on the path named like an organ, for a report whose title names
    none (``raw/江苏省/淮安市/淮安市洪泽区人民政府/2023.pdf``, the demo corpus's layout).

    A place's folder (``淮安市``) names a region, not an organ: a folder must carry an
    organ's suffix (``looks_like_organ(place=False)``), and the search stops at the first
    place's folder, above which a folder holds many organs' reports.
    """
    for name in _folders(path):
        name = re.sub(r"\s+", "", name)
        if looks_like_organ(name, place=False):
            return name
        if looks_like_organ(name):
            return None  # a region's folder: above it, folders hold more than one organ
    return None


def _folder_hint(path: str, candidates: list) -> list:
    """Keep the candidates whose province or city is named by a folder on the path."""
    g = gazetteer()
    parts = set(_folders(path))
    kept = []
    for c in candidates:
        province = g.by_code.get(c.province_code)
        city = g.by_code.get(c.city_code)
        if (province and province.name in parts) or (city and city.name in parts):
            kept.append(c)
    return kept


def storable(text: str) -> str:
    """Text DuckDB can store: no lone surrogates (they come from undecodable names)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _number(value: float | int | None) -> float | None:
    if value is None:
        return None
    number = float(value)  # raises OverflowError past the largest double
    if not math.isfinite(number):
        raise OverflowError(value)
    return number


def _origins(facts: list) -> list[pa.Array]:
    """The ``source_*`` columns: where each cell was printed, when the reader knows."""
    origins = [f.origin for f in facts]

    def column(name: str, kind: pa.DataType) -> pa.Array:
        return pa.array([getattr(o, name) if o else None for o in origins], kind)

    boxes = [list(o.box) if o and o.box else None for o in origins]
    return [
        column("page", pa.int16()),
        pa.array(boxes, pa.list_(pa.float32())),
        column("table", pa.int16()),
        column("row", pa.int16()),
        column("col", pa.int16()),
    ]


def _pack(report: Report, path: str, shown: str, report_id: str, text: str) -> Result:
    who = identify(report, path, _context.manifest)
    if isinstance(who, str):
        return Failure(shown, "not_identified", who)
    organ_id, kind, status = who
    assert report.year is not None and report.organ is not None
    # Plain text from here on; an ambiguous region keeps the parser's one warning about it.
    warnings = [storable(str(w)) for w in report.warnings]
    try:
        values = [_number(f.value) for f in report.facts]
    except OverflowError:
        return Failure(shown, "bad_number", "表格中有超出可存储范围的数字 / a number out of range")
    n = len(report.facts)
    facts = pa.RecordBatch.from_arrays(
        [
            pa.array([report_id] * n, pa.string()),
            pa.array([f.table for f in report.facts], pa.string()),
            pa.array([f.metric for f in report.facts], pa.string()),
            pa.array([f.applicant for f in report.facts], pa.string()),
            pa.array(values, pa.float64()),
            # blank: printed empty; a cell whose text is not a number is unread, not blank
            pa.array(
                [v is None and not f.unreadable for v, f in zip(values, report.facts, strict=True)],
                pa.bool_(),
            ),
            pa.array([storable(f.raw) for f in report.facts], pa.string()),
            pa.array([f.unit for f in report.facts], pa.string()),
            *_origins(report.facts),
        ],
        schema=FACT_SCHEMA,
    )
    findings = []
    for fd in report.findings:
        try:
            expected, actual = _number(fd.expected), _number(fd.actual)
        except OverflowError:
            expected = actual = None
        findings.append(
            (fd.rule, fd.severity, storable(fd.message), expected, actual, list(fd.cells))
        )
    prose = []
    for p in report.prose_counts:
        if not 0 <= p.value <= _INT64_MAX:
            warnings.append(f"正文数字“{p.value}”超出可存储范围，未计入 / prose count out of range")
            continue
        prose.append((p.channel, p.label, p.value, storable(p.sentence)))
    region = report.region
    return Prepared(
        path=storable(shown),
        report_id=report_id,
        organ_id=storable(organ_id),
        organ=storable(report.organ),
        organ_kind=kind,
        region=(region.code, region.province, region.city, region.county),
        region_status=status,
        year=report.year,
        edition=report.edition,
        table_editions=json.dumps(report.table_editions, ensure_ascii=False),
        format=report.format,
        has_errors=any(fd.severity == "error" for fd in report.findings),
        cells=n,
        facts=facts,
        findings=findings,
        prose=prose,
        text=storable(text),
        warnings=warnings,
        ambiguous=status == "ambiguous",
        is_demo=_context.is_demo,
        url=(_context.manifest.for_file(path) or Entry()).url,
    )
