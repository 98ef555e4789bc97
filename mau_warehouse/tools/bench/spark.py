"""`mau bench --engine spark`: the build on Spark (SPEC §8), timed beside the limit query.

The loader, the checks and the close still run on DuckDB, so the step Spark is timed
on is `mau spark-build` (the raw layer written as Parquet, then `dbt build` on Spark
at MAU_SPARK_MASTER), on a home that `mau run` loaded once, untimed. Each repetition
starts from no Spark warehouse, as a first build does.
"""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

from mau_warehouse.config import load_settings
from mau_warehouse.tools.bench import homes
from mau_warehouse.tools.bench.measure import Measurement, run_measured
from mau_warehouse.tools.bench.steps import Bench, StepResult
from mau_warehouse.tools.bench.workloads import Workload

STEP = "spark_build"


def spark_build(bench: Bench, workload: Workload, landing: Path) -> StepResult:
    home = bench.cache / "homes" / f"{workload.name}-spark"
    days = homes.day_folders(landing)
    marker = home / "loaded.txt"
    if not marker.exists() or marker.read_text() != str(days[-1]):
        bench.say(f"{workload.name} {STEP}: loading {len(days)} days with `mau run` (not timed)")
        homes.fresh_home(home)
        homes.link_landing(landing, home, days)
        run_measured([bench.mau, "run"], bench.home_env(home))
        marker.write_text(str(days[-1]))
    settings = load_settings(home, environ=bench.env)
    result = StepResult(workload.name, STEP)
    records: list[dict[str, object]] = []

    def run() -> Measurement:
        shutil.rmtree(settings.spark_dir, ignore_errors=True)
        measurement = run_measured([bench.mau, "spark-build"], bench.home_env(home))
        records.append(json.loads(settings.spark_build_record.read_text()))
        return measurement

    bench.repeat(result, run)
    raw = statistics.median(float(r["raw_layer_seconds"]) for r in records)
    dbt = statistics.median(float(r["dbt_seconds"]) for r in records)
    result.detail = (
        f"raw layer {raw:.1f} s, dbt build on Spark ({records[-1]['master']}) {dbt:.1f} s; "
        "loaded on DuckDB, not timed"
    )
    return result
