"""What ``xxgk demo`` does before it opens the dashboard: corpus, then warehouse.

The generated corpus is written once into ``data/demo`` (a marker file says it is complete,
so an interrupted run starts over instead of loading half a corpus) and ingested marked as
demo data; the real samples shipped in ``data/samples`` are ingested after it, unmarked, so
where a real report and a generated one name the same organ and year, the real one is
current. Both ingests are idempotent: a second ``xxgk demo`` only re-opens the dashboard.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from pipelines.demo.corpus import build_demo_corpus
from pipelines.ingest import Summary, ingest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
DEMO_DIR = ROOT / "data" / "demo"
MARKER = ".complete"


@dataclass(slots=True)
class DemoSetup:
    generated: int  # reports written now (0 when the corpus was already there)
    demo: Summary
    real: Summary
    seconds: float


def prepare_demo(
    db: Path,
    demo_dir: Path = DEMO_DIR,
    samples: Path = SAMPLES,
    progress: bool = True,
    limit: int | None = None,
) -> DemoSetup:
    """``limit`` caps the generated corpus (tests); the demo itself writes all of it."""
    start = time.perf_counter()
    generated = 0
    if not (demo_dir / MARKER).exists():
        shutil.rmtree(demo_dir, ignore_errors=True)
        if progress:
            print(f"生成示例数据 → {demo_dir} …", file=sys.stderr)
        generated = build_demo_corpus(demo_dir, limit=limit).reports
        (demo_dir / MARKER).write_text(f"{generated}\n", encoding="utf-8")
    demo = ingest([demo_dir], db, is_demo=True, progress=progress)
    real = ingest([samples], db, is_demo=False, progress=progress)
    return DemoSetup(generated, demo, real, time.perf_counter() - start)
