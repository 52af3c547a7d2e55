"""Small or strange files that used to eat the machine, each read by the real command.

Every file runs through ``python -m pipelines.cli parse`` in a child process whose address
space and CPU time are capped with ``setrlimit``: a reader that expands a grid, recurses or
reads without end now dies of the limit (a MemoryError traceback, or SIGXCPU) instead of
slowing the test down, so the bounds are asserted by the limits, not by a clock. Before
these guards the same files took up to 7 GB or 53 s of CPU each, or never returned.

A refused file must end as the CLI promises for any unreadable file: exit status 2, nothing
on stdout, one line on stderr that names the file and gives the reason, no traceback.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipelines.document import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, Budget, expand_spans
from pipelines.errors import UnreadableFile
from pipelines.readers import MAX_BYTES, MAX_BYTES_BY_KIND, read_regular_file
from pipelines.readers.docx import MAX_XML_BYTES
from pipelines.readers.html import MAX_TAGS
from tests.helpers import ROOT, SAMPLES
from tests.hostile import generators as make

ADDRESS_SPACE = 2 * 1024**3  # bytes; the CLI itself needs about 0.1 GB resident
CPU_SECONDS = 10  # the CLI starts in about 0.3 s of CPU; each file here takes well under 1 s
MiB = 1024 * 1024


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _parse(path: Path | str, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "parse", str(path), *options],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=_limits,
        timeout=120,  # a safety net only: the limits are what the tests rely on
    )


def _refusal(path: Path | str) -> str:
    """The one stderr line of a refused file, after checking the CLI's promise."""
    result = _parse(path)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 2, (result.returncode, result.stderr[-3000:])
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"xxgk: {path}: ")
    return lines[0]


# --- grids --------------------------------------------------------------------------------------


def test_span_grid_of_47_kb_is_refused_not_expanded(tmp_path: Path) -> None:
    """rowspan=99999 colspan=99999 in a thousand rows: 6.3 GB and 26 s of CPU before."""
    path = make.span_grid_html(tmp_path)
    assert 45_000 < path.stat().st_size < 50_000
    # The first cell is clipped to the 256 columns, so the second one starts past them.
    assert f"表格超过 {MAX_COLUMNS} 列" in _refusal(path)


def test_spans_are_clipped_to_the_rows_that_exist() -> None:
    table = expand_spans([[("a", 99999, 1), ("b", 1, 3)], [("c", 1, 1)]], Budget("x.html"))
    assert table.cells == [["a", "b", "b", "b"], ["a", "c", "", ""]]
    assert table.anchors[1][0] == (0, 0)  # the clipped cell is still one merged cell


def test_narrow_grid_over_the_cell_budget_is_refused_before_it_is_built() -> None:
    """200 columns by 3,000 rows from one cell: more grid positions than a document may hold."""
    rows = [[("label", 99999, 200)]] + [[("x", 1, 1)] for _ in range(2_999)]
    assert MAX_CELLS < 200 * 3_000
    with pytest.raises(UnreadableFile, match="表格过大"):
        expand_spans(rows, Budget("x.html"))


# --- nesting ------------------------------------------------------------------------------------


def test_thousand_nested_divs_are_read_without_recursion(tmp_path: Path) -> None:
    """A RecursionError traceback before; now read through, and refused as no report."""
    path = make.nested_html(tmp_path, "div", 1_000)
    assert "未找到年度报告的统计表" in _refusal(path)


def test_report_inside_thousand_divs_reads_like_the_report(tmp_path: Path) -> None:
    page = (SAMPLES / "shuyang_fgj_2023.html").read_text(encoding="utf-8")
    body = page.index("<body")
    body = page.index(">", body) + 1
    end = page.rindex("</body>")
    deep = page[:body] + "<div>" * 1_000 + page[body:end] + "</div>" * 1_000 + page[end:]
    path = tmp_path / "deep_report.html"
    path.write_text(deep, encoding="utf-8")
    result = _parse(path, "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    clean = _parse(SAMPLES / "shuyang_fgj_2023.html", "--json")
    assert json.loads(result.stdout)["facts"] == json.loads(clean.stdout)["facts"]


def test_hundred_thousand_nested_spans(tmp_path: Path) -> None:
    """1.3 MB; unwrapping them one by one in the tree took 27 s of CPU before."""
    path = make.nested_html(tmp_path, "span", 100_000)
    assert "未找到年度报告的统计表" in _refusal(path)


def test_hundred_thousand_nested_divs_are_too_much_markup(tmp_path: Path) -> None:
    """The HTML parser's own work grows with tags x depth: refused before it starts."""
    path = make.nested_html(tmp_path, "div", 100_000)
    assert f"网页标签过多（超过 {MAX_TAGS} 个）" in _refusal(path)


def test_unclosed_fonts_reopened_in_every_paragraph(tmp_path: Path) -> None:
    """80 KB that the HTML algorithm turns into 9 million elements: 4 GB and 42 s before."""
    path = make.reopened_fonts_html(tmp_path)
    assert path.stat().st_size < 100_000
    assert "未找到年度报告的统计表" in _refusal(path)


# --- Word ---------------------------------------------------------------------------------------


def test_docx_with_250_mb_document_xml(tmp_path: Path) -> None:
    """A 2 MB zip, under the compression-ratio guard: 53 s of CPU and 0.8 GB before."""
    path = make.huge_docx(tmp_path)
    assert path.stat().st_size < 4 * MiB
    assert "XML 共 250 MB，上限 10 MB" in _refusal(path)


def test_docx_with_the_most_elements_its_xml_may_hold(tmp_path: Path) -> None:
    """Just under the XML limit, all empty paragraphs: 1.7 million elements, read in bounds.

    lxml builds them all (about 280 MB, 2 s): the limit on bytes is the limit on elements.
    """
    path = make.dense_docx(tmp_path, MAX_XML_BYTES - 1024)
    with zipfile.ZipFile(path) as zf:
        xml = zf.getinfo("word/document.xml")
        assert MAX_XML_BYTES - 2048 < xml.file_size < MAX_XML_BYTES
        assert xml.file_size / xml.compress_size < 200
    assert "未找到年度报告的统计表" in _refusal(path)


# --- files that are not regular files -----------------------------------------------------------


def test_dev_zero_is_not_read() -> None:
    """Read until memory ran out before (7.3 GB under an 8 GB cap, then a traceback)."""
    assert "不是普通文件（设备、管道或套接字）/ not a regular file" in _refusal("/dev/zero")


def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """Blocked forever before: opening a pipe to read waits for someone to write."""
    path = make.fifo(tmp_path)
    assert "不是普通文件（设备、管道或套接字）/ not a regular file" in _refusal(path)


def test_socket_is_not_a_regular_file(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        with pytest.raises(UnreadableFile, match="not a regular file"):
            read_regular_file(path)


def test_directory_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="is a directory"):
        read_regular_file(tmp_path)
    with pytest.raises(UnreadableFile, match="no such file"):
        read_regular_file(tmp_path / "missing.txt")


def test_symlink_to_a_regular_file_is_read(tmp_path: Path) -> None:
    link = tmp_path / "link.txt"
    link.symlink_to(SAMPLES / "000_seed.txt")
    assert read_regular_file(link) == (SAMPLES / "000_seed.txt").read_bytes()


def test_unreadable_file(tmp_path: Path) -> None:
    """Root reads any file whatever its mode; without these two capabilities it cannot."""
    path = tmp_path / "secret.txt"
    path.write_bytes(b"x")
    path.chmod(0)
    ordinary = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    command = [sys.executable, "-m", "pipelines.cli", "parse", str(path)]
    result = subprocess.run(
        [*(ordinary if os.geteuid() == 0 else []), *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=_limits,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [f"xxgk: {path}: 没有读取权限 / permission denied"]


# --- big text -----------------------------------------------------------------------------------


def test_200_mb_text_is_refused_from_its_size(tmp_path: Path) -> None:
    """No byte of it is read. (Before, 190 MB of real text was read whole: 1.4 GB, 10 s.)"""
    path = make.sparse_text(tmp_path)
    assert f"上限 {MAX_BYTES // MiB} MB" in _refusal(path)


def test_text_over_its_format_limit(tmp_path: Path) -> None:
    limit = MAX_BYTES_BY_KIND["text"]
    path = make.long_text(tmp_path, limit + 1)
    assert f"上限 {limit // MiB} MB" in _refusal(path)


def test_text_of_short_lines_within_the_byte_limit(tmp_path: Path) -> None:
    """8 million one-character lines, just under 16 MiB: refused at the row limit."""
    path = make.short_lines_text(tmp_path, MAX_BYTES_BY_KIND["text"] - 2)
    assert f"文档过长（超过 {MAX_ROWS} 行）" in _refusal(path)


# --- damaged bytes ------------------------------------------------------------------------------


def test_five_stray_bytes_in_the_prose_are_a_warning(tmp_path: Path) -> None:
    path = make.damaged_text(tmp_path)
    result = _parse(path, "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    damaged = json.loads(result.stdout)
    clean = json.loads(_parse(SAMPLES / "000_seed.txt", "--json").stdout)
    assert damaged["facts"] == clean["facts"]
    assert damaged["prose_counts"] == clean["prose_counts"]
    assert damaged["warnings"] == [
        "文件中有 5 个字节无法按 UTF-8 解码，已替换为 �；表格中的数字未受影响",
        *clean["warnings"],
    ]


def test_a_stray_byte_in_a_table_cell_refuses_the_file(tmp_path: Path) -> None:
    path = make.damaged_text(tmp_path, in_table=True)
    assert "1 个字节无法按 UTF-8 解码，其中有的在表格里" in _refusal(path)
