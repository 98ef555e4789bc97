"""Schedules: month-to-date figures refreshed every hour (P3)."""

import os

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import mau_pipeline

hourly_refresh = ScheduleDefinition(
    name="hourly_refresh",
    job=mau_pipeline,
    cron_schedule=os.environ.get("MAU_REFRESH_CRON", "0 * * * *"),
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Refresh month-to-date usage every hour (MAU_REFRESH_CRON overrides).",
)
