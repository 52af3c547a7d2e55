"""What a command loads before it does anything: no more than the work in hand needs.

``xxgk parse one.txt`` used to spend most of its time importing the PDF, Word and HTML
readers and the warehouse's libraries. Each check runs in a fresh interpreter, since this
one has imported everything the other tests use, and names the heavy modules it finds
loaded. Nothing here is timed.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.helpers import ROOT, SAMPLES

HEAVY = (
    "duckdb",
    "pyarrow",
    "polars",
    "docx",
    "lxml",
    "pypdfium2",
    "selectolax",
    "charset_normalizer",
    "streamlit",
    "pandas",
    "matplotlib",
    "httpx",
)


def _loaded_after(code: str) -> list[str]:
    """The ``HEAVY`` modules a fresh interpreter has loaded once it has run ``code``."""
    report = f"import json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"{code}\n{report}"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    return sorted(json.loads(out.splitlines()[-1]))


def _parse(path: str) -> str:
    return f"from pipelines.pipeline import parse_file\nparse_file({path!r})"


def test_importing_the_cli_loads_no_reader_or_warehouse_library() -> None:
    assert _loaded_after("import pipelines.cli") == []


def test_parsing_a_text_report_loads_no_pdf_word_or_warehouse_library() -> None:
    loaded = _loaded_after(_parse(str(SAMPLES / "000_seed.txt")))
    assert not {"pypdfium2", "docx", "lxml", "selectolax", "duckdb", "pyarrow", "polars"} & set(
        loaded
    )


def test_parsing_a_web_page_loads_the_html_reader_only() -> None:
    loaded = _loaded_after(_parse(str(SAMPLES / "shuyang_fgj_2023.html")))
    assert "selectolax" in loaded
    assert not {"pypdfium2", "docx", "lxml", "duckdb", "pyarrow", "polars"} & set(loaded)


def test_the_parse_command_loads_no_warehouse_library() -> None:
    code = (
        "import contextlib, io\n"
        "from pipelines.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['parse', {str(SAMPLES / '000_seed.txt')!r}])"
    )
    assert not {"duckdb", "pyarrow", "polars"} & set(_loaded_after(code))
