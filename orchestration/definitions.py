"""The single Definitions object of mau-warehouse, built from small modules."""

from dagster import Definitions

from orchestration.assets.backfills import landing_day_loads, month_close_requests
from orchestration.assets.billing import alert_outbox, billing_snapshot, month_closes
from orchestration.assets.erasure import erasure_requests
from orchestration.assets.ingestion import landing_files
from orchestration.assets.publishing import published_marts
from orchestration.assets.retention import raw_retention
from orchestration.assets.transformation import mau_dbt_models
from orchestration.checks import build_checks
from orchestration.jobs import close_months, mau_pipeline, reload_landing_days, retention_purge
from orchestration.loggers import LOGGERS
from orchestration.resources import build_resources
from orchestration.schedules import daily_close, daily_retention, hourly_refresh
from orchestration.sensors import alert_delivery, new_landing_files

defs = Definitions(
    assets=[
        erasure_requests,
        landing_files,
        mau_dbt_models,
        billing_snapshot,
        month_closes,
        published_marts,
        alert_outbox,
        landing_day_loads,
        month_close_requests,
        raw_retention,
    ],
    asset_checks=build_checks(),
    jobs=[mau_pipeline, reload_landing_days, close_months, retention_purge],
    schedules=[hourly_refresh, daily_close, daily_retention],
    sensors=[new_landing_files, alert_delivery],
    resources=build_resources(),
    loggers=LOGGERS,
)
