"""Server-side render time of every dashboard page on a 10,000-report warehouse.

Run: ``uv run python benchmarks/dashboard.py [--reports N] [--db PATH] [--runs R]``.

What is timed is Streamlit's own script run for a page (``AppTest.run()``: the entry
script, the sidebar, the page, its queries and the figures it builds), i.e. the server's
share of every click; the browser's drawing is not included. The first load of a page is
reported on its own (it fills the query cache); p50/p95 are over the reruns after it, which
is what a reader changing a widget waits for. The aim is under 300 ms p95.

The warehouse is built once and reused (``--db``): generated reports from the demo
generator (``pipelines.demo``) when it is installed, else the real seed report rewritten
under the organs of real counties (``tests.dashboard_corpus``), ingested by the real
``xxgk ingest`` code.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This script is itself named dashboard.py: put the project first so that `dashboard` is the app.
sys.path[0] = str(ROOT)

from dashboard.pages import PAGE_FILES  # noqa: E402

APP = ROOT / "dashboard" / "app.py"
PAGES = PAGE_FILES


def _reports(db: Path) -> int:
    from pipelines.warehouse import open_readonly

    con = open_readonly(db)
    try:
        return int(con.execute("SELECT count(*) FROM current_reports").fetchall()[0][0])
    finally:
        con.close()


def build(db: Path, n: int) -> str:
    """A warehouse with about ``n`` current reports; returns how it was made."""
    from pipelines.ingest import ingest

    folder = Path(tempfile.mkdtemp(prefix="xxgk-bench-"))
    try:
        from pipelines.demo.corpus import generate_corpus

        generate_corpus(folder, seed=0, cities="all", formats=["text"], limit=n, truth=False)
        how = "demo generator (pipelines.demo), text reports, every city"
    except ImportError:
        from tests.dashboard_corpus import national_organs, write_corpus

        write_corpus(folder, national_organs(n), seed=3)
        how = "seed report rewritten under real counties' organs (tests.dashboard_corpus)"
    ingest([folder], db, is_demo=True, progress=False)
    return how


def time_pages(db: Path, runs: int) -> list[tuple[str, float, list[float]]]:
    os.environ["XXGK_DB"] = str(db)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    out = []
    for page in PAGES:
        at.switch_page(page)
        start = time.perf_counter()
        at.run()
        first = time.perf_counter() - start
        if at.exception:
            raise SystemExit(f"{page}: {at.exception[0].value}")
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            at.run()
            times.append(time.perf_counter() - start)
        out.append((page, first, times))
    return out


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "xxgk-bench.duckdb")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()

    how = "reused"
    if not args.db.exists() or _reports(args.db) < args.reports * 0.9:
        args.db.unlink(missing_ok=True)
        start = time.perf_counter()
        how = build(args.db, args.reports)
        print(f"built {args.db} in {time.perf_counter() - start:.0f} s: {how}")
    n = _reports(args.db)
    print(f"warehouse {args.db}: {n:,} current reports ({how})")
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"{'page':<22}{'first load':>12}{'p50':>10}{'p95':>10}   (ms, {args.runs} reruns)")
    worst = 0.0
    for page, first, times in time_pages(args.db, args.runs):
        p50, p95 = _p(times, 0.5) * 1000, _p(times, 0.95) * 1000
        worst = max(worst, p95)
        print(f"{page:<22}{first * 1000:>12.0f}{p50:>10.0f}{p95:>10.0f}")
    print(f"worst p95: {worst:.0f} ms ({'within' if worst < 300 else 'over'} the 300 ms aim)")


if __name__ == "__main__":
    main()
