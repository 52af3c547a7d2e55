"""Two processes on one warehouse: a killed ingest, and a reader that keeps answering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from pipelines.ingest import ingest
from pipelines.warehouse import open_readonly
from tests.helpers import SAMPLES
from tests.warehouse_helpers import seed_as, write

DISTRICTS = ["前进区", "向阳区", "东风区", "郊区", "桦南县", "桦川县", "汤原县", "同江市", "富锦市"]


_CHINESE_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")


def many_reports(folder: Path, n: int) -> Path:
    """``n`` real-shaped reports: the seed under the departments of Jiamusi's districts."""
    for i in range(n):
        district = DISTRICTS[i % len(DISTRICTS)]
        # Chinese numerals: an organ name holds no Arabic digit (a title with one is refused).
        organ = f"佳木斯市{district}第{str(i).translate(_CHINESE_DIGITS)}局"
        write(folder / f"{i:04d}.txt", seed_as(organ))
    return folder


def xxgk(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def count_reports(db: Path) -> int:
    con = open_readonly(db)
    try:
        row = con.execute("SELECT count(*) FROM current_reports").fetchone()
        return int(row[0]) if row else -1
    finally:
        con.close()


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children ...), from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, frontier = [], [pid]
    while frontier:
        children = [p for p, pp in parents.items() if pp in frontier]
        out.extend(children)
        frontier = children
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_kill_9_mid_ingest_then_a_clean_rerun(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    before = db.read_bytes()
    folder = many_reports(tmp_path / "in", 600)
    proc = xxgk("ingest", str(folder), "--db", str(db), "--quiet", "--workers", "2")
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".w.duckdb.building-*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.3)  # well inside the batch: parsing and loading
    assert proc.poll() is None, "the batch finished before it could be killed"
    family = _descendants(proc.pid)
    assert family, "the ingest runs its parsing in worker processes"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # No process of the ingest outlives it (its forkserver and workers follow within seconds).
    deadline = time.monotonic() + 15
    while (alive := [p for p in family if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive == [], f"left running: {alive}"
    # Exactly the state before the batch: the same bytes, and it opens.
    assert db.read_bytes() == before
    assert count_reports(db) == 1
    summary = ingest([folder], db, progress=False)
    assert (summary.new, len(summary.failed)) == (600, 0)
    assert count_reports(db) == 601
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


READER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from pipelines.warehouse import open_readonly, version_key
    db = Path(sys.argv[1])
    seen, errors, key, con = set(), 0, None, None
    stop = Path(sys.argv[2])
    while not stop.exists():
        try:
            if key != version_key(db):
                if con is not None:
                    con.close()
                key, con = version_key(db), open_readonly(db)
            seen.add(con.execute("SELECT count(*) FROM current_reports").fetchone()[0])
        except Exception as exc:
            errors += 1
            print("error", exc, file=sys.stderr)
        time.sleep(0.005)
    print(sorted(seen), errors)
    """
)


def test_the_dashboard_side_keeps_answering_while_an_ingest_publishes(tmp_path) -> None:
    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False)
    folder = many_reports(tmp_path / "in", 200)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(tmp_path / "stop")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    writer = xxgk("ingest", str(folder), "--db", str(db), "--quiet")
    _, err = writer.communicate(timeout=120)
    assert writer.returncode == 0, err
    time.sleep(0.5)
    (tmp_path / "stop").touch()
    stdout, stderr = reader.communicate(timeout=60)
    seen, errors = stdout.strip().rsplit(" ", 1)
    assert errors == "0", stderr
    # The reader saw the warehouse before the batch and after it, never a half state.
    assert seen == "[1, 201]"
