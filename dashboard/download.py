"""The bytes of a download: the filtered facts as Parquet, CSV or Excel, long or wide.

Long form is one row per printed cell (the warehouse's own shape, the columns of
``xxgk export``); wide form is one row per report with one column per cell (``metric`` or
``metric@applicant``), in template order, for people who open it in a spreadsheet. Both
carry the report id, source file and audit flag of every number, so what is taken away stays
traceable; the data dictionary travels inside the file (Parquet metadata, a second Excel
sheet). Built only when the reader clicks (``st.download_button(data=callable)``).
"""

from __future__ import annotations

import io
import json

import duckdb
import polars as pl
import pyarrow.parquet as pq

from dashboard import queries
from dashboard.selection import Selection
from pipelines import catalog
from pipelines.export import COLUMNS, metadata

FORMS = {"long": "长表：每个单元格一行", "wide": "宽表：每份报告一行，每个指标一列"}
FORMATS = {"parquet": "Parquet", "csv": "CSV（UTF-8，Excel 可直接打开）", "xlsx": "Excel"}
MIME = {
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXCEL_MAX_ROWS = 1_048_575  # one row is the header
REPORT_COLUMNS = queries.LONG_COLUMNS[: queries.LONG_COLUMNS.index("table")]


def cell_order(tables: list[str]) -> list[str]:
    """The wide form's metric columns in template order (part 二, 三 by applicant, 四)."""
    out = []
    for table in ("active", "requests", "review"):
        if table not in tables:
            continue
        for m in catalog.METRICS:
            if m.table != table:
                continue
            if table == "requests":
                out.extend(f"{m.key}@{a}" for a in catalog.APPLICANT_KEYS)
            else:
                out.append(m.key)
    return out


def long_frame(cur: duckdb.DuckDBPyConnection, sel: Selection, tables: list[str]) -> pl.DataFrame:
    return queries.facts_long(cur, sel, tables)


def wide_frame(cur: duckdb.DuckDBPyConnection, sel: Selection, tables: list[str]) -> pl.DataFrame:
    reports = queries.report_columns(cur, sel)
    cells = queries.facts_cells(cur, sel, tables)
    if cells.is_empty():
        return reports
    wide = cells.pivot(on="cell", index="report_id", values="value", aggregate_function="first")
    known = [c for c in cell_order(tables) if c in wide.columns]
    extra = sorted(c for c in wide.columns if c not in known and c != "report_id")
    return reports.join(wide.select("report_id", *known, *extra), on="report_id", how="left")


def dictionary(form: str, tables: list[str]) -> pl.DataFrame:
    """Column, meaning, unit, editions: what each column of the download holds."""
    rows: list[dict[str, str]] = []
    if form == "long":
        rows = [{"列名": k, "说明": v, "单位": "", "模板版本": ""} for k, v in COLUMNS.items()]
    else:
        rows = [{"列名": k, "说明": COLUMNS[k], "单位": "", "模板版本": ""} for k in REPORT_COLUMNS]
        for cell in cell_order(tables):
            key, _, applicant = cell.partition("@")
            m = catalog.METRICS_BY_KEY[key]
            who = f"（申请人：{catalog.APPLICANT_LABELS[applicant]}）" if applicant else ""
            rows.append(
                {
                    "列名": cell,
                    "说明": f"{m.path}{who}；空白单元格为空值（不是 0）",
                    "单位": m.unit,
                    "模板版本": "、".join(sorted(m.editions)),
                }
            )
    return pl.DataFrame(rows)


def frame_for(
    cur: duckdb.DuckDBPyConnection, sel: Selection, form: str, tables: list[str]
) -> pl.DataFrame:
    return long_frame(cur, sel, tables) if form == "long" else wide_frame(cur, sel, tables)


def build(
    cur: duckdb.DuckDBPyConnection,
    sel: Selection,
    form: str,
    file_format: str,
    tables: list[str],
) -> bytes:
    """The file's bytes. Raises ValueError when Excel cannot hold the rows."""
    frame = frame_for(cur, sel, form, tables)
    words = dictionary(form, tables)
    buf = io.BytesIO()
    if file_format == "parquet":
        table = frame.to_arrow()
        meta = metadata(cur, _export_filters(sel, tables))
        meta[b"xxgk.selection"] = json.dumps(sel.as_dict(), ensure_ascii=False).encode()
        meta[b"xxgk.form"] = form.encode()
        meta[b"xxgk.dictionary"] = json.dumps(words.to_dicts(), ensure_ascii=False).encode()
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
        pq.write_table(table, buf)
    elif file_format == "csv":
        buf.write("\ufeff".encode())  # a BOM, so spreadsheet programs read the Chinese right
        frame.write_csv(buf)
    elif file_format == "xlsx":
        if frame.height > EXCEL_MAX_ROWS:
            raise ValueError(f"{frame.height} 行超过 Excel 的行数上限，请改用宽表、Parquet 或 CSV")
        import xlsxwriter

        with xlsxwriter.Workbook(buf) as book:
            frame.write_excel(workbook=book, worksheet="数据", autofit=frame.width < 40)
            words.write_excel(workbook=book, worksheet="数据字典", autofit=True)
    else:
        raise ValueError(f"unknown format {file_format!r}")
    return buf.getvalue()


def file_name(sel: Selection, form: str, file_format: str) -> str:
    parts = ["xxgk", form]
    parts.extend(p for p in (sel.province, sel.city, sel.county) if p)
    if sel.year_from is not None:
        parts.append(f"{sel.year_from}-{sel.year_to}")
    return "_".join(parts) + f".{file_format}"


def _export_filters(sel: Selection, tables: list[str]):
    """The closest ``xxgk export`` filters, for the file metadata it shares with the CLI."""
    from pipelines.export import Filters

    return Filters(
        years=sel.years,
        organ_kinds=[sel.kind] if sel.kind else [],
        tables=tables,
        include_demo=sel.include_demo,
    )
