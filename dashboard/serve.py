"""How ``xxgk serve`` starts the dashboard: ``streamlit run dashboard/app.py``, headless.

Kept here (not in the CLI) so the browser test starts the app exactly as users do. The
flags hide Streamlit's developer toolbar and its English welcome lines, skip its usage
statistics, and set the theme colour to the dashboard's blue (Streamlit's default red reads
as "error" next to the red of 不予公开 and of audit errors).

Reading needs no sign-in (only editing does): whoever reaches the port reads the whole
warehouse. So it listens on the loopback address unless told otherwise (Streamlit alone would
listen on every interface), and a wider address is said out loud on the console.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "server.py"  # the app plus its download route
LOOPBACK = "127.0.0.1"


def command(port: int, host: str = LOOPBACK) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.port={port}",
        f"--server.address={host}",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=minimal",
        # `xxgk serve` prints the address in Chinese itself; Streamlit's English welcome
        # ("You can now view your Streamlit app…") would repeat it in another language.
        "--logger.hideWelcomeMessage=true",
        "--theme.primaryColor=#2c7fb8",
    ]


def environment(db: Path) -> dict[str, str]:
    return {**os.environ, "XXGK_DB": str(db.resolve())}


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses ``host`` stands for; a name that does not resolve stands for none."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


def is_loopback(host: str) -> bool:
    """True when only this machine can connect (``127.0.0.1``, ``::1``, ``localhost``)."""
    addresses = _addresses(host)
    return bool(addresses) and all(a.is_loopback for a in addresses)


def url(host: str, port: int) -> str:
    """The address to open in a browser: on this machine for a wildcard (``0.0.0.0``)."""
    addresses = _addresses(host)
    if addresses and all(a.is_unspecified for a in addresses):
        host = LOOPBACK
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    return f"http://{host}:{port}"


def exposure_warning(host: str, port: int) -> str | None:
    """What to print before listening on ``host``: None for loopback."""
    if is_loopback(host):
        return None
    return (
        f"xxgk: 警告：查看数据无需登录，监听 {host} 后，任何能连到本机 {port} 端口的人"
        f"都能看到仓库中的全部数据。只在本机查看请去掉 --host（默认 {LOOPBACK}）。\n"
        f"xxgk: warning: reading needs no sign-in; listening on {host}, anyone who can "
        f"reach port {port} can see everything in the warehouse. Leave out --host to keep "
        f"it on this machine ({LOOPBACK})."
    )
