"""The second engine (SPEC §8): the one dbt project, built on Spark from the same raw
layer, gives every mart figure DuckDB gives, for the hand-worked counting-rule story:
on Spark in dbt's own process (`mau spark-build`), and on a standalone cluster of a
master and two workers, each its own JVM."""

from __future__ import annotations

import datetime
import decimal
import json
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

# A Spark build of the story takes three to eleven minutes on two shared cores, and a
# test's time includes the module's setup (`mau run` and a DuckDB build): past the
# suite's 15-minute default under CI's load.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

# Both engines count as of the same local day, after every month of the story ended.
AS_OF_DATE = "2025-12-15"
AS_OF = f'{{as_of_date: "{AS_OF_DATE}"}}'
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
    """The story loaded and closed by `mau run`, then built on DuckDB as of AS_OF_DATE."""

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
    on_duckdb = run_dbt(
        settings.warehouse_path,
        *("build", "--exclude", "package:dbt_project_evaluator", "--vars", AS_OF),
        target=scratch / "duckdb-target",
    )
    assert on_duckdb.returncode == 0, on_duckdb.stdout[-3000:]
    assert " ERROR=0 " in on_duckdb.stdout
    return Story(settings, scratch)


def _spark_env(story: Story, master: str, warehouse: Path) -> dict[str, str]:
    """dbt's `spark` target, driving `master` and writing into `warehouse`."""
    return story.settings.spark_dbt_env() | {
        "MAU_SPARK_MASTER": master,
        "MAU_SPARK_WAREHOUSE_DIR": str(warehouse),
    }


def _build_on_cluster(story: Story, master: str) -> Path:
    """The models and seeds, built on the cluster at `master` from the story's raw
    layer, into a warehouse of its own; return it. The data and unit tests ran on
    Spark in the local build already: here the figures are what is compared."""
    warehouse = story.scratch / "cluster-warehouse"
    write_raw_layer(story.settings)
    on_cluster = run_dbt(
        story.settings.warehouse_path,
        *("build", "--exclude", "package:dbt_project_evaluator", "--vars", AS_OF),
        *("--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"),
        target=story.scratch / "cluster-target",
        env=_spark_env(story, master, warehouse),
    )
    assert on_cluster.returncode == 0, on_cluster.stdout[-3000:]
    assert " ERROR=0 " in on_cluster.stdout
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


def test_spark_build_refuses_a_home_with_nothing_loaded(tmp_path: Path) -> None:
    refused = run_mau(tmp_path, "spark-build", check=False)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "`mau run` loads the landing files" in refused.stderr
    assert not (tmp_path / "spark").exists()


def test_a_failed_spark_build_says_why_in_one_line_and_records_nothing(story: Story) -> None:
    env = mau_env(story.settings.home) | {"MAU_SPARK_MASTER": "no-such-master"}
    failed = subprocess.run(
        [MAU, "spark-build"], env=env, capture_output=True, text=True, timeout=600
    )
    assert failed.returncode == 1
    error = failed.stderr.splitlines()[-1]
    assert error.startswith("mau: error: dbt build on Spark failed: ")
    assert "see " in error and "spark-build-" in error
    assert "(Spark: " in error  # the JVM's own reason, from the same log
    assert not story.settings.spark_build_record.exists()


def test_every_mart_built_by_spark_build_equals_duckdbs(story: Story) -> None:
    env = mau_env(story.settings.home) | {"MAU_SPARK_MASTER": "local[2]"}
    built = subprocess.run(
        [MAU, "spark-build", "--as-of-date", AS_OF_DATE],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    # Every data test and the unit test of every counting rule passed on Spark too.
    record = json.loads(story.settings.spark_build_record.read_text())
    assert record["dbt_summary"] in built.stderr and record["as_of_date"] == AS_OF_DATE
    log = Path(record["log_file"]).read_text()
    assert "unit_test" in log and "r2_first_received_copy_wins" in log
    assert f"{record['raw_rows']:,} rows" in built.stderr
    # The months `mau run` closed reached Spark with the raw layer (R16).
    closes = story.settings.spark_raw_dir / "billing" / "month_closes"
    assert duckdb.sql(f"select count(*) from '{closes}/*.parquet'").fetchone()[0] > 0
    warehouse = story.settings.spark_warehouse_dir
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
        target=story.settings.spark_dir / "dbt-target",
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
        warehouse = _build_on_cluster(story, settings.spark.master_url)
        completed = master_state(settings)["completedapps"]
    finally:
        subprocess.run([MAU, "spark-cluster", "down"], env=env, capture_output=True)
    _assert_marts_equal_duckdbs(story, warehouse)
    # dbt's session was an application of the master, and both workers' executors ran its tasks.
    assert len(completed) == 1
    tasks = [_tasks_run(settings.spark_dir / f"worker-{n}") for n in (1, 2)]
    assert all(count > 0 for count in tasks), tasks
