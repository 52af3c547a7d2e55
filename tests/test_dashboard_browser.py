"""The dashboard in a real headless Chromium: every page loads without a Streamlit error box.

``streamlit run`` serves the app on a free port against a warehouse built from real report
files; Playwright drives the Debian ``chromium`` (no browser download: ``.ci/run`` installs
``chromium`` and ``fonts-noto-cjk`` with apt). A screenshot of every page is saved under
``$XXGK_ARTIFACTS`` (default ``<tmp>/artifacts/dashboard``) for a person to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.dashboard_corpus import build_test_warehouse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("XXGK_ARTIFACTS") or Path(tempfile.gettempdir()) / "artifacts")
PAGES = (
    "",  # 总览, the default page, lives at the root
    "trends",
    "outcomes",
    "compare",
    "active",
    "review",
    "quality",
    "report",
    "download",
)

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install chromium)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_warehouse(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def warehouse_ids(warehouse: Path) -> dict[str, str]:
    from pipelines.warehouse import open_readonly

    con = open_readonly(warehouse)
    try:
        rows = con.execute(
            "SELECT report_id FROM current_reports WHERE source_path LIKE '%000_seed.txt'"
        ).fetchall()
    finally:
        con.close()
    return {"seed": rows[0][0]}


@pytest.fixture(scope="module")
def server(warehouse: Path) -> Iterator[str]:
    db = warehouse
    port = _free_port()
    # Started as users start it: `xxgk serve` (pipelines.cli -> dashboard.serve).
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "serve",
            "--db",
            str(db),
            "--port",
            str(port),
            "--address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"streamlit did not start:\n{out}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


MAIN_CAPTION = '[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"]'


def _shoot(page: object, name: str) -> None:
    """A screenshot of the whole page: the viewport grown to the main area's height."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 1440, "height": min(int(height) + 40, 12_000)})
    page.wait_for_timeout(800)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard_{name}.png"))


def _settle(page: object) -> None:
    """Wait until the script run is over and the charts are drawn."""
    page.wait_for_selector('[data-testid="stMainBlockContainer"] h1', timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )
    page.wait_for_timeout(600)
    if page.locator('[data-testid="stPlotlyChart"]').count():
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    page.wait_for_timeout(400)


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_without_error(server: str, browser: object, name: str) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/{name}", wait_until="domcontentloaded")
        _settle(page)
        errors = page.locator('[data-testid="stException"]')
        assert errors.count() == 0, errors.first.inner_text()
        assert page.locator("h1").first.inner_text().strip()
        _shoot(page, name or "overview")
    finally:
        page.close()


def test_filters_travel_in_the_url_across_pages(server: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/?prov={quote('黑龙江省')}", wait_until="domcontentloaded")
        _settle(page)
        assert "黑龙江省" in page.locator(MAIN_CAPTION).first.inner_text()
        page.get_by_role("link", name="申请趋势").first.click()
        page.wait_for_url("**/trends**", timeout=30_000)
        _settle(page)
        assert "prov=" in page.url
        assert "黑龙江省" in page.locator(MAIN_CAPTION).first.inner_text()
        _shoot(page, "trends_heilongjiang")
    finally:
        page.close()


def test_report_opens_from_a_link_with_flagged_cells(
    server: str, browser: object, warehouse_ids: dict[str, str]
) -> None:
    """The seed report's （七）总计 row is all zeros: its cells are framed as errors."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/report?report={warehouse_ids['seed']}", wait_until="domcontentloaded")
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert (
            "前进区政府办 · 2020年" in page.locator('[data-testid="stMain"] h3').first.inner_text()
        )
        page.get_by_role("tab", name="三、依申请公开").click()
        page.wait_for_timeout(500)
        # （七）总计 of the 自然人 and 总计 columns: named by both H1 and H2
        assert page.locator("td.bad").count() == 2
        _shoot(page, "report_seed")
    finally:
        page.close()


def test_a_bar_leads_to_its_report(server: str, browser: object) -> None:
    """Click an organ's bar in the ranking, follow the link, land on its report."""
    page = browser.new_page(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
    try:
        query = f"prov={quote('黑龙江省')}&c_grain={quote('按机关')}&c_year={quote('2023年')}"
        page.goto(f"{server}/compare?{query}", wait_until="domcontentloaded")
        _settle(page)
        link = page.locator('[data-testid="stPageLink"]').filter(has_text="打开报告")
        for _ in range(3):  # a click during a chart's re-layout can miss: try again
            bar = page.locator(".js-plotly-plot").first.locator("g.point path").first
            box = bar.bounding_box()
            assert box is not None
            # Plotly's drag layer sits over the bars: click where the bar is, as people do.
            page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            try:
                link.first.wait_for(timeout=10_000)
                break
            except playwright.TimeoutError:
                page.wait_for_timeout(1000)
        link.first.wait_for(timeout=10_000)
        organ = link.first.inner_text().split("打开报告：", 1)[1].split(" · ")[0]
        link.first.click()
        page.wait_for_url("**/report?**", timeout=30_000)
        _settle(page)
        assert "report=" in page.url and "prov=" in page.url  # the filters came along
        assert page.locator('[data-testid="stMain"] h3').first.inner_text().startswith(organ)
    finally:
        page.close()
