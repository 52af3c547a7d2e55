"""The dashboard's entry script: warehouse check, sidebar filters, page router.

Run it with ``xxgk serve`` (or ``streamlit run dashboard/app.py``); ``XXGK_DB`` names the
warehouse (default ``data/xxgk.duckdb``). The dashboard only reads: it opens the published
warehouse file read-only and never parses a report.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

if __package__ in (None, ""):  # run as a script by `streamlit run`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb
import streamlit as st

from dashboard import auth, context, db, queries, safe, sidebar, urlparams
from dashboard.context import Context, publish
from dashboard.pages import PAGES
from pipelines.warehouse import WarehouseError


def _advice(message: str) -> None:
    """``message`` is plain text: it may quote a database error, which quotes the file."""
    st.title("政府信息公开工作年度报告看板")
    st.error(safe.md(message), icon=":material/database:")
    st.markdown(
        f"""
仓库文件：{safe.code(db.warehouse_path())}（可用环境变量 `XXGK_DB` 指定）

先导入年度报告，再打开看板：

```sh
uv run xxgk ingest data/samples          # 导入报告（文件或文件夹）
uv run xxgk serve                        # 打开看板
```
"""
    )


def _no_warehouse(message: str, *, first_reports: bool = True) -> None:
    """Without reports there is nothing to analyse, so only the advice and 导入报告 are
    offered: staff can load the first reports from the browser as well as from the command
    line. The upload page keeps the URL path it has in the full menu, so the rerun after the
    first batch lands on its summary. A warehouse that cannot be read is not offered to an
    upload (a batch would only fail on it): that needs whoever runs the server."""
    if not first_reports:
        _advice(message)
        st.stop()
    # a selection published before the warehouse went away would describe reports no longer
    # there; the upload page reads its absence as "no reports yet"
    st.session_state.pop(context._KEY, None)
    path, title, icon, url = next(
        page for entries in PAGES.values() for page in entries if page[3] == "upload"
    )
    nav = st.navigation(
        [
            st.Page(
                lambda: _start_here(message),
                title="开始使用",
                icon=":material/home:",
                url_path="start",
                default=True,
            ),
            st.Page(path, title=title, icon=icon, url_path=url),
        ],
        expanded=True,
    )
    urlparams.keep_only(nav.url_path)
    auth.sidebar()
    nav.run()
    st.stop()


def _start_here(message: str) -> None:
    _advice(message)
    st.markdown("编辑人员也可以在看板中直接上传年度报告：")
    st.page_link("views/upload.py", label="导入报告", icon=":material/upload_file:")


def main() -> None:
    st.set_page_config(
        # An emoji, not ":material/bar_chart:": Streamlit draws an emoji icon in the page
        # itself but fetches a Material icon from fonts.gstatic.com, and the dashboard loads
        # nothing from another host (nor can it, on a network without the internet).
        page_title="政府信息公开年度报告看板",
        page_icon="📊",
        layout="wide",
    )
    if db.warehouse_key() is None:
        _no_warehouse("还没有数据仓库：尚未导入任何年度报告。")
    try:
        options = db.q(queries.organ_options)
    except (WarehouseError, duckdb.Error) as exc:
        _no_warehouse(f"无法读取数据仓库：{exc}", first_reports=False)
    if options.is_empty():
        _no_warehouse("数据仓库中还没有可用的年度报告。")

    pages = {
        group: [
            st.Page(path, title=title, icon=icon, url_path=url, default=url == "overview")
            for path, title, icon, url in entries
        ]
        for group, entries in PAGES.items()
    }
    # every page listed: a collapsed menu would say "View 3 more", in English
    nav = st.navigation(pages, expanded=True)
    urlparams.keep_only(nav.url_path)
    sel, names = sidebar.render(options)
    auth.sidebar()  # 登录 / 已登录：NAME · 退出, below the filters
    every_year = db.q(queries.scope_summary, replace(sel, same_organs=True))
    publish(
        Context(
            sel,
            names,
            db.q(queries.scope_summary, sel),
            db.q(queries.reports_per_year, sel),
            int(every_year["organs"][0]) if every_year.height else 0,
        )
    )
    nav.run()


main()
