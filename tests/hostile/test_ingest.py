"""Hostile and broken input to ``xxgk ingest``: one bad file never costs the batch.

Each test runs the real command in a subprocess under resource limits (address space and
CPU time, set with ``setrlimit``, so "bounded" is asserted by the kernel, not by a clock)
and checks the exit status, the one summary line naming the bad file, and that everything
else in the batch loaded.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.manifest import last_year
from tests.helpers import SAMPLES
from tests.warehouse_helpers import SEED_TEXT, seed_as, write

MEMORY = 4 * 1024**3  # address space of the ingest itself (DuckDB reserves ~2.5 GB); workers: 2 GB
CPU_SECONDS = 120


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


# Root reads a folder whatever its mode; without these two capabilities it cannot.
_AS_ORDINARY_USER = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]


def xxgk(
    *args: str | Path, ordinary: bool = False, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    prefix = _AS_ORDINARY_USER if ordinary and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "pipelines.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limits,
        env={**os.environ, **(env or {})},
    )


def lines_about(output: str, name: str) -> list[str]:
    return [line for line in output.splitlines() if name in line]


def current(db: Path) -> list[tuple[str, int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("SELECT organ, year FROM current_reports ORDER BY ALL").fetchall()
    finally:
        con.close()


def good_report(folder: Path) -> Path:
    return write(folder / "good.txt", seed_as("佳木斯市向阳区人民政府"))


GOOD = ("佳木斯市向阳区人民政府", 2020)


def test_a_file_name_in_gbk_bytes_loads_under_its_chinese_name(tmp_path: Path) -> None:
    """A name saved on a Chinese Windows machine (报.txt in GBK) is not UTF-8."""
    folder = tmp_path / "in"
    good_report(folder)
    gbk = os.path.join(os.fsencode(folder), "报告.txt".encode("gbk"))
    Path(os.fsdecode(gbk)).write_bytes(SEED_TEXT.encode())
    neither = os.path.join(os.fsencode(folder), b"\xff\xfe-2021.txt")
    Path(os.fsdecode(neither)).write_bytes(
        seed_as("佳木斯市东风区人民政府", SEED_TEXT.replace("2020", "2021")).encode()
    )
    db = tmp_path / "w.duckdb"
    result = xxgk("ingest", folder, "--db", db, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "新增 3" in result.stdout
    con = duckdb.connect(str(db), read_only=True)
    paths = sorted(p for (p,) in con.execute("SELECT source_path FROM reports").fetchall())
    con.close()
    assert sorted(Path(p).name for p in paths) == ["\\xff\\xfe-2021.txt", "good.txt", "报告.txt"]


def test_a_23_digit_number_fails_alone_or_is_flagged(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    good_report(folder)
    huge = "1234567890123456789012"
    text = SEED_TEXT.replace(
        "一、本年新收政府信息公开申请数量\t\t4", f"一、本年新收政府信息公开申请数量\t\t{huge}"
    )
    assert huge in text
    text = text.replace(
        "一、总体情况\n", f"一、总体情况\n\n本年共收到政府信息公开申请{huge}件。\n", 1
    )
    assert text.count(huge) == 2
    write(folder / "huge.txt", text)
    db = tmp_path / "w.duckdb"
    result = xxgk("ingest", folder, "--db", db, "--quiet")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and result.stderr == ""
    assert GOOD in current(db)
    if result.returncode == 1:  # refused: one line names the file
        assert len(lines_about(result.stdout, "huge.txt")) == 1
        return
    con = duckdb.connect(str(db), read_only=True)
    flagged = con.execute(
        "SELECT count(*) FROM findings f JOIN reports r USING (report_id) "
        "WHERE r.source_path LIKE '%huge.txt' AND f.severity = 'error'"
    ).fetchall()[0][0]
    con.close()
    assert flagged >= 1


@pytest.mark.parametrize(
    ("year", "reason"),
    [
        ("99999999999", "不是四位数字"),
        ("１２３", "不是四位数字"),
        ("1900", "不在 2008"),
        (str(last_year() + 1), "不在 2008"),
    ],
)
def test_a_manifest_year_that_cannot_be_right_fails_its_file_only(
    tmp_path: Path, year: str, reason: str
) -> None:
    folder = tmp_path / "in"
    good_report(folder)
    write(folder / "seed.txt", SEED_TEXT)
    write(folder / "manifest.csv", f"file,year\nseed.txt,{year}\n")
    db = tmp_path / "w.duckdb"
    result = xxgk("ingest", folder, "--db", db, "--quiet")
    assert result.returncode == 1, result.stdout + result.stderr
    about = lines_about(result.stdout, "seed.txt")
    assert len(about) == 1 and reason in about[0] and "第2行" in about[0], result.stdout
    assert current(db) == [GOOD]


def test_a_partial_revision_does_not_replace_the_complete_report(tmp_path: Path) -> None:
    """A conversion that lost part 四 (15 cells) arrives for the same organ and year."""
    db = tmp_path / "w.duckdb"
    full = write(tmp_path / "a" / "seed.txt", SEED_TEXT)
    start = SEED_TEXT.index("四、政府信息公开行政复议、行政诉讼情况")
    cut = SEED_TEXT[:start] + SEED_TEXT[SEED_TEXT.index("五、存在的主要问题", start) :]
    partial = write(tmp_path / "b" / "seed_partial.txt", cut)
    assert xxgk("ingest", full, "--db", db, "--quiet").returncode == 0
    result = xxgk("ingest", partial, "--db", db, "--quiet")
    assert result.returncode == 0, result.stdout + result.stderr
    about = lines_about(result.stdout, "seed_partial.txt")
    assert len(about) == 1 and "保留现行版本" in about[0]
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        "SELECT source_path, status, cells FROM reports ORDER BY cells DESC"
    ).fetchall()
    con.close()
    assert [(Path(p).name, s) for p, s, _ in rows] == [
        ("seed.txt", "current"),
        ("seed_partial.txt", "superseded"),
    ]
    assert rows[0][2] - rows[1][2] == 15  # part 四's fifteen cells
    # Told to, the newer file replaces it.
    forced = xxgk("ingest", partial, "--db", db, "--quiet", "--prefer-newer")
    assert forced.returncode == 0, forced.stdout + forced.stderr


def test_an_unreadable_folder_named_on_the_command_line_is_a_failure(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    good_report(folder)
    locked = tmp_path / "locked"
    write(locked / "seed.txt", SEED_TEXT)
    inner = folder / "sub"
    write(inner / "seed.txt", SEED_TEXT)
    locked.chmod(0)
    inner.chmod(0)
    db = tmp_path / "w.duckdb"
    result = xxgk("ingest", folder, locked, "--db", db, "--quiet", ordinary=True)
    locked.chmod(0o755)
    inner.chmod(0o755)
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(lines_about(result.stdout, str(locked))) == 1
    assert len(lines_about(result.stdout, str(inner))) == 1
    assert "无法读取文件夹" in result.stdout
    assert current(db) == [GOOD]


def test_a_symlink_loop_is_named_and_the_rest_loads(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    good_report(folder)
    (folder / "sub").mkdir()
    (folder / "sub" / "back").symlink_to(folder, target_is_directory=True)
    db = tmp_path / "w.duckdb"
    result = xxgk("ingest", folder, "--db", db, "--quiet")
    assert result.returncode == 1, result.stdout + result.stderr
    about = lines_about(result.stdout, "back")
    assert len(about) == 1 and "循环" in about[0]
    assert current(db) == [GOOD]


def test_a_fifo_and_a_device_are_named_failures_not_hangs(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    good_report(folder)
    os.mkfifo(folder / "pipe.txt")
    db = tmp_path / "w.duckdb"
    result = xxgk("ingest", folder, "/dev/zero", "--db", db, "--quiet")
    assert result.returncode == 1, result.stdout + result.stderr
    assert len(lines_about(result.stdout, "pipe.txt")) == 1
    assert len(lines_about(result.stdout, "/dev/zero")) == 1
    assert current(db) == [GOOD]


def test_nothing_valid_leaves_the_warehouse_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    assert xxgk("ingest", SAMPLES / "000_seed.txt", "--db", db, "--quiet").returncode == 0
    before = current(db)
    folder = tmp_path / "bad"
    write(folder / "empty.txt", "")
    write(folder / "binary.pdf", "\x00\x01not a pdf")
    result = xxgk("ingest", folder, "--db", db, "--quiet")
    assert result.returncode == 1
    assert len(lines_about(result.stdout, "empty.txt")) == 1
    assert len(lines_about(result.stdout, "binary.pdf")) == 1
    assert current(db) == before


def test_a_full_disk_during_the_copy_leaves_no_partial_copy(tmp_path: Path) -> None:
    """The file-size limit stands in for a full disk: the copy of the warehouse that a batch
    starts from cannot be written whole."""
    import signal

    db = tmp_path / "w.duckdb"
    assert xxgk("ingest", SAMPLES, "--db", db, "--quiet").returncode == 0
    before = db.read_bytes()
    limit = len(before) // 2

    def small_disk() -> None:
        _limits()
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    report = good_report(tmp_path / "in")
    command = ["ingest", str(report), "--db", str(db), "--quiet"]
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *command],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=small_disk,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "无法复制仓库" in result.stderr and "Traceback" not in result.stderr
    assert db.read_bytes() == before
    assert not list(tmp_path.glob(".w.duckdb.building-*"))
