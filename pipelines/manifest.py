"""A manifest settles what a report's text cannot: its region, its year, its organ kind.

CSV with a header; each row names a ``file`` (path relative to the manifest, or a file
name) or an ``organ`` (as printed), and any of ``region_code`` (6-digit division code),
``year`` (file rows only: an organ publishes one report a year) and ``organ_kind``
(government / department). A ``manifest.csv`` inside an ingested folder is read
automatically.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import ReportError

KINDS = ("government", "department")


@dataclass(frozen=True, slots=True)
class Entry:
    region_code: str | None = None
    year: int | None = None
    organ_kind: str | None = None


class ManifestError(ReportError):
    kind = "manifest"


class Manifest:
    def __init__(self) -> None:
        self.by_file: dict[str, Entry] = {}
        self.by_organ: dict[str, Entry] = {}

    def load(self, path: Path) -> None:
        from pipelines.regions import gazetteer

        base = path.resolve().parent
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ManifestError(str(path), f"无法读取清单 / cannot read manifest: {exc}") from exc
        reader = csv.DictReader(text.splitlines())
        for n, row in enumerate(reader, start=2):
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            code = row.get("region_code") or None
            if code and code not in gazetteer().by_code:
                raise ManifestError(
                    str(path), f"第{n}行：行政区划代码 {code} 不存在 / unknown division code"
                )
            year_text = row.get("year") or ""
            if year_text and not year_text.isdigit():
                raise ManifestError(str(path), f"第{n}行：年度 {year_text} 不是数字 / bad year")
            kind = row.get("organ_kind") or None
            if kind and kind not in KINDS:
                raise ManifestError(
                    str(path), f"第{n}行：机关类型应为 government 或 department / bad organ_kind"
                )
            entry = Entry(code, int(year_text) if year_text else None, kind)
            if row.get("file"):
                self.by_file[str((base / row["file"]).resolve())] = entry
                self.by_file.setdefault(Path(row["file"]).name, entry)
            elif row.get("organ"):
                if entry.year is not None:
                    # An organ row speaks for all its reports: one year for all of them would
                    # make them one report, each superseding the last.
                    raise ManifestError(
                        str(path),
                        f"第{n}行：年度（year）只能写在按文件（file）指定的行里 / "
                        "year only with a file row",
                    )
                self.by_organ[row["organ"]] = entry
            else:
                raise ManifestError(
                    str(path), f"第{n}行：需要 file 或 organ 列 / needs a file or organ column"
                )

    def for_file(self, path: str) -> Entry | None:
        return self.by_file.get(str(Path(path).resolve())) or self.by_file.get(Path(path).name)

    def for_organ(self, organ: str | None) -> Entry | None:
        return self.by_organ.get(organ or "")
