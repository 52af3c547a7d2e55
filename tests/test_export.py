"""Exports: the filtered facts as files that read back identically and explain themselves.

``xxgk export`` and the dashboard's downloads share one query and one writer; these tests
check what a reader of the file can see: the rows, the filters recorded in the metadata,
the year-partitioned dataset, and that the dashboard's file equals the command's.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from dashboard import download
from dashboard.selection import Selection
from pipelines import catalog
from pipelines import export as export_module
from pipelines.export import COLUMNS, MARKER, ExportError, export
from pipelines.filters import Filters, place_of_code
from pipelines.ingest import ingest
from pipelines.warehouse import open_readonly
from tests.helpers import SAMPLES
from tests.warehouse_helpers import SEED_TEXT, seed_as, write


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    write(root / "in" / "seed_2021.txt", SEED_TEXT.replace("2020", "2021"))
    # organs whose printed names a spreadsheet would run as formulas
    write(root / "in" / "plus.txt", seed_as("+前进区政府办"))
    write(root / "in" / "at.txt", seed_as("@SUM(A1)前进区政府办"))
    # the parser takes no organ from such a title: a manifest names them, taken as written
    write(
        root / "in" / "manifest.csv",
        "file,organ\nplus.txt,+前进区政府办\nat.txt,@SUM(A1)前进区政府办\n",
    )
    db = root / "w.duckdb"
    ingest([SAMPLES, root / "in"], db, progress=False)
    return db


def _direct(db, sql: str) -> list[tuple]:
    con = open_readonly(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_round_trip_is_identical_in_three_readers(warehouse, tmp_path) -> None:
    out = tmp_path / "all.parquet"
    n = export(warehouse, out, Filters())
    assert n == _direct(warehouse, "SELECT count(*) FROM current_facts")[0][0]
    by_polars = pl.read_parquet(out)
    by_arrow = pl.from_arrow(pq.read_table(out))
    by_duckdb = duckdb.sql(f"SELECT * FROM read_parquet('{out}')").pl()
    assert by_polars.equals(by_arrow)
    assert by_polars.equals(by_duckdb)
    assert list(by_polars.columns) == list(COLUMNS)
    # Blank cells stay null; the seed's total row stays 0 as printed.
    seed = by_polars.filter(pl.col("organ") == "前进区政府办", pl.col("year") == 2020)
    assert seed.filter(pl.col("metric") == "outcome.total", pl.col("applicant") == "total")[
        "value"
    ].to_list() == [0.0]
    assert seed["has_errors"].unique().to_list() == [True]
    assert by_polars.filter(pl.col("blank"))["value"].null_count() == by_polars["blank"].sum()


def test_filters_and_metadata_travel_with_the_file(warehouse, tmp_path) -> None:
    out = tmp_path / "filtered.parquet"
    filters = Filters(years=(2020, 2021), places=(place_of_code("230800"),), tables=("requests",))
    n = export(warehouse, out, filters)
    df = pl.read_parquet(out)
    assert n == df.height == 2 * 23 * 7  # two seed reports (2020, 2021), 23 rows x 7 columns
    assert set(df["year"]) == {2020, 2021} and set(df["table"]) == {"requests"}
    assert set(df["city"]) == {"佳木斯市"}
    meta = pq.read_schema(out).metadata
    recorded = json.loads(meta[b"xxgk.filters"])
    assert recorded["years"] == [2020, 2021]
    assert recorded["places"] == [{"province": "黑龙江省", "city": "佳木斯市", "code": "230800"}]
    assert recorded["tables"] == ["requests"] and recorded["organs"] == []
    assert json.loads(meta[b"xxgk.parser_version"])
    keys = {m["metric"] for m in json.loads(meta[b"xxgk.metric_catalog"])}
    assert set(df["metric"]) <= keys
    assert json.loads(meta[b"xxgk.editions"]) == ["2019", "2021"]


def test_partitioned_by_year_reads_back_with_partition_discovery(warehouse, tmp_path) -> None:
    out = tmp_path / "by_year"
    n = export(warehouse, out, Filters(), partition_by_year=True)
    years = sorted(y for (y,) in _direct(warehouse, "SELECT DISTINCT year FROM current_reports"))
    assert {2020, 2021, 2023} <= set(years)
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, *(f"year={y}" for y in years)])
    dataset = ds.dataset(out, format="parquet", partitioning="hive")
    table = dataset.to_table()
    assert table.num_rows == n
    assert "year" in dataset.schema.names  # discovered from the folder names
    per_year = pl.from_arrow(table).group_by("year").len().sort("year").rows()
    want = _direct(warehouse, "SELECT year, count(*) FROM current_facts GROUP BY 1 ORDER BY 1")
    assert per_year == want
    back = duckdb.sql(
        f"SELECT year, count(*) FROM read_parquet('{out}/*/*.parquet', hive_partitioning=true) "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert back == want


def test_exporting_by_year_again_replaces_the_earlier_dataset(warehouse, tmp_path) -> None:
    """With --force the folder holds exactly the last export, no partition of an earlier one."""
    out = tmp_path / "by_year"
    export(warehouse, out, Filters(), partition_by_year=True)
    with pytest.raises(ExportError, match="--force"):
        export(warehouse, out, Filters(years=(2023,)), partition_by_year=True)
    n = export(warehouse, out, Filters(years=(2023,)), partition_by_year=True, force=True)
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "year=2023"]
    assert ds.dataset(out, partitioning="hive").to_table().num_rows == n
    assert [p.name for p in tmp_path.iterdir()] == ["by_year"]  # no temporary left behind


def test_csv_and_excel_neutralise_formulas(warehouse, tmp_path) -> None:
    """OWASP: a text cell starting with = + - @ is a formula in Excel and WPS."""
    csv = tmp_path / "all.csv"
    export(warehouse, csv, Filters())
    raw = csv.read_bytes()
    assert raw.startswith("\ufeff".encode())
    frame = pl.read_csv(raw[3:])
    organs = set(frame["organ"])
    assert {"'+前进区政府办", "'@SUM(A1"} <= organs or {"'+前进区政府办"} <= organs
    assert not [o for o in organs if o[0] in "=+-@"]
    xlsx = tmp_path / "review.xlsx"
    export(warehouse, xlsx, Filters(tables=("review",)))
    with zipfile.ZipFile(xlsx) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()  # strings are inline here
    assert "<f>" not in sheet  # no formula cell anywhere
    assert "<t>'+前进区政府办</t>" in sheet


def test_excel_above_its_row_limit_is_refused_with_a_way_out(
    warehouse, tmp_path, monkeypatch
) -> None:
    """Excel holds 1,048,576 rows; the limit is lowered here so a small warehouse reaches it."""
    monkeypatch.setattr(export_module, "EXCEL_MAX_ROWS", 100)
    out = tmp_path / "too_big.xlsx"
    with pytest.raises(ExportError, match="Parquet 或 CSV"):
        export(warehouse, out, Filters())
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("form", ["long", "wide"])
@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_the_dashboard_download_equals_the_export_of_the_same_filters(
    warehouse, tmp_path, form: str, file_format: str
) -> None:
    sel = Selection(province="黑龙江省", city="佳木斯市", year_from=2020, year_to=2021)
    tables = ["requests", "review"]
    exported = tmp_path / f"exported.{file_format}"
    filters = dataclasses.replace(sel.filters(), tables=tuple(tables))
    n = export(warehouse, exported, filters, file_format=file_format, form=form)
    downloaded = tmp_path / f"downloaded.{file_format}"
    con = open_readonly(warehouse)
    try:
        m = download.write(con, sel, form, file_format, tables, downloaded)
    finally:
        con.close()
    assert n == m > 0
    if file_format == "csv":
        assert downloaded.read_bytes() == exported.read_bytes()
    else:
        assert pl.read_parquet(downloaded).equals(pl.read_parquet(exported))
        meta = pq.read_schema(downloaded).metadata
        assert json.loads(meta[b"xxgk.filters"]) == filters.as_metadata()
        assert json.loads(meta[b"xxgk.selection"])["city"] == "佳木斯市"


def test_a_wide_file_is_headed_in_chinese_with_its_keys_in_the_metadata(
    warehouse, tmp_path
) -> None:
    """A person opening the wide CSV reads 年度 and 一、本年新收…（自然人）, not
    ``requests.new_received@natural_person``; a tool finds the keys in the file's metadata."""
    filters = Filters(tables=("requests",), metrics=("requests.new_received",))
    csv = tmp_path / "wide.csv"
    export(warehouse, csv, filters, form="wide")
    head = csv.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert head[:4] == ["报告标识", "源文件", "有审核错误", "示例数据"]
    assert "年度" in head and "year" not in head
    new = catalog.METRICS_BY_KEY["requests.new_received"].path
    assert head[-len(catalog.APPLICANT_KEYS) :] == [
        f"{new}（{catalog.APPLICANT_LABELS[a]}）" for a in catalog.APPLICANT_KEYS
    ]

    parquet = tmp_path / "wide.parquet"
    export(warehouse, parquet, filters, form="wide")
    meta = pq.read_schema(parquet).metadata
    columns = json.loads(meta[b"xxgk.columns"])
    assert list(columns) == pl.read_parquet(parquet).columns
    assert columns["年度"] == "year"
    assert columns[f"{new}（自然人）"] == "requests.new_received@natural_person"
    words = json.loads(meta[b"xxgk.dictionary"])
    assert [w["列名"] for w in words] == list(columns)


def test_a_file_names_its_source_without_the_machine_folders(warehouse, tmp_path) -> None:
    out = tmp_path / "long.parquet"
    export(warehouse, out, Filters())
    ingested = {p for (p,) in _direct(warehouse, "SELECT source_path FROM current_reports")}
    assert any("/" in p for p in ingested)
    files = set(pl.read_parquet(out)["source_file"].unique().to_list())
    assert files == {p.rsplit("/", 1)[-1] for p in ingested}
    assert "seed_2021.txt" in files and not any("/" in f for f in files)
