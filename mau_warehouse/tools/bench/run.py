"""Running the asked workloads and steps of `mau bench` in order."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, get_args

from mau_warehouse.config import Settings
from mau_warehouse.tools.bench.report import rows
from mau_warehouse.tools.bench.spark import spark_build
from mau_warehouse.tools.bench.steps import (
    HISTORIES,
    Bench,
    Progress,
    StepResult,
    dashboard_pages,
    pipeline,
    run_workload,
)
from mau_warehouse.tools.bench.workloads import WORKLOADS, ensure_workload

STEPS = ("pipeline", *HISTORIES, "dashboards")
Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = get_args(Engine)
# A key of the bench's own: its homes are scratch, and the user's key stays untouched.
BENCH_KEY = "mau-bench-pseudonymization-key"


def _template_serving(bench: Bench, seed: int) -> Path:
    """A real published serving file to scale out: the tiny workload's, built if needed."""
    tiny = WORKLOADS["tiny"]
    home = bench.cache / "homes" / "tiny-pipeline"
    serving = home / "warehouse" / "serving.duckdb"
    if not serving.exists():
        generated = ensure_workload(bench.cache / "workloads", tiny, seed, bench.mau, bench.env)
        pipeline(Bench(bench.cache, bench.env, 1, bench.say), tiny, generated.landing)
    return serving


def run_bench(
    settings: Settings,
    workloads: list[str],
    steps: list[str],
    repetitions: int,
    seed: int,
    say: Progress,
    cache: Path | None = None,
    engine: Engine = "duckdb",
) -> list[dict[str, object]]:
    """Run the asked workloads and steps; one row per (workload, step). On Spark the
    one step timed is the build (mau_warehouse/tools/bench/spark.py)."""
    env = {**os.environ, "MAU_PSEUDONYM_KEY": BENCH_KEY}
    bench = Bench(cache or settings.home / "bench", env, repetitions, say)
    results: list[StepResult] = []
    for name in workloads:
        if engine == "spark":
            workload = WORKLOADS[name]
            results.extend(run_workload(bench, workload, seed, []))
            generated = ensure_workload(bench.cache / "workloads", workload, seed, bench.mau, env)
            results.append(spark_build(bench, workload, generated.landing))
            continue
        results.extend(run_workload(bench, WORKLOADS[name], seed, steps))
    if "dashboards" in steps:
        results.extend(dashboard_pages(bench, _template_serving(bench, seed)))
    return rows(results)
