"""Rewrites of a real text report into the shapes other sources give the same numbers.

Each function takes the seed report's text and returns what a converter, an OCR engine or a
careless copy would have produced from the same page; the numbers must not change.
"""

from __future__ import annotations

import re

FULL_WIDTH = str.maketrans("0123456789()", "０１２３４５６７８９（）")


def lines(text: str) -> list[str]:
    return text.split("\n")


def to_markdown(text: str) -> str:
    """Tab rows become Markdown pipe-table rows, with a separator after each table's first row."""
    out: list[str] = []
    in_table = False
    for line in lines(text):
        if "\t" in line:
            cells = line.split("\t")
            out.append("| " + " | ".join(cells) + " |")
            if not in_table:
                out.append("|" + "---|" * len(cells))
            in_table = True
        else:
            in_table = False
            out.append(line)
    return "\n".join(out)


def with_page_footers(text: str) -> str:
    """Page footers between table rows, as PDF converters leave them."""
    out: list[str] = []
    footers = iter(["— 2 —", "-3-", "第 4 页", "— 5 —"] * 10)
    for i, line in enumerate(lines(text)):
        out.append(line)
        if "\t" in line and i % 7 == 0:
            out.append(next(footers))
    return "\n".join(out)


def labels_cut_from_numbers(text: str) -> str:
    """A wrapped label: its head, then the numbers alone, then its tail (pdftotext -layout)."""
    out: list[str] = []
    for line in lines(text):
        if "部分公开" in line and "\t" in line:
            label, *numbers = [c for c in line.split("\t") if c.strip()]
            out.append(label[:14])
            out.append("      " + "   ".join(numbers))
            out.append(label[14:])
        elif "信访举报投诉类申请" in line:
            label, *numbers = [c for c in line.split("\t") if c.strip()]
            out.append("   ".join(numbers))  # numbers first, then the label
            out.append(label)
        else:
            out.append(line)
    return "\n".join(out)


def ocr_like(text: str) -> str:
    """Space-separated columns, full-width digits and brackets, false spaces inside labels,
    other numbering styles, and the applicant header row injected again mid-table."""
    out: list[str] = []
    for line in lines(text):
        if "\t" not in line:
            out.append(line)
            continue
        cells = [c.strip() for c in line.split("\t") if c.strip()]
        row = "  ".join(cells)
        row = row.translate(FULL_WIDTH)
        row = row.replace("总计", "总 计").replace("重复申请", "重复 申请")
        row = re.sub(r"(\d)\. ", r"\1、", row)
        out.append(row)
        if "属于行政查询事项" in line:
            out.append("自然人  商业企业  科研机构  社会公益组织  法律服务机构  其他  总计")
    return "\n".join(out)


def without_row(text: str, fragment: str) -> str:
    return "\n".join(line for line in lines(text) if fragment not in line)
