"""The whole editing flow in a real headless Chromium, as an editor goes through it.

`xxgk serve` on a small warehouse with one editor's account: sign in through the sidebar,
upload a good report, one with audit errors and one that cannot be read; confirm the batch;
correct the misprinted total of the report with errors through 人工更正; see the correction
on 报告详情 and 总览 and in the long Parquet that 数据下载 serves; sign out, and the pages
that change data are closed again. A local sign-in lives in one tab's session, so every move
after it is a click in the app (a ``goto`` would reload the tab and sign it out). A
screenshot of each step is saved under ``$XXGK_ARTIFACTS`` (``_shoot``).
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from urllib.parse import urljoin

import polars as pl
import pytest

from pipelines import accounts
from pipelines.ingest import ingest
from pipelines.warehouse import open_readonly
from tests.helpers import SAMPLES
from tests.warehouse_helpers import seed_as, write

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install chromium)"
)
playwright = pytest.importorskip("playwright.sync_api")

from tests.test_dashboard_browser import _settle, _shoot, _start, _stop  # noqa: E402

EDITOR, PASSWORD = "编辑甲", "correct horse battery"
ORGAN = "前进区财政局"  # the seed under another organ: its （七）总计 is printed as 0, not 4
TARGET = "outcome.total@total"
REASON = "原表（七）总计误填为 0，依各项之和更正为 4"


@pytest.fixture()
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """`xxgk serve` on a small warehouse built by the real ingest, with one editor."""
    reports = tmp_path / "reports"
    write(reports / "东风区政府办.txt", seed_as("东风区政府办"))
    write(reports / "郊区政府办.txt", seed_as("郊区政府办").replace("2020", "2021"))
    db = tmp_path / "data" / "xxgk.duckdb"
    ingest([reports], db, progress=False, workers=0)
    users = tmp_path / "users.json"
    accounts.add(users, EDITOR, PASSWORD)
    # the server inherits the environment: its accounts and a download folder of its own
    monkeypatch.setenv(accounts.USERS_ENV, str(users))
    monkeypatch.setenv("XXGK_DOWNLOADS", str(tmp_path / "downloads"))
    proc, url = _start(db, tmp_path / "console.txt")
    try:
        yield url, db
    finally:
        _stop(proc)


def _files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "shuyang_fgj_2023.html"
    good.write_bytes((SAMPLES / "shuyang_fgj_2023.html").read_bytes())
    seed = write(folder / f"{ORGAN}.txt", seed_as(ORGAN))
    garbage = folder / "scan.pdf"
    garbage.write_bytes(random.Random(1).randbytes(4096))
    return [good, seed, garbage]


def test_an_editor_uploads_corrects_downloads_and_signs_out(
    served: tuple[str, Path], tmp_path: Path
) -> None:
    url, db = served
    files = _files(tmp_path / "upload")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True
        )
        page = context.new_page()
        try:
            _flow(page, context, url, db, files, tmp_path)
        finally:
            context.close()
            browser.close()


def _no_error_box(page: object) -> None:
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()


def _go(page: object, title: str) -> object:
    """To another page by the sidebar's menu, as a person does (the session stays signed in)."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=title, exact=True).click()
    main = page.locator('[data-testid="stMainBlockContainer"]')
    main.locator("h1").filter(has_text=title).wait_for(timeout=60_000)
    _settle(page)
    _no_error_box(page)
    return main


def _flow(
    page: object, context: object, url: str, db: Path, files: list[Path], tmp_path: Path
) -> None:
    page.goto(url, wait_until="domcontentloaded")
    _settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')

    # sign in through the sidebar
    sidebar.locator('[data-testid="stExpander"]').filter(has_text="登录").locator("summary").click()
    sidebar.get_by_label("账号").fill(EDITOR)
    sidebar.get_by_label("密码").fill(PASSWORD)
    sidebar.get_by_role("button", name="登录").click()
    sidebar.get_by_text(f"已登录：{EDITOR}").wait_for(timeout=60_000)
    _settle(page)
    _shoot(page, "editing_1_signed_in")

    # 导入报告: three files, each with its outcome
    main = _go(page, "导入报告")
    main.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(f) for f in files], timeout=60_000
    )
    confirm = main.get_by_role("button", name="导入 2 份报告")
    confirm.wait_for(timeout=60_000)
    _settle(page)
    _no_error_box(page)
    good = main.locator('[data-testid="stVerticalBlock"]', has_text="shuyang_fgj_2023.html")
    assert good.get_by_text("可导入", exact=True).count() >= 1
    assert main.get_by_text("读取为：沭阳县发展和改革局", exact=False).count() == 1
    assert main.get_by_text(f"读取为：{ORGAN}", exact=False).count() == 1
    assert main.get_by_text("审核发现 4 条（错误 4 条）", exact=False).count() == 1
    assert main.get_by_text("无法识别文件编码，不是文本文件", exact=False).count() == 1
    assert main.get_by_text("1 份无法读取", exact=False).count() == 1
    _shoot(page, "editing_2_preview")
    confirm.click()
    main.get_by_text("导入完成", exact=False).wait_for(timeout=120_000)
    _settle(page)
    _no_error_box(page)
    new = main.locator('[data-testid="stMetric"]').filter(has_text="新增")
    assert "2份" in new.inner_text().replace(" ", "")
    _shoot(page, "editing_3_summary")

    # 报告详情 of the report with errors, from the summary's link
    main.get_by_role("link", name=f"{ORGAN} · 2020年").click()
    main.locator("h1").filter(has_text="报告详情").wait_for(timeout=60_000)
    _settle(page)
    _no_error_box(page)
    choice = "三、依申请公开 · （七）总计 · 总计"
    target = main.get_by_role("combobox", name="更正哪一处")
    if target.input_value() != choice:
        target.click()
        target.fill("（七）总计 · 总计")
        page.get_by_role("option", name=choice, exact=True).click()
        _settle(page)
    assert target.input_value() == choice
    assert main.get_by_text("现为：0", exact=True).count() == 1
    main.get_by_label("更正为（数字）").fill("4")
    main.get_by_label("更正理由（必填）").fill(REASON)
    main.get_by_role("button", name="提交更正").click()
    main.get_by_text("已更正：", exact=False).wait_for(timeout=120_000)
    _settle(page)
    _no_error_box(page)
    main.get_by_text("含 1 处人工更正", exact=False).first.wait_for(timeout=30_000)
    cell = main.locator(f'[data-cell="{TARGET}"]').first
    assert "fixed" in (cell.get_attribute("class") or "").split()
    assert "".join((cell.text_content() or "").split()) == "4已更正"  # the value and its mark
    assert main.get_by_text("现为：4（已更正，原表为 0）", exact=True).count() == 1
    _shoot(page, "editing_4_corrected")

    # 总览 says its figures include the correction
    main = _go(page, "总览")
    assert main.get_by_text("含 1 处人工更正", exact=False).count() == 1
    _shoot(page, "editing_5_overview")

    # 数据下载: the long Parquet of the selection, from the app's own link
    main = _go(page, "数据下载")
    main.get_by_role("button", name="生成下载文件").click()
    link = main.get_by_role("link", name="下载 xxgk_long")
    link.wait_for(timeout=60_000)
    # served by the app itself, not a data: URL or another host
    assert urljoin(page.url, link.get_attribute("href") or "").startswith(f"{url}/xxgk/download/")
    downloads: list[object] = []
    context.on("page", lambda tab: tab.on("download", lambda d: downloads.append(d)))
    page.on("download", lambda d: downloads.append(d))
    link.click()
    deadline = time.monotonic() + 60
    while not downloads and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert downloads, "the link did not start a download"
    got = tmp_path / "downloaded.parquet"
    downloads[0].save_as(str(got))
    _shoot(page, "editing_6_download")
    con = open_readonly(db)
    try:
        (rid,) = con.execute(
            "SELECT report_id FROM current_reports WHERE organ = ?", [ORGAN]
        ).fetchone()
    finally:
        con.close()
    rows = pl.read_parquet(got).filter(
        (pl.col("report_id") == rid)
        & (pl.col("metric") == "outcome.total")
        & (pl.col("applicant") == "total")
    )
    assert rows.select("value", "corrected").rows() == [(4.0, True)]

    # sign out: 导入报告 and the correction form are closed again
    sidebar.get_by_role("button", name="退出").click()
    sidebar.get_by_text("已登录", exact=False).wait_for(state="detached", timeout=30_000)
    main = _go(page, "导入报告")
    main.get_by_text("需要编辑人员登录", exact=False).wait_for(timeout=30_000)
    assert main.locator('[data-testid="stFileUploader"]').count() == 0
    _shoot(page, "editing_7_upload_closed")
    main = _go(page, "报告详情")
    main.get_by_text("编辑人员在侧栏“登录”后可在此更正", exact=False).wait_for(timeout=30_000)
    assert main.get_by_role("button", name="提交更正").count() == 0
    _shoot(page, "editing_8_form_closed")
