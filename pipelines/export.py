"""Filtered facts as files: ``xxgk export`` and every dashboard download, one path.

One query builder (``query``) turns ``Filters`` into the rows of a file, long (one row per
printed cell, the warehouse's own shape) or wide (one row per report, a column per cell in
template order). Parquet and CSV are written by DuckDB (``COPY … TO``) straight to disk, so
memory stays bounded however many rows there are; Excel is streamed into the workbook in
batches and refused above its sheet limit. Each row carries its report id, source file and
audit flag, so a number taken away stays traceable; a Parquet file also carries, as
key-value metadata, exactly the filters applied, the parser version, the editions and the
data dictionary.

Writing never destroys what xxgk did not write: a file is written beside its destination
and moved into place; an existing file is replaced only with ``force``, never the
warehouse or any DuckDB database; a year-partitioned dataset replaces only a folder that
an earlier export marked as its own. Text cells of CSV and Excel files that a spreadsheet
would run as a formula are neutralised (OWASP: a leading ``'``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb

from pipelines import catalog
from pipelines.filters import Filters
from pipelines.warehouse.derived import quoted
from pipelines.warehouse.errors import WarehouseError

COLUMNS = {
    "report_id": "报告标识：源文件内容的 SHA-256",
    "source_file": "源文件名（不含导入所在机器上的文件夹）",
    "has_errors": "该报告是否有审核错误（error 级）",
    "is_demo": "是否为生成的示例数据（示例数据）",
    "organ_id": "机关标识：行政区划代码＋机关名称（去掉地名）",
    "organ": "报告所写的机关名称",
    "organ_kind": "government（人民政府）或 department（部门）",
    "province": "省",
    "city": "市",
    "county": "县（区）",
    "region_code": "行政区划代码（6位）",
    "year": "报告年度",
    "edition": "模板版本：2019 或 2021",
    "table": "active（主动公开）/ requests（依申请）/ review（复议诉讼）",
    "metric": "指标键（见 metric_catalog 元数据）",
    "metric_label": "指标中文名",
    "applicant": "申请人类型（仅 requests 表）",
    "value": "数值；空白单元格为 null（不是 0）",
    "blank": "该格是否为空白（人工更正后的）",
    "unit": "单位（金额已换算为万元）",
    "corrected": "该格的数值是否经人工更正（原值见 xxgk.corrections 元数据与更正记录）",
}
REPORT_COLUMNS = tuple(list(COLUMNS)[: list(COLUMNS).index("table")])
# The wide form is read by people in a spreadsheet: its columns are named in Chinese (the
# report columns by these, a cell by its template path), with the keys in the metadata and
# the data dictionary. The long form keeps the keys: it is the form other tools read.
REPORT_HEADERS = {
    "report_id": "报告标识",
    "source_file": "源文件",
    "has_errors": "有审核错误",
    "is_demo": "示例数据",
    "organ_id": "机关标识",
    "organ": "机关",
    "organ_kind": "机关类别",
    "province": "省",
    "city": "市",
    "county": "县（区）",
    "region_code": "行政区划代码",
    "year": "年度",
    "edition": "模板版本",
}
# the text columns, which a spreadsheet could take for a formula (the wide form's cells are numbers)
_TEXT = frozenset(COLUMNS) - {"has_errors", "is_demo", "year", "value", "blank", "corrected"}
FORMS = ("long", "wide")
FORMATS = ("parquet", "csv", "xlsx")
EXCEL_MAX_ROWS = 1_048_575  # one row of the sheet is the header
MARKER = "_xxgk_export.json"  # in a year-partitioned dataset; Spark and pyarrow skip "_" files


class ExportError(WarehouseError):
    """An export refused or failed, with a message for people."""


# ---------------------------------------------------------------------------------------------
# What a file holds
# ---------------------------------------------------------------------------------------------


def cell_order(tables: list[str] | tuple[str, ...]) -> list[str]:
    """The wide form's cell columns in template order (part 二, 三 by applicant, 四)."""
    out = []
    for table in ("active", "requests", "review"):
        if tables and table not in tables:
            continue
        for m in catalog.METRICS:
            if m.table != table:
                continue
            if table == "requests":
                out.extend(f"{m.key}@{a}" for a in catalog.APPLICANT_KEYS)
            else:
                out.append(m.key)
    return out


def cell_header(cell: str) -> str:
    """A wide column's Chinese name: the cell's template path, and its applicant in part 三
    ("二、上年结转政府信息公开申请数量（自然人）"); unique across the catalog."""
    key, _, applicant = cell.partition("@")
    m = catalog.METRICS_BY_KEY[key]
    return f"{m.path}（{catalog.APPLICANT_LABELS[applicant]}）" if applicant else m.path


def _keys(
    form: str, tables: list[str] | tuple[str, ...], metrics: tuple[str, ...] = ()
) -> list[str]:
    if form == "long":
        return list(COLUMNS)
    return [*REPORT_COLUMNS, *_wanted(tables, metrics)]


def _wanted(tables: list[str] | tuple[str, ...], metrics: tuple[str, ...]) -> list[str]:
    """The wide form's cells: the tables' cells in template order, of ``metrics`` if given."""
    cells = cell_order(tables)
    return [c for c in cells if c.split("@")[0] in metrics] if metrics else cells


def header(form: str, key: str) -> str:
    """The name a column of ``key`` has in a file of ``form``."""
    if form == "long":
        return key
    return REPORT_HEADERS.get(key) or cell_header(key)


def dictionary(
    form: str, tables: list[str] | tuple[str, ...], metrics: tuple[str, ...] = ()
) -> list[dict[str, str]]:
    """Column, key, meaning, unit, editions: what each column of a file holds."""
    rows = []
    for key in _keys(form, tables, metrics):
        row = {"列名": header(form, key), "键": key, "说明": "", "单位": "", "模板版本": ""}
        if key in COLUMNS:
            row["说明"] = COLUMNS[key]
        else:
            metric, _, applicant = key.partition("@")
            m = catalog.METRICS_BY_KEY[metric]
            who = f"（申请人：{catalog.APPLICANT_LABELS[applicant]}）" if applicant else ""
            row["说明"] = f"{m.path}{who}；空白单元格为空值（不是 0）"
            row["单位"] = m.unit
            row["模板版本"] = "、".join(sorted(m.editions))
        rows.append(row)
    return rows


def _neutral(expr: str) -> str:
    """A text cell a spreadsheet would run as a formula, prefixed with ``'`` (OWASP)."""
    return (
        f"CASE WHEN left({expr}, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) "
        f"THEN '''' || {expr} ELSE {expr} END"
    )


def _select(columns: list[tuple[str, str]], spreadsheet: bool, form: str = "long") -> str:
    return ",\n       ".join(
        f"{_neutral(expr) if spreadsheet and key in _TEXT else expr} AS {quoted(header(form, key))}"
        for key, expr in columns
    )


# A file names its source by the file's name only: the ingesting machine's folders are its own.
_REPORT_EXPR = [
    (c, r"regexp_extract(r.source_path, '[^/\\]*$')" if c == "source_file" else f"r.{c}")
    for c in REPORT_COLUMNS
]


def query(filters: Filters, form: str = "long", spreadsheet: bool = False) -> tuple[str, list]:
    """The SQL (and its parameters) of a file's rows, in a stable order.

    ``spreadsheet``: for CSV and Excel, text cells that would be read as formulas are
    neutralised.
    """
    if form == "wide":
        return _wide(filters, spreadsheet)
    if form != "long":
        raise ValueError(f"unknown form {form!r}")
    params: list[object] = []
    where = " AND ".join(filters.report_clauses("r", params)) or "TRUE"
    cells = " AND ".join(filters.cell_clauses("f", params)) or "TRUE"
    columns = [
        *_REPORT_EXPR,
        *((c, f'f."{c}"' if c == "table" else f"f.{c}") for c in ("table", "metric")),
        ("metric_label", "m.label"),
        *((c, f"f.{c}") for c in ("applicant", "value", "blank", "unit", "corrected")),
    ]
    params.append(list(catalog.APPLICANT_KEYS))
    sql = f"""
SELECT {_select(columns, spreadsheet)}
FROM current_reports r
JOIN published_facts f USING (report_id)
LEFT JOIN metric_catalog m USING (metric)
WHERE {where} AND {cells}
ORDER BY r.year, r.region_code NULLS LAST, r.organ_id, f."table", f.metric,
         list_position(?, f.applicant)"""
    return sql, params


def _wide(filters: Filters, spreadsheet: bool) -> tuple[str, list]:
    """One row per report, a column per catalog cell (in the order of the SQL's ``?``)."""
    params: list[object] = []
    cells = " AND ".join(filters.cell_clauses("f", params)) or "TRUE"
    where = " AND ".join(filters.report_clauses("r", params)) or "TRUE"
    wanted = _wanted(filters.tables, filters.metrics)
    pivots = []
    for cell in wanted:
        metric, _, applicant = cell.partition("@")
        who = f"f.applicant = '{applicant}'" if applicant else "f.applicant IS NULL"
        pivots.append((cell, f"max(f.value) FILTER (WHERE f.metric = '{metric}' AND {who})"))
    columns = [*_REPORT_EXPR, *pivots]
    sql = f"""
SELECT {_select(columns, spreadsheet, "wide")}
FROM current_reports r
LEFT JOIN published_facts f ON f.report_id = r.report_id AND {cells}
WHERE {where}
GROUP BY {", ".join(expr for _, expr in _REPORT_EXPR)}
ORDER BY r.year, r.region_code NULLS LAST, r.organ_id"""
    return sql, params


def count_rows(con: duckdb.DuckDBPyConnection, filters: Filters, form: str) -> int:
    """How many rows the file will have, from the per-report cell counts (no fact scan)."""
    params: list[object] = []
    where = " AND ".join(filters.report_clauses("r", params)) or "TRUE"
    if form == "wide":
        sql = f"SELECT count(*) FROM current_reports r WHERE {where}"
    elif filters.metrics:
        cells = " AND ".join(filters.cell_clauses("f", params))
        sql = (
            "SELECT count(*) FROM current_reports r JOIN facts f USING (report_id) "
            f"WHERE {where} AND {cells}"
        )
    else:
        tables = [t for t in catalog.TABLES if not filters.tables or t in filters.tables]
        counted = " + ".join(f"coalesce(g.{quoted('cells.' + t)}, 0)" for t in tables) or "0"
        sql = (
            f"SELECT coalesce(sum({counted}), 0) FROM current_reports r "
            f"JOIN report_figures g USING (report_id) WHERE {where}"
        )
    row = con.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def metadata(
    con: duckdb.DuckDBPyConnection, filters: Filters, form: str = "long"
) -> dict[str, str]:
    """The key-value metadata of an exported Parquet file (values are JSON)."""
    from pipelines.parse import PARSER_VERSION

    editions = [
        r
        for (r,) in con.execute(
            "SELECT DISTINCT edition FROM current_reports ORDER BY 1"
        ).fetchall()
    ]
    meta: dict[str, object] = {
        "xxgk.export": {"form": form},
        "xxgk.filters": filters.as_metadata(),
        "xxgk.parser_version": PARSER_VERSION,
        "xxgk.editions": editions,
        "xxgk.metric_catalog": [
            {
                "metric": m.key,
                "table": m.table,
                "label": m.label,
                "path": m.path,
                "editions": sorted(m.editions),
                "unit": m.unit,
            }
            for m in catalog.METRICS
        ],
        "xxgk.applicants": [
            {"applicant": k, "label": catalog.APPLICANT_LABELS[k]} for k in catalog.APPLICANT_KEYS
        ],
        "xxgk.columns": {header(form, k): k for k in _keys(form, filters.tables, filters.metrics)},
        "xxgk.dictionary": dictionary(form, filters.tables, filters.metrics),
        "xxgk.corrections": corrected_cells(con, filters),
    }
    return {k: json.dumps(v, ensure_ascii=False) for k, v in meta.items()}


def corrected_cells(con: duckdb.DuckDBPyConnection, filters: Filters) -> list[dict[str, object]]:
    """The corrections in force in the file's reports: which cells were corrected, from what
    to what, by whom, when and why, so a figure taken away says it is not as printed."""
    params: list[object] = []
    where = " AND ".join(filters.report_clauses("r", params)) or "TRUE"
    rows = con.execute(
        "SELECT c.report_id, c.target, c.old_value, c.new_value, c.who, "
        "strftime(c.at_utc, '%Y-%m-%dT%H:%M:%SZ'), c.reason "
        "FROM corrections c JOIN current_reports r USING (report_id) "
        f"WHERE c.status = 'active' AND {where} ORDER BY c.id",
        params,
    ).fetchall()
    keys = ("report_id", "cell", "old_value", "new_value", "who", "at_utc", "reason")
    out = []
    for row in rows:
        entry = dict(zip(keys, row, strict=True))
        cell = str(entry["cell"])
        if "." in cell:  # a cell (the identity fields are the report's own columns)
            entry["column"] = (
                cell_header(cell) if cell.split("@")[0] in catalog.METRICS_BY_KEY else cell
            )
        out.append(entry)
    return out


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _kv(meta: dict[str, str]) -> str:
    return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in meta.items()) + "}"


def write(
    con: duckdb.DuckDBPyConnection,
    filters: Filters,
    path: Path,
    file_format: str = "parquet",
    form: str = "long",
    extra_meta: dict[str, str] | None = None,
) -> int:
    """Write the rows to ``path`` (created or overwritten: callers check first); row count."""
    if file_format == "xlsx":
        return _write_excel(con, filters, path, form)
    sql, params = query(filters, form, spreadsheet=file_format == "csv")
    target = _literal(str(path))
    if file_format == "parquet":
        meta = {**metadata(con, filters, form), **(extra_meta or {})}
        options = f"FORMAT parquet, COMPRESSION zstd, KV_METADATA {_kv(meta)}"
        row = con.execute(f"COPY ({sql}) TO {target} ({options})", params).fetchone()
        return int(row[0]) if row else 0
    if file_format != "csv":
        raise ValueError(f"unknown format {file_format!r}")
    raw = path.with_name(path.name + ".body")
    # DuckDB's CSV writer buffers per thread; with one thread it stays inside a reader's
    # memory bound at any size (measured: a province of 1.3M rows at 512 MB)
    con.execute("SET threads = 1")
    try:
        row = con.execute(
            f"COPY ({sql}) TO {_literal(str(raw))} (FORMAT csv, HEADER)", params
        ).fetchone()
        with open(path, "wb") as out, open(raw, "rb") as body:
            out.write("\ufeff".encode())  # a BOM: spreadsheet programs then read the Chinese right
            shutil.copyfileobj(body, out, 1 << 20)
    finally:
        raw.unlink(missing_ok=True)
    return int(row[0]) if row else 0


def _write_excel(con: duckdb.DuckDBPyConnection, filters: Filters, path: Path, form: str) -> int:
    import xlsxwriter

    n = count_rows(con, filters, form)
    if n > EXCEL_MAX_ROWS:
        raise ExportError(
            f"{n:,} 行超过 Excel 一张表的上限（1,048,576 行），请改用 Parquet 或 CSV"
            "（或缩小筛选范围）/ too many rows for Excel, use Parquet or CSV"
        )
    sql, params = query(filters, form, spreadsheet=True)
    options = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    written = 0
    with xlsxwriter.Workbook(str(path), options) as book:
        sheet = book.add_worksheet("数据")
        result = con.execute(sql, params)  # read in batches: never the whole result at once
        sheet.write_row(0, 0, [d[0] for d in result.description])
        while rows := result.fetchmany(10_000):
            for row in rows:
                written += 1
                sheet.write_row(written, 0, row)
        words = book.add_worksheet("数据字典")
        entries = dictionary(form, filters.tables, filters.metrics)
        words.write_row(0, 0, list(entries[0]))
        for i, entry in enumerate(entries, start=1):
            words.write_row(i, 0, list(entry.values()))
        fixed = corrected_cells(con, filters)
        if fixed:
            notes = book.add_worksheet("人工更正")
            names = ("报告标识", "单元格", "原值", "更正值", "更正人", "时间（UTC）", "理由")
            notes.write_row(0, 0, names)
            for i, entry in enumerate(fixed, start=1):
                cell = str(entry.get("column") or entry["cell"])
                values = [entry["report_id"], cell, *list(entry.values())[2:7]]
                notes.write_row(i, 0, [_sheet_text(v) for v in values])
    return written


def _sheet_text(value: object) -> str:
    """Text typed by people, never a formula in a spreadsheet (OWASP: a leading ``'``)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---------------------------------------------------------------------------------------------
# ``xxgk export``: where a file may go
# ---------------------------------------------------------------------------------------------


def _is_duckdb(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head[8:12] == b"DUCK"


def _is_earlier_export(folder: Path) -> bool:
    """A folder holding exactly what an earlier ``--by-year`` export wrote: its marker and
    ``year=…`` folders of Parquet files. Anything else in it (a dotfile too) is not ours."""
    if not (folder / MARKER).is_file():
        return False
    for entry in folder.iterdir():
        if entry.name == MARKER:
            continue
        if not (entry.is_dir() and not entry.is_symlink() and entry.name.startswith("year=")):
            return False
        if any(not (f.is_file() and f.suffix == ".parquet") for f in entry.iterdir()):
            return False
    return True


def check_target(out: Path, db: Path, by_year: bool, force: bool) -> None:
    """Refuse a destination whose contents xxgk must not destroy."""
    if not (out.exists() or out.is_symlink()):
        return
    if db.exists() and out.exists() and os.path.samefile(out, db):
        raise ExportError(f"{out}: 这是仓库文件本身，不能导出到这里 / that is the warehouse")
    if by_year:
        if not out.is_dir() or out.is_symlink():
            raise ExportError(
                f"{out}: 已存在且不是文件夹；按年度分区需要一个新的或空的文件夹 / "
                "exists and is not a folder"
            )
        if not any(out.iterdir()):
            return
        if not _is_earlier_export(out):
            raise ExportError(
                f"{out}: 文件夹中有不是 xxgk 按年度导出的内容，为免误删，请换一个文件夹 / "
                "not an earlier --by-year export, refusing to replace it"
            )
        if not force:
            raise ExportError(
                f"{out}: 已有一次按年度导出，覆盖请加 --force / an earlier export is there, "
                "use --force to replace it"
            )
        return
    if out.is_dir():
        raise ExportError(
            f"{out}: 这是一个文件夹；导出单个文件请给出文件名，按年度分区请加 --by-year "
            "/ is a directory: give a file name, or use --by-year"
        )
    if _is_duckdb(out):
        raise ExportError(f"{out}: 这是一个 DuckDB 数据库，不能覆盖 / is a DuckDB database")
    if not force:
        raise ExportError(f"{out}: 文件已存在，覆盖请加 --force / exists, use --force to overwrite")


def format_of(out: Path) -> str:
    return {".csv": "csv", ".xlsx": "xlsx"}.get(out.suffix.lower(), "parquet")


def export(
    db: Path,
    out: Path,
    filters: Filters,
    partition_by_year: bool = False,
    file_format: str | None = None,
    form: str = "long",
    force: bool = False,
) -> int:
    """Write the filtered facts to ``out``; returns the number of rows."""
    from pipelines.warehouse.files import open_readonly

    file_format = file_format or format_of(out)
    if partition_by_year and (file_format != "parquet" or form != "long"):
        raise ExportError("按年度分区只用于 Parquet 长表 / --by-year writes long-form Parquet")
    check_target(out, db, partition_by_year, force)
    con = open_readonly(db)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if partition_by_year:
            return _write_dataset(con, filters, out)
        tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        try:
            n = write(con, filters, tmp, file_format, form)
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        return n
    except (duckdb.Error, OSError) as exc:
        raise ExportError(
            f"{out}: 导出失败 / export failed: {' '.join(str(exc).split())[:300]}"
        ) from exc
    finally:
        con.close()


def _write_dataset(con: duckdb.DuckDBPyConnection, filters: Filters, out: Path) -> int:
    """The long form as hive partitions (``year=2023/…parquet``), swapped in whole.

    Written beside ``out`` and renamed into place, so ``out`` holds exactly this export
    (not partitions left from an earlier, wider one); the earlier export (checked by
    ``check_target`` to be xxgk's own) is removed only once the new one is in place.
    """
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    meta = _kv(metadata(con, filters, "long"))
    params: list[object] = []
    where = " AND ".join(filters.report_clauses("r", params)) or "TRUE"
    years = [
        y
        for (y,) in con.execute(
            f"SELECT DISTINCT year FROM current_reports r WHERE {where} ORDER BY 1", params
        ).fetchall()
    ]
    n = 0
    try:
        tmp.mkdir()
        # One COPY per year, each sorted within its year: DuckDB's partitioned COPY keeps
        # every partition open at once and needs far more memory than a reader has.
        sql, query_params = query(filters, "long")
        for year in years:
            (tmp / f"year={year}").mkdir()
            target = _literal(str(tmp / f"year={year}" / "data_0.parquet"))
            row = con.execute(
                f"COPY (SELECT * EXCLUDE (year) FROM ({sql}) WHERE year = ?) TO {target} "
                f"(FORMAT parquet, COMPRESSION zstd, KV_METADATA {meta})",
                [*query_params, year],
            ).fetchone()
            n += int(row[0]) if row else 0
        (tmp / MARKER).write_text(
            json.dumps(
                {"xxgk": "export", "rows": n, "filters": filters.as_metadata()},
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
        replaced = out.exists()
        if replaced:
            out.rename(old)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            old.rename(out)  # put the earlier export back
        raise
    if replaced:
        shutil.rmtree(old)
    return n
