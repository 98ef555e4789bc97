"""Where a timed `mau run` spent its time, from the Dagster run it recorded (SPEC §6).

Every part but start-up is a step of the run, as Dagster timed it; start-up is the
rest of the process's wall time: starting Python, importing Dagster and dbt, loading
the definitions, and delivering the queued alerts after the run.
"""

from __future__ import annotations

from pathlib import Path

PARTS = ("start_up", "loader", "dbt", "checks", "close_publish")
# Erasure requests are read from the landing folder like any file: part of loading.
PART_OF_STEP = {"erasure_requests": "loader", "landing_files": "loader", "mau_dbt_models": "dbt"}


def _part(step_key: str) -> str:
    if step_key.startswith("gx_suites_on_"):
        return "checks"
    return PART_OF_STEP.get(step_key, "close_publish")


def run_shares(home: Path, wall_seconds: float) -> dict[str, float]:
    """Seconds per part of the latest run recorded under `home`; empty without one."""
    from dagster import DagsterInstance

    instance = DagsterInstance.from_config(str(home / "dagster"))
    try:
        runs = instance.get_runs(limit=1)
        if not runs:
            return {}
        run_id = runs[0].run_id
        stats = instance.get_run_stats(run_id)
        seconds = dict.fromkeys(PARTS, 0.0)
        for step in instance.get_run_step_stats(run_id):
            if step.start_time is not None and step.end_time is not None:
                seconds[_part(step.step_key)] += step.end_time - step.start_time
        if stats.start_time is not None and stats.end_time is not None:
            seconds["start_up"] = max(0.0, wall_seconds - (stats.end_time - stats.start_time))
        return seconds
    finally:
        instance.dispose()


def describe(seconds: dict[str, float]) -> str:
    """`start_up 6.1 s, loader 11.0 s, …` for the table's detail column."""
    return ", ".join(f"{part} {seconds[part]:.1f} s" for part in PARTS if part in seconds)
