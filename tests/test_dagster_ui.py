"""`mau ui`: the real Dagster webserver and daemon, driven through their GraphQL API.

The daemon's sensor starts a run for the landing files it finds; a second run is
launched through the webserver's API, as the UI's Materialize button does. Both must
succeed and publish the figures that `mau report` then prints.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import TypeVar

import pytest
from conftest import MAU, free_port, mau_env, run_mau, wait_until_healthy
from dagster_graphql import DagsterGraphQLClient

pytestmark = pytest.mark.slow

RUNS = """
query {
  runsOrError(filter: {pipelineName: "mau_pipeline"}) {
    ... on Runs { results { runId status startTime endTime tags { key value } } }
  }
}
"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def graphql(url: str, query: str) -> dict[str, object]:
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["data"]


def pipeline_runs(url: str) -> list[dict[str, object]]:
    return graphql(url, RUNS)["runsOrError"]["results"]


T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], seconds: float, what: str) -> T:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


@pytest.fixture
def dagster_ui(mau_home: Path) -> Iterator[tuple[str, int]]:
    run_mau(mau_home, "generate", "--tenants", "2", "--months", "1", "--events", "2000",
            "--start-month", "2026-10")  # fmt: skip
    port = free_port()
    # Schedules that cannot fire during the test (1 January, midnight), so the only
    # runs are the sensor's and the API's.
    quiet = {"MAU_REFRESH_CRON": "0 0 1 1 *", "MAU_CLOSE_CRON": "0 0 1 1 *"}
    server = subprocess.Popen(
        [MAU, "ui", "--port", str(port)],
        env={**mau_env(mau_home), **quiet},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the webserver, the daemon and their code servers
    )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/server_info", server, seconds=180)
        yield f"http://127.0.0.1:{port}", port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def test_the_sensor_and_the_api_both_run_the_pipeline(
    dagster_ui: tuple[str, int], mau_home: Path
) -> None:
    url, port = dagster_ui

    def sensor_run_finished() -> dict[str, object] | None:
        for run in pipeline_runs(url):
            tags = {tag["key"]: tag["value"] for tag in run["tags"]}
            if "mau/new_files" in tags and run["status"] in FINISHED:
                return run
        return None

    sensor_run = wait_for(sensor_run_finished, 420, "the sensor's run")
    assert sensor_run["status"] == "SUCCESS"
    serving = mau_home / "warehouse" / "serving.duckdb"
    first_publish = serving.stat().st_mtime_ns

    client = DagsterGraphQLClient("127.0.0.1", port_number=port)
    run_id = client.submit_job_execution("mau_pipeline", tags={"mau/test": "api"})
    status = wait_for(
        lambda: (s := client.get_run_status(run_id).value) in FINISHED and s,
        420,
        "the run launched through the API",
    )
    assert status == "SUCCESS"
    assert serving.stat().st_mtime_ns > first_publish

    # The queue let one run at a time touch the warehouse: no two runs overlapped.
    runs = sorted(pipeline_runs(url), key=lambda run: run["startTime"])
    assert {run["runId"] for run in runs} >= {sensor_run["runId"], run_id}
    for earlier, later in pairwise(runs):
        assert earlier["endTime"] <= later["startTime"]
    report = json.loads(
        run_mau(mau_home, "report", "--month", "2026-10", "--format", "json").stdout
    )
    assert len(report) == 2 and sum(row["mau"] for row in report) > 0
