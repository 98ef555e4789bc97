"""`mau spark-build`: the dbt project built on Spark from the loader's raw layer (SPEC §8).

The raw layer is written as Parquet first (raw_layer.py), then dbt builds every model
and seed on the `spark` target and runs every data test, as the DuckDB step does. The
counting rules' unit tests run too: they pin each rule on fixed inputs, which on DuckDB
the test suite does once, but on Spark they also prove that the cluster's Spark reads
the SQL as the tested one did. Each build leaves a record of what it did and how long
each part took in `$MAU_HOME/spark/build.json`, which `mau bench --engine spark` reads.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from mau_warehouse.config import DBT_PROJECT_DIR, Settings
from mau_warehouse.errors import MauError
from mau_warehouse.spark.cluster import require_java
from mau_warehouse.spark.raw_layer import write_raw_layer

# dbt's own summary line: "Done. PASS=240 WARN=0 ERROR=0 SKIP=0 NO-OP=6 TOTAL=246".
SUMMARY = re.compile(r"Done\. (PASS=\d+ WARN=\d+ ERROR=\d+ SKIP=\d+(?: NO-OP=\d+)? TOTAL=\d+)")


@dataclass(frozen=True)
class SparkBuild:
    """What one build did: where it ran, dbt's counts, and the seconds of each part."""

    master: str
    as_of_date: str | None
    raw_rows: int
    raw_layer_seconds: float
    dbt_seconds: float
    dbt_summary: str
    log_file: str


def _dbt_command(*args: str) -> list[str]:
    return [
        str(Path(sys.executable).parent / "dbt"),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]


def build_on_spark(
    settings: Settings,
    as_of_date: date | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SparkBuild:
    """Write the raw layer and build the project on Spark; raise a one-line MauError
    naming dbt's failure and the log when a model, seed or test fails."""
    if not settings.warehouse_path.exists():
        raise MauError(
            f"no warehouse at {settings.warehouse_path}: `mau run` loads the landing files first"
        )
    require_java()
    progress(f"building on Spark ({settings.spark.master}) from the raw layer…")
    started = time.perf_counter()
    raw_rows = write_raw_layer(settings)
    raw_seconds = time.perf_counter() - started

    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_file = settings.logs_dir / f"spark-build-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"
    args = ["build", "--exclude", "package:dbt_project_evaluator"]
    if as_of_date is not None:
        args += ["--vars", json.dumps({"as_of_date": as_of_date.isoformat()})]
    # Spark's artifacts and saved parse stay apart from the DuckDB step's.
    env = {
        **settings.dbt_env(),
        **settings.spark_dbt_env(),
        "DBT_TARGET_PATH": str(settings.spark_dir / "dbt-target"),
        "DBT_LOG_PATH": str(settings.spark_dir / "dbt-logs"),
    }
    started = time.perf_counter()
    with log_file.open("w") as log:
        finished = subprocess.run(
            _dbt_command(*args),
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    dbt_seconds = time.perf_counter() - started
    output = log_file.read_text(errors="replace")
    summary = SUMMARY.findall(output)
    if finished.returncode != 0 or not summary:
        raise MauError(f"dbt build on Spark failed: {_first_error(output)}; see {log_file}")
    build = SparkBuild(
        master=settings.spark.master,
        as_of_date=as_of_date.isoformat() if as_of_date else None,
        raw_rows=sum(raw_rows.values()),
        raw_layer_seconds=round(raw_seconds, 3),
        dbt_seconds=round(dbt_seconds, 3),
        dbt_summary=summary[-1],
        log_file=str(log_file),
    )
    settings.spark_build_record.write_text(json.dumps(asdict(build), indent=2) + "\n")
    return build


def _first_error(output: str) -> str:
    """dbt's first line that names a failure, else its last line."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if re.search(r"\b(ERROR|FAIL)\b(?! ?=)", line) and "START" not in line:
            return re.sub(r"^\S*\d\d:\d\d:\d\d\S*\s+", "", line)[:300]
    return lines[-1][:300] if lines else "no output"
