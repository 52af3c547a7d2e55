"""A batch touches only its organs' derived rows, and what it leaves equals a rebuild.

Three batches go into one warehouse: odd years, then the even years between them (every
organ's neighbouring years change), then revisions that break the carry-over (S1) and the
stock of rules in force (S2). The result must equal, table by table, both a rebuild of the
derived tables from the facts and one batch of the same files in the same order.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.demo.corpus import generate_corpus
from pipelines.ingest import ingest
from pipelines.warehouse import derived
from pipelines.warehouse.schema import VIEWS

# Columns that say when and in which batch a row arrived: equal only by accident.
_BATCH_COLUMNS = {
    "reports": ("batch_id", "ingested_at"),
    "current_reports": ("batch_id", "ingested_at"),
}
TABLES = (
    "reports",
    "organs",
    "facts",
    "findings",
    "prose_counts",
    "report_texts",
    "report_figures",
    "current_reports",
)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _revise(src: Path, dst: Path) -> None:
    """The report with its 上年结转 one higher (S1) and 规章 in force at 3 (S2)."""
    data = src.read_bytes()
    encoding = "utf-8" if data.isascii() or _is_utf8(data) else "gb18030"  # the generator's two
    text = data.decode(encoding)

    def carried(m: re.Match[str]) -> str:
        cells = m.group(2).split("\t")
        numbers = [i for i, c in enumerate(cells) if c.strip().isdigit()]
        for i in (numbers[0], numbers[-1]):  # 自然人 and 总计
            cells[i] = str(int(cells[i]) + 1)
        return m.group(1) + "\t".join(cells)

    text, n = re.subn(r"^(二、上年结转政府信息公开申请数量\t)(.*)$", carried, text, flags=re.M)
    text, m = re.subn(r"^(规章\t+\d+\t+\d+\t+)\d+", r"\g<1>3", text, flags=re.M)
    assert n == 1 and m == 1, src
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(text.encode(encoding))


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[list[Path]]]:
    root = tmp_path_factory.mktemp("incremental")
    generate_corpus(
        root / "corpus", seed=5, cities=["淮安市"], formats={"text": 1}, limit=150, truth=False
    )
    files = sorted((root / "corpus").rglob("*.txt"))
    odd = [f for f in files if int(f.stem) % 2 == 1]
    even = [f for f in files if int(f.stem) % 2 == 0]
    revised = []
    for f in [f for f in files if f.stem in ("2022", "2023")][:6]:
        dst = root / "revised" / f.relative_to(root / "corpus")
        _revise(f, dst)
        revised.append(dst)
    return root, [odd, even, revised]


def _rows(db: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        skip = _BATCH_COLUMNS.get(table)
        exclude = f" EXCLUDE ({', '.join(skip)})" if skip else ""
        return con.execute(f"SELECT *{exclude} FROM {table} ORDER BY ALL").fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def incremental(batches: tuple[Path, list[list[Path]]]) -> Path:
    root, parts = batches
    db = root / "incremental.duckdb"
    for part in parts:
        summary = ingest(part, db, progress=False)
        assert not summary.failed
    return db


def test_the_revisions_made_cross_year_findings(incremental: Path) -> None:
    """The comparison below means something only if the batches moved S1 and S2."""
    con = duckdb.connect(str(incremental), read_only=True)
    try:
        rules = dict(
            con.execute(
                "SELECT rule, count(*) FROM findings WHERE scope = 'cross_year' GROUP BY 1"
            ).fetchall()
        )
        superseded = con.execute(
            "SELECT count(*) FROM reports WHERE status = 'superseded'"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert rules.get("S1", 0) >= 1 and rules.get("S2", 0) >= 1, rules
    assert superseded == 6


def test_incremental_batches_equal_a_rebuild_of_the_derived_tables(
    incremental: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copyfile(incremental, copy)
    con = duckdb.connect(str(copy))
    try:
        derived.rebuild(con)
        con.execute(VIEWS)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    for table in ("report_figures", "current_reports", "findings"):
        assert _rows(incremental, table) == _rows(copy, table), table


def test_incremental_batches_equal_one_batch_of_the_same_files(
    incremental: Path, batches: tuple[Path, list[list[Path]]]
) -> None:
    root, parts = batches
    at_once = root / "at_once.duckdb"
    ingest([f for part in parts for f in part], at_once, progress=False)
    for table in TABLES:
        assert _rows(incremental, table) == _rows(at_once, table), table


def test_loading_the_same_files_again_adds_no_row(
    incremental: Path, batches: tuple[Path, list[list[Path]]], tmp_path: Path
) -> None:
    """No primary-key index guards these tables (see migration 4): the writer's rule does."""
    copy = tmp_path / "again.duckdb"
    shutil.copyfile(incremental, copy)
    _, parts = batches
    summary = ingest([f for part in parts for f in part], copy, progress=False)
    assert (summary.new, summary.updated, len(summary.failed)) == (0, 0, 0)
    con = duckdb.connect(str(copy), read_only=True)
    try:
        for table, key in (
            ("reports", "report_id"),
            ("report_texts", "report_id"),
            ("report_figures", "report_id"),
            ("organs", "organ_id"),
            ("current_reports", "report_id"),
        ):
            total, distinct = con.execute(
                f"SELECT count(*), count(DISTINCT {key}) FROM {table}"
            ).fetchall()[0]
            assert total == distinct > 0, table
        slots = con.execute(
            "SELECT count(*) FROM (SELECT organ_id, year FROM current_reports "
            "GROUP BY ALL HAVING count(*) > 1)"
        ).fetchall()[0][0]
        assert slots == 0
    finally:
        con.close()
    for table in TABLES:
        assert _rows(copy, table) == _rows(incremental, table), table
