"""Proof that a cluster computes: a small job whose tasks must reach every worker."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlsplit

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError
from mau_warehouse.spark.cluster import workers
from mau_warehouse.spark.session import driver_session

TASKS_PER_CORE = 4


def tasks_per_worker(settings: Settings) -> dict[str, int]:
    """Run a job on the cluster and return, for each alive worker's id, how many tasks
    its executors ran, as the driver's REST API reports them."""
    alive = [worker for worker in workers(settings) if worker.state == "ALIVE"]
    if not alive:
        raise MauError(
            f"no Spark cluster answers at {settings.spark.master_ui_url}; "
            "`mau spark-cluster up` starts one"
        )
    session = driver_session(settings.spark.master_url, "mau-cluster-check")
    try:
        partitions = TASKS_PER_CORE * sum(worker.cores for worker in alive)
        session.range(0, 1_000_000, numPartitions=partitions).selectExpr("sum(id)").collect()
        context = session.sparkContext
        url = f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}/allexecutors"
        with urllib.request.urlopen(url, timeout=10) as reply:
            executors = json.load(reply)
    finally:
        session.stop()
    # An executor's log links point at the web UI of the worker that runs it.
    worker_by_ui = {urlsplit(worker.ui_url).netloc: worker.worker_id for worker in alive}
    tasks = dict.fromkeys(worker_by_ui.values(), 0)
    for executor in executors:
        log_url = executor.get("executorLogs", {}).get("stdout")
        if executor["id"] != "driver" and log_url:
            worker_id = worker_by_ui.get(urlsplit(log_url).netloc)
            if worker_id is not None:
                tasks[worker_id] += int(executor["totalTasks"])
    return tasks
