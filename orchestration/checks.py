"""Great Expectations suites as Dagster asset checks; blocking suites stop what is downstream.

A suite is attached to its target: a dbt model (asset key from the dbt manifest)
or a plain Dagster asset such as `billing_snapshot`.
"""

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)
from dagster_dbt import get_asset_key_for_model

from data_quality.status import record_outcome
from data_quality.suites import DagsterAsset, DbtModel, Suite, all_suites
from data_quality.validate import Failure, data_docs_index, run_suite
from orchestration.assets.transformation import mau_dbt_models
from orchestration.resources import MauHome

# Metadata stays small: a few offending rows per failing expectation name the
# tenant-months to look at; the Data Docs page holds the rest.
METADATA_ROWS = 5


def _asset_key(target: DbtModel | DagsterAsset) -> AssetKey:
    match target:
        case DbtModel(name=name):
            return get_asset_key_for_model([mau_dbt_models], name)
        case DagsterAsset(key=key):
            return AssetKey(key)


def _failure_metadata(failure: Failure) -> dict[str, object]:
    return {
        "expectation": failure.expectation,
        "description": failure.description,
        "unexpected_count": failure.unexpected_count,
        "unexpected_rows": failure.unexpected[:METADATA_ROWS],
        "error": (failure.error or "")[:500],
    }


def _check_for(suite: Suite) -> AssetChecksDefinition:
    @asset_check(
        asset=_asset_key(suite.target),
        name=f"gx_{suite.name}",
        blocking=suite.blocking,
        description=f"Great Expectations suite '{suite.name}' on {suite.schema}.{suite.table}.",
    )
    def _check(mau_home: MauHome) -> AssetCheckResult:
        settings = mau_home.settings()
        outcome = run_suite(settings, suite)
        record_outcome(settings, outcome)
        return AssetCheckResult(
            passed=outcome.success,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "expectations": outcome.evaluated,
                "failed": len(outcome.failures),
                "failures": MetadataValue.json(
                    [_failure_metadata(failure) for failure in outcome.failures]
                ),
                "data_docs": MetadataValue.path(str(data_docs_index(settings))),
            },
        )

    return _check


def build_checks() -> list[AssetChecksDefinition]:
    return [_check_for(suite) for suite in all_suites()]
