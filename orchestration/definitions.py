"""The single Definitions object of mau-warehouse, built from small modules."""

from dagster import Definitions

from orchestration.assets.ingestion import landing_files
from orchestration.assets.publishing import published_marts
from orchestration.assets.transformation import mau_dbt_models
from orchestration.checks import build_checks
from orchestration.jobs import mau_pipeline
from orchestration.resources import build_resources
from orchestration.schedules import hourly_refresh

defs = Definitions(
    assets=[landing_files, mau_dbt_models, published_marts],
    asset_checks=build_checks(),
    jobs=[mau_pipeline],
    schedules=[hourly_refresh],
    resources=build_resources(),
)
