"""What ``xxgk serve`` runs: the dashboard (``app.py``) plus the route that hands out files.

Streamlit keeps a download button's bytes in the server's memory; a province's facts as CSV
are gigabytes. So the download page writes the file to disk (``download.prepare``) and links
to ``/xxgk/download/<token>``, which this route streams from disk. Only a token the page
issued finds a file, and only within an hour.

The heavy libraries are imported here, once, before the server accepts a connection
(``dashboard.preload``).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script by `streamlit run`: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import streamlit as st
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from dashboard import download
from dashboard.preload import preload

preload()

ROUTE = "/xxgk/download/{token}"


async def serve_download(request: Request) -> Response:
    path = download.prepared(str(request.path_params.get("token", "")))
    if path is None:
        return PlainTextResponse("下载链接已失效，请回到“数据下载”页重新生成。\n", status_code=404)
    media = download.MIME.get(path.suffix.lstrip("."), "application/octet-stream")
    return FileResponse(path, filename=path.name, media_type=media)


app = st.App(Path(__file__).with_name("app.py"), routes=[Route(ROUTE, serve_download)])
