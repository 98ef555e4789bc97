"""A Spark driver in this process, reaching a cluster by its master URL (SPEC §8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mau_warehouse.spark.cluster import require_java

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Wait for every executor the cluster grants before the first task, so that work spreads
# over all workers instead of landing on whichever registered first.
EXECUTOR_WAIT = "60s"


def driver_session(master: str, app_name: str) -> SparkSession:
    """A session whose driver binds to 127.0.0.1 and, like dbt-spark's session method,
    keeps Spark's non-ANSI SQL so both sides of the engine read SQL alike."""
    require_java()
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.port", "0")
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.scheduler.minRegisteredResourcesRatio", "1.0")
        .config("spark.scheduler.maxRegisteredResourcesWaitingTime", EXECUTOR_WAIT)
        .getOrCreate()
    )
