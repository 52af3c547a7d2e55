"""Ingest throughput, peak memory and aggregation latency at 1,000 and 10,000 reports.

Run: ``uv run python benchmarks/ingest.py [--sizes 1000 10000]``. The reports are the
shipped text and HTML samples copied under other organ names and years (every copy has
different bytes, so every copy is a new report); each size ingests into a fresh warehouse
with all cores. Query times are the median of 20 runs of aggregations like the dashboard's
(``report_figures`` joined to ``current_reports``), on the published file, read-only.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from pipelines.ingest import ingest
from pipelines.regions import gazetteer
from pipelines.warehouse import open_readonly

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
DEPARTMENTS = ("教育局", "民政局", "财政局", "自然资源局", "卫生健康委员会", "市场监督管理局")

# The dashboard's kind of aggregation: per-report figures (``report_figures``, one wide row
# per report, kept up to date by each batch) joined to the current reports.
QUERIES = {
    "requests by year and city": """
        SELECT r.year, r.city, sum(f.received) FROM current_reports r
        JOIN report_figures f USING (report_id) GROUP BY ALL""",
    "disposition mix by year": """
        SELECT r.year, sum(f.granted), sum(f.partial), sum(f.denied), sum(f.unavailable),
               sum(f.not_processed), sum(f.other) FROM current_reports r
        JOIN report_figures f USING (report_id) GROUP BY ALL""",
    "ranking of counties, one year": """
        SELECT r.county, sum(f.received) AS n FROM current_reports r
        JOIN report_figures f USING (report_id) WHERE r.year = 2020
        GROUP BY ALL ORDER BY n DESC""",
    "findings by rule": """
        SELECT rule, severity, count(*) FROM current_findings GROUP BY ALL""",
    "coverage organ x year": """
        SELECT organ_id, year, bool_or(has_errors) FROM current_reports GROUP BY ALL""",
}


def make_corpus(folder: Path, n: int) -> None:
    """``n`` report files: the samples as published by the departments of real counties."""
    g = gazetteer()
    counties = [p for p in g.by_code.values() if p.level == "county"][:400]
    templates = [
        (p.suffix, p.read_text(encoding="utf-8"), organ)
        for p, organ in (
            (SAMPLES / "000_seed.txt", "前进区政府办"),
            (SAMPLES / "shuyang_fgj_2023.html", "沭阳县发展和改革局"),
        )
    ]
    for i in range(n):
        suffix, text, organ = templates[i % len(templates)]
        county = counties[(i // len(templates)) % len(counties)]
        dept = DEPARTMENTS[(i // (len(templates) * len(counties))) % len(DEPARTMENTS)]
        name = f"{g.region_of(county).city or ''}{county.name}{dept}{i}"
        (folder / f"{i:06d}{suffix}").write_text(text.replace(organ, name), encoding="utf-8")


def peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores; peak memory is the largest single process")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "reports"
            folder.mkdir()
            make_corpus(folder, n)
            db = Path(tmp) / "w.duckdb"
            start = time.perf_counter()
            summary = ingest([folder], db, progress=False)
            elapsed = time.perf_counter() - start
            assert summary.new == n and not summary.failed, summary.failed[:3]
            size = db.stat().st_size / 2**20
            print(
                f"{n:>6} reports: {elapsed:6.1f} s, {n / elapsed:6.0f} reports/s, "
                f"peak {peak_mib():.0f} MiB, warehouse {size:.1f} MiB"
            )
            con = open_readonly(db)
            for name, sql in QUERIES.items():
                times = []
                for _ in range(20):
                    t0 = time.perf_counter()
                    con.execute(sql).fetchall()
                    times.append((time.perf_counter() - t0) * 1000)
                print(f"        {name:<32} median {statistics.median(times):6.1f} ms")
            con.close()


if __name__ == "__main__":
    main()
