"""`mau spark-build`: the dbt project built on Spark from the loader's raw layer (SPEC §8).

The raw layer is written as Parquet first (raw_layer.py), then dbt builds every model
and seed on the `spark` target and runs every data test, as the DuckDB step does. The
counting rules' unit tests run too: they pin each rule on fixed inputs, which on DuckDB
the test suite does once, but on Spark they also prove that the cluster's Spark reads
the SQL as the tested one did. Each build leaves a record of what it did and how long
each part took in `$MAU_HOME/spark/build.json`, which `mau bench --engine spark` reads.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from mau_warehouse.config import DBT_EXECUTABLE, DBT_PROJECT_DIR, Settings
from mau_warehouse.errors import MauError
from mau_warehouse.spark.cluster import require_java
from mau_warehouse.spark.raw_layer import write_raw_layer

# dbt's own summary line: "Done. PASS=240 WARN=0 ERROR=0 SKIP=0 NO-OP=6 TOTAL=246".
SUMMARY = re.compile(r"Done\. (PASS=\d+ WARN=\d+ ERROR=\d+ SKIP=\d+(?: NO-OP=\d+)? TOTAL=\d+)")
# dbt's lines start with the time of day; Spark's own log lines with the date.
DBT_LINE = re.compile(r"^\d\d:\d\d:\d\d\s+")
# The reason Spark's JVM gives when it ends: 'Exception in thread "main" …Exception: …'.
JVM_EXCEPTION = re.compile(r"^Exception in thread \"\w+\" \S+Exception: (.+)")
# "1 of 246 ERROR creating …", "1 of 246 FAIL 3 …", "Runtime Error in model …"; not the
# summary's "ERROR=0".
ERROR_WORDS = re.compile(r"\b(?:ERROR|FAIL)\b(?!=)|\b[A-Z][a-z]+ Error\b")


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
        DBT_EXECUTABLE,
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
    ]


@contextmanager
def _one_build_at_a_time(settings: Settings) -> Iterator[None]:
    """Two builds on one home would write the same raw-layer folders and share Derby's
    single-process metastore: the second is refused in one line instead."""
    settings.spark_dir.mkdir(parents=True, exist_ok=True)
    with (settings.spark_dir / "build.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MauError(
                f"another `mau spark-build` is running on {settings.home}: wait for it to end"
            ) from None
        yield


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
    with _one_build_at_a_time(settings):
        # The record describes the last build that succeeded, or none.
        settings.spark_build_record.unlink(missing_ok=True)
        progress(f"building on Spark ({settings.spark.master}) from the raw layer…")
        started = time.perf_counter()
        written = write_raw_layer(settings)
        raw_seconds = time.perf_counter() - started
        summary, dbt_seconds, log_file = _dbt_build(settings, as_of_date)
        build = SparkBuild(
            master=settings.spark.master,
            as_of_date=as_of_date.isoformat() if as_of_date else None,
            raw_rows=sum(written.values()),
            raw_layer_seconds=round(raw_seconds, 3),
            dbt_seconds=round(dbt_seconds, 3),
            dbt_summary=summary,
            log_file=str(log_file),
        )
        settings.spark_build_record.write_text(json.dumps(asdict(build), indent=2) + "\n")
        return build


def _dbt_build(settings: Settings, as_of_date: date | None) -> tuple[str, float, Path]:
    """`dbt build` on the spark target, its output in a log of its own; return dbt's
    summary line, the seconds it took and the log."""
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    log_file = settings.logs_dir / f"spark-build-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"
    args = ["build", "--exclude", "package:dbt_project_evaluator"]
    if as_of_date is not None:
        args += ["--vars", json.dumps({"as_of_date": as_of_date.isoformat()})]
    target = settings.spark_dir / "dbt-target"
    results = target / "run_results.json"
    results.unlink(missing_ok=True)
    # Spark's artifacts and saved parse stay apart from the DuckDB step's. The DuckDB
    # warehouse's key is not passed: only the raw layer's Parquet is read.
    env = {
        **os.environ,
        "MAU_WAREHOUSE_PATH": str(settings.warehouse_path),
        **settings.spark_dbt_env(),
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(settings.spark_dir / "dbt-logs"),
        "DBT_USE_COLORS": "false",
    }
    env.pop("MAU_DBT_WAREHOUSE_KEY", None)
    started = time.perf_counter()
    with log_file.open("w") as log:
        finished = subprocess.run(
            _dbt_command(*args),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    seconds = time.perf_counter() - started
    output = log_file.read_text(errors="replace")
    summary = SUMMARY.findall(output)
    if finished.returncode != 0 or not summary:
        failure = failed_node(results) or first_dbt_error(output)
        raise MauError(f"dbt build on Spark failed: {failure}; see {log_file}")
    return summary[-1], seconds, log_file


def failed_node(results: Path) -> str | None:
    """The first node dbt records as failed, with the first line of its message."""
    if not results.exists():
        return None
    for result in json.loads(results.read_text()).get("results", []):
        if result.get("status") in {"error", "fail", "runtime error"}:
            name = result["unique_id"].split(".")[2]
            message = (result.get("message") or "").strip().splitlines()[:1]
            return f"{name} ({result['status']})" + (f": {message[0][:200]}" if message else "")
    return None


def first_dbt_error(output: str) -> str:
    """dbt's first line that names an error (or the message after its "Encountered an
    error:"), with the first exception Spark's JVM wrote to the same log; else dbt's
    last line."""
    lines = output.splitlines()
    message = None
    for number, line in enumerate(lines):
        if not DBT_LINE.match(line):
            continue
        text = DBT_LINE.sub("", line).strip()
        if text == "Encountered an error:":
            following = [rest.strip() for rest in lines[number + 1 :] if rest.strip()]
            message = following[0] if following else text
            break
        if ERROR_WORDS.search(text):
            message = text
            break
    if message is None:
        dbt_lines = [DBT_LINE.sub("", line).strip() for line in lines if DBT_LINE.match(line)]
        message = dbt_lines[-1] if dbt_lines else "dbt wrote no output"
    spark = next((m.group(1) for m in map(JVM_EXCEPTION.search, lines) if m), None)
    return (message[:200] + (f" (Spark: {spark[:150]})" if spark else "")).strip()
