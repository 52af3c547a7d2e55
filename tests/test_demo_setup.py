"""``xxgk demo``'s preparation: generated reports marked as demo, real samples win."""

from __future__ import annotations

from pipelines.demo.setup import MARKER, prepare_demo
from pipelines.warehouse import open_readonly
from tests.helpers import SAMPLES


def _rows(db, sql: str) -> list[tuple]:
    con = open_readonly(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_prepare_demo_marks_demo_data_and_is_idempotent(tmp_path) -> None:
    db, demo = tmp_path / "w.duckdb", tmp_path / "demo"
    first = prepare_demo(db, demo_dir=demo, progress=False, limit=60)
    assert first.generated == 60 and (demo / MARKER).exists()
    assert first.demo.new == 60 and not first.demo.failed
    samples = len([p for p in SAMPLES.iterdir() if p.is_file()])
    assert first.real.new + first.real.updated == samples and not first.real.failed
    # Real samples are unmarked, generated reports marked; a real report is never superseded.
    assert _rows(db, "SELECT is_demo, count(*) FROM current_reports GROUP BY 1 ORDER BY 1") == [
        (False, samples),
        (True, 60 - first.real.updated),
    ]
    assert _rows(db, "SELECT count(*) FROM reports WHERE NOT is_demo AND status <> 'current'") == [
        (0,)
    ]
    again = prepare_demo(db, demo_dir=demo, progress=False, limit=60)
    assert again.generated == 0
    assert (again.demo.new, again.demo.updated, again.real.new, again.real.updated) == (0, 0, 0, 0)
