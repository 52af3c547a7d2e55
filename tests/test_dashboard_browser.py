"""The dashboard in a real headless Chromium: every page loads without a Streamlit error box,
and nothing a link or a report file says makes the page load anything from another host.

``streamlit run`` serves the app on a free port against a warehouse built from real report
files; Playwright drives the Debian ``chromium`` (no browser download: ``.ci/run`` installs
``chromium`` and ``fonts-noto-cjk`` with apt). A screenshot of every page is saved under
``$XXGK_ARTIFACTS`` (default ``<tmp>/artifacts/dashboard``) for a person to look at.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from dashboard.pages import PAGES as PAGE_GROUPS
from tests.dashboard_corpus import build_test_warehouse
from tests.test_dashboard import HOSTILE_ORGANS, HOSTILE_REPORT, WORD_JOINER, hostile_reports

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("XXGK_ARTIFACTS") or Path(tempfile.gettempdir()) / "artifacts")
# Every page of the sidebar; 总览, the default page, lives at the root.
PAGES = tuple(
    "" if url == "overview" else url for group in PAGE_GROUPS.values() for *_, url in group
)

playwright = pytest.importorskip("playwright.sync_api")


def _has_cjk_font() -> bool:
    """Whether Chromium can draw Chinese here: fontconfig knows a font for it."""
    try:
        found = subprocess.run(
            ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian chromium (apt-get install chromium)"
    ),
    pytest.mark.skipif(
        not _has_cjk_font(), reason="needs a CJK font (apt-get install fonts-noto-cjk)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dashboard's test warehouse, and the seed's 2020 report under organ names that
    carry Markdown and HTML (images and links to another host)."""
    from pipelines.ingest import ingest

    tmp = tmp_path_factory.mktemp("browser")
    db = build_test_warehouse(tmp)
    summary = ingest(hostile_reports(tmp / "hostile"), db, progress=False)
    assert summary.new == len(HOSTILE_ORGANS) and not summary.failed
    return db


@pytest.fixture(scope="module")
def warehouse_ids(warehouse: Path) -> dict[str, str]:
    from pipelines.warehouse import open_readonly

    con = open_readonly(warehouse)
    try:
        rows = con.execute(
            "SELECT report_id FROM current_reports WHERE source_path LIKE '%000_seed.txt'"
        ).fetchall()
        ids = {"seed": rows[0][0]}
        for organ in HOSTILE_ORGANS:
            ids[organ] = con.execute(
                "SELECT report_id FROM current_reports WHERE organ = ?", [organ]
            ).fetchall()[0][0]
    finally:
        con.close()
    return ids


def _start(db: Path, console: Path) -> tuple[subprocess.Popen, str]:
    """`xxgk serve` as users start it (pipelines.cli -> dashboard.serve, on 127.0.0.1 by
    default), its console written to ``console``; returns once it answers its health check."""
    port = _free_port()
    with console.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "serve", "--db", str(db), "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop(proc)
            pytest.fail(f"streamlit did not start:\n{console.read_text(errors='replace')}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def server(warehouse: Path) -> Iterator[str]:
    proc, url = _start(warehouse, warehouse.with_name("console.txt"))
    try:
        yield url
    finally:
        _stop(proc)


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


# Characters of the page (its text and its charts' SVG text) that the page's fonts cannot
# draw: each is drawn on a canvas in the page's font and compared with a code point no font
# has, which the browser draws as an empty box (as it drew ✅, for which the CJK fonts have
# no glyph).
NO_GLYPH_JS = r"""
() => {
  const text = document.body.innerText +
    [...document.querySelectorAll('svg text')].map(t => t.textContent).join('');
  const chars = [...new Set([...text].filter(c => c.codePointAt(0) > 0x2000 && !/\s/.test(c)))];
  const font = getComputedStyle(document.body).fontFamily;
  const canvas = document.createElement('canvas');
  canvas.width = 48; canvas.height = 48;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const draw = c => {
    g.clearRect(0, 0, 48, 48); g.font = `32px ${font}`; g.fillText(c, 4, 38);
    return g.getImageData(0, 0, 48, 48).data.join('');
  };
  const box = draw('\u{10FFFD}');
  return chars.filter(c => draw(c) === box);
}
"""

# Metric deltas (the coloured badges under a KPI) whose text does not fit: Streamlit cuts
# them with an ellipsis ("+43.1个百分点·上年样…").
CUT_BADGES_JS = """
els => els
  .filter(e => [e, ...e.querySelectorAll('*')].some(x => x.scrollWidth > x.clientWidth + 1))
  .map(e => e.innerText)
"""


def _look(page: object) -> None:
    """What a reader would see as broken: an error box, a glyph drawn as an empty box, a
    KPI badge cut off."""
    errors = page.locator('[data-testid="stException"]')
    assert errors.count() == 0, errors.first.inner_text()
    assert page.evaluate(NO_GLYPH_JS) == []
    assert page.eval_on_selector_all('[data-testid="stMetricDelta"]', CUT_BADGES_JS) == []


def _stays_home(page: object, requested: list[str], server: str) -> None:
    """The page requested nothing from another host (fonts, icons, map tiles, scripts), and
    nothing in its HTML (SVG included) points to one."""
    own = urlsplit(server).netloc
    elsewhere = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own
    ]
    assert not elsewhere, elsewhere
    sources = page.eval_on_selector_all("img", "els => els.map(e => e.src)")
    assert [s for s in sources if not s.startswith((server, "data:"))] == []
    # no link or source anywhere leads to another page than the dashboard's own (a
    # heading's "#…" anchor is a link within the page)
    pointing_away = page.eval_on_selector_all(
        "[href], [src], [*|href]",
        """els => els.flatMap(e => [e.getAttribute("href"), e.getAttribute("src"),
                                  e.getAttribute("xlink:href")])
            .filter(v => v && !v.startsWith("data:"))
            .filter(v => new URL(v, location.href).origin !== location.origin)""",
    )
    assert pointing_away == []


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_without_error(server: str, browser: object, name: str) -> None:
    """Every page, cold: no error box, no missing glyph, and nothing loaded from another
    host (the dashboard runs on networks without the internet)."""
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda ws: requested.append(ws.url))
    try:
        page.goto(f"{server}/{name}", wait_until="domcontentloaded")
        _settle(page)
        _look(page)
        assert page.locator("h1").first.inner_text().strip()
        _shoot(page, name or "overview")
        _stays_home(page, requested, server)
    finally:
        page.close()


def test_real_reports_only_fill_the_overview(server: str, browser: object) -> None:
    """Without demo data: the latest year with reports (not an empty block), the greyed
    badges of small bases uncut, the real-only note drawn with a glyph the fonts have."""
    page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    try:
        page.goto(f"{server}/?demo=false", wait_until="domcontentloaded")
        _settle(page)
        _look(page)
        assert page.locator('[data-testid="stMetric"]').count() >= 9
        assert "当前筛选条件下没有" not in page.locator('[data-testid="stMain"]').inner_text()
        _shoot(page, "overview_real_only")
    finally:
        page.close()


def test_the_first_pages_opened_at_once_load(warehouse: Path, browser: object) -> None:
    """Several readers open the dashboard at the same moment, right after it starts: every
    page loads without an error box. (Two sessions importing pandas at once used to see a
    half-initialised module: "partially initialized module 'pandas' has no attribute
    'Series'"; ``dashboard/server.py`` imports the heavy modules before serving.) The
    console says, in Chinese, where the dashboard is, and nothing in English."""
    console = warehouse.with_name("console_first.txt")
    proc, url = _start(warehouse, console)
    contexts = [
        browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN") for _ in PAGES
    ]
    try:
        pages = [c.new_page() for c in contexts]
        for page, name in zip(pages, PAGES, strict=True):
            # commit: the navigation has started; the sessions then run side by side
            page.goto(f"{url}/{name}", wait_until="commit")
        for page in pages:
            _settle(page)
            errors = page.locator('[data-testid="stException"]')
            assert errors.count() == 0, errors.first.inner_text()
    finally:
        for c in contexts:
            c.close()
        _stop(proc)
    lines = [line for line in console.read_text(errors="replace").splitlines() if line.strip()]
    assert lines and lines[0].startswith("看板：http://127.0.0.1:")
    assert [line for line in lines if not re.search(r"[\u4e00-\u9fff]", line)] == []


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


def test_two_years_side_by_side_and_a_number_traced_to_its_page(
    server: str, browser: object, warehouse: Path
) -> None:
    """洪泽区's 2024 PDF report: 年度对比 sets it beside 2023 cell by cell; 数字出处, with a
    cell picked, shows the PDF page with that cell framed (an image served by the app)."""
    from pipelines.warehouse import open_readonly

    con = open_readonly(warehouse)
    try:
        (report_id,) = con.execute(
            "SELECT report_id FROM current_reports WHERE source_path LIKE '%hzq_2024.pdf'"
        ).fetchone()
    finally:
        con.close()
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    try:
        page.goto(f"{server}/report?report={report_id}", wait_until="domcontentloaded")
        _settle(page)
        page.get_by_role("tab", name="年度对比").click()
        page.wait_for_timeout(1500)
        _look(page)
        shown = page.locator('[data-testid="stMain"]').inner_text()
        assert "2023" in shown and "2024" in shown
        _shoot(page, "report_two_years")
        page.get_by_role("tab", name="数字出处").click()
        page.wait_for_timeout(1500)
        _look(page)
        _shoot(page, "report_source")
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


# Pages that show what a link or a report file says: the URL (after the server), and the text
# that must be on the page, shown as it was written.
HOSTILE_PAGES = {
    "report_link": (f"report?report={quote(HOSTILE_REPORT)}", HOSTILE_REPORT),
    **{
        f"report_organ_{i}": (f"report?report={{{organ}}}", f"{organ} · 2020年")
        for i, organ in enumerate(HOSTILE_ORGANS)
    },
    "overview_organ": (f"?organ={quote(next(iter(HOSTILE_ORGANS)))}", next(iter(HOSTILE_ORGANS))),
    "quality": ("quality", "前进区<img/src=//evil.example/c.png>政府办"),
    "compare_organs": (
        f"compare?prov={quote('黑龙江省')}&c_grain={quote('按机关')}&c_year={quote('2020年')}",
        "前进区[点我](https://evil.example/a)政府办",
    ),
}


@pytest.mark.parametrize("name", HOSTILE_PAGES)
def test_hostile_text_loads_nothing_from_another_host(
    server: str, browser: object, warehouse_ids: dict[str, str], name: str
) -> None:
    """Markdown and HTML in ``?report=`` or in an organ's name are shown as text: the page
    requests nothing from any host but the dashboard's, and no image or link points away."""
    path, text = HOSTILE_PAGES[name]
    for organ in HOSTILE_ORGANS:
        path = path.replace(f"{{{organ}}}", warehouse_ids[organ])
    page = browser.new_page(viewport={"width": 1440, "height": 1400}, locale="zh-CN")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda ws: requested.append(ws.url))
    try:
        page.goto(f"{server}/{path}", wait_until="domcontentloaded")
        _settle(page)
        # the whole page in view, so every chart is drawn, then a look at what it holds
        _shoot(page, f"hostile_{name}")
        assert page.locator('[data-testid="stException"]').count() == 0
        # as written (the word joiner that keeps an address from being linked is invisible)
        shown = page.locator('[data-testid="stMain"]').inner_text().replace(WORD_JOINER, "")
        assert text in shown
        _stays_home(page, requested, server)
    finally:
        page.close()


def test_a_download_is_the_export_of_the_same_filters(
    server: str, browser: object, warehouse: Path, tmp_path: Path
) -> None:
    """Prepare the file, follow the link, and get exactly what ``xxgk export`` writes."""
    import polars as pl

    from pipelines.export import export
    from pipelines.filters import Filters, Place

    context = browser.new_context(
        viewport={"width": 1440, "height": 1200}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    try:
        page.goto(f"{server}/download?prov={quote('黑龙江省')}", wait_until="domcontentloaded")
        _settle(page)
        page.get_by_role("button", name="生成下载文件").click()
        link = page.get_by_role("link", name="下载 xxgk_long_黑龙江省")
        link.wait_for(timeout=60_000)
        assert urlsplit(link.get_attribute("href") or "").path.count("/xxgk/download/") <= 1
        # The link opens a tab that turns into a download and closes: listen from its birth.
        downloads: list[object] = []
        context.on("page", lambda tab: tab.on("download", lambda d: downloads.append(d)))
        page.on("download", lambda d: downloads.append(d))
        link.click()
        deadline = time.monotonic() + 60
        while not downloads and time.monotonic() < deadline:
            page.wait_for_timeout(200)
        assert downloads, "the link did not start a download"
        download = downloads[0]
        assert download.suggested_filename.startswith("xxgk_long_黑龙江省")
        got = tmp_path / "downloaded.parquet"
        download.save_as(str(got))
        _shoot(page, "download_ready")
    finally:
        context.close()
    want = tmp_path / "exported.parquet"
    n = export(
        warehouse,
        want,
        Filters(places=(Place("黑龙江省"),), tables=("active", "requests", "review")),
    )
    downloaded = pl.read_parquet(got)
    assert downloaded.height == n > 0
    assert downloaded.equals(pl.read_parquet(want))
