"""人工更正 in the dashboard: only a signed-in editor corrects, through the real job, and every
page and download then carries the corrected value, marked, with who and why."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth, correct, download
from pipelines import accounts
from pipelines.ingest import ingest
from pipelines.warehouse import open_readonly
from pipelines.warehouse.files import version_key
from tests.helpers import SAMPLES

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
REPORT = "views/report.py"
EDITOR, PASSWORD = "编辑甲", "correct horse battery"
TARGET = "outcome.total@total"  # the seed prints （七）总计 as 0 under columns that sum to 4
REASON = "原表（七）总计误填为 0，依各项之和更正为 4"


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "xxgk.duckdb"
    ingest([SAMPLES / "000_seed.txt"], path, progress=False, workers=0)
    return path


@pytest.fixture()
def app(db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    users = tmp_path / "users.json"
    accounts.add(users, EDITOR, PASSWORD)
    monkeypatch.setenv("XXGK_DB", str(db))
    monkeypatch.setenv(accounts.USERS_ENV, str(users))
    monkeypatch.setenv("XXGK_DOWNLOADS", str(tmp_path / "downloads"))
    auth._name_failures.clear()
    return AppTest.from_file(str(APP), default_timeout=60)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = open_readonly(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def report_id(db: Path) -> str:
    return query(db, "SELECT report_id FROM current_reports")[0][0]


def texts(at: AppTest, kind: str) -> list[str]:
    """The main area's elements of one kind as read on screen (``safe.md``'s escapes and
    word joiners removed)."""
    return [
        re.sub(r"\\(.)", r"\1", str(e.value)).replace("\u2060", "") for e in getattr(at.main, kind)
    ]


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_report(at: AppTest, rid: str) -> AppTest:
    at.query_params["report"] = rid
    at.run()
    return ok(at.switch_page(REPORT).run())


def sign_in(at: AppTest) -> AppTest:
    """Through the sidebar's form, as a person does: the report page has no form of its own."""
    at.text_input(key="_xxgk_signin_sidebar_name").input(EDITOR)
    at.text_input(key="_xxgk_signin_sidebar_password").input(PASSWORD)
    next(b for b in at.sidebar.button if b.label == "登录").click().run()
    return ok(at)


def submit_button(at: AppTest):
    return next((b for b in at.main.button if b.label == "提交更正"), None)


def ask(at: AppTest, rid: str, value: str, reason: str, blank: bool = False) -> AppTest:
    """Fill in the form for ``TARGET`` and submit it; then wait for the job's result."""
    at.selectbox(key=f"fix_target_{rid[:16]}").set_value(TARGET).run()
    generation = at.session_state.get("fix_generation", 0)
    at.text_input(key=f"fix_value_{generation}").input(value)
    at.checkbox(key=f"fix_blank_{generation}").set_value(blank)
    at.text_area(key=f"fix_reason_{generation}").input(reason)
    submit_button(at).click().run()
    ok(at)
    job = at.session_state["fix_job"]["job"]
    # the page returned while the job runs in its own process: progress, not yet a result
    assert at.get("progress") or not correct.state(job).running
    return wait_for_job(at)


def wait_for_job(at: AppTest) -> AppTest:
    """Rerun (as the page's timer does) until the correction's job has ended."""
    end = time.monotonic() + 120
    while time.monotonic() < end:
        asked = at.session_state.get("fix_job")
        assert asked is not None, "the submit should have started a job"
        if not correct.state(asked["job"]).running:
            return ok(at.run())
        time.sleep(0.3)
        ok(at.run())
    raise AssertionError("the correction's job did not end")


def corrections_rows(db: Path) -> list[tuple]:
    return query(db, "SELECT target, old_value, new_value, reason, who, status FROM corrections")


def published(db: Path) -> list[tuple]:
    return query(
        db,
        "SELECT value, corrected FROM current_facts WHERE metric = 'outcome.total' "
        "AND applicant = 'total'",
    )


def test_without_sign_in_there_is_no_form_and_the_url_applies_nothing(app: AppTest, db) -> None:
    rid = report_id(db)
    before = version_key(db)
    app.query_params.update(
        {"fix_value_0": "4", "fix_reason_0": "x", f"fix_target_{rid[:16]}": TARGET}
    )
    at = open_report(app, rid)
    assert at.title[0].value == "报告详情"
    assert submit_button(at) is None
    assert not [s for s in at.main.selectbox if s.label == "更正哪一处"]
    assert any("编辑人员在侧栏“登录”后可在此更正" in c for c in texts(at, "caption"))
    assert "fix_job" not in at.session_state
    assert corrections_rows(db) == [] and version_key(db) == before


def test_an_editor_corrects_a_cell_and_every_page_carries_it(app: AppTest, db) -> None:
    rid = report_id(db)
    at = sign_in(open_report(app, rid))
    assert submit_button(at) is not None
    assert any("现为：0" in c for c in texts(at, "caption"))
    before = version_key(db)

    # refused: a negative count, then no reason; each says why, and nothing is written
    at = ask(at, rid, "-4", REASON)
    assert any("更正未应用" in e and "不能为负数" in e for e in texts(at, "error")), texts(
        at, "error"
    )
    # the form is as it was sent, to be put right
    assert at.text_input(key="fix_value_0").value == "-4"
    assert at.text_area(key="fix_reason_0").value == REASON
    at = ask(at, rid, "4", "  ")
    assert any("更正未应用" in e and "请填写更正理由" in e for e in texts(at, "error"))
    assert corrections_rows(db) == [] and version_key(db) == before
    assert published(db) == [(0.0, False)]

    # applied
    at = ask(at, rid, "4", REASON)
    assert any(s.startswith("已更正：") and EDITOR in s for s in texts(at, "success")), texts(
        at, "success"
    )
    assert corrections_rows(db) == [(TARGET, "0", "4", REASON, EDITOR, "active")]
    assert query(db, "SELECT who FROM audit_log WHERE action = 'correct'") == [(EDITOR,)]
    assert published(db) == [(4.0, True)]

    # 报告详情: the value, its 已更正 mark, the note, and the list of the report's corrections
    assert any("含 1 处人工更正" in i for i in texts(at, "info"))
    part_three = at.get("html")[1].proto.body
    fixed = re.findall(r'class="num[^"]* fixed" data-cell="([^"]+)"[^>]*>4<', part_three)
    assert fixed == [TARGET]
    assert f"原表为 0；{EDITOR}" in part_three
    listed = next(d.value for d in at.main.dataframe if "更正人" in d.value.columns)
    assert listed.shape[0] == 1
    row = listed.iloc[0]
    assert (row["原表"], row["更正为"], row["更正人"], row["理由"]) == ("0", "4", EDITOR, REASON)
    assert row["单元格"].startswith("三、依申请公开 · ")
    assert any("现为：4（已更正，原表为 0）" in c for c in texts(at, "caption")), texts(
        at, "caption"
    )
    # the form is empty again for the next correction
    assert at.text_area(key=f"fix_reason_{at.session_state['fix_generation']}").value == ""

    # 总览 says its figures include it
    at = ok(at.switch_page("views/overview.py").run())
    assert any("含 1 处人工更正" in c for c in texts(at, "caption")), texts(at, "caption")

    # a download of the selection: the corrected value, marked
    at = ok(at.switch_page("views/download.py").run())
    at.button(key="d_make").click().run()
    ok(at)
    _, token, _ = at.session_state["d_ready"]
    path = download.prepared(token)
    assert path is not None and path.suffix == ".parquet"
    rows = [
        r
        for r in pq.read_table(path).to_pylist()
        if r["metric"] == "outcome.total" and r["applicant"] == "total"
    ]
    assert [(r["value"], r["corrected"]) for r in rows] == [(4.0, True)]


def test_a_blank_cell_is_asked_for_by_the_box_not_an_empty_value(app: AppTest, db) -> None:
    rid = report_id(db)
    at = sign_in(open_report(app, rid))
    at.selectbox(key=f"fix_target_{rid[:16]}").set_value(TARGET).run()
    at.text_area(key="fix_reason_0").input(REASON)
    submit_button(at).click().run()
    assert any("请填写新数值，或勾选“改为空白”" in w for w in texts(ok(at), "warning"))
    assert "fix_job" not in at.session_state
    at = ask(at, rid, "", REASON, blank=True)
    assert any(s.startswith("已更正：") and "改为 空白" in s for s in texts(at, "success"))
    assert corrections_rows(db) == [(TARGET, "0", None, REASON, EDITOR, "active")]
