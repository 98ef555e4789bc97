"""Partitioned assets for backfills: one landing day, one billing month (see partitions.py)."""

from datetime import UTC, date, datetime

from dagster import AssetExecutionContext, MaterializeResult, asset

from mau_warehouse.billing.close import request_close
from mau_warehouse.ingest import ingest
from mau_warehouse.warehouse import connect_writer
from orchestration.partitions import billing_months, landing_days
from orchestration.resources import MauHome
from orchestration.retries import transient_retry

BACKFILL_GROUP = "backfills"


@asset(
    key=["sdk", "landing_day_loads"],
    partitions_def=landing_days,
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
    day = date.fromisoformat(context.partition_key)
    folder = settings.landing_dir / "events" / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
    results = ingest(settings, [folder], progress=context.log.info) if folder.is_dir() else []
    context.log.info(f"{day}: {len(results)} new file(s) loaded from {folder.name}")
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
    month = date.fromisoformat(context.partition_key)
    con = connect_writer(mau_home.settings())
    try:
        request_close(con, month, datetime.now(UTC))
    finally:
        con.close()
    context.log.info(f"close of {month:%Y-%m} requested; the next pipeline run freezes it")
    return MaterializeResult(metadata={"month": f"{month:%Y-%m}"})
