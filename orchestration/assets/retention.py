"""R17 retention as a scheduled asset: raw rows past the retention period are purged.

It runs in its own job (`retention_purge`, daily), outside the hourly pipeline: the
purge records what it removed, and the pipeline's next dbt build is then a full
refresh from what is left (mau_warehouse/privacy/rebuild.py). One run at a time
(dagster.yaml), so it never competes with the pipeline for the warehouse.
"""

from datetime import UTC, datetime

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from mau_warehouse.privacy.retention import purge_expired, retention_cutoff
from mau_warehouse.warehouse import connect_writer
from orchestration.assets.erasure import PRIVACY_GROUP
from orchestration.resources import MauHome
from orchestration.retries import transient_retry


@asset(
    name="raw_retention",
    group_name=PRIVACY_GROUP,
    deps=[AssetKey(["sdk", "event_lines"]), AssetKey(["sdk", "quarantine"])],
    retry_policy=transient_retry,
    kinds={"duckdb"},
    description=(
        "Purge raw events and quarantine rows older than MAU_RETENTION_MONTHS whole months "
        "(default 13, R17); billing snapshots are kept."
    ),
)
def raw_retention(context: AssetExecutionContext, mau_home: MauHome) -> MaterializeResult:
    settings = mau_home.settings()
    cutoff = retention_cutoff(datetime.now(UTC).date(), settings.retention_months)
    con = connect_writer(settings)
    try:
        purge = purge_expired(con, cutoff)
    finally:
        con.close()
    context.log.info(f"kept everything from {cutoff:%Y-%m-%d}; purged {purge.removed}")
    return MaterializeResult(
        metadata={"kept_from": cutoff.isoformat()}
        | {f"purged_rows {table}": rows for table, rows in purge.removed.items()}
    )
