"""Month close (R16) and the alert outbox (R12, R13): steps after the billing checks."""

from datetime import UTC, datetime

from dagster import AssetExecutionContext, MaterializeResult, asset
from dagster_dbt import get_asset_key_for_model

from mau_warehouse.billing.close import close_due_months
from mau_warehouse.notify.alerts import queue_new_alerts
from mau_warehouse.warehouse import connect_writer
from orchestration.assets.publishing import published_marts
from orchestration.assets.transformation import mau_dbt_models
from orchestration.resources import MauHome
from orchestration.retries import transient_retry


@asset(
    deps=[get_asset_key_for_model([mau_dbt_models], "fct_tenant_monthly_usage")],
    group_name="billing",
    retry_policy=transient_retry,
    kinds={"duckdb"},
    description=(
        "Closes tenant-months 72 hours after they end in the tenant's zone, or when "
        "closed by hand, and freezes their figures in billing.monthly_usage_snapshot "
        "(insert only, R16). Runs only after the blocking checks on the usage mart passed."
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
