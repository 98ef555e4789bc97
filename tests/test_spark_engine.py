"""The second engine (SPEC §8): the one dbt project, built on Spark from the same raw
layer, gives every mart figure DuckDB gives, for the hand-worked counting-rule story."""

from __future__ import annotations

import datetime
import decimal
from pathlib import Path

import duckdb
import pytest

from mau_warehouse.config import load_settings
from mau_warehouse.spark.raw_layer import write_raw_layer
from tests.conftest import TEST_KEY, run_mau
from tests.dbt_helpers import run_dbt
from tests.test_counting_rules import write_landing

pytestmark = pytest.mark.slow

# Both engines count as of the same local day, after every month of the story ended.
AS_OF = '{as_of_date: "2025-12-15"}'
# When the build ran: the one figure that differs between two builds of one engine too.
CLOCK_COLUMNS = {"fct_freshness": {"measured_at", "hours_since_newest_received_at"}}
# When each row was built (incremental models stamp what they write).
BUILD_STAMP = "_built_at"


def _value(value: object) -> object:
    """One spelling per value: UTC instants without a zone, numbers as rounded floats
    (the engines may sum doubles in another order)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC).replace(tzinfo=None)
        return value
    if isinstance(value, float | decimal.Decimal):
        return round(float(value), 9)
    return value


def _rows(con: duckdb.DuckDBPyConnection, relation: str, columns: list[str]) -> list[tuple]:
    rows = con.execute(f"select {', '.join(columns)} from {relation}").fetchall()
    return sorted((tuple(_value(v) for v in row) for row in rows), key=repr)


def test_every_mart_on_spark_equals_duckdbs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    write_landing(home)
    # The loader, the build and the close on DuckDB: closed months are in the raw layer.
    run_mau(home, "run")
    settings = load_settings(
        home, environ={"MAU_PSEUDONYM_KEY": TEST_KEY, "MAU_SPARK_MASTER": "local[2]"}
    )
    written = write_raw_layer(settings)
    assert written["raw.event_lines"] > 0 and written["billing.month_closes"] > 0

    build = ("build", "--exclude", "package:dbt_project_evaluator", "--vars", AS_OF)
    on_duckdb = run_dbt(settings.warehouse_path, *build, target=tmp_path / "duckdb-target")
    assert on_duckdb.returncode == 0, on_duckdb.stdout[-3000:]
    on_spark = run_dbt(
        settings.warehouse_path,
        *build,
        target=tmp_path / "spark-target",
        env=settings.spark_dbt_env(),
    )
    assert on_spark.returncode == 0, on_spark.stdout[-3000:]
    # The same tests passed on both: unit tests of every counting rule included.
    for result in (on_duckdb, on_spark):
        assert " ERROR=0 " in result.stdout and "PASS=" in result.stdout

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    marts = [name for (name,) in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall()]  # fmt: skip
    assert "fct_tenant_monthly_usage" in marts and len(marts) >= 15
    compared = {}
    for mart in marts:
        columns = [
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ? order by ordinal_position",
                [mart],
            ).fetchall()
            if name != BUILD_STAMP and name not in CLOCK_COLUMNS.get(mart, set())
        ]
        spark_files = settings.spark_warehouse_dir / "marts.db" / mart / "*.parquet"
        duckdb_rows = _rows(con, f"marts.{mart}", columns)
        spark_rows = _rows(con, f"read_parquet('{spark_files}')", columns)
        assert spark_rows == duckdb_rows, mart
        compared[mart] = len(duckdb_rows)
    # The story's figures are there to compare, not empty tables.
    assert compared["fct_tenant_monthly_usage"] > 0
    assert compared["fct_tenant_daily_usage"] > 0
    assert compared["fct_quarantine_by_reason"] > 0
