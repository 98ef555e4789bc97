"""Great Expectations suites as Dagster asset checks; billing suites block publication."""

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    asset_check,
)
from dagster_dbt import get_asset_key_for_model

from data_quality.suites import Suite, all_suites
from data_quality.validate import run_suite
from orchestration.assets.transformation import mau_dbt_models
from orchestration.resources import MauHome


def _check_for(suite: Suite) -> AssetChecksDefinition:
    @asset_check(
        asset=get_asset_key_for_model([mau_dbt_models], suite.table),
        name=f"gx_{suite.name}",
        blocking=suite.blocking,
        description=f"Great Expectations suite '{suite.name}' on {suite.schema}.{suite.table}.",
    )
    def _check(mau_home: MauHome) -> AssetCheckResult:
        outcome = run_suite(mau_home.settings().warehouse_path, suite)
        return AssetCheckResult(
            passed=outcome.success,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "expectations": outcome.evaluated,
                "failed": len(outcome.failures),
                "failures": [
                    {
                        "expectation": f.expectation,
                        "description": f.description,
                        "unexpected": [str(row) for row in f.unexpected],
                        "error": f.error or "",
                    }
                    for f in outcome.failures
                ],
            },
        )

    return _check


def build_checks() -> list[AssetChecksDefinition]:
    return [_check_for(suite) for suite in all_suites()]
