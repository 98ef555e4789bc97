"""Publishing: the marts are copied to the read-only serving file after every check passed."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset
from dagster_dbt import get_asset_key_for_model

from mau_warehouse.warehouse import connect_writer, publish
from orchestration.assets.transformation import mau_dbt_models
from orchestration.checks import assets_with_blocking_checks
from orchestration.resources import MauHome
from orchestration.retries import transient_retry

PUBLISHED_MARTS = (
    "fct_tenant_monthly_usage",
    "dim_tenants",
    "dim_plans",
    "fct_quarantine_by_reason",
    "fct_file_loads",
    "fct_duplicate_events",
    "fct_excluded_traffic",
    "fct_unattributed_usage",
    "fct_freshness",
    "fct_tenant_daily_usage",
    "fct_usage_alerts",
    "fct_upgrade_outreach",
    "fct_late_adjustments",
    "fct_projection_backtest",
    "fct_projection_error_by_day",
    "fct_projection_alert_backtest",
)


@asset(
    # The checked intermediate models are deps too, so that their blocking checks hold
    # publication back (orchestration/checks.py says why).
    deps=list(
        dict.fromkeys(
            [
                *(get_asset_key_for_model([mau_dbt_models], name) for name in PUBLISHED_MARTS),
                AssetKey("billing_snapshot"),
                *assets_with_blocking_checks(),
            ]
        )
    ),
    group_name="serving",
    retry_policy=transient_retry,
    kinds={"duckdb"},
    description=(
        "Read-only copy of the marts that dashboards, `mau report` and alert delivery read. "
        "Replaced atomically, and only when the blocking checks upstream passed (SPEC §7)."
    ),
)
def published_marts(context: AssetExecutionContext, mau_home: MauHome) -> MaterializeResult:
    settings = mau_home.settings()
    con = connect_writer(settings)
    try:
        path = publish(con, settings)
    finally:
        con.close()
    context.log.info(f"published marts to {path.name}")
    return MaterializeResult(metadata={"serving_file": path.name})
