"""Reports per second for reading + parsing + auditing, one format at a time, on one core.

Run: ``make bench`` (or ``uv run python benchmarks/parse.py [--seconds S]``). Each format is
timed on the shipped sample of that format, read from memory so disk speed does not count;
the figure is for one process on one core. A person takes 10-30 s to read one report's
tables by hand, a language model about as long.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import time
from pathlib import Path

from pipelines.pipeline import parse_bytes
from pipelines.readers import read_bytes

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data" / "samples"
FIXTURES = ROOT / "tests" / "fixtures"
CASES = {
    "text (web page copied as text)": SAMPLES / "000_seed.txt",
    "html (whole portal page)": SAMPLES / "shuyang_fgj_2023.html",
    "pdf (real WPS report)": SAMPLES / "hzq_2024.pdf",
    "pdf (printed by Chromium)": FIXTURES / "pdf" / "shuyang_fgj_2023.pdf",
    "docx (converted by LibreOffice)": FIXTURES / "docx" / "shuyang_fgj_2023.docx",
}


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


_CELL_NUMBER = re.compile(r"(?<=[\t>])(\d{1,4})(?=[\t<\r\n])")


def variants(data: bytes, name: str, k: int = 64) -> list[bytes]:
    """``k`` copies of a text/HTML report with every table number changed, so that no cache
    sees the same row twice: real corpora repeat labels, not rows of numbers."""
    if name.endswith((".pdf", ".docx")):
        return [data]
    text = data.decode("utf-8")
    rng = random.Random(7)
    return [
        _CELL_NUMBER.sub(lambda m: str(rng.randrange(0, 400)), text).encode("utf-8")
        for _ in range(k)
    ]


def bench(data: bytes, name: str, seconds: float) -> tuple[float, int]:
    copies = variants(data, name)
    for copy in copies[:2]:
        parse_bytes(copy, name)  # warm up
    n = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        parse_bytes(copies[n % len(copies)], name)
        n += 1
    return n / elapsed, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per format")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(
        f"machine: {_cpu()}, {os.cpu_count()} cores; python {platform.python_version()}; "
        "pinned to one core"
    )
    print(f"{'format':<34}{'reports/s':>12}{'ms/report':>12}{'pages/s':>10}{'runs':>8}")
    for label, path in CASES.items():
        data = path.read_bytes()
        pages = read_bytes(data, path.name).pages
        rate, n = bench(data, path.name, args.seconds)
        per_page = f"{rate * pages:>10.1f}" if pages else f"{'':>10}"
        print(f"{label:<34}{rate:>12.1f}{1000 / rate:>12.2f}{per_page}{n:>8}")


if __name__ == "__main__":
    main()
