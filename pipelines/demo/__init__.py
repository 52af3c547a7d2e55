"""A realistic demo corpus: annual reports of real places, with their ground truth.

The generator writes reports for every county-level division of real prefecture-level
cities (default: 淮安 3208, 佳木斯 2308, 湖州 3305, 绵阳 5107) — each county government, a
few of its departments and the city government — for 2019–2025, each in the template
edition its year requires, with heavy-tailed, year-to-year consistent numbers, a few
real-world defects, and the file formats reports are published in. Each report comes with
the truth a parser must read out of it, in the shape of ``tests/corpus/expected``.

Entry points:

- ``iter_reports(config)``: a stream of ``GeneratedReport`` (bytes + truth), one at a time.
- ``generate_corpus(out_dir, seed=…, cities=…, years=…, formats=…, limit=…)``: writes it.
- ``build_demo_corpus(out_dir)``: what ``xxgk demo`` calls.
"""

from pipelines.demo.corpus import (
    DEFAULT_MIX,
    EXTENSIONS,
    DemoConfig,
    GeneratedReport,
    Summary,
    build_demo_corpus,
    generate_corpus,
    iter_reports,
    supported_formats,
)
from pipelines.demo.roster import DEFAULT_CITIES

__all__ = [
    "DEFAULT_CITIES",
    "DEFAULT_MIX",
    "EXTENSIONS",
    "DemoConfig",
    "GeneratedReport",
    "Summary",
    "build_demo_corpus",
    "generate_corpus",
    "iter_reports",
    "supported_formats",
]
