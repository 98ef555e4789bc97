"""The one pipeline job: what `mau run`, the UI and the schedule all launch."""

from dagster import AssetSelection, define_asset_job, in_process_executor

PIPELINE_JOB_NAME = "mau_pipeline"

# In one process, steps run one after another: DuckDB allows a single writing
# process, and the loader, dbt, the checks and publishing all open the warehouse.
mau_pipeline = define_asset_job(
    name=PIPELINE_JOB_NAME,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest new landing files, build every model, run every check, publish.",
)
