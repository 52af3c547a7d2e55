"""``xxgk export``: the current facts, filtered, as Parquet that describes itself.

Each row carries its report id, source file and whether its report has audit errors, so a
number taken away stays traceable; the file's key-value metadata carries the filters, the
parser version, the editions and the metric definitions. Filters are bound as parameters,
never pasted into SQL.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines import catalog
from pipelines.parse import PARSER_VERSION
from pipelines.warehouse.errors import WarehouseError
from pipelines.warehouse.files import open_readonly

COLUMNS = {
    "report_id": "报告标识：源文件内容的 SHA-256",
    "source_path": "导入时的源文件路径",
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
    "blank": "原表该格是否为空白",
    "unit": "单位（金额已换算为万元）",
}


@dataclass(slots=True)
class Filters:
    years: list[int] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)  # a province/city/county code prefix
    organ_kinds: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    include_demo: bool = True

    def where(self) -> tuple[str, list[object]]:
        clauses, params = ["TRUE"], []
        if self.years:
            clauses.append("f.year IN (SELECT unnest(?))")
            params.append(self.years)
        if self.region_codes:
            clauses.append(
                "EXISTS (SELECT 1 FROM unnest(?) t(c) WHERE f.region_code LIKE "
                "regexp_replace(t.c, '(00)+$', '') || '%')"
            )
            params.append(self.region_codes)
        if self.organ_kinds:
            clauses.append("f.organ_kind IN (SELECT unnest(?))")
            params.append(self.organ_kinds)
        if self.tables:
            clauses.append('f."table" IN (SELECT unnest(?))')
            params.append(self.tables)
        if self.metrics:
            clauses.append("f.metric IN (SELECT unnest(?))")
            params.append(self.metrics)
        if not self.include_demo:
            clauses.append("NOT f.is_demo")
        return " AND ".join(clauses), params


def query_facts(con: duckdb.DuckDBPyConnection, filters: Filters) -> pa.Table:
    where, params = filters.where()
    sql = f"""
        SELECT f.report_id, f.source_path, f.has_errors, f.is_demo, f.organ_id, f.organ,
               f.organ_kind, f.province, f.city, f.county, f.region_code, f.year, f.edition,
               f."table", f.metric, m.label AS metric_label, f.applicant, f.value, f.blank,
               f.unit
        FROM current_facts f LEFT JOIN metric_catalog m USING (metric)
        WHERE {where}
        ORDER BY f.year, f.region_code, f.organ_id, f."table", f.metric,
                 list_position(?, f.applicant)
    """
    return con.sql(sql, params=[*params, list(catalog.APPLICANT_KEYS)]).to_arrow_table()


def metadata(con: duckdb.DuckDBPyConnection, filters: Filters) -> dict[bytes, bytes]:
    editions = [
        r
        for (r,) in con.execute(
            "SELECT DISTINCT edition FROM current_reports ORDER BY 1"
        ).fetchall()
    ]
    metrics = [
        {
            "metric": m.key,
            "table": m.table,
            "label": m.label,
            "path": m.path,
            "editions": sorted(m.editions),
            "unit": m.unit,
        }
        for m in catalog.METRICS
    ]
    meta = {
        "xxgk.filters": asdict(filters),
        "xxgk.parser_version": PARSER_VERSION,
        "xxgk.editions": editions,
        "xxgk.metric_catalog": metrics,
        "xxgk.applicants": [
            {"applicant": k, "label": catalog.APPLICANT_LABELS[k]} for k in catalog.APPLICANT_KEYS
        ],
        "xxgk.columns": COLUMNS,
    }
    return {k.encode(): json.dumps(v, ensure_ascii=False).encode() for k, v in meta.items()}


def export(db: Path, out: Path, filters: Filters, partition_by_year: bool = False) -> int:
    """Write the filtered facts; returns the number of rows."""
    con = open_readonly(db)
    try:
        table = query_facts(con, filters)
        meta = metadata(con, filters)
    finally:
        con.close()
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
    out.parent.mkdir(parents=True, exist_ok=True)
    if partition_by_year:
        _write_dataset(table, out)
    else:
        if out.is_dir():
            raise WarehouseError(
                f"{out}: 这是一个文件夹；导出单个文件请给出文件名，按年度分区请加 --by-year "
                "/ is a directory: give a file name, or use --by-year"
            )
        tmp = out.with_name(f".{out.name}.tmp")
        pq.write_table(table, tmp)
        tmp.replace(out)
    return table.num_rows


_PARTITION = re.compile(r"year=.+")


def _is_earlier_export(path: Path) -> bool:
    """An empty directory, or one holding only ``year=…`` partitions (hidden files aside)."""
    return all(
        p.name.startswith(".") or (p.is_dir() and _PARTITION.fullmatch(p.name))
        for p in path.iterdir()
    )


def _write_dataset(table: pa.Table, out: Path) -> None:
    """Write the year-partitioned dataset so that ``out`` holds exactly this export.

    Writing into the old directory would keep the partitions of years this export does not
    have (an earlier, wider export's ``year=2019`` stays). So the dataset is written to a
    hidden sibling and swapped in, and the old directory is removed only after the new one
    is in place. A directory that is not an earlier export is refused, never deleted.
    """
    if out.is_dir() and not _is_earlier_export(out):
        raise WarehouseError(
            f"{out}: 目录中有不是按年度导出的文件，为免误删，请换一个目录 / "
            "not an earlier --by-year export, refusing to replace it"
        )
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        pq.write_to_dataset(table, root_path=str(tmp), partition_cols=["year"])
        if out.exists() or out.is_symlink():
            out.rename(old)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            old.rename(out)  # put the earlier export back
        raise
    if old.is_dir() and not old.is_symlink():
        shutil.rmtree(old)
    else:
        old.unlink(missing_ok=True)
