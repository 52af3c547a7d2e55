"""Hostile and careless use of ``xxgk export``: nothing is deleted or overwritten unasked.

Every case runs the real command under resource limits, and checks the exit status, the
one line on stderr that names what was refused, and that every file that was there before
is still there, byte for byte.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.ingest import ingest
from tests.helpers import SAMPLES

MEMORY = 4 * 1024**3


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


def export(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "export", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limits,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wh") / "xxgk.duckdb"
    ingest([SAMPLES / "000_seed.txt"], path, progress=False)
    return path


def refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0], result.stderr


def test_by_year_into_a_folder_of_dotfiles_deletes_nothing(db: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE KEY")
    (home / ".bashrc").write_text("alias ll='ls -l'")
    before = snapshot(home)
    for force in ([], ["--force"]):
        refused(export(home, "--db", db, "--by-year", *force), "不是 xxgk 按年度导出")
        assert snapshot(home) == before


def test_by_year_onto_a_file_leaves_the_file(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("我的笔记")
    refused(export(target, "--db", db, "--by-year", "--force"), "不是文件夹")
    assert target.read_text() == "我的笔记"


def test_the_warehouse_is_never_an_export_target(db: Path) -> None:
    before = db.read_bytes()
    for force in ([], ["--force"]):
        refused(export(db, "--db", db, *force), "仓库文件本身")
    assert db.read_bytes() == before


def test_another_duckdb_database_is_never_overwritten(db: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    other.write_bytes(db.read_bytes())
    refused(export(other, "--db", db, "--force"), "DuckDB")
    assert other.read_bytes() == db.read_bytes()


def test_an_existing_file_is_overwritten_only_with_force(db: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    target.write_text("an earlier file")
    refused(export(target, "--db", db), "--force")
    assert target.read_text() == "an earlier file"
    result = export(target, "--db", db, "--force")
    assert result.returncode == 0, result.stderr
    assert target.read_bytes()[:4] == b"PAR1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]  # no temporary left


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--years", "2024-2019", "起止颠倒"),
        ("--years", "1-999999999", "年度"),
        ("--years", "二〇二一", "年度"),
        ("--region", "", "6 位数字"),
        ("--region", "32%", "6 位数字"),
        ("--region", "3_0800", "6 位数字"),
        ("--region", "999999", "不存在"),
        ("--metric", "requests.nonsense", "没有指标"),
    ],
)
def test_a_filter_that_cannot_be_right_is_a_usage_error(
    db: Path, tmp_path: Path, option: str, value: str, words: str
) -> None:
    out = tmp_path / "out.parquet"
    result = export(out, "--db", db, option, value)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and words in result.stderr
    assert result.stderr.strip().splitlines()[0].startswith("usage:")
    assert not out.exists()


def test_a_folder_is_not_a_file_target(db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "existing"
    folder.mkdir()
    refused(export(folder, "--db", db), "--by-year")
    assert list(folder.iterdir()) == []


def test_an_export_into_an_unwritable_place_is_one_line(db: Path, tmp_path: Path) -> None:
    if os.geteuid() == 0:
        target = Path("/proc/xxgk-export.parquet")  # not even root writes here
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        target = locked / "out.parquet"
    result = export(target, "--db", db)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
