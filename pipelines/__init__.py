"""xxgk's ingestion pipeline: raw reports in, a DuckDB warehouse and Parquet out.

Arrow's default allocator (mimalloc) reserves about a gigabyte of address space up front.
The parse workers run under an address-space limit (``pipelines.workers``), where that
reservation would count as use, so the system allocator is the default here (set before
pyarrow first allocates; an explicit ``ARROW_DEFAULT_MEMORY_POOL`` still wins).
"""

import os

os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
