"""Scale benchmark: a province's worth of reports (100,000) through every real command.

Run (about 15 minutes on two cores, plus 2 minutes the first time to generate the corpus):

    uv run --frozen python benchmarks/scale.py                     # 100,000 reports
    uv run --frozen python benchmarks/scale.py --reports 20000     # a quick check
    uv run --frozen python benchmarks/scale.py --steps pages,serve --skip-generate

Steps (``--steps``, comma-separated; default all, in this order):

- ``generate``: 100,000 reports of the demo generator (seed 1, every city, 3-6 departments
  per county, half text and half HTML), written as they are generated into shard folders
  of 100 under the cache (``benchmarks/.cache/scale`` or ``$XXGK_BENCH_CACHE``; 2 GB), and
  the next 100 reports of the same stream (new organs or new years) for the batch step. A
  marker file written last says the corpus is complete; a later run skips generation.
- ``ingest``: ``xxgk ingest`` (the installed command, as a subprocess) of all of them into
  a new warehouse, and of the first tenth into another.
- ``batch``: the 100 further reports into a fresh copy of each warehouse, ``--batch-repeats``
  times, alternating (one sample of a few seconds is too noisy on a shared machine);
  file size before and after, and DuckDB's ``pragma_database_size()`` after.
- ``export``: ``xxgk export`` of everything (long Parquet), ``--by-year``, and a CSV of the
  largest province.
- ``pages``: every dashboard page through Streamlit's ``AppTest`` over the big warehouse, in
  a process of its own: the first load with empty caches (a new session, a new connection)
  and the p95 of ``--runs`` reruns.
- ``serve``: ``xxgk serve`` on a free port, every page opened in headless Chromium
  (Playwright, ``/usr/bin/chromium``; skipped with a note when either is missing), the
  server's memory after each; then the download page writes the whole warehouse (long
  Parquet), as a reader pressing its button would.

Memory is the peak resident set (RSS) of every process of a command, polled from /proc
every 0.2 s for the whole tree: the ingest's workers are children of a forkserver, not of
the command, so ``getrusage(RUSAGE_CHILDREN)`` would not see them all. The kernel's own peak
for the command (``wait4``) is kept as a cross-check of what polling can miss, and counts
in the aims. "1 GB" in an aim is read as 1 GiB.

The tree may be shared with someone changing the product while a run goes on: every
command records the commit and a digest of the uncommitted changes it started with, and the
table marks rows measured on different code.

The table is printed and written to ``benchmarks/results/scale.md`` (``scale-<N>.md`` for
another ``--reports``). Results are kept per step in the cache, so re-running some steps
updates their rows and keeps the others (marked with the date they were measured).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# This folder also holds benchmarks/dashboard.py: put the project first so that `dashboard`
# is the app, not that script.
sys.path[0] = str(ROOT)

from dashboard.pages import PAGE_FILES, PAGES  # noqa: E402

APP = ROOT / "dashboard" / "app.py"
RESULTS = ROOT / "benchmarks" / "results"
CHROMIUM = Path("/usr/bin/chromium")
DEFAULT_REPORTS = 100_000
BATCH = 100  # reports in the "a new batch arrives" step
SHARD = 100  # reports per shard folder: the small warehouse takes whole shards
GENERATOR = {
    "seed": 1,
    "cities": "all",
    "departments": (3, 6),
    "formats": {"text": 0.5, "html": 0.5},
}
STEPS = ("generate", "ingest", "batch", "export", "pages", "serve")
PAGE_TITLES = {path: title for group in PAGES.values() for path, title, _, _ in group}
PAGE_URLS = {path: url for group in PAGES.values() for path, _, _, url in group}
GIB = 1024 * 1024  # in kB, the unit /proc and getrusage speak

INGEST_AIM_S = 600
INGEST_AIM_KB = 2 * GIB
BATCH_AIM_S = 5.0
BATCH_RATIO = 2.0
EXPORT_AIM_KB = GIB
FIRST_LOAD_AIM_S = 1.0
P95_AIM_S = 0.3
SERVER_AIM_KB = GIB


# ---------------------------------------------------------------------------------------------
# Formatting and the machine
# ---------------------------------------------------------------------------------------------


def seconds(s: float | None) -> str:
    if s is None:
        return "—"
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    return f"{int(s // 60)} min {s % 60:02.0f} s"


def mib(kb: float | None) -> str:
    if not kb:
        return "—"
    if kb >= GIB:
        return f"{kb / GIB:.2f} GiB"
    return f"{kb / 1024:.0f} MiB"


def size(n: float | None) -> str:
    return mib(n / 1024) if n else "—"


def tree_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1])
    import duckdb
    import streamlit

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_kb": ram,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "streamlit": streamlit.__version__,
    }


def source_state() -> str:
    """The commit measured, and a digest of what differs from it in the product's code.

    The tree may be shared with someone working on it while a run goes on: each command
    records the code it started with, and the table says when that changed between rows.
    """

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    diff = git("diff", "HEAD", "--", "pipelines", "dashboard")
    if not diff:
        return commit
    changed = sorted(set(re.findall(r"^\+\+\+ b/(\S+)", diff, flags=re.M)))
    digest = hashlib.sha1(diff.encode()).hexdigest()[:8]
    return f"{commit} + uncommitted {digest} ({', '.join(changed)})"


# ---------------------------------------------------------------------------------------------
# Memory of a process tree
# ---------------------------------------------------------------------------------------------

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _rss_kb(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


class TreeWatcher:
    """Peak RSS and CPU time of every process under ``root``, by role, polled from /proc.

    Roles: ``main`` (the command), ``forkserver`` and ``resource tracker`` (its
    multiprocessing helpers), ``worker`` (a child of the forkserver: a parse worker), and
    ``child`` for anything else it starts. CPU time is read from the same scan, so a
    process's last 0.2 s before it exits may be missing.
    """

    def __init__(self, root: int, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.peak: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.role: dict[int, str] = {}
        self.now: dict[int, int] = {}
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-watch", daemon=True)

    def __enter__(self) -> TreeWatcher:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def _classify(self, pid: int, parent: int | None) -> str:
        if parent is None:
            return "main"
        if self.role.get(parent) == "forkserver":
            return "worker"
        command = _cmdline(pid)
        if "multiprocessing.forkserver" in command:
            return "forkserver"
        if "multiprocessing.resource_tracker" in command:
            return "resource tracker"
        return "child"

    def sample(self) -> None:
        children: dict[int, list[int]] = defaultdict(list)
        cpu: dict[int, float] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry.name}/stat").read_bytes().rsplit(b")", 1)[1].split()
                pid = int(entry.name)
                children[int(fields[1])].append(pid)
                cpu[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            except (OSError, IndexError, ValueError):
                continue
        now: dict[int, int] = {}
        todo: list[tuple[int, int | None]] = [(self.root, None)]
        while todo:
            pid, parent = todo.pop()
            rss = _rss_kb(pid)
            if rss is None:
                continue
            with self.lock:
                if pid not in self.role:
                    self.role[pid] = self._classify(pid, parent)
                self.peak[pid] = max(self.peak.get(pid, 0), rss)
                if pid in cpu:
                    self.cpu[pid] = cpu[pid]
            now[pid] = rss
            todo.extend((child, pid) for child in children.get(pid, ()))
        with self.lock:
            self.now = now

    def by_role(self) -> dict[str, list[int]]:
        """role -> the peak RSS of each process in that role, largest first."""
        out: dict[str, list[int]] = defaultdict(list)
        with self.lock:
            for pid, kb in self.peak.items():
                out[self.role[pid]].append(kb)
        return {role: sorted(kbs, reverse=True) for role, kbs in out.items()}

    def cpu_by_role(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        with self.lock:
            for pid, seconds_used in self.cpu.items():
                out[self.role[pid]] += seconds_used
        return dict(out)

    def current(self, role: str = "main") -> int:
        with self.lock:
            return sum(kb for pid, kb in self.now.items() if self.role.get(pid) == role)

    def reset_peaks(self) -> None:
        with self.lock:
            self.peak = dict(self.now)


@dataclass
class Run:
    """One command: its exit status, wall time and the memory and CPU of its processes."""

    rc: int
    wall: float
    roles: dict[str, list[int]]  # role -> peak RSS (kB) of each process, largest first
    cpu: dict[str, float]  # role -> CPU seconds
    kernel_peak_kb: int  # wait4: the command or a descendant it waited for
    load: tuple[float, float]  # 1-minute load average before and after
    stdout: str
    log: Path
    source: str  # the code it ran (``source_state`` as it started)

    @property
    def main_kb(self) -> int:
        """The main process's peak; the kernel's exact one when it has no children (for
        a command that has, the kernel's figure may be a descendant's)."""
        polled = max(self.roles.get("main", [0]))
        return polled if len(self.roles) > 1 else max(polled, self.kernel_peak_kb)

    @property
    def any_kb(self) -> int:
        """The largest peak of any process, polled or as the kernel counted it."""
        return max([self.kernel_peak_kb, *(kb for kbs in self.roles.values() for kb in kbs)])

    def other(self) -> str:
        """The largest peak RSS outside the main process, with its role."""
        best, label = 0, ""
        for role, kbs in self.roles.items():
            if role != "main" and kbs[0] > best:
                best, label = kbs[0], role + (f" (largest of {len(kbs)})" if len(kbs) > 1 else "")
        return f"{mib(best)} {label}" if best else "—"

    def roles_note(self) -> str:
        parts = []
        for role, kbs in sorted(self.roles.items(), key=lambda kv: -kv[1][0]):
            peaks = ", ".join(mib(kb) for kb in kbs[:8]) + (" …" if len(kbs) > 8 else "")
            parts.append(f"{role} {peaks} (CPU {self.cpu.get(role, 0):.0f} s)")
        return (
            "peak RSS per process: "
            + "; ".join(parts)
            + f"; kernel peak (wait4) {mib(self.kernel_peak_kb)}; load average "
            f"{self.load[0]:.1f} → {self.load[1]:.1f}"
        )


def wait4(proc: subprocess.Popen[bytes]) -> int:
    """Reap ``proc`` with ``wait4``; returns the kernel's peak RSS (kB) of it and what it reaped."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return int(usage.ru_maxrss)


def run_command(
    cmd: list[str], log: Path, timeout: float, env: dict[str, str] | None = None
) -> Run:
    """Run ``cmd`` to the end, its output to ``log``, watching the RSS of its whole tree."""
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"  $ {' '.join(cmd[:6])}{' …' if len(cmd) > 6 else ''}  (log: {log})", flush=True)
    load = os.getloadavg()[0]
    source = source_state()
    with open(log, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
        with TreeWatcher(proc.pid) as watch:
            timer = threading.Timer(timeout, proc.kill)
            timer.start()
            try:
                kernel = wait4(proc)
            finally:
                timer.cancel()
            wall = time.perf_counter() - start
    text = log.read_text(encoding="utf-8", errors="replace")
    return Run(
        proc.returncode,
        wall,
        watch.by_role(),
        watch.cpu_by_role(),
        kernel,
        (load, os.getloadavg()[0]),
        text,
        log,
        source,
    )


def xxgk() -> list[str]:
    """The installed ``xxgk`` command (what people run), or the module when there is none."""
    script = Path(sys.executable).with_name("xxgk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]


# ---------------------------------------------------------------------------------------------
# Results: one row per step, kept between runs
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    step: str
    wall: str
    main: str = "—"
    other: str = "—"
    size: str = "—"
    aim: str = "—"
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    measured: str = ""
    source: str = ""  # the code measured (``source_state``)
    caveat: str = ""  # said after the verdict: what the aim does not cover


ORDER = [
    "generate",
    "ingest-full",
    "ingest-small",
    "batch-small",
    "batch-full",
    "export-all",
    "export-by-year",
    "export-csv",
    *(f"page:{p}" for p in PAGE_FILES),
    "pages-process",
    "serve-pages",
    "serve-download",
]


class Results:
    def __init__(self, path: Path, started: str) -> None:
        self.path = path
        self.started = started
        self.rows: dict[str, Row] = {}
        if path.exists():
            with contextlib.suppress(ValueError, TypeError, KeyError):
                for key, row in json.loads(path.read_text(encoding="utf-8"))["rows"].items():
                    self.rows[key] = Row(**row)

    def add(self, row: Row) -> None:
        row.measured = self.started
        row.source = row.source or source_state()
        self.rows[row.key] = row
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"rows": {k: asdict(r) for k, r in self.rows.items()}}
        self.path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        verdict = "" if row.met is None else (" — aim met" if row.met else " — AIM MISSED")
        print(f"  => {row.step}: {row.wall}, main {row.main}, other {row.other}{verdict}")

    def markdown(self, header: list[str]) -> str:
        keys = [k for k in ORDER if k in self.rows] + [k for k in self.rows if k not in ORDER]
        latest = max((self.rows[k].measured for k in keys), default=self.started)
        sources = list(dict.fromkeys(self.rows[k].source or "unknown" for k in keys))
        tags = {src: chr(ord("A") + i) for i, src in enumerate(sources)}
        if len(sources) == 1:
            header = [*header, "", f"Code measured: {sources[0]}."]
        else:
            header = [
                *header,
                "",
                "The code changed between rows (someone worked in the tree during the run): "
                + "; ".join(f"[{tags[src]}] {src}" for src in sources)
                + ".",
            ]
        lines = [
            *header,
            "",
            "| step | wall time | peak RSS, main process | peak RSS, largest other process "
            "| file size | aim: met? |",
            "|---|---|---|---|---|---|",
        ]
        notes = []
        for key in keys:
            row = self.rows[key]
            earlier = "" if row.measured == latest else f" *(measured {row.measured})*"
            tag = f" [{tags[row.source or 'unknown']}]" if len(sources) > 1 else ""
            verdict = {None: "", True: " — **met**", False: " — **MISSED**"}[row.met]
            caveat = f" ({row.caveat})" if row.caveat else ""
            lines.append(
                f"| {row.step}{tag}{earlier} | {row.wall} | {row.main} | {row.other} "
                f"| {row.size} | {row.aim}{verdict}{caveat} |"
            )
            notes.extend(f"- {row.step}: {note}" for note in row.notes)
        if notes:
            lines += ["", "Details:", "", *notes]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------


@dataclass
class Layout:
    """Where one ``--reports`` size keeps its corpus, warehouses, exports and logs."""

    root: Path
    reports: int

    @property
    def small(self) -> int:
        return self.reports // 10

    @property
    def base(self) -> Path:
        return self.root / f"n{self.reports}"

    @property
    def corpus(self) -> Path:
        return self.base / "corpus"

    @property
    def batch(self) -> Path:
        return self.base / "batch"

    @property
    def marker(self) -> Path:
        return self.base / "corpus-complete.json"

    def shards(self, n: int) -> list[Path]:
        return [self.corpus / f"s{i:04d}" for i in range(n // SHARD)]

    def db(self, name: str) -> Path:
        return self.base / "warehouses" / f"{name}.duckdb"

    @property
    def exports(self) -> Path:
        return self.base / "exports"

    def log(self, name: str) -> Path:
        return self.base / "logs" / f"{name}.log"


def _marker_config(reports: int) -> dict[str, Any]:
    return {"reports": reports, "batch": BATCH, "shard": SHARD, **GENERATOR}


def corpus_ready(layout: Layout) -> dict[str, Any] | None:
    """The marker of a complete corpus of this size and these generator settings, if any."""
    try:
        marker = json.loads(layout.marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    want = json.loads(json.dumps(_marker_config(layout.reports)))
    return marker if marker.get("config") == want else None


def generate(layout: Layout) -> Row | None:
    """Write the reports as the generator yields them: never more than one in memory."""
    from pipelines.demo.corpus import iter_reports

    marker = corpus_ready(layout)
    if marker is not None:
        print(f"  cached: generated on {marker['generated_at']}", flush=True)
        return None
    layout.marker.unlink(missing_ok=True)
    for folder in (layout.corpus, layout.batch):
        shutil.rmtree(folder, ignore_errors=True)  # a run stopped half-way: start over
    made: set[Path] = set()
    by_format: Counter[str] = Counter()
    written = 0
    start = time.perf_counter()
    total = layout.reports + BATCH
    stream = iter_reports(**GENERATOR)
    for i, report in zip(range(total), stream, strict=False):
        if i < layout.reports:
            path = layout.corpus / f"s{i // SHARD:04d}" / report.relpath
        else:
            path = layout.batch / report.relpath
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        path.write_bytes(report.data)
        written += len(report.data)
        by_format[report.format] += 1
        if (i + 1) % 10_000 == 0:
            rate = (i + 1) / (time.perf_counter() - start)
            print(f"  generated {i + 1:,} / {total:,} ({rate:.0f} reports/s)", flush=True)
    count = sum(by_format.values())
    if count < total:
        raise SystemExit(f"the generator ran out after {count:,} reports; {total:,} are needed")
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    layout.marker.write_text(
        json.dumps(
            {
                "config": _marker_config(layout.reports),
                "seconds": round(elapsed, 1),
                "bytes": written,
                "by_format": dict(by_format),
                "generated_at": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
            },
            indent=1,
        ),
        encoding="utf-8",
    )
    return Row(
        "generate",
        f"generate {layout.reports:,} + {BATCH} reports",
        f"{seconds(elapsed)} ({count / elapsed:.0f} reports/s)",
        main=mib(peak),
        size=size(written),
        notes=[f"by format: {dict(by_format)}; in this process, streamed to disk"],
    )


# ---------------------------------------------------------------------------------------------
# Ingest, batch, export
# ---------------------------------------------------------------------------------------------


def _fresh(db: Path) -> None:
    for path in db.parent.glob(f"{db.name}*"):
        path.unlink()
    for path in db.parent.glob(f".{db.name}.*"):
        path.unlink()


def _ingested(run: Run) -> tuple[int, int]:
    """(new, failed) from the summary line ``完成：新增 N，更新 …，失败 F；…``."""
    m = re.search(r"新增 (\d+)，更新 \d+，未变 \d+，失败 (\d+)", run.stdout)
    return (int(m.group(1)), int(m.group(2))) if m else (-1, -1)


def _failure(run: Run) -> str:
    tail = " / ".join(run.stdout.strip().splitlines()[-3:])
    return f"exit status {run.rc}: {tail[:300]} (log {run.log})"


def ingest(layout: Layout, name: str, paths: list[Path], expect: int, timeout: float) -> Run:
    db = layout.db(name)
    db.parent.mkdir(parents=True, exist_ok=True)
    _fresh(db)
    cmd = [*xxgk(), "ingest", *map(str, paths), "--db", str(db), "--demo"]
    run = run_command(cmd, layout.log(f"ingest-{name}"), timeout)
    new, failed = _ingested(run)
    if run.rc not in (0, 1) or new < 0:
        raise StepFailed(_failure(run))
    if new != expect or failed:
        print(f"  note: {new:,} new, {failed} failed, expected {expect:,} new", flush=True)
    return run


class StepFailed(Exception):
    """A command failed: the row says so and the other steps go on."""


def step_ingest(layout: Layout, results: Results) -> None:
    for key, name, paths, n in (
        ("ingest-full", "full", [layout.corpus], layout.reports),
        ("ingest-small", "small", layout.shards(layout.small), layout.small),
    ):
        print(f"ingest {n:,} reports into a new warehouse", flush=True)
        label = f"ingest {n:,} reports, fresh"
        try:
            run = ingest(layout, name, paths, n, timeout=4 * 3600)
        except StepFailed as exc:
            results.add(Row(key, label, "FAILED", notes=[str(exc)], met=False))
            continue
        new, failed = _ingested(run)
        reasons = Counter(re.findall(r"^  失败 .*?: (.*)$", run.stdout, flags=re.M))
        notes = [run.roles_note(), f"{new:,} new, {failed} failed"]
        if reasons:
            notes.append("failures: " + "; ".join(f"{n} × {r}" for r, n in reasons.items()))
        row = Row(
            key,
            label,
            f"{seconds(run.wall)} ({n / run.wall:.0f} reports/s)",
            main=mib(run.main_kb),
            other=run.other(),
            size=size(layout.db(name).stat().st_size),
            notes=notes + _db_size_note(layout.db(name)),
            source=run.source,
            caveat=f"but {failed} of {n:,} files failed, see the details" if failed else "",
        )
        if key == "ingest-full":
            row.aim = "< 10 min, every process < 2 GB"
            row.met = run.wall < INGEST_AIM_S and run.any_kb < INGEST_AIM_KB
        results.add(row)


def database_size(db: Path) -> dict[str, Any]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        cur = con.execute("CALL pragma_database_size()")
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchall()[0], strict=True))
    finally:
        con.close()


def _db_size_note(db: Path) -> list[str]:
    try:
        info = database_size(db)
    except Exception as exc:  # a note, never a reason to lose the row
        return [f"pragma_database_size failed: {exc}"]
    return [
        f"pragma_database_size: used_blocks {info['used_blocks']:,}, free_blocks "
        f"{info['free_blocks']:,} (block {info['block_size']:,} B), database_size "
        f"{info['database_size']}"
    ]


def _batch_once(layout: Layout, name: str, attempt: int) -> tuple[Run, int, int, list[str]]:
    """The batch into a fresh copy of warehouse ``name``: (run, size before, after, notes)."""
    copy = layout.db(f"{name}-batch")
    _fresh(copy)
    shutil.copyfile(layout.db(name), copy)  # the fresh warehouse stays as it was
    # Written back before the clock starts: otherwise the kernel flushes this copy's half a
    # gigabyte while the batch runs, and the batch is timed against the benchmark's own I/O.
    os.sync()
    before = copy.stat().st_size
    cmd = [*xxgk(), "ingest", str(layout.batch), "--db", str(copy), "--demo"]
    run = run_command(cmd, layout.log(f"batch-{name}-{attempt}"), timeout=3600)
    after = copy.stat().st_size if copy.exists() else 0
    notes = _db_size_note(copy)
    _fresh(copy)
    return run, before, after, notes


def step_batch(layout: Layout, results: Results, repeats: int) -> None:
    """The same 100 new reports into each warehouse, ``repeats`` times, alternating, each
    time into a fresh copy: one sample of a few seconds on a shared machine is too noisy to
    hold against a 2× aim. The row gives the median; the notes every run."""
    sizes = {"small": layout.small, "full": layout.reports}
    names = [n for n in sizes if layout.db(n).exists()]
    for name in sizes:
        if name not in names:
            results.add(
                Row(
                    f"batch-{name}",
                    f"batch of {BATCH} new reports into {sizes[name]:,}",
                    "not run: no warehouse, run --steps ingest",
                    met=False,
                )
            )
    runs: dict[str, list[tuple[Run, int, int, list[str]]]] = defaultdict(list)
    for attempt in range(repeats):
        for name in names:
            print(
                f"add {BATCH} reports to a copy of the {sizes[name]:,}-report warehouse "
                f"({attempt + 1}/{repeats})",
                flush=True,
            )
            runs[name].append(_batch_once(layout, name, attempt))
    medians: dict[str, float] = {}
    for name in names:
        key, label = f"batch-{name}", f"batch of {BATCH} new reports into {sizes[name]:,}"
        bad = [r for r, *_ in runs[name] if r.rc not in (0, 1) or _ingested(r)[0] < 0]
        if bad:
            results.add(
                Row(key, label, "FAILED", notes=[_failure(bad[0])], met=False, source=bad[0].source)
            )
            continue
        walls = sorted(r.wall for r, *_ in runs[name])
        medians[name] = walls[len(walls) // 2]
        slowest = max(runs[name], key=lambda x: x[0].any_kb)
        run, before, after, db_notes = runs[name][-1]
        new, failed = _ingested(run)
        grown = f" (+{size(after - before)})" if after > before else ""
        row = Row(
            key,
            label,
            f"{seconds(medians[name])} (median of {len(walls)})",
            main=mib(max(r.main_kb for r, *_ in runs[name])),
            other=slowest[0].other(),
            size=f"{size(before)} → {size(after)}{grown}",
            notes=[
                "every run: " + ", ".join(seconds(w) for w in walls),
                slowest[0].roles_note(),
                f"{new} new, {failed} failed",
                *db_notes,
                "the time of the whole `xxgk ingest` command: start-up, copy of the warehouse "
                "to its building sibling, parse, load, derived refresh, checkpoint, fsync, "
                "publish",
            ],
            source=run.source,
        )
        if name == "small":
            row.aim = "— (the reference for the 2× aim)"
        else:
            ratio = medians[name] / medians["small"] if medians.get("small") else None
            row.aim = f"< 5 s and ≤ 2× the batch into {layout.small:,}" + (
                f" ({ratio:.1f}×)" if ratio else " (not measured)"
            )
            row.met = medians[name] < BATCH_AIM_S and ratio is not None and ratio <= BATCH_RATIO
        results.add(row)


def largest_province(db: Path) -> tuple[str, str, int]:
    """(name, division code, reports) of the province with the most current reports."""
    from pipelines.warehouse import open_readonly

    con = open_readonly(db)
    try:
        name, code, n = con.execute(
            "SELECT province, left(any_value(region_code), 2) || '0000', count(*) "
            "FROM current_reports WHERE province IS NOT NULL AND region_code IS NOT NULL "
            "GROUP BY province ORDER BY 3 DESC LIMIT 1"
        ).fetchall()[0]
    finally:
        con.close()
    return str(name), str(code), int(n)


def step_export(layout: Layout, results: Results) -> None:
    db = layout.db("full")
    out = layout.exports
    if not db.exists():
        for key in ("export-all", "export-by-year", "export-csv"):
            results.add(Row(key, key, "not run: no warehouse, run --steps ingest", met=False))
        return
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    province, code, reports = largest_province(db)
    jobs = [
        ("export-all", "export everything, long Parquet", out / "all.parquet", []),
        ("export-by-year", "export everything, --by-year Parquet", out / "by-year", ["--by-year"]),
        (
            "export-csv",
            f"export one province as CSV ({province}, {reports:,} reports)",
            out / "province.csv",
            ["--region", code],
        ),
    ]
    for key, label, target, extra in jobs:
        print(label, flush=True)
        cmd = [*xxgk(), "export", str(target), "--db", str(db), *extra]
        run = run_command(cmd, layout.log(key), timeout=3600)
        aim = "< 1 GB peak" + ("" if key == "export-all" else " (as the full export)")
        m = re.search(r"已导出 (\d+) 行", run.stdout)
        rows = int(m.group(1)) if m else -1
        failed = run.rc != 0
        results.add(
            Row(
                key,
                label,
                f"FAILED after {seconds(run.wall)}"
                if failed
                else f"{seconds(run.wall)} ({rows:,} rows)",
                main=mib(run.main_kb),
                other=run.other(),
                size="—" if failed else size(tree_bytes(target)),
                aim=aim,
                met=not failed and run.any_kb < EXPORT_AIM_KB,
                notes=[*([_failure(run)] if failed else []), run.roles_note()],
                source=run.source,
            )
        )


# ---------------------------------------------------------------------------------------------
# The dashboard, server side: AppTest in a process of its own
# ---------------------------------------------------------------------------------------------


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pages_worker(db: Path, runs: int, out: Path) -> None:
    """Time every page in this process (run by ``step_pages`` as a subprocess).

    A page's first load is a new session (a new ``AppTest``) with Streamlit's caches emptied,
    so it opens a new connection and runs every query of the sidebar and the page: what the
    first reader waits for after the server starts or a batch is published. The reruns that
    follow are what a reader changing a widget waits for (the queries are then cached).
    """
    os.environ["XXGK_DB"] = str(db)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def rss_kb() -> int:
        return _rss_kb(os.getpid()) or 0

    from dashboard.preload import preload

    start = time.perf_counter()
    preload()  # as the server does before it accepts a connection
    AppTest.from_file(str(APP), default_timeout=900).run()  # the first queries
    report: dict[str, Any] = {"warm_up_s": time.perf_counter() - start, "pages": []}
    print(f"  warm-up (imports, first queries): {seconds(report['warm_up_s'])}", flush=True)
    for page in PAGE_FILES:
        at = AppTest.from_file(str(APP), default_timeout=900)
        at.run()  # switch_page needs the pages a first run registers; its caches go next
        st.cache_data.clear()
        st.cache_resource.clear()
        gc.collect()
        at.switch_page(page)
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        entry: dict[str, Any] = {"page": page, "first_s": first, "runs": []}
        if at.exception:
            entry["error"] = str(at.exception[0].value)[:300]
        else:
            for _ in range(runs):
                t0 = time.perf_counter()
                at.run()
                entry["runs"].append(time.perf_counter() - t0)
            if at.exception:
                entry["error"] = str(at.exception[0].value)[:300]
        entry["rss_kb"] = rss_kb()
        entry["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        report["pages"].append(entry)
        p95 = _quantile(entry["runs"], 0.95) if entry["runs"] else None
        print(
            f"  {PAGE_TITLES[page]}: first {seconds(first)}, p95 {seconds(p95)}, "
            f"RSS {mib(entry['rss_kb'])}",
            flush=True,
        )
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")


def step_pages(layout: Layout, results: Results, runs: int) -> None:
    db = layout.db("full")
    if not db.exists():
        results.add(Row("pages-process", "dashboard pages", "not run: no warehouse", met=False))
        return
    out = layout.base / "pages.json"
    out.unlink(missing_ok=True)
    print(f"every dashboard page through AppTest, {runs} reruns each", flush=True)
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--pages-worker",
        str(out),
        "--db",
        str(db),
        "--runs",
        str(runs),
    ]
    run = run_command(cmd, layout.log("pages"), timeout=4 * 3600)
    report = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {"pages": []}
    for entry in report["pages"]:
        page = entry["page"]
        key, label = f"page:{page}", f"page {PAGE_TITLES[page]} (AppTest)"
        aim = "first < 1 s, p95 < 300 ms"
        if "error" in entry:
            results.add(
                Row(
                    key,
                    label,
                    "ERROR",
                    aim=aim,
                    met=False,
                    notes=[entry["error"]],
                    source=run.source,
                )
            )
            continue
        times = entry["runs"]
        p50, p95 = _quantile(times, 0.5), _quantile(times, 0.95)
        results.add(
            Row(
                key,
                label,
                f"first {seconds(entry['first_s'])} · p95 {seconds(p95)}",
                aim=aim,
                met=entry["first_s"] < FIRST_LOAD_AIM_S and p95 < P95_AIM_S,
                notes=[
                    f"p50 {seconds(p50)}, max {seconds(max(times))} over {len(times)} reruns; "
                    f"the AppTest process's RSS after it {mib(entry['rss_kb'])}"
                ],
                source=run.source,
            )
        )
    done = len(report["pages"])
    results.add(
        Row(
            "pages-process",
            f"all {len(PAGE_FILES)} pages, the AppTest process",
            seconds(run.wall),
            main=mib(run.main_kb),
            aim="—" if run.rc == 0 and done == len(PAGE_FILES) else "the run did not finish",
            met=None if run.rc == 0 and done == len(PAGE_FILES) else False,
            notes=[
                f"warm-up (imports and a first overview, excluded from the pages): "
                f"{seconds(report.get('warm_up_s'))}; {run.roles_note()}",
                "this process opens a new connection for every page's first load (the caches "
                "are emptied), so its memory is not a server's: see the `xxgk serve` row",
                *([] if run.rc == 0 else [_failure(run)]),
            ],
            source=run.source,
        )
    )


# ---------------------------------------------------------------------------------------------
# The dashboard as served: `xxgk serve` and a real browser
# ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(layout: Layout, db: Path) -> Iterator[tuple[str, TreeWatcher]]:
    port = _free_port()
    downloads = layout.base / "downloads"
    shutil.rmtree(downloads, ignore_errors=True)
    env = {**os.environ, "XXGK_DOWNLOADS": str(downloads)}
    log = layout.log("serve")
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [*xxgk(), "serve", "--db", str(db), "--port", str(port)]
    print(f"  $ {' '.join(cmd)}  (log: {log})", flush=True)
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        with TreeWatcher(proc.pid) as watch:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read().strip() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise StepFailed(f"the server did not start (log {log})")
                time.sleep(0.3)
            yield url, watch
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(downloads, ignore_errors=True)


def _usable(page: Any, timeout_ms: int) -> None:
    """Wait until the page has its title, the script run is over and its charts are drawn."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_ms
    )
    if page.locator('[data-testid="stPlotlyChart"]').count():
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=timeout_ms)


def step_serve(layout: Layout, results: Results) -> None:
    db = layout.db("full")
    label = "dashboard server (`xxgk serve`), every page opened in Chromium"
    aim = "server < 1 GB after visiting every page"
    if not db.exists():
        results.add(Row("serve-pages", label, "not run: no warehouse", met=False))
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        results.add(Row("serve-pages", label, "skipped: Playwright is not installed", aim=aim))
        return
    if not CHROMIUM.exists():
        results.add(Row("serve-pages", label, f"skipped: no {CHROMIUM}", aim=aim))
        return
    print("the served dashboard in headless Chromium", flush=True)
    source = source_state()  # what `xxgk serve` imports as it starts
    try:
        with serving(layout, db) as (url, watch), sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM),
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            started_kb = watch.current()
            visits = []
            total = 0.0
            for path in PAGE_FILES:
                page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
                t0 = time.perf_counter()
                page.goto(f"{url}/{'' if PAGE_URLS[path] == 'overview' else PAGE_URLS[path]}")
                _usable(page, 600_000)
                took = time.perf_counter() - t0
                total += took
                errors = page.locator('[data-testid="stException"]').count()
                page.close()
                watch.sample()
                visits.append(
                    f"{PAGE_TITLES[path]} {seconds(took)}"
                    + (" (with an error box)" if errors else "")
                    + f" → {mib(watch.current())}"
                )
                print(f"  {visits[-1]}", flush=True)
            after_kb = watch.current()
            peak_kb = max(watch.by_role().get("main", [0]))
            results.add(
                Row(
                    "serve-pages",
                    label,
                    f"{seconds(total)} for {len(PAGE_FILES)} pages",
                    main=f"{mib(peak_kb)} peak, {mib(after_kb)} after",
                    aim=aim,
                    met=after_kb < SERVER_AIM_KB,
                    notes=[
                        f"RSS at start {mib(started_kb)}; time until each page is usable "
                        f"(title, script run over, charts drawn) and RSS after it: "
                        + "; ".join(visits)
                    ],
                    source=source,
                )
            )
            _download(browser, url, watch, results, layout, source)
            browser.close()
    except StepFailed as exc:
        results.add(Row("serve-pages", label, "FAILED", aim=aim, met=False, notes=[str(exc)]))


def _download(
    browser: Any, url: str, watch: TreeWatcher, results: Results, layout: Layout, source: str
) -> None:
    """The download page writes the whole warehouse, long Parquet, from the server process."""
    label = "dashboard download of everything (long Parquet)"
    aim = "every process of the server < 1 GB (the same aim)"
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{url}/download")
        _usable(page, 600_000)
        watch.reset_peaks()
        t0 = time.perf_counter()
        page.get_by_role("button", name="生成下载文件").click()
        page.get_by_role("link", name=re.compile("^下载 xxgk_long")).wait_for(timeout=3_600_000)
        took = time.perf_counter() - t0
    except Exception as exc:  # a Playwright timeout or error: a row, not a lost run
        results.add(Row("serve-download", label, "FAILED", aim=aim, met=False, notes=[str(exc)]))
        return
    finally:
        page.close()
    watch.sample()
    roles = watch.by_role()
    peak_kb = max(roles.get("main", [0]))
    others = [(kbs[0], role, len(kbs)) for role, kbs in roles.items() if role != "main"]
    other_kb, other_role, n = max(others, default=(0, "", 0))
    files = list((layout.base / "downloads").rglob("*.parquet"))
    results.add(
        Row(
            "serve-download",
            label,
            seconds(took),
            main=f"{mib(peak_kb)} peak, {mib(watch.current())} after",
            other=f"{mib(other_kb)} {other_role}" + (f" (largest of {n})" if n > 1 else "")
            if other_kb
            else "—",
            size=size(sum(f.stat().st_size for f in files)) if files else "—",
            aim=aim,
            met=max(peak_kb, other_kb) < SERVER_AIM_KB,
            notes=[
                "from pressing 生成下载文件 until the link appears; RSS of the server and of "
                "any process it starts, polled every 0.2 s"
            ],
            source=source,
        )
    )


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def cache_root() -> Path:
    root = Path(os.environ.get("XXGK_BENCH_CACHE") or ROOT / "benchmarks" / ".cache" / "scale")
    root.mkdir(parents=True, exist_ok=True)
    ignore = root / ".gitignore"
    if not ignore.exists():  # the corpus and warehouses are gigabytes: never for git
        ignore.write_text("*\n", encoding="utf-8")
    return root


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--reports", type=int, default=DEFAULT_REPORTS, help="a multiple of 1,000")
    ap.add_argument("--skip-generate", action="store_true", help="use the cached corpus only")
    ap.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated: {','.join(STEPS)}")
    ap.add_argument("--runs", type=int, default=20, help="reruns per page for the p95")
    ap.add_argument("--batch-repeats", type=int, default=3, help="runs of the batch step")
    ap.add_argument("--pages-worker", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pages_worker:
        pages_worker(args.db, args.runs, args.pages_worker)
        return
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        ap.error(f"unknown steps {unknown}; known: {', '.join(STEPS)}")
    if args.reports < 1000 or args.reports % 1000:
        ap.error("--reports must be a multiple of 1,000 (the small warehouse takes a tenth)")

    layout = Layout(cache_root(), args.reports)
    layout.base.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    results = Results(layout.base / "results.json", started)
    info = machine()
    print(f"scale benchmark, {args.reports:,} reports, steps {steps}; cache {layout.base}")

    if "generate" in steps and not args.skip_generate:
        print(f"generate {args.reports:,} + {BATCH} reports", flush=True)
        row = generate(layout)
        if row is not None:  # None: the corpus was there (the header says when it was made)
            results.add(row)
    if {"ingest", "batch"} & set(steps) and corpus_ready(layout) is None:
        raise SystemExit(
            f"no complete corpus in {layout.base}: run the generate step (without --skip-generate)"
        )
    if "ingest" in steps:
        step_ingest(layout, results)
    if "batch" in steps:
        step_batch(layout, results, args.batch_repeats)
    if "export" in steps:
        step_export(layout, results)
    if "pages" in steps:
        step_pages(layout, results, args.runs)
    if "serve" in steps:
        step_serve(layout, results)

    measured = sorted(row.measured for row in results.rows.values()) or [started]
    when = measured[0] if measured[0] == measured[-1] else f"{measured[0]} to {measured[-1]}"
    marker = corpus_ready(layout)
    made = f", {size(marker['bytes'])}, generated in {seconds(marker['seconds'])}" if marker else ""
    header = [
        f"# Scale benchmark: {args.reports:,} reports",
        "",
        f"Measured {when} with `benchmarks/scale.py --reports {args.reports}`: {info['cpu']}, "
        f"{info['cores']} cores, {mib(info['ram_kb'])} RAM, a VM shared with other work (each "
        f"command's load average is in the details); Python {info['python']}, DuckDB "
        f"{info['duckdb']}, Streamlit {info['streamlit']}.",
        "",
        f"Corpus: {args.reports:,} demo reports (`iter_reports(seed=1, cities='all', "
        f"departments=(3, 6), formats={{'text': .5, 'html': .5}})`, the first "
        f"{args.reports:,} of the stream{made}) and the next {BATCH} for the batch; the small "
        f"warehouse holds the first {layout.small:,}. Peak RSS polled from /proc every 0.2 s "
        f"for every process of a command.",
    ]
    text = results.markdown(header)
    print()
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "scale.md" if args.reports == DEFAULT_REPORTS else f"scale-{args.reports}.md"
    (RESULTS / name).write_text(text, encoding="utf-8")
    print(f"written to {RESULTS / name}")


if __name__ == "__main__":
    main()
