"""`mau run`: the same Dagster job that the UI and the schedules launch, run in this process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError
from mau_warehouse.notify.alerts import deliver_pending
from mau_warehouse.notify.outbox import DeliveryOutcome


def prepare_dagster_home(settings: Settings) -> None:
    """Runs are recorded under MAU_HOME so `mau ui` shows the runs `mau run` made."""
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    config = settings.dagster_home / "dagster.yaml"
    if not config.exists():
        # One run at a time: DuckDB allows a single writing process, and the schedule,
        # the landing sensor and a click in the UI may all ask for a run at once.
        config.write_text("telemetry:\n  enabled: false\nrun_queue:\n  max_concurrent_runs: 1\n")


@dataclass(frozen=True)
class RunSummary:
    """What a successful run did, for the few lines that end `mau run`."""

    files_loaded: int
    lines_quarantined: int
    unreadable_files: int
    checks_passed: int
    months_closed: int
    delivery: DeliveryOutcome
    log_file: Path | None

    def lines(self) -> list[str]:
        loaded = (
            f"loaded {self.files_loaded} files, {self.lines_quarantined:,} lines quarantined"
            + (f", {self.unreadable_files} files unreadable" if self.unreadable_files else "")
        )
        return [
            loaded,
            f"{self.checks_passed} data-quality checks passed; "
            f"{self.months_closed} tenant-months closed",
            self.delivery.summary(),
            *([f"full log: {self.log_file}"] if self.log_file else []),
        ]


@contextmanager
def _output_to(log_file: Path | None) -> Iterator[int | None]:
    """Send everything this process and its children print (Dagster, dbt, libraries) to
    log_file, and yield a descriptor of the terminal's stderr for progress lines; with no
    file, leave the output alone (`--verbose`)."""
    if log_file is None:
        yield None
        return
    import sys

    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    with log_file.open("ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield saved_err
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)


def run_pipeline(
    settings: Settings,
    *,
    full_refresh: bool = False,
    full_recount: bool = False,
    verbose: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RunSummary:
    """Execute the pipeline job, then deliver the alerts it queued (R12, R13); raise a
    one-line MauError naming the failed steps.

    full_refresh rebuilds the incremental dbt models from the raw layer (SPEC §6), and
    with full_recount checks every open tenant-month against the independent recount,
    not only what this run changed (data_quality/recount_scope.py).
    Without verbose, Dagster's and dbt's logs go to a file under MAU_HOME/logs and the
    terminal shows one line per finished step.
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
    from orchestration.resources import MauHome

    job = defs.resolve_job_def(PIPELINE_JOB_NAME)
    started = datetime.now(UTC)
    log_file = None if verbose else settings.logs_dir / f"run-{started:%Y%m%dT%H%M%SZ}.log"
    if progress is not None:
        progress("running the pipeline" + (f" (full log: {log_file})" if log_file else "") + "…")
    # The instance and the home are given explicitly, not through DAGSTER_HOME and
    # MAU_HOME: this process's environment stays as it was.
    with (
        _output_to(log_file) as terminal_fd,
        DagsterInstance.from_config(str(settings.dagster_home)) as instance,
    ):
        loggers: dict[str, object] = {"console": {"config": {"log_level": "INFO"}}}
        if terminal_fd is not None:
            loggers["step_progress"] = {"config": {"terminal_fd": terminal_fd}}
        result = job.execute_in_process(
            instance=instance,
            resources={"mau_home": MauHome(home=str(settings.home))},
            raise_on_error=False,
            run_config={
                "loggers": loggers,
                "ops": {
                    "mau_dbt_models": {"config": {"full_refresh": full_refresh}},
                    "gx_suites_on_dbt_models": {
                        "config": {"full_recount": full_recount or full_refresh}
                    },
                },
            },
        )
    logs = f"see {log_file} or `mau ui`" if log_file else "see `mau ui`"
    # A step runs every suite of its target: name the checks that failed, not only it.
    evaluations = result.get_asset_check_evaluations()
    failed_checks = [evaluation.check_name for evaluation in evaluations if not evaluation.passed]
    if not result.success:
        failed = [event.step_key for event in result.all_events if event.is_step_failure]
        checks = f" (failed checks: {', '.join(failed_checks)})" if failed_checks else ""
        raise MauError(
            f"run {result.run_id} failed at {', '.join(failed) or 'a step'}{checks}: "
            f"{logs}; published figures were left unchanged"
        )
    if failed_checks:
        raise MauError(
            f"run {result.run_id} finished but checks failed: {', '.join(failed_checks)}; {logs}"
        )
    metadata = {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }
    loads = metadata.get("sdk/event_lines", {})
    closes = metadata.get("billing_snapshot", {})
    # A run from cron has no sensor to send what it queued: it delivers itself, with the
    # sensor's outbox, so a send is claimed once whichever of them gets to it (P4).
    return RunSummary(
        files_loaded=_number(loads.get("files_loaded")),
        lines_quarantined=_number(loads.get("quarantined")),
        unreadable_files=_number(loads.get("unreadable_files")),
        checks_passed=len(evaluations),
        months_closed=_number(closes.get("newly_closed")),
        delivery=deliver_pending(settings),
        log_file=log_file,
    )


def _number(value: object) -> int:
    """An integer metadata value (Dagster wraps them), 0 when the step recorded none."""
    return int(getattr(value, "value", value) or 0)
