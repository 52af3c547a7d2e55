"""Document -> Report: find the parts, read the three tables, the metadata and the prose.

The parser never sees a file format; it reads the Document's row stream. It keeps every
printed number exactly as published, including numbers that contradict each other: the
audit (``pipelines.audit``) is what tells the reader.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from pipelines.document import Document, Paragraph
from pipelines.errors import NotAReport
from pipelines.parse.active_table import parse_active
from pipelines.parse.metadata import read_metadata
from pipelines.parse.model import Fact, Finding, ProseCount, Region, Report
from pipelines.parse.prose import read_prose
from pipelines.parse.requests_table import expected_rows, parse_requests
from pipelines.parse.review_table import parse_review
from pipelines.parse.sections import find_sections

__all__ = ["Fact", "Finding", "Overrides", "ProseCount", "Region", "Report", "parse_document"]

PARSER_VERSION = "1"


@dataclass(frozen=True, slots=True)
class Overrides:
    """What a manifest or the command line knows better than the text."""

    organ: str | None = None
    year: int | None = None
    region: Region | None = None


def _row_text(cells: list[str]) -> str:
    return " ".join(c for c in cells if c.strip())


def parse_document(doc: Document, overrides: Overrides | None = None) -> Report:
    overrides = overrides or Overrides()
    rows = list(doc.rows())
    sections = find_sections(rows)
    max_year = _dt.date.today().year + 1

    head_lines = [_row_text(r) for r in sections.before(2)]
    meta = read_metadata(head_lines, doc.title, max_year)
    year = overrides.year or meta.year
    organ = overrides.organ or meta.organ

    requests = parse_requests(sections.part(3))
    active = parse_active(sections.part(2), year)
    review = parse_review(sections.part(4))

    if not requests.found and not active.facts and not review.found:
        if year is not None and year <= 2018:
            raise NotAReport(
                doc.source,
                f"{year}年的报告是2019年以前的自由格式，暂不支持 / pre-2019 free-form report, "
                "not supported yet",
            )
        raise NotAReport(
            doc.source,
            "未找到年度报告的统计表（第二、三、四部分）/ no annual-report tables found",
        )

    warnings: list[str] = []
    table_editions: dict[str, str] = {}
    year_edition = "2021" if (year or 0) >= 2021 else "2019"
    if active.edition:
        table_editions["active"] = active.edition
    if requests.other_has_subrows is not None:
        table_editions["requests"] = "2021" if requests.other_has_subrows else "2019"
    elif requests.found:
        table_editions["requests"] = year_edition
    if review.found:
        table_editions["review"] = year_edition
    edition = active.edition or table_editions.get("requests") or year_edition

    if requests.refused:
        pass  # its own warning names the rows that could not be placed
    elif requests.found:
        other_sub = requests.other_has_subrows
        if other_sub is None:
            other_sub = table_editions["requests"] == "2021"
        for row in expected_rows(other_sub):
            if row.metric.key not in requests.seen:
                warnings.append(f"第三部分缺少“{row.metric.label}”一行（{row.metric.path}）")
    else:
        warnings.append("未找到第三部分（收到和处理政府信息公开申请情况）的表格")
    if not active.facts and not active.refused:
        warnings.append("未找到第二部分（主动公开政府信息情况）的表格")
    if not review.found:
        warnings.append("未找到第四部分（行政复议、行政诉讼情况）的数字")
    if year is None:
        warnings.append("未能从标题或正文读出报告年度")
    if organ is None:
        warnings.extend(meta.warnings)  # what the title says instead, or that it says none
    if year is not None and year <= 2018:
        warnings.append(f"报告年度为{year}年，早于2019年版模板")

    prose_paragraphs = [b.text for b in doc.blocks if isinstance(b, Paragraph)]
    head = {id(r) for r in sections.before(2)}
    part1 = [_row_text(r) for r in rows if id(r) in head and len(r) == 1]
    prose = read_prose(part1 if part1 else prose_paragraphs[:40])
    warnings.extend(prose.warnings)

    region = overrides.region
    if region is None:
        # What the name prints; a manifest or a folder settles the rest (prepare.identify).
        from pipelines.regions import read_region  # regions imports this package's model

        region, region_warnings = read_region(organ)
        warnings.extend(region_warnings)
    report = Report(
        organ=organ,
        year=year,
        edition=edition,
        region=region,
        facts=[*active.facts, *requests.facts, *review.facts],
        prose_counts=prose.counts,
        stated_figures=prose.figures,
        warnings=[*doc.warnings, *warnings, *active.warnings, *requests.warnings, *review.warnings],
        table_editions=table_editions,
        subtotals=requests.subtotals,
        source=doc.source,
        format=doc.format,
    )
    return report
