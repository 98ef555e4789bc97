"""The single Definitions object of mau-warehouse, built from small modules."""

from dagster import Definitions

from orchestration.assets.billing import alert_outbox, billing_snapshot
from orchestration.assets.ingestion import landing_files
from orchestration.assets.publishing import published_marts
from orchestration.assets.transformation import mau_dbt_models
from orchestration.checks import build_checks
from orchestration.jobs import mau_pipeline
from orchestration.resources import build_resources
from orchestration.schedules import hourly_refresh
from orchestration.sensors import alert_delivery, new_landing_files

defs = Definitions(
    assets=[landing_files, mau_dbt_models, billing_snapshot, published_marts, alert_outbox],
    asset_checks=build_checks(),
    jobs=[mau_pipeline],
    schedules=[hourly_refresh],
    sensors=[new_landing_files, alert_delivery],
    resources=build_resources(),
)
