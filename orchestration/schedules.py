"""Schedules: month-to-date figures every hour (P3), a daily close check (R16) and the
daily retention purge (R17)."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from mau_warehouse.config import load_settings
from orchestration.jobs import mau_pipeline, retention_purge

# Read when the definitions load: a schedule's cron is part of its definition.
SETTINGS = load_settings()

hourly_refresh = ScheduleDefinition(
    name="hourly_refresh",
    job=mau_pipeline,
    cron_schedule=SETTINGS.refresh_cron,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Refresh month-to-date usage every hour (MAU_REFRESH_CRON overrides).",
)

# Months close 72 hours after they end (R16) whether or not the hourly refresh is on:
# a deployment that turns it off, or refreshes only on new files, still closes on time.
daily_close = ScheduleDefinition(
    name="daily_close",
    job=mau_pipeline,
    cron_schedule=SETTINGS.close_cron,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    tags={"mau/trigger": "daily_close"},
    description=(
        "Run the pipeline once a day so that months due to close are closed and frozen "
        "(R16) even when the hourly refresh is off (MAU_CLOSE_CRON overrides)."
    ),
)

daily_retention = ScheduleDefinition(
    name="daily_retention",
    job=retention_purge,
    cron_schedule=SETTINGS.retention_cron,
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description=(
        "Purge raw events and quarantine rows past MAU_RETENTION_MONTHS (R17) once a day "
        "(MAU_RETENTION_CRON overrides)."
    ),
)
