"""The review queue (待审核): off, a report with errors is published as ever; on, it is held
(loaded, not published, not hiding its published older revision) until an editor confirms
it on the page or a correction clears its errors; both and the setting are in the log."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines import accounts, audit_log, cli, corrections, review
from pipelines.export import export
from pipelines.filters import Filters
from pipelines.ingest import ingest
from pipelines.warehouse import open_readonly
from tests.helpers import SAMPLES
from tests.warehouse_helpers import SEED_TEXT, seed_as, write

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
EDITOR, PASSWORD = "编辑乙", "correct horse battery"
BAD_ROW = "(七) 总计\t0\t0\t0\t0\t0\t0\t0"  # the seed's H1/H2 errors
SEED = SAMPLES / "000_seed.txt"


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = open_readonly(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def load(db: Path, *paths: Path):
    return ingest(list(paths), db, progress=False, workers=0)


def queue(db: Path, value: str) -> None:
    assert cli.main(["settings", "review-errors", value, "--db", str(db)]) == 0


def status(db: Path) -> dict[str, str]:
    return dict(query(db, "SELECT report_id, status FROM reports"))


def current(db: Path) -> list[str]:
    return [r for (r,) in query(db, "SELECT report_id FROM current_reports ORDER BY 1")]


@pytest.fixture()
def clean(tmp_path: Path) -> Path:
    """The seed with its total row put right: the same organ and year, no error."""
    assert BAD_ROW in SEED_TEXT
    return write(
        tmp_path / "in" / "clean.txt",
        SEED_TEXT.replace(BAD_ROW, "(七) 总计\t4" + "\t0" * 5 + "\t4"),
    )


def test_off_a_report_with_errors_is_published(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    summary = load(db, SEED)
    assert summary.pending == [] and summary.new == 1
    assert query(db, "SELECT has_errors FROM current_reports") == [(True,)]
    assert query(db, "SELECT count(*) FROM settings") == [(0,)]


def test_on_a_report_with_errors_is_held_then_confirmed(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    queue(db, "on")
    summary = load(db, SEED)
    (rid,) = summary.pending
    assert status(db) == {rid: "pending"} and current(db) == []
    assert query(db, "SELECT count(*) FROM facts WHERE report_id = ?", [rid])[0][0] > 0
    assert query(db, "SELECT count(*) FROM findings WHERE report_id = ?", [rid])[0][0] == 4
    assert export(db, tmp_path / "out.parquet", Filters()) == 0
    con = open_readonly(db)
    try:
        (item,) = review.held(con)
    finally:
        con.close()
    assert (item["report_id"], item["year"], len(item["errors"])) == (rid, 2020, 4)

    assert review.confirm(db, [rid], "张三", "核对原件无误") == [rid]
    assert current(db) == [rid] and query(db, "SELECT has_errors FROM current_reports") == [(True,)]
    assert export(db, tmp_path / "out2.parquet", Filters()) > 0
    log = query(db, "SELECT who, action, target, detail FROM audit_log ORDER BY at_utc")
    assert [(w, a) for w, a, _, _ in log] == [
        (audit_log.os_user(), "setting"),
        (audit_log.os_user(), "ingest"),
        ("张三", "review_confirm"),
    ]
    assert '"on"' in log[0][3] and "核对原件无误" in log[2][3] and log[2][2] == rid
    with pytest.raises(review.WarehouseError):  # not held any more: nothing to confirm
        review.confirm(db, [rid], "张三")


def test_a_held_revision_does_not_hide_the_published_one(tmp_path: Path, clean: Path) -> None:
    db = tmp_path / "w.duckdb"
    load(db, clean)
    (old,) = current(db)
    queue(db, "on")
    (new,) = load(db, SEED).pending
    assert current(db) == [old] and status(db) == {old: "current", new: "pending"}
    review.confirm(db, [new], "张三")
    assert current(db) == [new]
    assert query(db, "SELECT superseded_by FROM reports WHERE report_id = ?", [old]) == [(new,)]


def test_a_correction_that_clears_the_errors_releases_it(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    queue(db, "on")
    (rid,) = load(db, SEED).pending
    one = corrections.Item(rid, "outcome.total@total", "4", "依各项之和更正")
    corrections.apply(db, [one], "李四")
    assert status(db) == {rid: "pending"}  # one of its two error columns is still wrong
    two = corrections.Item(rid, "outcome.total@natural_person", "4", "依各项之和更正")
    corrections.apply(db, [two], "李四")
    assert current(db) == [rid] and query(db, "SELECT has_errors FROM current_reports") == [
        (False,)
    ]
    released = query(db, "SELECT who, target FROM audit_log WHERE action = 'review_released'")
    assert released == [("李四", rid)]


def test_turning_it_off_publishes_what_it_held(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    queue(db, "on")
    (rid,) = load(db, SEED).pending
    queue(db, "off")
    assert current(db) == [rid]
    assert load(db, SEED).pending == []


# ---------------------------------------------------------------------------------------------
# The dashboard
# ---------------------------------------------------------------------------------------------


def texts(at: AppTest, kind: str) -> list[str]:
    return [
        re.sub(r"\\(.)", r"\1", str(e.value)).replace("\u2060", "") for e in getattr(at.main, kind)
    ]


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture()
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    db = tmp_path / "data" / "xxgk.duckdb"
    users = tmp_path / "users.json"
    accounts.add(users, EDITOR, PASSWORD)
    monkeypatch.setenv("XXGK_DB", str(db))
    monkeypatch.setenv(accounts.USERS_ENV, str(users))
    monkeypatch.setenv("XXGK_DOWNLOADS", str(tmp_path / "downloads"))
    auth._name_failures.clear()
    return db, AppTest.from_file(str(APP), default_timeout=60)


def overview_count(at: AppTest) -> str:
    at = ok(at.switch_page("views/overview.py").run())
    return next(c for c in texts(at, "caption") if c.startswith("基于 "))


def test_the_page_lists_confirms_and_publishes(app, tmp_path: Path) -> None:
    db, at = app
    # another organ's clean report is published, so the overview has something to count
    other = write(tmp_path / "in" / "other.txt", seed_as("向阳区政府办", SEED_TEXT))
    other = write(other, other.read_text().replace(BAD_ROW, "(七) 总计\t4" + "\t0" * 5 + "\t4"))
    load(db, other)
    at = ok(at.run())
    at = ok(at.switch_page("views/review_queue.py").run())
    assert "需要编辑人员登录" in texts(at, "info")[0]  # editors only
    at.text_input(key="_xxgk_signin_sidebar_name").input(EDITOR)
    at.text_input(key="_xxgk_signin_sidebar_password").input(PASSWORD)
    at = ok(next(b for b in at.sidebar.button if b.label == "登录").click().run())
    assert any("队列未开启" in i and "review-errors on" in i for i in texts(at, "info"))

    queue(db, "on")
    (rid,) = load(db, SEED).pending
    assert overview_count(at).startswith("基于 1 份报告") and "审核错误" not in overview_count(at)
    at = ok(at.switch_page("views/review_queue.py").run())
    assert not any("队列未开启" in i for i in texts(at, "info"))
    shown = texts(at, "markdown")
    assert any("前进区政府办 · 2020年" in m for m in shown), shown
    assert any("H2" in m for m in shown)

    # 报告详情 of the held report says so
    at.query_params["report"] = rid
    at = ok(at.switch_page("views/report.py").run())
    assert any("待审核：未发布" in w for w in texts(at, "warning"))
    at = ok(at.switch_page("views/review_queue.py").run())

    at = at.button(key=f"confirm_{rid[:16]}").click().run()
    end = time.monotonic() + 120
    while at.session_state[review_job_key()] and time.monotonic() < end:
        if any(s.startswith("已确认发布") for s in texts(ok(at), "success")):
            break
        time.sleep(0.3)
        at = at.run()
    assert any(s.startswith("已确认发布") and EDITOR in s for s in texts(ok(at), "success"))
    assert rid in current(db)
    assert query(db, "SELECT who FROM audit_log WHERE action = 'review_confirm'") == [(EDITOR,)]
    assert overview_count(at).startswith("基于 2 份报告（1 份有审核错误）")


def review_job_key() -> str:
    return "review_job"
