"""`mau run`: the same Dagster job that the UI and the schedules launch, run in this process."""

from __future__ import annotations

import os

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError


def prepare_dagster_home(settings: Settings) -> None:
    """Runs are recorded under MAU_HOME so `mau ui` shows the runs `mau run` made."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        # One run at a time: DuckDB allows a single writing process, and the schedule,
        # the landing sensor and a click in the UI may all ask for a run at once.
        config.write_text("telemetry:\n  enabled: false\nrun_queue:\n  max_concurrent_runs: 1\n")
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
    os.environ["MAU_HOME"] = str(settings.home)


def run_pipeline(settings: Settings, *, full_refresh: bool = False) -> None:
    """Execute the pipeline job; raise a one-line MauError naming the failed steps.

    full_refresh rebuilds the incremental dbt models from the raw layer (SPEC §6).
    """
    settings.pseudonym_key()  # fail early, before Dagster starts, without a key
    if not settings.landing_dir.is_dir():
        raise MauError(
            f"landing folder {settings.landing_dir} does not exist: "
            "set MAU_HOME or run `mau generate`"
        )
    prepare_dagster_home(settings)
    from dagster import DagsterInstance

    from orchestration.definitions import defs
    from orchestration.jobs import PIPELINE_JOB_NAME

    job = defs.resolve_job_def(PIPELINE_JOB_NAME)
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={
                "loggers": {"console": {"config": {"log_level": "INFO"}}},
                "ops": {"mau_dbt_models": {"config": {"full_refresh": full_refresh}}},
            },
        )
    # A step runs every suite of its target: name the checks that failed, not only it.
    failed_checks = [
        evaluation.check_name
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed
    ]
    if not result.success:
        failed = [event.step_key for event in result.all_events if event.is_step_failure]
        checks = f" (failed checks: {', '.join(failed_checks)})" if failed_checks else ""
        raise MauError(
            f"run {result.run_id} failed at {', '.join(failed) or 'a step'}{checks}: "
            "see `mau ui` for its logs; published figures were left unchanged"
        )
    if failed_checks:
        raise MauError(
            f"run {result.run_id} finished but checks failed: {', '.join(failed_checks)}"
        )
