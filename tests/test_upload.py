"""导入报告: files uploaded through the dashboard, previewed, settled and ingested as one batch.

The page runs under AppTest against a warehouse built by the real ingest, with a real
editor's account (``pipelines.accounts``) signed in through the real form: AppTest drives
``st.file_uploader`` itself in this Streamlit. What the confirmed batch did is checked by SQL
on the published warehouse and by the files left in the upload folder; the zip rules are
checked on ``dashboard.upload`` directly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import re
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboard import fmt, upload
from pipelines import accounts
from pipelines.ingest import ingest
from pipelines.warehouse import open_readonly
from tests.helpers import SAMPLES
from tests.warehouse_helpers import SEED_TEXT, seed_as, write

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PAGE = "views/upload.py"
EDITOR, PASSWORD = "编辑甲", "correct horse battery"

GOOD = ("shuyang_fgj_2023.html", (SAMPLES / "shuyang_fgj_2023.html").read_bytes())
AUDIT_ERRORS = ("000_seed.txt", (SAMPLES / "000_seed.txt").read_bytes())  # H1 and H2 fail
GARBAGE = ("scan.pdf", random.Random(1).randbytes(4096))  # no PDF in it, nor any text
# The seed with its title cut to the words alone: the parser reads no organ (机关不详).
NO_ORGAN = (
    "无标题机关.txt",
    SEED_TEXT.replace("前进区政府办政府信息公开", "政府信息公开", 1).encode("utf-8"),
)
SETTLED_ORGAN = "前进区教育局"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture()
def db(tmp_path: Path) -> Path:
    """A small real warehouse (the dashboard needs one to open), built by the real ingest."""
    reports = tmp_path / "reports"
    write(reports / "东风区政府办.txt", seed_as("东风区政府办"))
    write(reports / "郊区政府办.txt", seed_as("郊区政府办").replace("2020", "2021"))
    path = tmp_path / "data" / "xxgk.duckdb"
    ingest([reports], path, progress=False, workers=0)
    return path


@pytest.fixture()
def app(db: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    users = db.parent / "users.json"
    accounts.add(users, EDITOR, PASSWORD)
    monkeypatch.setenv("XXGK_DB", str(db))
    monkeypatch.setenv(accounts.USERS_ENV, str(users))
    return AppTest.from_file(str(APP), default_timeout=60)


def signed_in(at: AppTest) -> AppTest:
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="_xxgk_signin_main_name").input(EDITOR)
    at.text_input(key="_xxgk_signin_main_password").input(PASSWORD)
    next(b for b in at.main.button if b.label == "登录").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.file_uploader, "the editor should see the uploader once signed in"
    return at


def drop(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    at.file_uploader[0].set_value([(n, d, "application/octet-stream") for n, d in files]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, kind: str) -> list[str]:
    """The main area's elements of one kind, as read on screen (``safe.md``'s escapes and
    word joiners removed)."""
    return [
        re.sub(r"\\(.)", r"\1", str(e.value)).replace("\u2060", "") for e in getattr(at.main, kind)
    ]


def confirm_button(at: AppTest):
    return at.button(key="upload_confirm")


def wait_for_summary(at: AppTest, timeout: float = 120) -> AppTest:
    """Rerun (as the page's one-second timer does) until the batch has ended."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if any(s.startswith("导入完成") for s in texts(at, "success")) or any(
            s.startswith("导入失败") for s in texts(at, "error")
        ):
            return at
        time.sleep(0.5)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
    raise AssertionError("the batch did not end")


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def test_page_needs_a_signed_in_editor(app: AppTest) -> None:
    app.run()
    at = app.switch_page(PAGE).run()
    assert not at.exception
    assert at.title[0].value == "导入报告"
    assert not at.file_uploader
    assert any("需要编辑人员登录" in s for s in texts(at, "info"))


def test_upload_preview_confirm_and_upload_again(app: AppTest, db: Path) -> None:
    at = drop(signed_in(app), GOOD, AUDIT_ERRORS, GARBAGE, NO_ORGAN)

    # each file as 报告详情 would show it, or why it cannot be read
    captions = texts(at, "caption")
    assert any(
        c.startswith("读取为：沭阳县发展和改革局（政府部门） · 2023年 · 江苏省 / 宿迁市 / 沭阳县")
        and "321322" in c
        for c in captions
    ), captions
    assert any(c.startswith("读取为：前进区政府办（政府部门） · 2020年") for c in captions)
    assert any("审核发现 4 条（错误 4 条）" in c for c in captions), captions
    html = "".join(h.proto.body for h in at.get("html"))
    assert 'class="num bad"' in html  # the seed's （七）总计, named by both H1 and H2
    errors = texts(at, "error")
    assert any(e.startswith("无法识别文件编码，不是文本文件") and "不会导入" in e for e in errors)
    warnings = texts(at, "warning")
    assert any("未能从标题读出发布机关名称（机关不详）" in w for w in warnings), warnings
    assert confirm_button(at).label == "导入 2 份报告"
    assert any("1 份无法读取、1 份待补充信息" in c for c in texts(at, "caption"))

    # settle the organ the title does not print; a year the manifest refuses is refused here
    key = sha(NO_ORGAN[1])[:16]
    at.text_input(key=f"up_year_{key}").input("1900").run()
    assert any("年度 1900 不在 2008–" in w for w in texts(at, "warning"))
    at.text_input(key=f"up_year_{key}").input("").run()
    at.text_input(key=f"up_organ_{key}").input(SETTLED_ORGAN).run()
    assert any(
        c.startswith(f"读取为：{SETTLED_ORGAN}（政府部门） · 2020年") for c in texts(at, "caption")
    )
    assert confirm_button(at).label == "导入 3 份报告"

    before = open_readonly(db)
    reports_before = before.execute("SELECT count(*) FROM reports").fetchone()[0]
    before.close()
    confirm_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    # the page returned while the batch runs in its own process: progress, not a summary
    job = at.session_state["upload_job"]
    assert at.get("progress") and upload.state(job).running
    # and the other pages answer meanwhile
    other = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not other.exception and other.title
    wait_for_summary(at)
    assert metrics(at) == {
        "新增": fmt.num(3, "份"),
        "更新": fmt.num(0, "份"),
        "未变化": fmt.num(0, "份"),
        "失败": fmt.num(0, "份"),
    }
    assert any(EDITOR in s for s in texts(at, "success"))  # who confirmed the batch

    into = upload.uploads_dir(db)
    con = open_readonly(db)
    try:
        rows = dict(
            (r[0], r[1:])
            for r in con.execute(
                "SELECT report_id, organ, year, organ_id, status FROM reports"
            ).fetchall()
        )
        assert len(rows) == reports_before + 3
        assert rows[sha(GOOD[1])] == ("沭阳县发展和改革局", 2023, "321322:发展和改革局", "current")
        assert rows[sha(AUDIT_ERRORS[1])][:2] == ("前进区政府办", 2020)
        assert rows[sha(NO_ORGAN[1])][:3] == (SETTLED_ORGAN, 2020, "230804:教育局")
        assert sha(GARBAGE[1]) not in rows
        errors = con.execute(
            "SELECT count(*) FROM findings WHERE report_id = ? AND severity = 'error'",
            [sha(AUDIT_ERRORS[1])],
        ).fetchone()[0]
        assert errors == 4
        paths = {
            r: p for r, p in con.execute("SELECT report_id, source_path FROM reports").fetchall()
        }
        assert paths[sha(GOOD[1])] == str(into / f"{sha(GOOD[1])}.html")
        batch = con.execute(
            "SELECT batch_id, new FROM batches ORDER BY started_at DESC LIMIT 1"
        ).fetchone()
        assert batch[1] == 3
        # the audit log (pipelines.audit_log) names the editor for the batch
        who = con.execute(
            "SELECT who FROM audit_log WHERE action = 'ingest' AND target = ?", [batch[0]]
        ).fetchall()
        assert who == [(EDITOR,)]
    finally:
        con.close()

    # the files as their SHA-256 with their format's extension, and the manifest's rows
    stored = sorted(p.name for p in into.iterdir() if not p.name.startswith("."))
    assert stored == sorted(
        [
            f"{sha(GOOD[1])}.html",
            f"{sha(AUDIT_ERRORS[1])}.txt",
            f"{sha(NO_ORGAN[1])}.txt",
            "manifest.csv",
        ]
    )
    with open(into / "manifest.csv", encoding="utf-8-sig", newline="") as fh:
        manifest = {row["file"]: row for row in csv.DictReader(fh)}
    assert manifest[f"{sha(NO_ORGAN[1])}.txt"]["organ"] == SETTLED_ORGAN
    assert manifest[f"{sha(GOOD[1])}.html"]["organ"] == ""  # the title settles it
    assert {row["uploaded_by"] for row in manifest.values()} == {EDITOR}
    assert manifest[f"{sha(GOOD[1])}.html"]["name"] == GOOD[0]

    # the same bytes again: previewed as already there, loaded as unchanged, nothing added
    next(b for b in at.main.button if b.label == "继续上传").click().run()
    at = drop(at, GOOD, AUDIT_ERRORS, NO_ORGAN)
    assert sum("仓库中已有这份文件" in s for s in texts(at, "info")) == 3
    # the settled organ is remembered by the manifest row
    assert any(c.startswith(f"读取为：{SETTLED_ORGAN}") for c in texts(at, "caption"))
    assert confirm_button(at).label == "导入 3 份报告"
    confirm_button(at).click().run()
    wait_for_summary(at)
    assert metrics(at)["新增"] == fmt.num(0, "份")
    assert metrics(at)["未变化"] == fmt.num(3, "份")
    con = open_readonly(db)
    try:
        assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == reports_before + 3
    finally:
        con.close()
    assert sorted(p.name for p in into.iterdir() if not p.name.startswith(".")) == stored

    # the upload folder alone rebuilds the same reports
    rebuilt = db.parent / "rebuilt.duckdb"
    summary = ingest([into], rebuilt, progress=False, workers=0)
    assert summary.failed == [] and summary.new == 3
    con = duckdb.connect(str(rebuilt), read_only=True)
    try:
        again = dict(
            (r[0], r[1:])
            for r in con.execute("SELECT report_id, organ, year, organ_id FROM reports").fetchall()
        )
    finally:
        con.close()
    assert again == {r: v[:3] for r, v in rows.items() if r in again}
    assert set(again) == {sha(GOOD[1]), sha(AUDIT_ERRORS[1]), sha(NO_ORGAN[1])}


def test_zip_with_a_path_out_of_its_folder_is_refused(app: AppTest) -> None:
    evil = zipfile_bytes({"reports/../../etc/cron.d/x.txt": SEED_TEXT.encode()})
    at = drop(signed_in(app), ("reports.zip", evil))
    errors = texts(at, "error")
    assert any("不安全的路径" in e and "整个压缩包不予解压" in e for e in errors), errors
    assert confirm_button(at).label == "导入 0 份报告"
    assert confirm_button(at).disabled


def test_names_from_files_are_shown_as_text(app: AppTest) -> None:
    """A file name (or a zip member's) is someone else's text: never a link or markup."""
    name = "**通知**[点此](https://example.com/x)<img src=x>.pdf"
    at = drop(signed_in(app), (name, GARBAGE[1]))
    raw = [m.value for m in at.main.markdown if "通知" in m.value]
    # every markup character escaped, the link's "://" broken for autolinking
    assert raw and all("\\[点此\\]\\(https\\:\u2060" in v and "\\<img" in v for v in raw), raw
    assert any(name in t for t in texts(at, "markdown"))  # and read as it was named


def test_a_zip_of_reports_is_previewed_member_by_member(app: AppTest) -> None:
    archive = zipfile_bytes(
        {
            "2023/沭阳.html": GOOD[1],
            "2023/副本.html": GOOD[1],
            "inner.zip": zipfile_bytes({"a.txt": b"x"}),
            "说明.png": b"\x89PNG",
            "__MACOSX/._沭阳.html": b"junk",
        }
    )
    at = drop(signed_in(app), ("reports.zip", archive))
    assert any(c.startswith("读取为：沭阳县发展和改革局") for c in texts(at, "caption"))
    assert any("内容完全相同，只导入一次" in c for c in texts(at, "caption"))
    errors = texts(at, "error")
    assert any(e.startswith("压缩包内嵌套的压缩包不予解压") for e in errors), errors
    assert any(e.startswith("不是报告格式") for e in errors), errors
    assert confirm_button(at).label == "导入 1 份报告"


# ---------------------------------------------------------------------------------------------
# Unpacking, directly
# ---------------------------------------------------------------------------------------------


def zipfile_bytes(members: dict[str, bytes], **kwargs) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, **kwargs) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "name", ["../x.txt", "/etc/x.txt", "a/../../x.txt", "C:/x.txt", "..\\x.txt"]
)
def test_unsafe_member_names_refuse_the_zip(name: str) -> None:
    items = upload.expand([("r.zip", zipfile_bytes({"ok.txt": b"a", name: b"b"}))])
    assert len(items) == 1 and items[0].data == b""
    assert items[0].refused and "不安全的路径" in items[0].refused


def test_a_zip_that_inflates_past_the_bound_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload, "MAX_ZIP_TOTAL", 1024 * 1024)
    bomb = zipfile_bytes({"a.txt": b"0" * (2 * 1024 * 1024)})
    assert len(bomb) < 10_000
    [item] = upload.expand([("bomb.zip", bomb)])
    assert item.refused and item.refused.startswith("压缩包解压后过大")


def test_a_zip_whose_headers_understate_its_size_is_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The declared sizes pass; the bytes actually inflated are counted and stopped."""
    monkeypatch.setattr(upload, "MAX_ZIP_TOTAL", 1024 * 1024)
    data = bytearray(zipfile_bytes({"a.txt": b"0" * (2 * 1024 * 1024)}))
    size = (2 * 1024 * 1024).to_bytes(4, "little")
    small = (1000).to_bytes(4, "little")
    for header, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local and central
        at = data.find(header)
        assert data[at + offset : at + offset + 4] == size
        data[at + offset : at + offset + 4] = small
    [item] = upload.expand([("liar.zip", bytes(data))])
    assert item.refused and ("上限" in item.refused or "损坏" in item.refused)


def test_too_many_entries_refuse_the_zip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload, "MAX_ZIP_ENTRIES", 5)
    many = zipfile_bytes({f"{i}.txt": b"x" for i in range(6)})
    [item] = upload.expand([("many.zip", many)])
    assert item.refused and item.refused.startswith("压缩包条目过多")


def test_gbk_member_names_are_read_as_written() -> None:
    """A zip made on a Chinese Windows machine: GBK bytes, no UTF-8 flag."""
    gbk = "报告.txt".encode("gbk")
    assert len(gbk) == len("abcd.txt")  # so the name's bytes can be swapped in place
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo("abcd.txt"), b"a")
    data = bytearray(buf.getvalue())
    for _ in range(2):  # local header and central directory both carry the name
        at = data.find(b"abcd.txt")
        data[at : at + 8] = gbk
    [item] = upload.expand([("r.zip", bytes(data))])
    assert item.name == "r.zip › 报告.txt" and item.data == b"a"


def test_a_word_file_is_not_taken_for_a_zip() -> None:
    docx = zipfile_bytes({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"})
    [item] = upload.expand([("report.docx", docx)])
    assert item.refused is None and item.data == docx


def test_too_many_files_in_one_upload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upload, "MAX_FILES", 2)
    items = upload.expand([(f"{i}.txt", b"x") for i in range(3)])
    assert [i.refused is None for i in items] == [True, True, False]
    assert items[2].refused and items[2].refused.startswith("超过单次上传上限")


# ---------------------------------------------------------------------------------------------
# A fresh install: the first reports through the page
# ---------------------------------------------------------------------------------------------


def menu(at: AppTest) -> list[str]:
    """The page menu's titles, as ``st.navigation`` registered them for the last run."""
    return [str(info.get("page_name")) for info in at._registered_pages.values()]


def test_the_first_reports_through_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No warehouse yet: the advice for the command line, 导入报告 and nothing to analyse;
    the first batch publishes the warehouse, and then the whole dashboard is there."""
    path = tmp_path / "data" / "xxgk.duckdb"
    users = tmp_path / "users.json"
    accounts.add(users, EDITOR, PASSWORD)
    monkeypatch.setenv("XXGK_DB", str(path))
    monkeypatch.setenv(accounts.USERS_ENV, str(users))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "还没有数据仓库" in at.error[0].value
    assert any("xxgk ingest" in m.value for m in at.markdown)  # the command line's way
    assert menu(at) == ["开始使用", "导入报告"], menu(at)
    with pytest.raises(ValueError):  # no analysis page is offered
        at.switch_page("views/overview.py")

    at = drop(signed_in(at), GOOD)
    assert any("还没有年度报告" in c for c in texts(at, "caption"))  # no scope to show yet
    assert not any("仓库中已有这份文件" in s for s in texts(at, "info"))
    assert confirm_button(at).label == "导入 1 份报告"
    confirm_button(at).click().run()
    assert not at.exception, [e.value for e in at.exception]
    wait_for_summary(at)
    assert metrics(at)["新增"] == fmt.num(1, "份")
    assert "导入报告" in menu(at) and "总览" in menu(at)  # the full menu, on the same page

    con = open_readonly(path)
    try:
        rows = con.execute("SELECT report_id, organ, year FROM reports").fetchall()
    finally:
        con.close()
    assert rows == [(sha(GOOD[1]), "沭阳县发展和改革局", 2023)]

    at.switch_page("views/overview.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "总览"
    assert not at.error
    assert [s.value for s in at.main.subheader][:1] == ["2023年"]
    assert at.main.metric  # the KPIs of the one report


def test_a_warehouse_without_reports_offers_the_upload_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "data" / "xxgk.duckdb"
    (tmp_path / "empty").mkdir()
    ingest([tmp_path / "empty"], path, progress=False, workers=0)
    assert path.exists()
    monkeypatch.setenv("XXGK_DB", str(path))
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "还没有可用的年度报告" in at.error[0].value
    assert menu(at) == ["开始使用", "导入报告"], menu(at)
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "导入报告"
    assert any("需要编辑人员登录" in s for s in texts(at, "info"))


# ---------------------------------------------------------------------------------------------
# In a real browser
# ---------------------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
ROOT = APP.parent.parent


@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install chromium)"
)
def test_upload_in_a_browser(db: Path) -> None:
    """`xxgk serve`, signed in through the form, files given to the real file input: the
    preview, the confirm button, the one-second poll of the batch and its summary."""
    sync_api = pytest.importorskip("playwright.sync_api")
    users = db.parent / "users.json"
    accounts.add(users, EDITOR, PASSWORD)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    console = db.parent / "console.txt"
    with console.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "serve", "--db", str(db), "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, accounts.USERS_ENV: str(users)},
        )
    files = [db.parent / GOOD[0], db.parent / GARBAGE[0]]
    for path, (_, data) in zip(files, (GOOD, GARBAGE), strict=True):
        path.write_bytes(data)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
            deadline = time.monotonic() + 60
            while True:
                try:
                    page.goto(f"http://127.0.0.1:{port}/upload", wait_until="domcontentloaded")
                    break
                except sync_api.Error:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(console.read_text(errors="replace")) from None
                    time.sleep(0.5)
            main = page.locator('[data-testid="stMainBlockContainer"]')
            main.get_by_label("账号").fill(EDITOR, timeout=60_000)
            main.get_by_label("密码").fill(PASSWORD)
            main.get_by_role("button", name="登录").click()
            uploader = main.locator('[data-testid="stFileUploaderDropzoneInput"]')
            uploader.set_input_files([str(f) for f in files], timeout=60_000)
            confirm = main.get_by_role("button", name="导入 1 份报告")
            confirm.wait_for(timeout=60_000)
            assert main.get_by_text("无法识别文件编码，不是文本文件").count() == 1
            assert main.get_by_text("读取为：沭阳县发展和改革局", exact=False).count() == 1
            confirm.click()
            main.get_by_text("导入完成", exact=False).wait_for(timeout=120_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            new = main.locator('[data-testid="stMetric"]').filter(has_text="新增")
            assert "1份" in new.inner_text()
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    con = open_readonly(db)
    try:
        organ = con.execute(
            "SELECT organ, year FROM reports WHERE report_id = ?", [sha(GOOD[1])]
        ).fetchall()
    finally:
        con.close()
    assert organ == [("沭阳县发展和改革局", 2023)]
    assert (upload.uploads_dir(db) / f"{sha(GOOD[1])}.html").read_bytes() == GOOD[1]
