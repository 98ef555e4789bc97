"""dbt models as Dagster assets: staging → intermediate → marts (R2–R18)."""

from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.dbt_project import ensure_manifest
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


@dbt_assets(manifest=ensure_manifest(), dagster_dbt_translator=LayeredTranslator())
def mau_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, mau_home: MauHome):
    """Build every model and run every data test; a failing test fails the step.

    dbt unit tests pin the rules' logic on fixed inputs, not the day's data: they
    run in the test suite (tests/test_dbt.py), not on every production run.
    """
    mau_home.export_dbt_environment()
    yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context).stream()
