"""Loggers: one line per finished step, for a person watching `mau run` in a terminal.

`mau run` sends Dagster's and dbt's full logs to a file under MAU_HOME; this logger
writes only the steps as they end to the terminal it is given, so a run reads as a
short list of steps rather than hundreds of log lines.
"""

from __future__ import annotations

import logging
import os

from dagster import DagsterEventType, InitLoggerContext, colored_console_logger, logger
from dagster._core.log_manager import get_log_record_metadata, has_log_record_metadata

# What a person reads for each step of the pipeline job; the other steps run checks.
STEP_LABELS = {
    "erasure_requests": "apply erasure requests",
    "landing_files": "load landing files",
    "mau_dbt_models": "build models (dbt)",
    "billing_snapshot": "close months",
    "published_marts": "publish figures",
    "alert_outbox": "queue alerts",
}
ENDING_EVENTS = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}


def step_label(step_key: str) -> str:
    """Plain words for a step: its label, or what its data-quality checks read."""
    if step_key in STEP_LABELS:
        return STEP_LABELS[step_key]
    built_by = step_key.removeprefix("gx_suites_on_").replace("_", " ")
    return f"data-quality checks on the {built_by}"


class StepLines(logging.Filter):
    """Keeps the records of steps that ended, and rewrites them as one plain line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not has_log_record_metadata(record):
            return False
        event = get_log_record_metadata(record)["dagster_event"]
        if event is None or event.event_type not in ENDING_EVENTS:
            return False
        label = step_label(event.step_key or "")
        if event.event_type == DagsterEventType.STEP_SUCCESS:
            seconds = event.step_success_data.duration_ms / 1000
            record.msg, record.args = f"  ✓ {label} ({seconds:.1f}s)", ()
        else:
            record.msg, record.args = f"  ✗ {label} failed", ()
        return True


@logger(
    config_schema={"terminal_fd": int},
    description="Writes one line per finished step to a terminal (`mau run` without --verbose).",
)
def step_progress(init_context: InitLoggerContext) -> logging.Logger:
    stream = os.fdopen(os.dup(init_context.logger_config["terminal_fd"]), "w", buffering=1)
    handler = logging.StreamHandler(stream)
    handler.addFilter(StepLines())
    handler.setFormatter(logging.Formatter("%(message)s"))
    progress = logging.Logger("mau.step_progress", logging.DEBUG)
    progress.addHandler(handler)
    return progress


# Every job keeps Dagster's console logger (the UI and schedules use it); `mau run`
# turns on step_progress through its run configuration.
LOGGERS = {"console": colored_console_logger, "step_progress": step_progress}
