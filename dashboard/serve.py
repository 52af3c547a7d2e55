"""How ``xxgk serve`` starts the dashboard: ``streamlit run dashboard/app.py``, headless.

Kept here (not in the CLI) so the browser test starts the app exactly as users do. The
flags hide Streamlit's developer toolbar, skip its usage statistics, and set the theme
colour to the dashboard's blue (Streamlit's default red reads as "error" next to the
red of 不予公开 and of audit errors).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def command(port: int, address: str | None = None) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
        "--client.toolbarMode=minimal",
        "--theme.primaryColor=#2c7fb8",
    ]
    if address:
        cmd.append(f"--server.address={address}")
    return cmd


def environment(db: Path) -> dict[str, str]:
    return {**os.environ, "XXGK_DB": str(db.resolve())}
