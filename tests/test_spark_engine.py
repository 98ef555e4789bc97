"""The second engine (SPEC §8): the one dbt project, built on Spark from the same raw
layer, gives every mart figure DuckDB gives, for the hand-worked counting-rule story:
on Spark in dbt's own process, and on a standalone cluster of a master and two
workers, each its own JVM."""

from __future__ import annotations

import datetime
import decimal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from mau_warehouse.config import Settings, load_settings
from mau_warehouse.spark.cluster import master_state
from mau_warehouse.spark.raw_layer import write_raw_layer
from tests.conftest import MAU, TEST_KEY, free_port, mau_env, run_mau
from tests.dbt_helpers import run_dbt
from tests.test_counting_rules import write_landing

pytestmark = pytest.mark.slow

# Both engines count as of the same local day, after every month of the story ended.
AS_OF = '{as_of_date: "2025-12-15"}'
BUILD = ("build", "--exclude", "package:dbt_project_evaluator", "--vars", AS_OF)
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


@dataclass(frozen=True)
class Story:
    """The story loaded, closed and built on DuckDB, with its raw layer for Spark."""

    settings: Settings
    scratch: Path


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    scratch = tmp_path_factory.mktemp("spark-engine")
    home = scratch / "home"
    write_landing(home)
    # The loader, the build and the close on DuckDB: closed months are in the raw layer.
    run_mau(home, "run")
    settings = load_settings(home, environ={"MAU_PSEUDONYM_KEY": TEST_KEY})
    written = write_raw_layer(settings)
    assert written["raw.event_lines"] > 0 and written["billing.month_closes"] > 0
    on_duckdb = run_dbt(settings.warehouse_path, *BUILD, target=scratch / "duckdb-target")
    assert on_duckdb.returncode == 0, on_duckdb.stdout[-3000:]
    assert " ERROR=0 " in on_duckdb.stdout
    return Story(settings, scratch)


def _spark_env(story: Story, master: str, warehouse: Path) -> dict[str, str]:
    """dbt's `spark` target, driving `master` and writing into `warehouse`."""
    return story.settings.spark_dbt_env() | {
        "MAU_SPARK_MASTER": master,
        "MAU_SPARK_WAREHOUSE_DIR": str(warehouse),
    }


def _build_on_spark(story: Story, name: str, master: str) -> Path:
    """Build the project on Spark at `master` into a warehouse of its own; return it."""
    warehouse = story.scratch / f"{name}-warehouse"
    env = _spark_env(story, master, warehouse)
    on_spark = run_dbt(
        story.settings.warehouse_path, *BUILD, target=story.scratch / f"{name}-target", env=env
    )
    assert on_spark.returncode == 0, on_spark.stdout[-3000:]
    # The same tests passed as on DuckDB, the unit test of every counting rule included.
    assert " ERROR=0 " in on_spark.stdout and "unit_test" in on_spark.stdout
    return warehouse


def _assert_marts_equal_duckdbs(story: Story, spark_warehouse: Path) -> None:
    con = duckdb.connect(str(story.settings.warehouse_path), read_only=True)
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
        spark_files = spark_warehouse / "marts.db" / mart / "*.parquet"
        duckdb_rows = _rows(con, f"marts.{mart}", columns)
        spark_rows = _rows(con, f"read_parquet('{spark_files}')", columns)
        assert spark_rows == duckdb_rows, mart
        compared[mart] = len(duckdb_rows)
    # The story's figures are there to compare, not empty tables.
    assert compared["fct_tenant_monthly_usage"] > 0
    assert compared["fct_tenant_daily_usage"] > 0
    assert compared["fct_quarantine_by_reason"] > 0


def test_every_mart_on_local_spark_equals_duckdbs(story: Story) -> None:
    warehouse = _build_on_spark(story, "local", "local[2]")
    _assert_marts_equal_duckdbs(story, warehouse)

    # Parquet takes no constraints: on Spark the contracts' rules are a test, which
    # must catch a month whose MAU is not identified + anonymous (R8).
    folder = warehouse / "marts.db" / "fct_tenant_monthly_usage"
    con = duckdb.connect()
    con.execute(
        f"copy (select * replace (mau + 1 as mau) from read_parquet('{folder}/*.parquet') "
        f"limit 1) to '{folder}/part-broken.parquet' (format parquet)"
    )
    checked = run_dbt(
        story.settings.warehouse_path,
        "test",
        "--select",
        "test_name:contract_constraints_hold,fct_tenant_monthly_usage",
        target=story.scratch / "local-target",
        env=_spark_env(story, "local[2]", warehouse),
    )
    assert checked.returncode == 1, checked.stdout[-3000:]
    assert "FAIL 1 contract_constraints_hold_fct_tenant_monthly_usage" in checked.stdout


def _tasks_run(worker_dir: Path) -> int:
    """Tasks the executors of one worker ran, from their logs in its work folder."""
    return sum(
        log.read_text(errors="replace").count("Running task")
        for log in worker_dir.glob("app-*/*/stderr")
    )


def test_the_build_on_a_standalone_cluster_uses_both_workers(story: Story) -> None:
    cluster_home = story.scratch / "cluster-home"
    env = mau_env(cluster_home) | {
        "MAU_SPARK_MASTER_PORT": str(free_port()),
        "MAU_SPARK_UI_PORT": str(free_port()),
    }
    settings = load_settings(environ=env)
    started = subprocess.run([MAU, "spark-cluster", "up"], env=env, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    try:
        warehouse = _build_on_spark(story, "cluster", settings.spark.master_url)
        completed = master_state(settings)["completedapps"]
    finally:
        subprocess.run([MAU, "spark-cluster", "down"], env=env, capture_output=True)
    _assert_marts_equal_duckdbs(story, warehouse)
    # dbt's session was an application of the master, and both workers' executors ran its tasks.
    assert len(completed) == 1
    tasks = [_tasks_run(settings.spark_dir / f"worker-{n}") for n in (1, 2)]
    assert all(count > 0 for count in tasks), tasks
