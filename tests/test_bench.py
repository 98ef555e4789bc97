"""`mau bench` keeps working (SPEC §6): a tiny workload through every kind of step.

Timings are reported, never asserted: speed is what the benchmark measures, on a
quiet machine (docs/benchmarks.md), not what a shared test machine can promise.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mau_warehouse.tools.bench.measure import Measurement
from mau_warehouse.tools.bench.report import render, rows
from mau_warehouse.tools.bench.steps import StepResult
from tests.conftest import MAU

FIELDS = {"workload", "step", "seconds", "peak_rss_mb", "ratio_to_limit"}


def run(seconds: float, peak: float) -> Measurement:
    return Measurement(seconds, peak, "", "")


def test_rows_report_medians_worst_memory_and_the_ratio_to_the_limit_query() -> None:
    results = [
        StepResult("S", "generate", [run(2.0, 300)], "500,000 events/s"),
        StepResult("S", "limit_query", [run(1.0, 100), run(3.0, 90), run(2.0, 95)]),
        StepResult("S", "pipeline", [run(5.0, 900), run(7.0, 1500), run(6.0, 800)]),
    ]

    by_step = {row["step"]: row for row in rows(results)}

    assert by_step["limit_query"]["seconds"] == 2.0  # the median of 1, 3 and 2
    assert by_step["limit_query"]["ratio_to_limit"] == 1.0
    assert by_step["pipeline"] | {"detail": "", "parts": {}} == {
        "workload": "S",
        "step": "pipeline",
        "seconds": 6.0,
        "peak_rss_mb": 1500.0,  # the worst run: memory is a ceiling
        "ratio_to_limit": 3.0,
        "repetitions": 3,
        "detail": "",
        "parts": {},
    }
    assert by_step["generate"]["ratio_to_limit"] is None
    table = render(rows(results), "table").splitlines()
    assert table[0].split()[:5] == ["workload", "step", "seconds", "peak_rss_mb", "ratio_to_limit"]
    assert "3.00" in table[3]


def test_parts_of_a_run_are_the_medians_over_its_repetitions() -> None:
    parts = [
        {"start_up": 5.0, "loader": 10.0, "dbt": 20.0, "checks": 8.0, "close_publish": 1.0},
        {"start_up": 7.0, "loader": 12.0, "dbt": 30.0, "checks": 6.0, "close_publish": 1.0},
        {"start_up": 6.0, "loader": 11.0, "dbt": 25.0, "checks": 7.0, "close_publish": 1.0},
    ]
    result = StepResult("S", "pipeline", [run(44.0, 1), run(56.0, 1), run(50.0, 1)], "", parts)

    [row] = rows([result])

    assert row["parts"] == {
        "start_up": 6.0, "loader": 11.0, "dbt": 25.0, "checks": 7.0, "close_publish": 1.0
    }  # fmt: skip
    assert "dbt 25.0 s" in render([row], "table")


@pytest.mark.slow
def test_bench_on_the_tiny_workload_reports_every_step_as_json(tmp_path: Path) -> None:
    # The new-day steps run the pipeline step's code on prepared homes, at two more
    # pipeline runs each: the suite's time budget leaves them to `mau bench` itself.
    steps = "pipeline,dashboards"
    done = subprocess.run(
        [
            *(MAU, "bench", "--workload", "tiny", "--repetitions", "1", "--steps", steps),
            *("--cache", str(tmp_path / "bench"), "--format", "json"),
            *("--plot", str(tmp_path / "growth.svg")),
        ],
        env={**os.environ, "MAU_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    report = json.loads(done.stdout)  # standard output holds the JSON document only

    assert all(row.keys() >= FIELDS for row in report)
    by_step = {(row["workload"], row["step"]): row for row in report}
    assert by_step["tiny", "limit_query"]["ratio_to_limit"] == 1.0
    for step in ("pipeline",):
        row = by_step["tiny", step]
        assert row["seconds"] > 0 and row["peak_rss_mb"] > 0
        # each part of the run as Dagster timed it, start-up the rest of the wall time
        assert row["parts"].keys() == {"start_up", "loader", "dbt", "checks", "close_publish"}
        assert 0 < row["parts"]["dbt"] < row["seconds"]
        assert sum(row["parts"].values()) == pytest.approx(row["seconds"], rel=0.05)
        assert row["ratio_to_limit"] == pytest.approx(
            row["seconds"] / by_step["tiny", "limit_query"]["seconds"], rel=0.01
        )
    assert "events/s" in by_step["tiny", "generate"]["detail"]
    pages = {step for workload, step in by_step if workload.startswith("1000 tenants")}
    assert pages == {
        f"page: {page} ({kind})"
        for page in ("My usage", "Fleet limits", "Billing", "Data health")
        for kind in ("cold", "warm")
    }
    assert "run 1/1" in done.stderr  # progress goes to standard error
    plot = (tmp_path / "growth.svg").read_text(encoding="utf-8")
    assert plot.startswith("<svg") and "tiny: 20,000 events" in plot


def test_bench_on_spark_refuses_steps_that_do_not_run_there(tmp_path: Path) -> None:
    # On Spark only the build is timed (the loader, checks and close are DuckDB's): a
    # step it cannot time is refused before any workload is generated.
    cache = tmp_path / "bench"
    done = subprocess.run(
        [MAU, "bench", "--engine", "spark", "--steps", "new_day_1_month", "--cache", str(cache)],
        env={**os.environ, "MAU_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "--steps pipeline" in done.stderr
    assert not cache.exists()
