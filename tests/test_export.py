"""Exported Parquet reads back identically with polars, pyarrow and DuckDB, and explains itself."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipelines.export import COLUMNS, Filters, export
from pipelines.ingest import ingest
from pipelines.warehouse import open_readonly
from tests.helpers import SAMPLES
from tests.warehouse_helpers import SEED_TEXT, write


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    write(root / "in" / "seed_2021.txt", SEED_TEXT.replace("2020", "2021"))
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
    filters = Filters(years=[2020, 2021], region_codes=["230800"], tables=["requests"])
    n = export(warehouse, out, filters)
    df = pl.read_parquet(out)
    assert n == df.height == 2 * 23 * 7  # two seed reports (2020, 2021), 23 rows x 7 columns
    assert set(df["year"]) == {2020, 2021} and set(df["table"]) == {"requests"}
    assert set(df["city"]) == {"佳木斯市"}
    meta = pq.read_schema(out).metadata
    assert json.loads(meta[b"xxgk.filters"])["years"] == [2020, 2021]
    assert json.loads(meta[b"xxgk.parser_version"])
    keys = {m["metric"] for m in json.loads(meta[b"xxgk.metric_catalog"])}
    assert set(df["metric"]) <= keys
    assert json.loads(meta[b"xxgk.editions"]) == ["2019", "2021"]


def test_partitioned_by_year(warehouse, tmp_path) -> None:
    out = tmp_path / "by_year"
    n = export(warehouse, out, Filters(), partition_by_year=True)
    years = [y for (y,) in _direct(warehouse, "SELECT DISTINCT year FROM current_reports")]
    assert {2020, 2021, 2023} <= set(years)
    assert sorted(p.name for p in out.iterdir()) == sorted(f"year={y}" for y in years)
    table = ds.dataset(out, partitioning="hive").to_table()
    assert table.num_rows == n
    back = duckdb.sql(
        f"SELECT year, count(*) FROM read_parquet('{out}/*/*.parquet', hive_partitioning=true) "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    want = _direct(warehouse, "SELECT year, count(*) FROM current_facts GROUP BY 1 ORDER BY 1")
    assert back == want


def test_exporting_by_year_again_replaces_the_earlier_dataset(warehouse, tmp_path) -> None:
    """The directory holds exactly the last export, not partitions left from an earlier one."""
    out = tmp_path / "by_year"
    export(warehouse, out, Filters(), partition_by_year=True)
    assert {"year=2020", "year=2021", "year=2023"} <= {p.name for p in out.iterdir()}
    n = export(warehouse, out, Filters(years=[2023]), partition_by_year=True)
    assert [p.name for p in out.iterdir()] == ["year=2023"]
    assert ds.dataset(out, partitioning="hive").to_table().num_rows == n
    assert [p.name for p in tmp_path.iterdir()] == ["by_year"]  # no temporary left behind


def test_by_year_never_replaces_a_directory_that_is_not_an_export(warehouse, tmp_path) -> None:
    from pipelines.warehouse import WarehouseError

    out = tmp_path / "documents"
    write(out / "notes.txt", "我的笔记")
    with pytest.raises(WarehouseError, match="refusing to replace"):
        export(warehouse, out, Filters(), partition_by_year=True)
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["documents"]


def test_a_single_file_export_onto_a_folder_is_one_line(warehouse, tmp_path) -> None:
    import subprocess
    import sys

    folder = tmp_path / "existing"
    folder.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "export", str(folder), "--db", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "--by-year" in result.stderr
    assert list(folder.iterdir()) == []
