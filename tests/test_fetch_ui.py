"""导入报告's 从政府网站下载 and 报告详情's 原文网址, against ``tests.test_fetch``'s portal.

The page is driven under AppTest with a real editor signed in (``tests.test_upload``'s
warehouse and account); the pasted list is fetched and ingested by the page's real child
process, so what it did is checked on the published warehouse and in the fetched folder.
How a URL is put into 报告详情's caption is checked on ``dashboard.upload.source_note``
directly: the warehouse cannot be given a ``javascript:`` URL through a manifest.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard import upload
from tests import test_fetch, test_upload
from tests.test_fetch import SHUYANG, Portal
from tests.test_upload import metrics, signed_in, texts, wait_for_summary

# the fixtures, reused rather than copied: a warehouse with an editor, and the portal
db = test_upload.db
app = test_upload.app
portal = test_fetch.portal


def link_target(caption: str) -> str | None:
    """The destination of the caption's 原文网址 link, with the Markdown escapes undone."""
    m = re.search(r"\[原文网址\]\(<((?:\\.|[^\\<>])*)>\)", caption)
    return re.sub(r"\\(.)", r"\1", m.group(1)) if m else None


def test_fetch_box_downloads_ingests_and_links_the_source(
    app: AppTest, db: Path, portal: Portal
) -> None:
    good, missing = portal.url("/art/shuyang.html"), portal.url("/missing.html")
    at = signed_in(app)
    at.text_area(key="fetch_urls_0").input(f"# 两个网址\n{good}\t沭阳县发展和改革局\n{missing}\n")
    at.button(key="fetch_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    wait_for_summary(at)

    # each URL's outcome, the 404 named, then the batch
    lines = [t for t in texts(at, "markdown") if t.startswith("- 第")]
    assert len(lines) == 2, lines
    assert lines[0].startswith("- 第2行 已下载") and lines[0].endswith(good)
    assert lines[1].startswith("- 第3行 失败：404 页面不存在") and lines[1].endswith(missing)
    assert any(c.startswith("下载：已下载 1，未变化 0，失败 1") for c in texts(at, "caption"))
    assert metrics(at)["新增"] == "1份"
    rid = hashlib.sha256(SHUYANG.read_bytes()).hexdigest()
    links = at.get("page_link")
    assert [link.proto.label.replace("\\", "") for link in links] == [
        "沭阳县发展和改革局 · 2023年"
    ], [link.proto.label for link in links]

    # the files where ``xxgk fetch`` keeps them, beside the warehouse, with sidecar and
    # manifest row: ``xxgk ingest data/fetched`` rebuilds the same report
    fetched = db.parent / "fetched"
    assert fetched == upload.fetched_dir(db)
    assert (fetched / f"{rid}.html").read_bytes() == SHUYANG.read_bytes()
    sidecar = json.loads((fetched / f"{rid}.json").read_text(encoding="utf-8"))
    assert sidecar["url"] == good
    assert good in (fetched / "manifest.csv").read_text(encoding="utf-8")
    assert test_fetch.rows(
        db, "SELECT source_url, status FROM reports WHERE report_id = ?", [rid]
    ) == [(good, "current")]
    # the audit log names the editor for the batch
    batch = test_fetch.rows(db, "SELECT batch_id FROM batches ORDER BY started_at DESC LIMIT 1")
    assert test_fetch.rows(
        db, "SELECT who FROM audit_log WHERE action = 'ingest' AND target = ?", [batch[0][0]]
    ) == [(test_upload.EDITOR,)]

    # 报告详情 links the report to exactly its URL, with the sidecar's download time
    at.query_params["report"] = rid
    at.switch_page("views/report.py").run()
    assert not at.exception, [e.value for e in at.exception]
    captions = [c.value for c in at.main.caption if "原文网址" in c.value]
    assert len(captions) == 1, [c.value for c in at.main.caption]
    assert link_target(captions[0]) == good
    when = sidecar["fetched_at"][:16].replace("T", " ")
    assert f"下载于 {when} UTC" in captions[0].replace("\\", "")

    # and the page offers the box again
    at.switch_page(test_upload.PAGE).run()
    at.button(key="fetch_again").click().run()
    assert not at.exception
    assert at.text_area(key="fetch_urls_1").value == ""


def test_a_report_without_a_url_has_no_link(app: AppTest, db: Path) -> None:
    rid = test_fetch.rows(db, "SELECT report_id FROM reports ORDER BY report_id LIMIT 1")[0][0]
    app.query_params["report"] = rid
    app.run()
    at = app.switch_page("views/report.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader  # the header is there, without a source
    assert not any("原文网址" in c.value for c in at.main.caption)


@pytest.mark.parametrize(
    "url",
    [
        "http://www.hongze.gov.cn/art/2024/1/31/art_1.html",
        "https://example.gov.cn/a_(1)/报告.pdf?x=1&y=[2]*3*",
        "HTTPS://example.gov.cn/<b>x</b>\\y",
    ],
)
def test_a_web_address_is_linked_verbatim(url: str) -> None:
    note = upload.source_note(url, "2024-02-01 08:30 UTC")
    assert link_target(note) == url
    assert note.endswith(" · 下载于 2024\\-02\\-01 08\\:30 UTC")
    assert note.count("](") == 1 and "原文网址（未链接）" not in note


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript://%0aalert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "ftp://example.gov.cn/report.pdf",
        "http://example.gov.cn/a b",  # whitespace: no address a manifest would let in
        "[原文网址](javascript:alert(1))",
    ],
)
def test_any_other_url_is_plain_text(url: str) -> None:
    note = upload.source_note(url)
    assert link_target(note) is None
    assert note.startswith("原文网址（未链接）：")
    assert "](" not in note and "<" not in note.replace("\\<", "")
    shown = re.sub(r"\\(.)", r"\1", note.removeprefix("原文网址（未链接）：")).replace("\u2060", "")
    assert shown == url


def test_the_fetch_time_needs_the_sidecar_of_the_same_bytes(tmp_path: Path) -> None:
    rid = "ab" * 32
    (tmp_path / f"{rid}.html").write_text("x")
    path = str(tmp_path / f"{rid}.html")
    assert upload.fetched_at(path, rid) is None  # no sidecar: the time is not known
    meta = {"sha256": rid, "fetched_at": "2024-02-01T08:30:05+00:00"}
    (tmp_path / f"{rid}.json").write_text(json.dumps(meta))
    assert upload.fetched_at(path, rid) == "2024-02-01 08:30 UTC"
    (tmp_path / f"{rid}.json").write_text(json.dumps({**meta, "sha256": "cd" * 32}))
    assert upload.fetched_at(path, rid) is None
    (tmp_path / f"{rid}.json").write_text("{not json")
    assert upload.fetched_at(path, rid) is None
    assert upload.fetched_at(None, rid) is None
