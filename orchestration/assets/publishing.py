"""Publishing: the marts are copied to the read-only serving file after every check passed."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset
from dagster_dbt import get_asset_key_for_model

from mau_warehouse.warehouse import PUBLISHED_SCHEMAS, connect_writer, publish
from orchestration.assets.transformation import mau_dbt_models
from orchestration.checks import assets_with_blocking_checks
from orchestration.dbt_project import parsed_manifest
from orchestration.resources import MauHome
from orchestration.retries import transient_retry


def published_models() -> list[str]:
    """The dbt models that publishing copies: every model the manifest puts in a
    published schema, so a new mart is served and waited for without a list to keep."""
    manifest = parsed_manifest()
    return sorted(
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] in PUBLISHED_SCHEMAS
    )


@asset(
    # The checked intermediate models are deps too, so that their blocking checks hold
    # publication back (orchestration/checks.py says why).
    deps=list(
        dict.fromkeys(
            [
                *(get_asset_key_for_model([mau_dbt_models], name) for name in published_models()),
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
