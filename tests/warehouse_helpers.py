"""Report files made from the real seed report, under other organs, years or numbers."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import SAMPLES

SEED_TEXT = (SAMPLES / "000_seed.txt").read_text(encoding="utf-8")
SHUYANG_HTML = (SAMPLES / "shuyang_fgj_2023.html").read_text(encoding="utf-8")


def seed_as(organ: str, text: str = SEED_TEXT) -> str:
    """The seed report published by another organ (its title and body renamed)."""
    return text.replace("前进区政府办", organ)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path
