"""Month close (R16) and the alert outbox (R12, R13): steps after the billing checks."""

from datetime import UTC, datetime

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, asset
from dagster_dbt import get_asset_key_for_model, get_asset_keys_by_output_name_for_source

from mau_warehouse.billing.close import close_due_months
from mau_warehouse.notify.alerts import queue_new_alerts
from mau_warehouse.warehouse import connect_writer
from orchestration.assets.publishing import published_marts
from orchestration.assets.transformation import mau_dbt_models
from orchestration.checks import assets_with_blocking_checks
from orchestration.resources import MauHome
from orchestration.retries import transient_retry

BILLING_SNAPSHOT = AssetKey("billing_snapshot")

# Written by this module's close (automatic) and by `mau close` or the close_months
# backfill (by hand); dbt only reads it, so it is a dbt source that no step of the
# pipeline materializes.
[MONTH_CLOSES] = [
    key
    for key in get_asset_keys_by_output_name_for_source([mau_dbt_models], "billing_state").values()
    if key.path[-1] == "month_closes"
]
month_closes = AssetSpec(
    key=MONTH_CLOSES,
    group_name="billing",
    kinds={"duckdb"},
    description=(
        "billing.month_closes: one row per closed tenant-month, closed automatically 72 "
        "hours after the month ends in the tenant's zone (billing_snapshot) or by hand "
        "(`mau close`, backfill close_months). A closed month never reopens (R16)."
    ),
)


@asset(
    key=BILLING_SNAPSHOT,
    # Every blocking check but its own, which reads what this step froze: a failing one
    # leaves the month open rather than freezing figures nobody verified.
    deps=list(
        dict.fromkeys(
            [
                get_asset_key_for_model([mau_dbt_models], "fct_tenant_monthly_usage"),
                *(key for key in assets_with_blocking_checks() if key != BILLING_SNAPSHOT),
            ]
        )
    ),
    group_name="billing",
    retry_policy=transient_retry,
    kinds={"duckdb"},
    description=(
        "Closes tenant-months 72 hours after they end in the tenant's zone, or when "
        "closed by hand, and freezes their figures in billing.monthly_usage_snapshot "
        "(insert only, R16). Runs only after the blocking checks upstream passed."
    ),
)
def billing_snapshot(context: AssetExecutionContext, mau_home: MauHome) -> MaterializeResult:
    con = connect_writer(mau_home.settings())
    try:
        outcome = close_due_months(con, datetime.now(UTC))
        [(frozen,)] = con.execute("select count(*) from billing.monthly_usage_snapshot").fetchall()
    finally:
        con.close()
    context.log.info(f"closed {outcome.closed} tenant-months, froze {outcome.snapshotted}")
    return MaterializeResult(
        metadata={"newly_closed": outcome.closed, "frozen_tenant_months": frozen}
    )


@asset(
    deps=[published_marts],
    group_name="billing",
    retry_policy=transient_retry,
    kinds={"sqlite"},
    description=(
        "Queues alerts of the published fct_usage_alerts mart that are not in the outbox "
        "yet, with one pending delivery per configured channel; `mau run` sends them at its "
        "end, and the alert_delivery sensor while `mau ui` runs."
    ),
)
def alert_outbox(context: AssetExecutionContext, mau_home: MauHome) -> MaterializeResult:
    added, channels = queue_new_alerts(mau_home.settings())
    context.log.info(f"queued {added} new alerts for {', '.join(channels) or 'no channel'}")
    return MaterializeResult(metadata={"new_alerts": added, "channels": ", ".join(channels)})
