"""dbt models as Dagster assets: staging → intermediate → marts (R2–R18)."""

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, Config
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from mau_warehouse.privacy.rebuild import rebuild_due
from orchestration.dbt_project import WarehouseDbtCli, ensure_manifest, keep_parse
from orchestration.resources import MauHome


class LayeredTranslator(DagsterDbtTranslator):
    """Groups models by layer (staging, intermediate, marts, reference) in the UI."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "ingestion"
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return fqn[1] if len(fqn) > 2 else "dbt"


class DbtBuildConfig(Config):
    """Run configuration of the dbt step (the launchpad shows it)."""

    full_refresh: bool = False
    """Rebuild the incremental models from the raw layer instead of adding what changed
    (SPEC §6); needed after a change of the bot list or of a model's logic."""


# dbt's data tests run inside `dbt build`: a failing one fails the step, so nothing
# downstream (checks, close, publish) runs. They are not Dagster asset checks too: every
# check result is an event that Dagster stores with its own commit, and 210 of them
# doubled the cost of every run (measured: docs/benchmarks.md). The Great Expectations
# suites are the asset checks (orchestration/checks.py).
TRANSLATOR = LayeredTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=False))


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=TRANSLATOR)
def mau_dbt_models(
    context: AssetExecutionContext,
    dbt: WarehouseDbtCli,
    mau_home: MauHome,
    config: DbtBuildConfig,
):
    """Build every model and run every data test; a failing test fails the step.

    Event- and person-level models are incremental: a run adds what changed since their
    last build, so a new day costs about the same whatever the history. dbt unit tests
    pin the rules' logic on fixed inputs, not the day's data: they run in the test suite
    (tests/test_dbt.py), not on every production run.
    """
    settings = mau_home.settings()
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh or rebuild_due(settings):
        # An erasure or a retention purge removed raw lines since the last build (R17).
        context.log.info("full refresh: every model is rebuilt from the raw layer")
        args.append("--full-refresh")
    # profiles.yml reads the warehouse path, DuckDB's limits and the key from dbt's
    # environment: given to the dbt process alone, not set in this one.
    invocation = dbt.cli(
        args, env=settings.dbt_env(), context=context, saved_parse=settings.dbt_parse_path
    )
    yield from invocation.stream()
    keep_parse(invocation, settings.dbt_parse_path)
