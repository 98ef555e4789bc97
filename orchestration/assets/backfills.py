"""Partitioned assets for backfills: one landing day, one billing month (see partitions.py)."""

import warnings
from datetime import UTC, date, datetime

from dagster import AssetExecutionContext, BackfillPolicy, BetaWarning, MaterializeResult, asset

from mau_warehouse.billing.close import request_close
from mau_warehouse.ingest import ingest
from mau_warehouse.warehouse import connect_writer
from orchestration.partitions import billing_months, landing_days
from orchestration.resources import MauHome
from orchestration.retries import transient_retry

BACKFILL_GROUP = "backfills"
# A backfill over many days or months is one run, not one run per partition: runs
# queue one at a time (single writer), and the hourly refresh should not wait behind
# a run per day of a quarter.
ONE_RUN = BackfillPolicy.single_run()
# Dagster marks the parameter beta; without this every `mau run` prints two warnings.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=BetaWarning)


@asset(
    key=["sdk", "landing_day_loads"],
    partitions_def=landing_days,
    backfill_policy=ONE_RUN,
    group_name=BACKFILL_GROUP,
    retry_policy=transient_retry,
    kinds={"duckdb"},
    description=(
        "Loads the event files of one landing day (landing/events/YYYY/MM/DD/) into the "
        "raw layer. Backfill a range of days after their files were restored or "
        "replaced; files already loaded are skipped by content, so a backfill never "
        "counts anything twice (R2). The next pipeline run rebuilds the marts."
    ),
)
def landing_day_loads(context: AssetExecutionContext, mau_home: MauHome) -> MaterializeResult:
    settings = mau_home.settings()
    days = [date.fromisoformat(key) for key in context.partition_keys]
    folders = [
        settings.landing_dir / "events" / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}" for day in days
    ]
    present = [folder for folder in folders if folder.is_dir()]
    results = ingest(settings, present, progress=context.log.info) if present else []
    context.log.info(
        f"{days[0]}..{days[-1]}: {len(present)} day folder(s), {len(results)} new file(s) loaded"
    )
    return MaterializeResult(
        metadata={
            "new_files": len(results),
            "accepted": sum(r.accepted for r in results),
            "duplicates": sum(r.duplicates for r in results),
            "quarantined": sum(sum(r.quarantined.values()) for r in results),
        }
    )


@asset(
    key=["billing", "month_close_requests"],
    partitions_def=billing_months,
    backfill_policy=ONE_RUN,
    group_name=BACKFILL_GROUP,
    retry_policy=transient_retry,
    kinds={"duckdb"},
    description=(
        "Asks for one month to be closed by hand for every tenant, like `mau close` "
        "(R16). The pipeline's billing_snapshot step freezes it on its next run, after "
        "the blocking checks passed, so only verified figures are ever frozen."
    ),
)
def month_close_requests(context: AssetExecutionContext, mau_home: MauHome) -> MaterializeResult:
    months = [date.fromisoformat(key) for key in context.partition_keys]
    con = connect_writer(mau_home.settings())
    try:
        for month in months:
            request_close(con, month, datetime.now(UTC))
    finally:
        con.close()
    names = ", ".join(f"{month:%Y-%m}" for month in months)
    context.log.info(f"close of {names} requested; the next pipeline run freezes them")
    return MaterializeResult(metadata={"months": names})
