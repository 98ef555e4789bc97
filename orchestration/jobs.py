"""Jobs: the pipeline that `mau run`, the UI and the schedules launch, two backfills and
the retention purge."""

from dagster import AssetSelection, define_asset_job, in_process_executor

from orchestration.assets.backfills import BACKFILL_GROUP, landing_day_loads, month_close_requests
from orchestration.assets.retention import raw_retention
from orchestration.partitions import billing_months, landing_days

PIPELINE_JOB_NAME = "mau_pipeline"

# In one process, steps run one after another: DuckDB allows a single writing
# process, and erasure, the loader, dbt, the checks and publishing all open the
# warehouse. Erasure requests are part of every run (R17); the retention purge has a
# job of its own.
mau_pipeline = define_asset_job(
    name=PIPELINE_JOB_NAME,
    selection=AssetSelection.all()
    - AssetSelection.groups(BACKFILL_GROUP)
    - AssetSelection.assets(raw_retention),
    executor_def=in_process_executor,
    description=(
        "Apply erasure requests, ingest new landing files, build every model, run every "
        "check, publish."
    ),
)

reload_landing_days = define_asset_job(
    name="reload_landing_days",
    selection=AssetSelection.assets(landing_day_loads),
    partitions_def=landing_days,
    executor_def=in_process_executor,
    description="Backfill: load the event files of the chosen landing days (skips known files).",
)

close_months = define_asset_job(
    name="close_months",
    selection=AssetSelection.assets(month_close_requests),
    partitions_def=billing_months,
    executor_def=in_process_executor,
    description=(
        "Backfill: request the close of the chosen months; the next pipeline run freezes them."
    ),
)

retention_purge = define_asset_job(
    name="retention_purge",
    selection=AssetSelection.assets(raw_retention),
    executor_def=in_process_executor,
    description="Purge raw rows past the retention period (R17); the next run rebuilds.",
)
