"""A manifest settles what a report's text cannot: its organ, region, year and organ kind.

CSV with a header; each row names a ``file`` (path relative to the manifest; a bare file
name also matches that name in other folders) or an ``organ`` (as printed), and any of
``region_code`` (6-digit division code), ``year`` (file rows only: an organ publishes one
report a year) and ``organ_kind`` (government / department). In a file row, ``organ``
sets the organ for that file: for a title that names none or cannot be read (机关不详), or
names it wrongly. It is taken as written, not held to the shape of a title's organ, since
it is what settles the names that shape refuses. A file row may also carry ``url``, where
the file was downloaded from (``xxgk fetch`` writes such rows beside the files it stores),
which the warehouse keeps as ``reports.source_url``. A ``manifest.csv`` inside an ingested
folder is read automatically.

A row that cannot be right (an unknown division code, a year outside the years reports
exist for, an unknown kind, an organ with control characters or over 100 characters) does
not stop the batch and is never half-applied: the files it speaks for fail, each named,
with the row's reason; everything else loads. A manifest that cannot be read at all is
refused as a whole, since loading without it would place its reports wrongly.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import ReportError

KINDS = ("government", "department")
FIRST_YEAR = 2008  # the 2008 条例: no annual report is older


def last_year() -> int:
    """A report is published early in the year after the one it covers: no later year."""
    return dt.date.today().year + 1


_YEAR = re.compile(r"[0-9]{4}")  # ASCII digits only: int("１２３") would read full-width ones
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ORGAN = 100
MAX_URL = 2000
_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE)


def check_organ(organ: str) -> str | None:
    """Why ``organ`` cannot be an organ's name as a manifest gives it, or None."""
    if len(organ) > MAX_ORGAN or _CONTROL.search(organ):
        return f"机关名称（organ）含控制字符或超过{MAX_ORGAN}字 / bad organ"
    return None


def check_url(url: str) -> str | None:
    """Why ``url`` cannot be where a report was downloaded from, or None."""
    if len(url) > MAX_URL:
        return f"网址超过 {MAX_URL} 个字符 / url too long"
    if _CONTROL.search(url) or not _URL.fullmatch(url):
        return "网址应以 http:// 或 https:// 开头，且不含空白或控制字符 / bad url"
    return None


@dataclass(frozen=True, slots=True)
class Entry:
    region_code: str | None = None
    year: int | None = None
    organ_kind: str | None = None
    error: str | None = None  # the row is wrong: the reports it speaks for fail with this
    organ: str | None = None  # file rows only: the organ that published the file
    url: str | None = None  # file rows only: where the file was downloaded from

    @property
    def only_url(self) -> bool:
        """The row says where the file came from and nothing about who published it, so a
        report already loaded need not be read again for it."""
        return not (self.region_code or self.year or self.organ_kind or self.error or self.organ)


class ManifestError(ReportError):
    kind = "manifest"


def check_year(year: int | None) -> str | None:
    """Why ``year`` cannot be a report's year, or None."""
    if year is None or FIRST_YEAR <= year <= last_year():
        return None
    return f"年度 {year} 不在 {FIRST_YEAR}–{last_year()} 之间 / year out of range"


class Manifest:
    def __init__(self) -> None:
        self.by_file: dict[str, Entry] = {}
        self.by_name: dict[str, Entry] = {}
        self.by_organ: dict[str, Entry] = {}
        # rows that speak for no report: reported with the batch's failures, never applied
        self.problems: list[tuple[str, str]] = []

    def load(self, path: Path) -> None:
        from pipelines.regions import gazetteer

        base = os.path.abspath(path.parent)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(str(path), f"无法读取清单 / cannot read manifest: {exc}") from exc
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"file", "organ"} & {
            (f or "").strip() for f in reader.fieldnames
        }:
            raise ManifestError(
                str(path), "清单需要表头，且含 file 或 organ 列 / needs a header with file or organ"
            )
        codes = gazetteer().by_code
        for n, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            entry = self.entry(row, codes, file_row=bool(row.get("file")))
            if entry.error:
                entry = Entry(error=f"清单 {path.name} 第{n}行：{entry.error}")
            if row.get("file"):
                self.by_file[os.path.normpath(os.path.join(base, row["file"]))] = entry
                if Path(row["file"]).name == row["file"]:
                    # A bare file name also speaks for that name elsewhere (a manifest kept
                    # apart from the reports); a row with folders names one file only, since
                    # every organ's folder may hold a 2023.pdf.
                    self.by_name.setdefault(row["file"], entry)
            elif row.get("organ"):
                if entry.year is not None:
                    # An organ row speaks for all its reports: one year for all of them would
                    # make them one report, each superseding the last.
                    entry = Entry(
                        error=f"清单 {path.name} 第{n}行：年度（year）只能写在按文件（file）"
                        "指定的行里 / year only with a file row"
                    )
                if entry.url is not None and not entry.error:
                    entry = Entry(
                        error=f"清单 {path.name} 第{n}行：网址（url）只能写在按文件（file）"
                        "指定的行里 / url only with a file row"
                    )
                self.by_organ[row["organ"]] = entry
            elif any(row.values()):
                self.problems.append(
                    (str(path), f"第{n}行没有 file 或 organ，未使用 / row names no file or organ")
                )

    @staticmethod
    def entry(row: dict[str, str], codes: dict, file_row: bool) -> Entry:
        organ = row.get("organ", "") if file_row else ""  # an organ row's organ is its key
        if reason := check_organ(organ):
            return Entry(error=reason)
        code = row.get("region_code") or None
        if code and code not in codes:
            return Entry(error=f"行政区划代码 {code} 不存在 / unknown division code")
        year_text = row.get("year") or ""
        year = None
        if year_text:
            if not _YEAR.fullmatch(year_text):
                return Entry(error=f"年度 {year_text} 不是四位数字 / bad year")
            year = int(year_text)
            if reason := check_year(year):
                return Entry(error=reason)
        kind = row.get("organ_kind") or None
        if kind and kind not in KINDS:
            return Entry(error="机关类型应为 government 或 department / bad organ_kind")
        url = row.get("url") or None
        if url and (reason := check_url(url)):
            return Entry(error=reason)
        return Entry(code, year, kind, organ=organ or None, url=url)

    def for_file(self, path: str) -> Entry | None:
        return self.by_file.get(os.path.abspath(path)) or self.by_name.get(os.path.basename(path))

    def for_organ(self, organ: str | None) -> Entry | None:
        return self.by_organ.get(organ or "")

    def __bool__(self) -> bool:
        return bool(self.by_file or self.by_organ)
