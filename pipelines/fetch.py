"""``xxgk fetch``: report pages and their attachments from government portals, as one batch.

A URL list names the pages; each is downloaded politely (an honest User-Agent, at most one
request per host every ``Options.rate`` seconds, retries that back off, a size cap taken
from the readers' own limits), and its raw bytes are stored under the data folder, named
by their SHA-256, beside a JSON sidecar saying where and when they came from. The stored
files are then ingested as one batch by ``pipelines.ingest.ingest``, so fetching adds no
second way into the warehouse: everything the ingest guarantees (one bad file never costs
the batch, nothing is published half-done) holds here too.

Portals publish a report in two ways: as the article page itself, or as an article page
that only links the PDF or Word file. A page is read with the same parser an ingest uses;
when it prints no part 三 table, its attachment links on the same site are followed
instead, with the page recorded as the referrer.

The stored bytes are never decoded here: the readers sniff the format and the encoding
(GBK pages included) exactly as they do for a file on disk. A ``manifest.csv`` written
beside the stored files gives each file its URL (and the organ or year the list gave), so
``xxgk ingest`` of that folder rebuilds the same warehouse without the network.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import hashlib
import html
import ipaddress
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx

from pipelines.errors import ReportError
from pipelines.kept import merge_manifest, write_atomically
from pipelines.manifest import MAX_ORGAN, check_organ, check_url, check_year

# ``_sniff``: the readers' own format sniffing, so a stored file's suffix and size cap are
# the ones an ingest will apply to it
from pipelines.readers import (
    MAX_BYTES,
    MAX_BYTES_BY_KIND,
    _sniff,
    read_bytes,
    read_regular_file,
)

if TYPE_CHECKING:
    from pipelines.ingest import Summary

DEFAULT_INTO = Path("data/fetched")
KiB = 1024
MiB = 1024 * KiB


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("xxgk")
    except Exception:  # running from a checkout that was never installed
        return "0"


# Not ASCII: HTTP carries it as UTF-8 bytes (obs-text), which servers pass through as is.
# ASCII only: some portal firewalls reject a header with raw UTF-8 in it.
USER_AGENT = f"xxgk/{_version()} (collects government information disclosure annual reports)"
_ACCEPT = (
    "text/html,application/xhtml+xml,application/pdf,application/msword,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document;q=0.9,*/*;q=0.5"
)


@dataclass(frozen=True, slots=True)
class Options:
    """How politely and how long to try. The defaults suit a portal; tests shrink them."""

    rate: float = 1.0  # seconds between two requests to one host
    timeout: float = 30.0  # seconds to connect, and to wait for each piece of a response
    deadline: float = 300.0  # seconds for one response's whole body
    retries: int = 3  # further tries after a connection error, a timeout, a 5xx or a 429
    backoff: float = 1.0  # wait before the first retry; doubled before each next one
    max_retry_after: float = 120.0  # a longer Retry-After is a failure, not a wait
    max_redirects: int = 5
    max_bytes: int = MAX_BYTES  # besides each format's own limit in ``pipelines.readers``
    max_attachments: int = 3  # attachment links of one page tried, best first


# ---------------------------------------------------------------------------------------------
# The URL list
# ---------------------------------------------------------------------------------------------


class UrlListError(ReportError):
    kind = "url_list"


@dataclass(frozen=True, slots=True)
class Line:
    """One URL of the list, with what the list says about its report."""

    number: int
    url: str
    organ: str | None = None
    year: int | None = None


_HAN = re.compile(r"[\u3400-\u9fff]")


def parse_line(text: str) -> tuple[str, str | None, int | None] | str:
    """``(url, organ, year)`` from one line of the list, or why it cannot be used.

    Fields are separated by tabs, or else by commas (ASCII or full-width). A URL with a
    comma in it must therefore be followed by a tab; an organ is held to contain Chinese so
    that a URL cut at its comma is refused, not loaded under an organ named by its tail.
    """
    fields = [f.strip() for f in re.split("\t" if "\t" in text else "[,，]", text)]
    if len(fields) > 3:
        return "字段过多：应为 网址[,机关[,年度]] / too many fields: url[,organ[,year]]"
    url, organ, year_text = (*fields, "", "")[:3]
    if reason := check_url(url):
        return reason
    try:
        if not httpx.URL(url).host:
            return "网址缺少主机名 / url has no host"
    except httpx.InvalidURL as exc:
        return f"网址无效 / bad url: {exc}"
    if organ and (check_organ(organ) or not _HAN.search(organ)):
        return (
            f"机关名称“{organ[:40]}”应为中文、不超过{MAX_ORGAN}字（网址中有逗号时请用 Tab 分隔）"
            " / bad organ (use a tab when the url holds a comma)"
        )
    year = None
    if year_text:
        if not re.fullmatch("[0-9]{4}", year_text):
            return f"年度 {year_text[:20]} 不是四位数字 / bad year"
        year = int(year_text)
        if reason := check_year(year):
            return reason
    return url, organ or None, year


def read_url_list(path: Path) -> tuple[list[Line], list[tuple[int, str, str]]]:
    """The URLs of a list file, and each line that cannot be used: number, reason, text.

    A bad line costs only itself. Blank lines and ``#`` comments are skipped; a URL listed
    twice is fetched once.
    """
    try:
        data = read_regular_file(path)
    except ReportError as exc:
        raise UrlListError(str(path), exc.reason) from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UrlListError(str(path), "网址列表不是 UTF-8 或 GBK 文本 / not UTF-8 or GBK text")
    text = text.lstrip("\ufeff")  # a BOM that was not UTF-8's
    lines: list[Line] = []
    bad: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parsed = parse_line(stripped)
        if isinstance(parsed, str):
            bad.append((number, parsed, stripped[:200]))
            continue
        url, organ, year = parsed
        if url in seen:
            continue
        seen.add(url)
        lines.append(Line(number, url, organ, year))
    return lines, bad


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


class FetchError(Exception):
    """A URL that could not be fetched; ``reason`` is for people (Chinese, English gloss)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _Retry(Exception):
    """A failure worth another try: the network, a timeout, a 5xx or a 429."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


@dataclass(slots=True)
class Response:
    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: str  # UTC, ISO 8601
    redirects: list[dict[str, object]] = field(default_factory=list)


@dataclass(slots=True)
class _Redirect:
    location: str
    status: int


def _size(n: int) -> str:
    return f"{n / MiB:.0f} MB" if n >= MiB else f"{max(n // KiB, 1)} KB"


def _text(raw: bytes) -> str:
    """A header as sent: UTF-8 (Chinese servers send file names so), else byte for byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _host(url: str) -> str:
    return (httpx.URL(url).host or "").lower()


class HostPacer:
    """At most one request per host every ``interval`` seconds, whoever asks.

    Counted from the start of one request to the start of the next, retries and redirect
    hops included: a portal sees the same spacing whatever the reason for the request.
    """

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self.next: dict[str, float] = {}

    def wait(self, host: str) -> None:
        now = self.clock()
        ready = self.next.get(host, now)
        if ready > now:
            time.sleep(ready - now)
            now = self.clock()
        self.next[host] = max(now, ready) + self.interval


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max((when - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)


_HTTP_REASONS = {
    400: "400 请求无效 / bad request",
    401: "401 需要登录 / login required",
    403: "403 禁止访问 / forbidden",
    404: "404 页面不存在 / not found",
    410: "410 页面已删除 / gone",
}


def _http_reason(status: int) -> str:
    return _HTTP_REASONS.get(status, f"HTTP {status} 请求被拒绝 / refused")


def _network_reason(exc: httpx.TransportError, host: str) -> str:
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate" in text.lower():
        return f"{host} 的证书校验失败 / TLS certificate not valid"
    if any(
        m in text for m in ("Name or service not known", "nodename nor servname", "getaddrinfo")
    ):
        return f"域名 {host} 无法解析 / unknown host"
    if isinstance(exc, httpx.ConnectError):
        return f"无法连接 {host} / cannot connect"
    return f"连接中断 / connection broken: {' '.join(text.split())[:120]}"


class Fetcher:
    """GET with retries, bounded redirects, a per-host pace and a size cap."""

    def __init__(self, options: Options, client: httpx.Client | None = None) -> None:
        self.options = options
        self.pacer = HostPacer(options.rate)
        self.client = client or httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
            timeout=httpx.Timeout(options.timeout),
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, referrer: str | None = None) -> Response:
        """The response to ``url`` after redirects, or ``FetchError`` naming why not."""
        seen = [url]
        hops: list[dict[str, object]] = []
        current = url
        for _ in range(self.options.max_redirects + 1):
            result = self._with_retries(current, referrer)
            if isinstance(result, Response):
                result.url, result.redirects = url, hops
                return result
            hops.append({"url": current, "status": result.status})
            if result.location in seen:
                raise FetchError("重定向循环 / redirect loop")
            seen.append(result.location)
            current = result.location
        raise FetchError(
            f"重定向次数过多（超过 {self.options.max_redirects} 次）/ too many redirects"
        )

    def _with_retries(self, url: str, referrer: str | None) -> Response | _Redirect:
        opts = self.options
        for attempt in range(opts.retries + 1):
            try:
                return self._once(url, referrer)
            except _Retry as exc:
                if attempt == opts.retries:
                    tries = f"（已重试 {opts.retries} 次）" if opts.retries else ""
                    raise FetchError(f"{exc.reason}{tries}") from None
                wait = opts.backoff * 2**attempt
                if exc.retry_after is not None:
                    if exc.retry_after > opts.max_retry_after:
                        raise FetchError(
                            f"{exc.reason}，服务器要求 {exc.retry_after:.0f} 秒后再试，超过上限 "
                            f"{opts.max_retry_after:.0f} 秒 / Retry-After too long"
                        ) from None
                    wait = max(wait, exc.retry_after)
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, url: str, referrer: str | None) -> Response | _Redirect:
        host = _host(url)
        self.pacer.wait(host)
        headers = {"Referer": referrer} if referrer else {}
        try:
            request = self.client.build_request("GET", url, headers=headers)
            response = self.client.send(request, stream=True, follow_redirects=False)
        except httpx.TimeoutException:
            raise _Retry(f"超时（{self.options.timeout:g} 秒无响应）/ timed out") from None
        except httpx.RemoteProtocolError as exc:
            if "location" in str(exc).lower():  # a redirect to a URL that cannot be
                raise FetchError("重定向地址无效 / bad redirect location") from None
            raise _Retry(_network_reason(exc, host)) from None
        except httpx.TransportError as exc:
            if isinstance(exc, httpx.UnsupportedProtocol):
                raise FetchError("只能下载 http:// 或 https:// 网址 / not an http url") from None
            reason = _network_reason(exc, host)
            if "证书" in reason or "无法解析" in reason:  # no retry will change either
                raise FetchError(reason) from None
            raise _Retry(reason) from None
        except httpx.InvalidURL as exc:
            raise FetchError(f"网址无效 / bad url: {exc}") from None
        try:
            status = response.status_code
            if response.next_request is not None:  # a redirect with a Location
                target = str(response.next_request.url)
                if response.next_request.url.scheme not in ("http", "https"):
                    raise FetchError("重定向到非网页地址 / redirect to a non-http url")
                return _Redirect(target, status)
            if status == 429:
                raise _Retry(
                    "请求过于频繁（429）/ too many requests",
                    _retry_after(response.headers.get("retry-after")),
                )
            if status >= 500:
                raise _Retry(
                    f"服务器错误 HTTP {status} / server error",
                    _retry_after(response.headers.get("retry-after")),
                )
            if status >= 300 or status == 204:
                raise FetchError(_http_reason(status))
            body = self._body(response, url)
            return Response(
                url=url,
                final_url=str(response.url),
                status=status,
                headers=[(_text(k), _text(v)) for k, v in response.headers.raw],
                body=body,
                fetched_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            )
        except httpx.TimeoutException:
            raise _Retry(f"超时（{self.options.timeout:g} 秒无响应）/ timed out") from None
        except httpx.TransportError as exc:
            raise _Retry(_network_reason(exc, host)) from None
        finally:
            response.close()

    def _body(self, response: httpx.Response, url: str) -> bytes:
        """The body, streamed and given up as soon as it passes the cap.

        The cap is the smaller of ``Options.max_bytes`` and the limit the readers set for the
        body's format (known from its first bytes), so nothing is downloaded that an ingest
        would refuse for its size. The bytes counted are the decoded ones: a gzip bomb stops
        at the cap like any other large file.
        """
        limit = self.options.max_bytes
        declared = response.headers.get("content-length", "")
        too_large = FetchError(f"文件过大（超过 {_size(limit)}）/ too large")
        if (
            declared.isdigit()
            and int(declared) > limit
            and "content-encoding" not in response.headers
        ):
            raise too_large
        suffix = os.path.splitext(urlsplit(url).path)[1].lower()
        chunks: list[bytes] = []
        total = 0
        sniffed = False
        start = time.monotonic()
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            total += len(chunk)
            if not sniffed and total >= 8192:
                head = b"".join(chunks)
                kind = _sniff(head, suffix)
                limit = min(limit, MAX_BYTES_BY_KIND.get(kind, MAX_BYTES))
                sniffed = True
            if total > limit:
                raise FetchError(f"文件过大（超过 {_size(limit)}）/ too large")
            if time.monotonic() - start > self.options.deadline:
                raise FetchError(
                    f"下载过慢（{self.options.deadline:g} 秒内未完成）/ download too slow"
                )
        body = b"".join(chunks)
        limit = min(limit, MAX_BYTES_BY_KIND.get(_sniff(body, suffix), MAX_BYTES))
        if total > limit:
            raise FetchError(f"文件过大（超过 {_size(limit)}）/ too large")
        if not body.strip():
            raise FetchError("内容为空 / empty response")
        return body


# ---------------------------------------------------------------------------------------------
# Pages and their attachments
# ---------------------------------------------------------------------------------------------

REPORT_SUFFIXES = (".pdf", ".doc", ".docx", ".wps")  # the formats the readers read
_ANCHOR = re.compile(r"<a\b([^<>]{0,4000})>(.{0,2000}?)</a\s*>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_TITLE_ATTR = re.compile(r"""\btitle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_BASE = re.compile(r"<base\b([^<>]{0,4000})>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]{0,4000}>")
_ATTACHMENT = re.compile(r"附件|下载")
_REPORTISH = re.compile(r"年度报告|年报|信息公开")
_ANNUAL = re.compile(r"年度报告|年报")
_NOT_REPORT = re.compile(r"申请表|申请书")  # the forms portals offer beside every article


def _page_text(data: bytes) -> str:
    from pipelines.readers.encoding import declared_charset, decode

    try:
        return decode(data, "page.html", declared_charset(data)).text
    except ReportError:
        return data.decode("gb18030", "replace")


def _site(host: str) -> str:
    """The registrable part of a host, roughly: ``www.hongze.gov.cn`` -> ``hongze.gov.cn``.

    Portals serve attachments from a sibling host (``file.hongze.gov.cn``), so same site is
    this, not the same host; under a two-letter country code a second-level ``gov``,
    ``com`` … counts as part of the suffix.
    """
    host = host.lower().rstrip(".")
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    labels = host.split(".")
    n = 2
    if (
        len(labels) >= 3
        and len(labels[-1]) == 2
        and labels[-2] in ("gov", "com", "edu", "org", "net", "ac")
    ):
        n = 3
    return ".".join(labels[-n:])


def _attr(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    if not m:
        return None
    return html.unescape(next(g for g in m.groups() if g is not None)).strip()


def attachment_links(data: bytes, page_url: str) -> list[str]:
    """The page's links to report files on the same site, the likeliest report first.

    A link counts when its address or text ends in a report format (``.pdf``, ``.doc``,
    ``.docx``, ``.wps``; also a ``download.jsp?filename=….pdf``), or when its text says
    附件 or 下载 and names something like a report. Forms (申请表) are left out. Links whose
    text or file name says 年度报告 or 年报 come first, then 信息公开, then the rest, each
    group in page order. The markup is scanned with bounded patterns, not parsed: the page
    may be one the HTML reader refused.
    """
    text = _page_text(data)
    base = httpx.URL(page_url)
    base_tag = _BASE.search(text)
    if base_tag and (base_href := _attr(_HREF, base_tag.group(1))):
        with contextlib.suppress(httpx.InvalidURL):
            base = base.join(base_href)
    page = page_url.split("#", 1)[0]
    site = _site(base.host or "")
    ranked: list[tuple[int, int, str]] = []
    seen: set[str] = set()
    for order, m in enumerate(_ANCHOR.finditer(text)):
        href = _attr(_HREF, m.group(1))
        if not href or href.lower().startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        try:
            url = base.join(href).copy_with(fragment=None)
        except (httpx.InvalidURL, ValueError):
            continue
        target = str(url)
        if url.scheme not in ("http", "https") or target in seen or target == page:
            continue
        if _site(url.host or "") != site:
            continue
        label = " ".join(html.unescape(_TAG.sub("", m.group(2))).split())
        label += " " + (_attr(_TITLE_ATTR, m.group(1)) or "")
        parts = urlsplit(target)
        path = unquote(parts.path)
        values = [unquote(v) for _, v in parse_qsl(parts.query)]
        name = " ".join([label, path.rsplit("/", 1)[-1], *values])
        by_suffix = any(s.strip().lower().endswith(REPORT_SUFFIXES) for s in (path, *values, label))
        by_words = bool(_ATTACHMENT.search(label) and _REPORTISH.search(name))
        if not (by_suffix or by_words) or _NOT_REPORT.search(name):
            continue
        seen.add(target)
        rank = 0 if _ANNUAL.search(name) else 1 if _REPORTISH.search(name) else 2
        ranked.append((rank, order, target))
    return [t for _, _, t in sorted(ranked)]


def _name(url: str) -> str:
    """A file name for the readers: they sniff the format, the suffix only breaks ties."""
    name = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    return name or "index.html"


def prints_part_three(data: bytes, url: str) -> bool | None:
    """Does the page print the requests table itself? None: no report tables at all.

    Read with the ingest's own reader and parser, so a page counts as a report here exactly
    when an ingest would find its part 三.
    """
    from pipelines.parse import parse_document

    try:
        report = parse_document(read_bytes(data, _name(url)))
    except (ReportError, RecursionError, MemoryError):
        return None
    return any(f.table == "requests" for f in report.facts)


# ---------------------------------------------------------------------------------------------
# Storing
# ---------------------------------------------------------------------------------------------

_EXTENSIONS = {"pdf": ".pdf", "docx": ".docx", "doc": ".doc", "rtf": ".rtf", "html": ".html"}


def extension(data: bytes, url: str) -> str:
    """The suffix a stored file gets, from its content (as the readers sniff it)."""
    suffix = os.path.splitext(urlsplit(url).path)[1].lower()
    kind = _sniff(data, suffix)
    if kind == "doc" and suffix in (".wps", ".doc"):
        return suffix  # LibreOffice is told which of the two it is by the name
    return _EXTENSIONS.get(kind, ".txt")


@dataclass(slots=True)
class Outcome:
    """What became of one URL of the list."""

    line: Line
    status: str  # fetched | unchanged | failed
    reason: str = ""
    path: Path | None = None  # the stored file
    url: str | None = None  # where its bytes came from: the line's URL or its attachment's
    referrer: str | None = None  # the page that linked the attachment


def store(into: Path, response: Response, line: Line, referrer: str | None) -> tuple[Path, bool]:
    """Write the body and its sidecar under ``into``; ``True`` if both were there already.

    Named by content, so the same bytes from any URL are one file and fetching them again
    writes nothing. The sidecar is what a rebuild or a person needs to trace the file.
    """
    digest = hashlib.sha256(response.body).hexdigest()
    path = into / f"{digest}{extension(response.body, response.final_url)}"
    sidecar = into / f"{digest}.json"
    unchanged = path.exists() and sidecar.exists()
    if not path.exists():
        write_atomically(path, response.body)
    if not sidecar.exists():
        meta = {
            "url": response.url,
            "final_url": response.final_url,
            "referrer": referrer,
            "fetched_at": response.fetched_at,
            "status": response.status,
            "headers": [list(h) for h in response.headers],
            "redirects": response.redirects,
            "sha256": digest,
            "size": len(response.body),
            "file": path.name,
            "organ": line.organ,
            "year": line.year,
        }
        text = json.dumps(meta, ensure_ascii=False, indent=1) + "\n"
        write_atomically(sidecar, text.encode("utf-8"))
    return path, unchanged


MANIFEST_COLUMNS = ("file", "url", "organ", "year")


def write_manifest(into: Path, outcomes: list[Outcome]) -> Path:
    """Add the stored files' rows to ``into/manifest.csv``: each file's URL, and the
    organ and year its line of the list gave."""
    rows: dict[str, dict[str, str]] = {}
    for o in outcomes:
        if o.path is None:
            continue
        row = rows.setdefault(o.path.name, {})
        row["url"] = o.url or ""
        if o.line.organ:
            row["organ"] = o.line.organ
        if o.line.year:
            row["year"] = str(o.line.year)
    return merge_manifest(into, MANIFEST_COLUMNS, rows)


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fetch_line(fetcher: Fetcher, into: Path, line: Line) -> Outcome:
    """Fetch one URL of the list: the report itself, or the attachment its page links."""
    try:
        page = fetcher.get(line.url)
    except FetchError as exc:
        return Outcome(line, "failed", exc.reason)
    suffix = os.path.splitext(urlsplit(page.final_url).path)[1].lower()
    got, referrer = page, None
    if _sniff(page.body, suffix) == "html":
        printed = prints_part_three(page.body, page.final_url)
        if not printed:
            links = attachment_links(page.body, page.final_url)
            problems: list[str] = []
            for link in links[: fetcher.options.max_attachments]:
                try:
                    attachment = fetcher.get(link, referrer=page.final_url)
                except FetchError as exc:
                    problems.append(exc.reason)
                    continue
                a_suffix = os.path.splitext(urlsplit(attachment.final_url).path)[1].lower()
                if _sniff(attachment.body, a_suffix) == "html" and not prints_part_three(
                    attachment.body, attachment.final_url
                ):
                    problems.append("附件是网页且不含统计表 / the attachment is a page, no tables")
                    continue
                got, referrer = attachment, line.url
                break
            else:
                if printed is None:
                    if problems:
                        return Outcome(line, "failed", f"附件下载失败：{problems[0]}")
                    return Outcome(
                        line,
                        "failed",
                        "不是报告：网页中没有年度报告的统计表，也没有报告附件链接 "
                        "/ not a report: no tables and no attachment",
                    )
                # tables of parts 二 or 四 but no part 三, and no attachment: load what it has
    try:
        path, unchanged = store(into, got, line, referrer)
    except OSError as exc:
        return Outcome(line, "failed", f"无法保存文件 / cannot store: {exc.strerror or exc}")
    return Outcome(
        line, "unchanged" if unchanged else "fetched", path=path, url=got.url, referrer=referrer
    )


def _bad(number: int, reason: str, text: str) -> str:
    return f"第{number}行 失败：{reason}  {text}"


def _logged(outcome: Outcome) -> str:
    n, url = outcome.line.number, outcome.line.url
    if outcome.status == "failed":
        return f"第{n}行 失败：{outcome.reason}  {url}"
    via = f"（附件 {outcome.url}）" if outcome.referrer else ""
    name = outcome.path.name if outcome.path else ""
    if outcome.status == "unchanged":
        return f"第{n}行 跳过（未变化）{url}{via}"
    return f"第{n}行 已下载 {url}{via} → {name}"


@dataclass(slots=True)
class FetchRun:
    outcomes: list[Outcome]
    bad_lines: list[tuple[int, str, str]]  # number, reason, the line's text
    summary: Summary | None = None  # the ingest's; None when nothing was stored
    # the ingest's failures, each with the outcome of the URL its file came from
    ingest_failures: list[tuple[Outcome | None, str, str]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        fetched = sum(o.status == "failed" for o in self.outcomes)
        return fetched + len(self.bad_lines) + len(self.ingest_failures)


def fetch_all(
    lines: list[Line],
    into: Path,
    options: Options | None = None,
    log: Callable[[str], None] = _stderr,
    bad: list[tuple[int, str, str]] | None = None,
) -> list[Outcome]:
    """Every URL of the list, one after the other (the pace is per host anyway); the
    list's bad lines are logged in their place among them."""
    into.mkdir(parents=True, exist_ok=True)
    pending = sorted(bad or [])
    fetcher = Fetcher(options or Options())
    try:
        outcomes = []
        for line in lines:
            while pending and pending[0][0] < line.number:
                log(_bad(*pending.pop(0)))
            outcome = fetch_line(fetcher, into, line)
            log(_logged(outcome))
            outcomes.append(outcome)
        for item in pending:
            log(_bad(*item))
        return outcomes
    finally:
        fetcher.close()


def run(
    urls_file: Path,
    db: Path,
    into: Path = DEFAULT_INTO,
    options: Options | None = None,
    workers: int | None = None,
    progress: bool = True,
    prefer_newer: bool = False,
    log: Callable[[str], None] = _stderr,
) -> FetchRun:
    """Fetch the list, store what came, and ingest the stored files as one batch.

    Raises ``UrlListError`` for a list that cannot be read and, from the ingest,
    ``WarehouseError`` for a batch that failed as a whole (nothing published).
    """
    from pipelines.ingest import ingest

    lines, bad = read_url_list(urls_file)
    into = into.resolve()
    outcomes = fetch_all(lines, into, options, log, bad)
    result = FetchRun(outcomes, bad)
    stored = [o for o in outcomes if o.path is not None]
    if not stored:
        return result
    manifest = write_manifest(into, stored)
    paths = list(dict.fromkeys(str(o.path) for o in stored))
    result.summary = ingest(
        paths,
        db,
        manifest_paths=[manifest],
        workers=workers,
        progress=progress,
        prefer_newer=prefer_newer,
    )
    by_path = {str(o.path): o for o in stored}
    result.ingest_failures = [
        (by_path.get(path), path, reason) for path, reason in result.summary.failed
    ]
    return result
