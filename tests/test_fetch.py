"""``xxgk fetch`` against a portal on 127.0.0.1: the real reports, served as portals serve them.

The server plays a government portal: a listing page, an article page whose only content is
a link to the PDF, an article page that is itself the report, a GBK page, a download link
with no file name, a 404, redirects (one that ends, one that loops), a response too slow, a
file too large, and a 503 before the 200. Nothing here touches the internet, and every
timeout and pause is a fraction of a second.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from pipelines import fetch
from pipelines.cli import main
from pipelines.ingest import ingest
from pipelines.warehouse import WarehouseError, open_readonly
from pipelines.warehouse.schema import SCHEMA_VERSION
from tests.helpers import ROOT, SAMPLES
from tests.warehouse_helpers import SEED_TEXT, seed_as, write

HZQ_2023 = ROOT / "tests" / "corpus" / "pdf" / "hzq_2023.pdf"
HZQ_2024 = SAMPLES / "hzq_2024.pdf"
SHUYANG = SAMPLES / "shuyang_fgj_2023.html"
SEED_DOCX = ROOT / "tests" / "fixtures" / "docx" / "seed_2020.docx"
XIANGYANG = seed_as("佳木斯市向阳区人民政府").encode()
SHUYANG_GBK = (
    SHUYANG.read_text(encoding="utf-8").replace('<meta charset="utf-8" />', '<meta charset="gbk">')
).encode("gbk")
CAP = 1024 * 1024  # the tests' size cap: above every real report served here

Route = Callable[[BaseHTTPRequestHandler, int], None]


# ---------------------------------------------------------------------------------------------
# The portal
# ---------------------------------------------------------------------------------------------


class Portal(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[float, str, dict[str, str]]] = []  # (arrival, path, headers)
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_port}{path}"

    def requested(self, path: str) -> int:
        return self.counts[path]


class _Handler(BaseHTTPRequestHandler):
    server: Portal

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.log.append((time.monotonic(), self.path, dict(self.headers)))
            self.server.counts[self.path] += 1
            n = self.server.counts[self.path]
        route = self.server.routes.get(self.path) or static(b"<h1>404</h1>", "text/html", 404)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(self, n)  # the client may give up, as it should (a timeout, a cap)


def static(body: bytes, ctype: str, status: int = 200, **headers: str) -> Route:
    def send(h: BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        h.end_headers()
        h.wfile.write(body)

    return send


def redirect(location: str, status: int = 302) -> Route:
    def send(h: BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(status)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return send


def slow(seconds: float, then: Route) -> Route:
    def send(h: BaseHTTPRequestHandler, n: int) -> None:
        time.sleep(seconds)
        then(h, n)

    return send


def endless_pdf(total: int) -> Route:
    """A PDF streamed with no Content-Length, larger than the cap: only streaming stops it."""

    def send(h: BaseHTTPRequestHandler, n: int) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/pdf")
        h.end_headers()
        h.wfile.write(b"%PDF-1.4\n")
        chunk = b"0" * 65536
        for _ in range(total // len(chunk)):
            h.wfile.write(chunk)

    return send


def first(status: int, then: Route, **headers: str) -> Route:
    """``status`` on the first request, then what ``then`` serves."""
    fail = static(b"<h1>busy</h1>", "text/html", status, **headers)

    def send(h: BaseHTTPRequestHandler, n: int) -> None:
        (fail if n == 1 else then)(h, n)

    return send


def page(title: str, body: str, charset: str = "utf-8") -> bytes:
    return (
        f'<!doctype html><html><head><meta charset="{charset}"><title>{title}</title></head>'
        f'<body><div class="nav"><a href="/list.html">返回列表</a> '
        f'<a href="/forms/申请表.doc">政府信息公开申请表下载</a></div>'
        f'<div class="article"><h1>{title}</h1>{body}</div>'
        f'<div class="foot"><a href="https://www.gov.cn/">中国政府网</a></div></body></html>'
    ).encode(charset)


HTML = "text/html; charset=utf-8"
LISTING = page(
    "政府信息公开年度报告",
    '<ul><li><a href="/art/hzq2023.html">洪泽区人民政府2023年政府信息公开工作年度报告</a></li>'
    '<li><a href="/art/shuyang.html">沭阳县发展和改革局2023年政府信息公开年度报告</a></li>'
    '<li><a href="/art/seed.html">前进区政府办2020年政府信息公开工作年度报告</a></li></ul>'
    '<a href="/list_2.html">下一页</a>',
)
ARTICLE_PDF = page(
    "洪泽区人民政府2023年政府信息公开工作年度报告",
    '<p>附件2：<a href="/files/tujie.pdf">图解.pdf</a></p>'
    '<p>附件1：<a href="../files/P020240131.pdf">'
    "洪泽区人民政府2023年政府信息公开工作年度报告.pdf</a></p>",
)
ARTICLE_DOCX = page(
    "前进区政府办2020年政府信息公开工作年度报告",
    '<p><a href="/download.jsp?id=7">下载附件：前进区政府办2020年政府信息公开工作年度报告</a></p>',
)


def serve_portal(portal: Portal) -> None:
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    portal.routes.update(
        {
            "/list.html": static(LISTING, HTML),
            "/art/hzq2023.html": static(ARTICLE_PDF, HTML),
            "/files/P020240131.pdf": static(HZQ_2023.read_bytes(), "application/pdf"),
            "/art/shuyang.html": static(SHUYANG.read_bytes(), HTML),
            "/art/gbk.html": static(SHUYANG_GBK, "text/html; charset=GBK"),
            "/art/seed.html": static(ARTICLE_DOCX, HTML),
            "/download.jsp?id=7": static(
                SEED_DOCX.read_bytes(),
                docx,
                Content_Disposition="attachment; filename*=UTF-8''%E6%8A%A5%E5%91%8A.docx",
            ),
            "/old/hzq2024": redirect("/files/hzq_2024.pdf", 301),
            "/files/hzq_2024.pdf": static(HZQ_2024.read_bytes(), "application/pdf"),
            "/loop/a": redirect("/loop/b"),
            "/loop/b": redirect("/loop/a"),
            "/slow.pdf": slow(1.0, static(HZQ_2024.read_bytes(), "application/pdf")),
            "/huge.pdf": endless_pdf(4 * CAP),
            "/flaky/xiangyang.txt": first(
                503, static(XIANGYANG, "text/plain; charset=utf-8"), Retry_After="0"
            ),
            "/busy.html": static(b"busy", "text/html", 429, Retry_After="3600"),
        }
    )


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "*")  # the portal is on this machine, whatever the proxy
    server = Portal()
    serve_portal(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


FAST = fetch.Options(rate=0.02, timeout=0.3, retries=1, backoff=0.02, max_bytes=CAP)
FAST_FLAGS = ["--rate", "0.02", "--timeout", "0.3", "--retries", "1", "--backoff", "0.02"]


def rows(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = open_readonly(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


_FACT_COLUMNS = (
    '"table", metric, applicant, value, blank, raw, unit, source_page, source_table, '
    "source_row, source_col"
)


def findings_of(db: Path, organ: str, year: int) -> list[tuple]:
    return sorted(
        rows(
            db,
            "SELECT rule, severity, message, expected, actual, cells FROM current_findings "
            "WHERE organ = ? AND year = ?",
            [organ, year],
        ),
        key=repr,
    )


def facts_of(db: Path, organ: str, year: int) -> list[tuple]:
    return sorted(
        rows(
            db,
            f"SELECT {_FACT_COLUMNS} FROM current_facts WHERE organ = ? AND year = ?",
            [organ, year],
        ),
        key=repr,
    )


# ---------------------------------------------------------------------------------------------
# The whole command, twice
# ---------------------------------------------------------------------------------------------


def test_fetch_stores_ingests_and_names_every_failure(
    portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    u = portal.url
    urls = write(
        tmp_path / "urls.txt",
        "\n".join(
            [
                "# 2024 年收集的年报",  # 1
                u("/list.html"),  # 2: a listing page: not a report
                u("/art/hzq2023.html"),  # 3: an article linking the PDF
                "",  # 4
                f"{u('/art/shuyang.html')}\t沭阳县发展和改革局",  # 5: the page is the report
                u("/art/seed.html"),  # 6: a download link without a file name
                u("/missing.html"),  # 7
                u("/old/hzq2024"),  # 8: a redirect to the 2024 PDF
                u("/loop/a"),  # 9
                u("/slow.pdf"),  # 10
                u("/huge.pdf"),  # 11
                f"{u('/flaky/xiangyang.txt')},佳木斯市向阳区人民政府,2021",  # 12: 503, then 200
                "ftp://example.org/report.pdf",  # 13
                f"{u('/art/shuyang.html')}",  # 14: listed twice: fetched once
            ]
        )
        + "\n",
    )
    db, into = tmp_path / "w.duckdb", tmp_path / "fetched"
    args = ["fetch", str(urls), "--db", str(db), "--into", str(into), "--workers", "0"]
    args += [*FAST_FLAGS, "--max-mb", str(CAP / 1024 / 1024), "--quiet"]
    started = time.monotonic()
    assert main(args) == 1
    assert time.monotonic() - started < 30
    out, err = capsys.readouterr()

    # one line per URL on stderr, each naming what became of it in plain Chinese
    lines = {int(line[1 : line.index("行")]): line for line in err.splitlines()}
    assert sorted(lines) == [2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert "失败：不是报告" in lines[2]
    assert "已下载" in lines[3] and "附件" in lines[3] and "P020240131.pdf" in lines[3]
    assert "已下载" in lines[5] and "已下载" in lines[6] and "已下载" in lines[8]
    assert "失败：404 页面不存在" in lines[7]
    assert "失败：重定向循环" in lines[9]
    assert "失败：超时" in lines[10] and "已重试 1 次" in lines[10]
    assert "失败：文件过大（超过 1 MB）" in lines[11]
    assert "已下载" in lines[12]
    assert "失败：网址应以 http:// 或 https:// 开头" in lines[13]
    assert lines[13].endswith("ftp://example.org/report.pdf")
    assert [int(line[1 : line.index("行")]) for line in err.splitlines()] == sorted(lines)
    assert "下载：已下载 5，未变化 0，失败 6" in out
    assert "导入：新增 5，更新 0，未变 0，失败 0" in out

    # the files, named by their bytes, each with its sidecar, and the manifest
    stored = sorted(p.name for p in into.iterdir() if not p.name.startswith("."))
    by_sha = {
        hashlib.sha256(p.read_bytes()).hexdigest(): p
        for p in (HZQ_2023, HZQ_2024, SHUYANG, SEED_DOCX)
    }
    xiangyang_sha = hashlib.sha256(XIANGYANG).hexdigest()
    names = {f"{sha}{p.suffix}" for sha, p in by_sha.items()} | {f"{xiangyang_sha}.txt"}
    sidecars = {f"{n.split('.')[0]}.json" for n in names}
    assert stored == sorted(names | sidecars | {"manifest.csv"})
    for sha, source in by_sha.items():
        assert (into / f"{sha}{source.suffix}").read_bytes() == source.read_bytes()

    def sidecar(path: Path) -> dict:
        return json.loads(
            (into / f"{hashlib.sha256(path.read_bytes()).hexdigest()}.json").read_text()
        )

    pdf = sidecar(HZQ_2023)
    assert pdf["url"] == pdf["final_url"] == u("/files/P020240131.pdf")
    assert pdf["referrer"] == u("/art/hzq2023.html")
    assert pdf["status"] == 200 and pdf["size"] == HZQ_2023.stat().st_size
    assert ["Content-Type", "application/pdf"] in pdf["headers"]
    fetched_at = dt.datetime.fromisoformat(pdf["fetched_at"])
    assert fetched_at.utcoffset() == dt.timedelta(0)
    assert abs((dt.datetime.now(dt.UTC) - fetched_at).total_seconds()) < 60
    moved = sidecar(HZQ_2024)
    assert (moved["url"], moved["final_url"]) == (u("/old/hzq2024"), u("/files/hzq_2024.pdf"))
    assert moved["redirects"] == [{"url": u("/old/hzq2024"), "status": 301}]
    assert sidecar(SEED_DOCX)["referrer"] == u("/art/seed.html")
    with open(into / "manifest.csv", encoding="utf-8-sig") as fh:
        manifest = {r["file"]: r for r in csv.DictReader(fh)}
    assert manifest[f"{xiangyang_sha}.txt"] == {
        "file": f"{xiangyang_sha}.txt",
        "url": u("/flaky/xiangyang.txt"),
        "organ": "佳木斯市向阳区人民政府",
        "year": "2021",
    }

    # the warehouse: each report with the URL its bytes came from
    assert sorted(rows(db, "SELECT organ, year, source_url FROM current_reports")) == sorted(
        [
            ("洪泽区人民政府", 2023, u("/files/P020240131.pdf")),
            ("淮安市洪泽区人民政府", 2024, u("/old/hzq2024")),
            ("沭阳县发展和改革局", 2023, u("/art/shuyang.html")),
            ("前进区政府办", 2020, u("/download.jsp?id=7")),
            ("佳木斯市向阳区人民政府", 2021, u("/flaky/xiangyang.txt")),  # the list's year
        ]
    )

    # the portal saw: the retry, the pace, who asked, and no request for what was not needed
    assert portal.requested("/flaky/xiangyang.txt") == 2
    assert portal.requested("/slow.pdf") == 2  # one retry
    assert portal.requested("/missing.html") == 1  # a 404 is not retried
    assert portal.requested("/art/shuyang.html") == 1  # listed twice, fetched once
    assert portal.requested("/files/tujie.pdf") == 0  # the report's attachment ranks first
    assert not any("%E7%94%B3" in path for _, path, _ in portal.log)  # nor the 申请表 form
    arrivals = [t for t, _, _ in portal.log]
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) * 0.02 * 0.9
    agents = {h["User-Agent"] for _, _, h in portal.log}
    assert agents == {fetch.USER_AGENT}
    assert fetch.USER_AGENT.startswith("xxgk/") and "annual reports" in fetch.USER_AGENT
    assert fetch.USER_AGENT.isascii()
    referers = {p: h.get("Referer") for _, p, h in portal.log}
    assert referers["/files/P020240131.pdf"] == u("/art/hzq2023.html")
    assert referers["/list.html"] is None

    # the same numbers as the same file ingested from disk
    direct = tmp_path / "direct.duckdb"
    ingest([HZQ_2023, SHUYANG, SEED_DOCX], direct, progress=False, workers=0)
    for organ, year in (
        ("洪泽区人民政府", 2023),
        ("沭阳县发展和改革局", 2023),
        ("前进区政府办", 2020),
    ):
        assert facts_of(db, organ, year) == facts_of(direct, organ, year) != []
        assert findings_of(db, organ, year) == findings_of(direct, organ, year)

    # a second run fetches the same bytes: nothing is written, nothing is added
    before = {p.name: p.stat().st_mtime_ns for p in into.iterdir()}
    reports_before = rows(db, "SELECT report_id, status, source_url FROM reports ORDER BY 1")
    assert main(args) == 1  # the same URLs fail again
    out, err = capsys.readouterr()
    assert err.count("跳过（未变化）") == 5 and "已下载" not in err
    assert "下载：已下载 0，未变化 5" in out
    assert "导入：新增 0，更新 0，未变 5，失败 0" in out
    assert {p.name: p.stat().st_mtime_ns for p in into.iterdir()} == before
    assert (
        rows(db, "SELECT report_id, status, source_url FROM reports ORDER BY 1") == reports_before
    )

    # and a rebuild from the stored files alone reproduces the warehouse, URLs included
    rebuilt = tmp_path / "rebuilt.duckdb"
    summary = ingest([into], rebuilt, progress=False, workers=0)
    assert summary.unsupported == 0  # the sidecars are the fetch's records, not strays
    assert sorted(
        rows(rebuilt, "SELECT report_id, organ, year, source_url FROM current_reports")
    ) == sorted(rows(db, "SELECT report_id, organ, year, source_url FROM current_reports"))


def test_a_gbk_page_reads_as_its_utf8_original(portal: Portal, tmp_path: Path) -> None:
    urls = write(tmp_path / "urls.txt", portal.url("/art/gbk.html") + "\n")
    db, into = tmp_path / "w.duckdb", tmp_path / "fetched"
    run = fetch.run(urls, db, into, FAST, workers=0, progress=False, log=lambda _: None)
    assert [o.status for o in run.outcomes] == ["fetched"] and run.failed == 0
    path = run.outcomes[0].path
    assert path is not None and path.suffix == ".html"
    assert path.read_bytes() == SHUYANG_GBK  # stored raw: the readers decode it
    direct = tmp_path / "direct.duckdb"
    ingest([SHUYANG], direct, progress=False, workers=0)
    organ = ("沭阳县发展和改革局", 2023)
    assert facts_of(db, *organ) == facts_of(direct, *organ) != []
    assert rows(db, "SELECT source_url FROM current_reports") == [(portal.url("/art/gbk.html"),)]


def test_the_pace_per_host_is_kept(portal: Portal, tmp_path: Path) -> None:
    """One request per host every ``rate`` seconds, retries and redirect hops included."""
    u = portal.url
    lines = [
        fetch.Line(1, u("/art/shuyang.html")),
        fetch.Line(2, u("/old/hzq2024")),  # two requests: the redirect and its target
        fetch.Line(3, u("/missing.html")),
        fetch.Line(4, u("/busy.html")),  # 429 asking for an hour: refused, not waited for
    ]
    options = fetch.Options(rate=0.3, timeout=1, retries=2, backoff=0.01, max_bytes=CAP)
    logged: list[str] = []
    started = time.monotonic()
    outcomes = fetch.fetch_all(lines, tmp_path / "fetched", options, logged.append)
    elapsed = time.monotonic() - started
    assert [o.status for o in outcomes] == ["fetched", "fetched", "failed", "failed"]
    assert "Retry-After" in outcomes[3].reason and "3600" in outcomes[3].reason
    assert portal.requested("/busy.html") == 1
    arrivals = [t for t, _, _ in portal.log]
    assert len(arrivals) == 5
    # Arrivals at the server jitter by the scheduling of its threads (tens of milliseconds on
    # a busy machine): no gap is far below the pace, and together they keep it exactly.
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    assert min(gaps) >= 0.3 * 0.6, gaps
    assert arrivals[-1] - arrivals[0] >= 4 * 0.3 * 0.95, gaps
    assert 4 * 0.3 * 0.9 <= elapsed < 5
    assert len(logged) == 4 and logged[2].startswith("第3行 失败：404")


def test_a_page_with_no_report_and_no_attachment_is_not_a_report(
    portal: Portal, tmp_path: Path
) -> None:
    portal.routes["/about.html"] = static(page("机构简介", "<p>本局负责……</p>"), HTML)
    outcomes = fetch.fetch_all(
        [fetch.Line(1, portal.url("/about.html"))], tmp_path / "f", FAST, lambda _: None
    )
    assert outcomes[0].status == "failed"
    assert outcomes[0].reason.startswith("不是报告")
    assert not [p for p in (tmp_path / "f").iterdir() if not p.name.startswith(".")]


def test_an_attachment_that_fails_is_named(portal: Portal, tmp_path: Path) -> None:
    portal.routes["/art/gone.html"] = static(
        page("2023年政府信息公开工作年度报告", '<a href="/files/gone.pdf">附件：年度报告.pdf</a>'),
        HTML,
    )
    outcomes = fetch.fetch_all(
        [fetch.Line(1, portal.url("/art/gone.html"))], tmp_path / "f", FAST, lambda _: None
    )
    assert (outcomes[0].status, outcomes[0].reason) == (
        "failed",
        "附件下载失败：404 页面不存在 / not found",
    )


# ---------------------------------------------------------------------------------------------
# The URL list, the attachment links
# ---------------------------------------------------------------------------------------------


def test_url_list_lines(tmp_path: Path) -> None:
    text = "\n".join(
        [
            "\ufeff# comment",
            "https://www.hongze.gov.cn/a.html",
            "https://www.hongze.gov.cn/b.html\t洪泽区人民政府\t2023",
            "https://www.hongze.gov.cn/c.html，洪泽区人民政府，2023",
            "https://www.hongze.gov.cn/d.html,,2022",
            "https://www.hongze.gov.cn/e.html?ids=1,2",  # a comma in a URL needs a tab
            "https://www.hongze.gov.cn/f.html\t洪泽区人民政府\t１２３",
            "https://www.hongze.gov.cn/g.html,洪泽区人民政府,2023,x",
            "www.hongze.gov.cn/h.html",
            "https://www.hongze.gov.cn/a.html",  # again: once
            "https://www.hongze.gov.cn/i.html?ids=1,2\t\t2023",
            "   ",
        ]
    )
    path = tmp_path / "urls.txt"
    path.write_bytes(text.encode("gb18030"))  # a list saved on a Chinese Windows machine
    lines, bad = fetch.read_url_list(path)
    site = "https://www.hongze.gov.cn"
    assert [(line.number, line.url, line.organ, line.year) for line in lines] == [
        (2, f"{site}/a.html", None, None),
        (3, f"{site}/b.html", "洪泽区人民政府", 2023),
        (4, f"{site}/c.html", "洪泽区人民政府", 2023),
        (5, f"{site}/d.html", None, 2022),
        (11, f"{site}/i.html?ids=1,2", None, 2023),
    ]
    assert [n for n, _, _ in bad] == [6, 7, 8, 9]
    assert bad[3][2] == "www.hongze.gov.cn/h.html"
    assert "Tab" in bad[0][1]
    assert "四位数字" in bad[1][1]
    assert "字段过多" in bad[2][1]
    assert "http://" in bad[3][1]


def test_attachment_links_rank_the_report_and_stay_on_the_site() -> None:
    html = """<html><head><base href="https://www.hongze.gov.cn/art/2024/"></head><body>
    <a href="javascript:void(0)">打印</a>
    <a href="/forms/申请表.doc">政府信息公开申请表.doc</a>
    <a href="tujie.pdf">附件2：图解</a>
    <a href="https://files.hongze.gov.cn/P0202401.pdf" title="2023年年度报告">附件1</a>
    <a href="https://www.example.com/report.pdf">2023年政府信息公开工作年度报告.pdf</a>
    <a href="/module/download/downfile.jsp?filename=abc.docx&classid=0">附件3</a>
    <a href="/attach/77">下载附件：2023年政府信息公开年报</a>
    <a href="/news/1.html">其他新闻</a>
    <a href="/attach/77">下载附件：2023年政府信息公开年报</a>
    </body></html>""".encode()
    assert fetch.attachment_links(html, "https://www.hongze.gov.cn/art/2024/1.html") == [
        "https://files.hongze.gov.cn/P0202401.pdf",
        "https://www.hongze.gov.cn/attach/77",
        "https://www.hongze.gov.cn/art/2024/tujie.pdf",
        "https://www.hongze.gov.cn/module/download/downfile.jsp?filename=abc.docx&classid=0",
    ]


# ---------------------------------------------------------------------------------------------
# The warehouse: source_url, the manifest's url, and older warehouses
# ---------------------------------------------------------------------------------------------


def test_a_manifest_url_is_stored_and_does_not_make_known_reports_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "in"
    write(folder / "seed.txt", SEED_TEXT)
    write(folder / "manifest.csv", "file,url\nseed.txt,https://www.jms.gov.cn/a/1.html\n")
    db = tmp_path / "w.duckdb"
    assert ingest([folder], db, progress=False, workers=0).new == 1
    assert rows(db, "SELECT source_url FROM reports") == [("https://www.jms.gov.cn/a/1.html",)]

    import pipelines.prepare

    def never(*args: object) -> None:
        raise AssertionError("a known report was read again")

    monkeypatch.setattr(pipelines.prepare, "read_bytes", never)
    again = ingest([folder], db, progress=False, workers=0)
    assert (again.new, again.unchanged, again.failed) == (0, 1, [])


def test_a_bad_manifest_url_fails_its_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    write(folder / "a.txt", SEED_TEXT)
    write(folder / "b.txt", seed_as("佳木斯市向阳区人民政府"))
    write(
        folder / "manifest.csv",
        "file,organ,url\na.txt,,javascript:alert(1)\n,佳木斯市向阳区人民政府,https://x.gov.cn/\n",
    )
    summary = ingest([folder], tmp_path / "w.duckdb", progress=False, workers=0)
    failed = dict(summary.failed)
    assert "第2行" in failed[str(folder / "a.txt")] and "http://" in failed[str(folder / "a.txt")]
    assert "url only with a file row" in failed[str(folder / "b.txt")]


def _as_version_5(db: Path) -> None:
    """What xxgk wrote before ``source_url``: the column gone, ``current_reports`` without it."""
    con = duckdb.connect(str(db))
    con.execute("ALTER TABLE reports DROP COLUMN source_url")
    con.execute(
        "CREATE OR REPLACE TABLE current_reports AS SELECT r.*, o.kind AS organ_kind, "
        "o.region_code, o.province, o.city, o.county, o.region_status "
        "FROM reports r JOIN organs o USING (organ_id) WHERE r.status = 'current'"
    )
    con.execute("DELETE FROM schema_version WHERE version > 5")
    con.close()


def test_an_older_warehouse_upgrades_and_then_records_urls(
    portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert SCHEMA_VERSION >= 6  # the version that added source_url, or a later one
    db = tmp_path / "w.duckdb"
    ingest([SAMPLES / "000_seed.txt", HZQ_2023], db, progress=False, workers=0)
    _as_version_5(db)
    with pytest.raises(WarehouseError, match="xxgk upgrade"):
        open_readonly(db)
    assert main(["upgrade", "--db", str(db)]) == 0
    assert rows(db, "SELECT max(version) FROM schema_version") == [(SCHEMA_VERSION,)]
    assert rows(db, "SELECT count(*) FROM current_reports WHERE source_url IS NULL") == [(2,)]

    # an ingest into a version-5 warehouse upgrades it too, and a batch that touches an organ
    # already there refreshes its rows of current_reports with the new column in its place
    _as_version_5(db)
    urls = write(tmp_path / "urls.txt", portal.url("/old/hzq2024") + "\n")
    run = fetch.run(urls, db, tmp_path / "f", FAST, workers=0, progress=False, log=print)
    assert run.failed == 0 and run.summary is not None and run.summary.new == 1
    assert sorted(rows(db, "SELECT year, source_url FROM current_reports")) == [
        (2020, None),
        (2023, None),
        (2024, portal.url("/old/hzq2024")),
    ]
    assert main(["export", str(tmp_path / "out.parquet"), "--db", str(db)]) == 0
    capsys.readouterr()
