"""Editors' sign-in, local accounts and the audit log.

The accounts file never holds a password and refuses what it should; ``xxgk user`` manages
it from a shell; batches and sign-ins are in the audit log and the 操作记录 page reads both of
its stores; an editing page (a small page calling ``require_editor``, and the log page in the
real app) shows a sign-in form to a session without an editor, lets the right password in,
keeps the wrong one out, locks out guessing, ends idle sessions and sessions of removed
accounts, and never takes a query parameter for a sign-in. A real Chromium signs in and out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import auth
from pipelines import accounts, audit_log
from pipelines.warehouse import open_readonly
from pipelines.warehouse.schema import SCHEMA_VERSION, migrate
from tests.helpers import ROOT, SAMPLES

APP = ROOT / "dashboard" / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
NAME, PASSWORD = "张三", "correct horse battery"

# An editing page as other pages are written: nothing of it is drawn before the check.
EDIT_PAGE = """
import streamlit as st
from dashboard import auth

auth.sidebar()
name = auth.require_editor()
st.markdown(f"可以编辑：{name}")
"""


@pytest.fixture(autouse=True)
def _fresh_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees another's failed attempts (kept per process) or the real secrets; and
    AppTest's ``__main__`` is put back (a later forkserver would re-run the app)."""
    main = sys.modules["__main__"]
    auth._name_failures.clear()
    monkeypatch.delenv(accounts.USERS_ENV, raising=False)
    monkeypatch.delenv(audit_log.JOURNAL_ENV, raising=False)
    monkeypatch.delenv(auth.IDLE_ENV, raising=False)
    yield
    sys.modules["__main__"] = main
    auth._name_failures.clear()


@pytest.fixture()
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse path (the file need not exist) with one account beside it."""
    db = tmp_path / "w.duckdb"
    monkeypatch.setenv("XXGK_DB", str(db))
    accounts.add(accounts.default_path(db), NAME, PASSWORD)
    return db


def journal(db: Path) -> list[audit_log.Event]:
    return audit_log.journal_events(audit_log.journal_path(db))


# ---------------------------------------------------------------------------------------------
# The accounts file
# ---------------------------------------------------------------------------------------------


def test_accounts_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    accounts.add(path, NAME, PASSWORD)
    accounts.add(path, "李四", PASSWORD)  # the same password: a different salt, a different hash
    text = path.read_text(encoding="utf-8")
    assert PASSWORD not in text and PASSWORD.encode().hex() not in text
    users = accounts.load(path)
    assert users[NAME]["salt"] != users["李四"]["salt"]
    assert users[NAME]["hash"] != users["李四"]["hash"]
    assert {users[NAME][k] for k in ("n", "r", "p")} >= {accounts.SCRYPT_R, accounts.SCRYPT_P}
    assert path.stat().st_mode & 0o777 == 0o600
    assert [n for n, _ in accounts.listing(path)] == sorted([NAME, "李四"])

    assert accounts.verify(path, NAME, PASSWORD) == NAME
    assert accounts.verify(path, f"  {NAME} ", PASSWORD) == NAME
    assert accounts.verify(path, NAME, PASSWORD + "x") is None
    assert accounts.verify(path, NAME, "") is None
    assert accounts.verify(path, "王五", PASSWORD) is None

    assert accounts.remove(path, NAME)
    assert not accounts.remove(path, NAME)
    assert accounts.verify(path, NAME, PASSWORD) is None
    assert accounts.verify(path, "李四", PASSWORD) == "李四"


def test_accounts_refuse_what_they_should(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    for name in ("", "  ", "a\nb", "a\u202eb", "x" * 65):
        with pytest.raises(accounts.AccountError):
            accounts.add(path, name, PASSWORD)
    with pytest.raises(accounts.AccountError, match="密码至少"):
        accounts.add(path, NAME, "short")
    accounts.add(path, NAME, PASSWORD)
    with pytest.raises(accounts.AccountError, match="已存在"):
        accounts.add(path, NAME, "another password")
    before = accounts.stamp(path, NAME)
    accounts.add(path, NAME, "another password", replace=True)
    assert accounts.stamp(path, NAME) not in (None, before)
    assert accounts.verify(path, NAME, PASSWORD) is None
    assert accounts.verify(path, NAME, "another password") == NAME

    # a tampered record cannot make a sign-in eat the server, nor pass
    users = accounts.load(path)
    users[NAME]["n"] = 2**30
    path.write_text(json.dumps({"format": accounts.FORMAT, "users": users}), encoding="utf-8")
    with pytest.raises(accounts.AccountError):
        accounts.verify(path, NAME, "another password")
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(accounts.AccountError, match="JSON"):
        accounts.verify(path, NAME, PASSWORD)
    assert accounts.stamp(path, NAME) is None  # an unreadable file signs everyone out


def _xxgk(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_cli_user_add_list_remove(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    added = _xxgk("user", "add", NAME, "--password-stdin", "--db", str(db), stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    users = tmp_path / "users.json"  # beside the warehouse
    assert accounts.verify(users, NAME, PASSWORD) == NAME
    assert PASSWORD not in users.read_text(encoding="utf-8")

    again = _xxgk("user", "add", NAME, "--password-stdin", "--db", str(db), stdin="x" * 9 + "\n")
    assert again.returncode == 2 and "已存在" in again.stderr
    short = _xxgk("user", "add", "李四", "--password-stdin", "--db", str(db), stdin="short\n")
    assert short.returncode == 2 and "密码至少" in short.stderr
    reset = _xxgk(
        "user", "add", NAME, "--replace", "--password-stdin", "--db", str(db), stdin="new pass 1\n"
    )
    assert reset.returncode == 0 and accounts.verify(users, NAME, "new pass 1") == NAME

    listed = _xxgk("user", "list", "--db", str(db))
    assert listed.returncode == 0 and listed.stdout.split("\t")[0] == NAME

    assert _xxgk("user", "remove", NAME, "--db", str(db)).returncode == 0
    assert accounts.verify(users, NAME, "new pass 1") is None
    gone = _xxgk("user", "remove", NAME, "--db", str(db))
    assert gone.returncode == 1 and "没有账号" in gone.stderr

    # XXGK_USERS names another file
    elsewhere = tmp_path / "etc" / "editors.json"
    env = {accounts.USERS_ENV: str(elsewhere)}
    other = _xxgk(
        "user", "add", "李四", "--password-stdin", "--db", str(db), stdin=PASSWORD, env=env
    )
    assert other.returncode == 0, other.stderr
    assert accounts.verify(elsewhere, "李四", PASSWORD) == "李四"
    assert _xxgk("user", "list", "--db", str(db)).stdout == ""

    events = journal(db)
    assert [(e.action, e.target) for e in events] == [
        ("user_add", NAME),
        ("user_password", NAME),
        ("user_remove", NAME),
        ("user_add", "李四"),
    ]
    assert {e.who for e in events} == {audit_log.os_user()}


# ---------------------------------------------------------------------------------------------
# The audit log
# ---------------------------------------------------------------------------------------------


def test_the_migration_adds_the_audit_table() -> None:
    con = duckdb.connect()
    migrate(con)
    assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(SCHEMA_VERSION,)]
    event = audit_log.record(con, "张三", "ingest", "b1", {"new": 1})
    assert audit_log.read(con, None) == [replace(event, source="warehouse")]


def test_a_batch_is_in_the_warehouse_log(tmp_path: Path) -> None:
    from pipelines.ingest import ingest

    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt"], db, progress=False, workers=0)
    ingest([SAMPLES / "000_seed.txt"], db, progress=False, workers=0, actor="李四")
    con = open_readonly(db)
    try:
        events = audit_log.read(con, audit_log.journal_path(db))
        batches = [r[0] for r in con.execute("SELECT batch_id FROM batches").fetchall()]
    finally:
        con.close()
    assert [(e.who, e.action) for e in events] == [
        ("李四", "ingest"),
        (audit_log.os_user(), "ingest"),
    ]
    assert {e.target for e in events} == set(batches)
    assert events[1].detail["new"] == 1 and events[0].detail["unchanged"] == 1
    assert all(e.source == "warehouse" for e in events)


def test_the_journal_appends_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "x.audit.jsonl"
    first = audit_log.append(path, "张三", "sign_in", "张三", {"via": "local"})
    with path.open("ab") as fh:
        fh.write(b'{"at": "torn')  # a line cut short (a full disk): skipped, and not joined
    second = audit_log.append(path, "李四", "sign_in_failed", "李四", {"reason": "locked"})
    with path.open("a", encoding="utf-8") as fh:
        fh.write('["not", "an", "event"]\n{"at": "2020-01-01T00:00:00", "who": "naive"}\n')
    events = audit_log.journal_events(path)
    assert events == [first, second]
    older = audit_log.Event(datetime.now(UTC) - timedelta(days=1), "root", "ingest", "b", {}, "x")
    merged = audit_log.merge([older], events)
    assert [e.who for e in merged] == ["李四", "张三", "root"]
    assert audit_log.merge([older], events, action="sign_in") == [first]
    assert audit_log.merge([older], events, who="root") == [older]
    assert audit_log.journal_path(Path("data/xxgk.duckdb")) == Path("data/xxgk.audit.jsonl")


# ---------------------------------------------------------------------------------------------
# Signing in (AppTest)
# ---------------------------------------------------------------------------------------------


def edit_page() -> AppTest:
    return AppTest.from_string(EDIT_PAGE, default_timeout=30)


def shows_form(at: AppTest) -> bool:
    labels = [t.label for t in at.main.text_input]
    return labels == ["账号", "密码"] and not [m for m in at.markdown if "可以编辑" in m.value]


def submit(at: AppTest, name: str, password: str) -> AppTest:
    at.main.text_input[0].input(name)
    at.main.text_input[1].input(password)
    at.main.button[0].click()
    return at.run()


def test_an_editing_page_asks_to_sign_in(place: Path) -> None:
    at = edit_page().run()
    assert not at.exception
    assert shows_form(at)
    assert "需要编辑人员登录" in at.info[0].value
    assert [e.label for e in at.sidebar.expander] == ["登录"]  # the sidebar offers it too

    submit(at, NAME, "")
    assert shows_form(at) and at.error[0].value == "请输入账号和密码。"
    submit(at, NAME, "wrong password")
    assert not at.exception and shows_form(at)
    assert at.error[0].value == "账号或密码不正确。"

    submit(at, NAME, PASSWORD)
    assert not at.exception and not shows_form(at)
    assert "可以编辑：张三" in [m.value for m in at.markdown]
    assert "已登录：张三" in [m.value for m in at.sidebar.markdown]

    at.sidebar.button(key="_xxgk_signout").click().run()
    assert shows_form(at)
    assert [(e.action, e.who, e.detail.get("reason")) for e in journal(place)] == [
        ("sign_in_failed", NAME, "wrong_password"),
        ("sign_in", NAME, None),
        ("sign_out", NAME, None),
    ]


def test_signing_in_from_the_sidebar(place: Path) -> None:
    at = edit_page().run()
    at.sidebar.text_input[0].input(NAME)
    at.sidebar.text_input[1].input(PASSWORD)
    at.sidebar.button[0].click().run()
    assert not at.exception and "可以编辑：张三" in [m.value for m in at.markdown]


def test_guessing_is_locked_out(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1_000_000.0]
    monkeypatch.setattr(auth, "_now", lambda: clock[0])
    at = edit_page().run()
    for _ in range(auth.MAX_FAILURES):
        submit(at, NAME, "wrong password")
        assert at.error[0].value == "账号或密码不正确。"
    submit(at, NAME, PASSWORD)  # even the right password waits
    assert shows_form(at) and "次数过多" in at.error[0].value
    clock[0] += auth.WINDOW + 1
    submit(at, NAME, PASSWORD)
    assert not shows_form(at)
    reasons = [e.detail.get("reason") for e in journal(place) if e.action == "sign_in_failed"]
    assert reasons == ["wrong_password"] * auth.MAX_FAILURES + ["locked"]


def test_guessing_from_new_sessions_is_locked_out_too(place: Path) -> None:
    for _ in range(auth.MAX_NAME_FAILURES // auth.MAX_FAILURES):
        at = edit_page().run()
        for _ in range(auth.MAX_FAILURES):
            submit(at, NAME, "wrong password")
    at = edit_page().run()
    submit(at, NAME, PASSWORD)
    assert shows_form(at) and "次数过多" in at.error[0].value


def test_an_idle_session_ends(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(auth.IDLE_ENV, "10")
    clock = [1_000_000.0]
    monkeypatch.setattr(auth, "_now", lambda: clock[0])
    at = submit(edit_page().run(), NAME, PASSWORD)
    clock[0] += 9 * 60  # active within the limit: still in, and the clock restarts
    assert not shows_form(at.run())
    clock[0] += 9 * 60
    assert not shows_form(at.run())
    clock[0] += 10 * 60 + 1
    assert shows_form(at.run())
    assert journal(place)[-1].action == "session_ended"
    assert journal(place)[-1].detail["reason"] == "idle"


def test_a_removed_account_is_signed_out(place: Path) -> None:
    at = submit(edit_page().run(), NAME, PASSWORD)
    assert not shows_form(at)
    accounts.remove(accounts.default_path(place), NAME)
    assert shows_form(at.run())
    submit(at, NAME, PASSWORD)
    assert shows_form(at) and at.error[0].value == "账号或密码不正确。"
    assert journal(place)[-1].detail["reason"] == "no_account"


def test_a_new_password_ends_the_old_session(place: Path) -> None:
    at = submit(edit_page().run(), NAME, PASSWORD)
    accounts.add(accounts.default_path(place), NAME, "a new password", replace=True)
    assert shows_form(at.run())


def test_a_sign_in_that_cannot_be_logged_does_not_happen(
    place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = place.with_name("not-a-folder")
    blocker.write_text("")
    monkeypatch.setenv(audit_log.JOURNAL_ENV, str(blocker / "audit.jsonl"))
    at = submit(edit_page().run(), NAME, PASSWORD)
    assert shows_form(at) and "无法写入操作记录" in at.error[0].value


def test_the_url_grants_nothing(place: Path) -> None:
    at = edit_page()
    at.query_params.update(
        {"_xxgk_auth": NAME, "user": NAME, "editor": NAME, "name": NAME, "password": PASSWORD}
    )
    at.run()
    assert shows_form(at) and auth._SIGNED not in at.session_state
    assert journal(place) == []


def test_no_accounts_file_says_how_to_add_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XXGK_DB", str(tmp_path / "w.duckdb"))
    at = edit_page().run()
    assert shows_form(at) and "xxgk user add" in at.caption[-1].value
    submit(at, NAME, PASSWORD)
    assert shows_form(at) and at.error[0].value == "账号或密码不正确。"


def test_with_an_identity_provider(place: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An [auth] section (and Authlib) switches to st.login; only listed e-mails edit."""
    monkeypatch.setattr(auth, "_authlib", lambda: True)
    at = edit_page()
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "s" * 32,
        "client_id": "xxgk",
        "client_secret": "secret",
        "server_metadata_url": "https://sso.example.gov.cn/.well-known/openid-configuration",
    }
    at.secrets["xxgk"] = {"editors": ["ed@example.gov.cn", "@bureau.gov.cn"]}
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception and not at.main.text_input
    assert [b.label for b in at.main.button] == ["通过统一身份认证登录"]

    at.user = {"is_logged_in": True, "email": "someone@gmail.example"}
    at.run()
    assert "不在编辑人员名单中" in at.warning[0].value

    for email in ("ed@example.gov.cn", "Chief@Bureau.gov.cn"):
        at.user = {"is_logged_in": True, "email": email, "email_verified": True}
        at.run()
        assert f"可以编辑：{email}" in [m.value for m in at.markdown]
    at.user = {"is_logged_in": True, "email": "ed@example.gov.cn", "email_verified": False}
    assert "可以编辑" not in " ".join(m.value for m in at.run().markdown)
    assert [e.action for e in journal(place)] == [
        "sign_in",
        "sign_in",
        "session_ended",
    ]


def test_without_secrets_local_accounts_are_used(place: Path) -> None:
    at = AppTest.from_string(
        "import streamlit as st\nfrom dashboard import auth\n"
        "st.write(repr((auth.providers(), auth.uses_provider(), auth.current_editor())))",
        default_timeout=30,
    ).run()
    assert not at.exception and at.markdown[0].value == "([], False, None)"


# ---------------------------------------------------------------------------------------------
# The log page in the real app
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pipelines.ingest import ingest

    db = tmp_path_factory.mktemp("auth") / "xxgk.duckdb"
    summary = ingest([SAMPLES / "000_seed.txt"], db, progress=False, workers=0)
    assert summary.new == 1
    return db


def test_the_log_page_is_for_editors_and_merges_both_stores(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XXGK_DB", str(warehouse))
    users = warehouse.with_name("users.json")
    users.unlink(missing_ok=True)
    accounts.add(users, NAME, PASSWORD)
    audit_log.append(audit_log.journal_path(warehouse), "**李四**", "user_add", "[x](https://e.x)")
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.switch_page("views/log.py").run()
    assert not at.exception and at.title[0].value == "操作记录"
    assert shows_form(at) and not at.dataframe

    submit(at, NAME, PASSWORD)
    assert not at.exception and not shows_form(at)
    table = at.dataframe[0].value
    assert list(table.columns) == ["时间（北京时间）", "人员", "操作", "对象", "详情"]
    assert table["操作"].tolist() == ["登录", "添加账号", "导入报告"]  # newest first
    assert table["人员"].tolist() == [NAME, "**李四**", audit_log.os_user()]  # as written
    assert table["对象"].tolist()[1] == "[x](https://e.x)"

    at.selectbox(key="log_action").select("ingest").run()
    assert at.dataframe[0].value["操作"].tolist() == ["导入报告"]
    assert "new=1" in at.dataframe[0].value["详情"][0]


def test_the_log_page_keeps_the_scope_line_of_every_page(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like every page, it opens with the filters of the URL and says what they are first
    (the other pages' tests walk every page and check exactly that)."""
    monkeypatch.setenv("XXGK_DB", str(warehouse))
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update({"demo": "false", "kind": "政府部门"})
    at.run()
    at.switch_page("views/log.py").run()
    assert not at.exception and not at.error
    assert at.main.caption[0].value.startswith("全部地区 · 2020年 · 政府部门")
    assert shows_form(at)


# ---------------------------------------------------------------------------------------------
# In a browser
# ---------------------------------------------------------------------------------------------


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install chromium)"
)
def test_sign_in_and_out_in_a_browser(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.test_dashboard_browser import _start, _stop

    users = tmp_path / "editors.json"
    accounts.add(users, NAME, PASSWORD)
    monkeypatch.setenv(accounts.USERS_ENV, str(users))  # the server inherits it
    proc, url = _start(warehouse, tmp_path / "console.txt")
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
                main = page.locator('[data-testid="stMain"]')
                sidebar = page.locator('[data-testid="stSidebar"]')
                # a query parameter that claims a sign-in is ignored
                claim = quote(NAME)
                page.goto(
                    f"{url}/log?_xxgk_auth={claim}&user={claim}", wait_until="domcontentloaded"
                )
                main.get_by_label("账号").wait_for(timeout=30_000)
                assert sidebar.get_by_text("已登录").count() == 0

                main.get_by_label("账号").fill(NAME)
                main.get_by_label("密码").fill("wrong password")
                main.get_by_role("button", name="登录").click()
                main.get_by_text("账号或密码不正确").wait_for(timeout=30_000)

                main.get_by_label("账号").fill(NAME)
                main.get_by_label("密码").fill(PASSWORD)
                main.get_by_role("button", name="登录").click()
                sidebar.get_by_text(f"已登录：{NAME}").wait_for(timeout=30_000)
                main.locator('[data-testid="stDataFrame"]').wait_for(timeout=30_000)
                assert main.get_by_label("密码").count() == 0

                sidebar.get_by_role("button", name="退出").click()
                main.get_by_label("账号").wait_for(timeout=30_000)
                assert sidebar.get_by_text("已登录").count() == 0
            finally:
                browser.close()
    finally:
        _stop(proc)
    actions = [e.action for e in journal(warehouse) if e.who == NAME]
    assert actions[-3:] == ["sign_in_failed", "sign_in", "sign_out"]
