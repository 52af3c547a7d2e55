"""Reports per second for reading + parsing + auditing, one format at a time, on one core.

Run: ``make bench`` (or ``uv run python benchmarks/parse.py [--seconds S] [--reports N]``).

Two sets, both read from memory so disk speed does not count, in one process pinned to one
core:

- *generated*: ``N`` distinct reports per format from the demo generator (different organs,
  years, numbers and layouts, ~3% with errors, like a real corpus), so no cache sees the
  same row twice; this is the headline figure;
- *real samples*: each shipped real report parsed over and over (its labels and numbers
  are then warm in the label caches, as they would be for the thousandth report).

A person takes 10-30 s to read one report's tables by hand, a language model about as long.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import time
from pathlib import Path

from pipelines.demo.corpus import iter_reports
from pipelines.pipeline import parse_bytes
from pipelines.readers import read_bytes

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
FIXTURES = ROOT / "tests" / "fixtures"
REAL = {
    "text, 前进区 2020": SAMPLES / "000_seed.txt",
    "html portal page, 沭阳 2023": SAMPLES / "shuyang_fgj_2023.html",
    "pdf by WPS, 洪泽区 2024": SAMPLES / "hzq_2024.pdf",
    "pdf by Chromium, 沭阳 2023": FIXTURES / "pdf" / "shuyang_fgj_2023.pdf",
    "docx by LibreOffice, 沭阳 2023": FIXTURES / "docx" / "shuyang_fgj_2023.docx",
}
GENERATED = ("text", "html", "docx", "pdf")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def bench(files: list[tuple[bytes, str]], seconds: float) -> tuple[float, int, float]:
    """(reports/s, runs, pages/s or 0) over ``files`` in turn for at least ``seconds``."""
    pages = [read_bytes(data, name).pages or 0 for data, name in files]
    n = 0
    page_count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or n < len(files):
        data, name = files[n % len(files)]
        parse_bytes(data, name)
        page_count += pages[n % len(files)]
        n += 1
    return n / elapsed, n, page_count / elapsed


def row(label: str, rate: float, n: int, pages: float) -> str:
    per_page = f"{pages:>10.1f}" if pages else f"{'':>10}"
    return f"{label:<34}{rate:>12.1f}{1000 / rate:>12.2f}{per_page}{n:>8}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per row")
    parser.add_argument("--reports", type=int, default=200, help="generated reports per format")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(
        f"machine: {_cpu()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"python {platform.python_version()}; pinned to one core"
    )
    header = f"{'':<34}{'reports/s':>12}{'ms/report':>12}{'pages/s':>10}{'runs':>8}"
    print(f"\ngenerated, {args.reports} distinct reports per format\n{header}")
    for fmt in GENERATED:
        files = [
            (r.data, r.relpath)
            for r in itertools.islice(iter_reports(formats=[fmt], seed=11), args.reports)
        ]
        print(row(fmt, *bench(files, args.seconds)))
    print(f"\nreal samples, each parsed repeatedly\n{header}")
    for label, path in REAL.items():
        print(row(label, *bench([(path.read_bytes(), path.name)], args.seconds)))


if __name__ == "__main__":
    main()
