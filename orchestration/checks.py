"""Great Expectations suites as Dagster asset checks; blocking suites stop what is downstream.

A suite is attached to its target: a dbt model (asset key from the dbt manifest)
or a plain Dagster asset such as `billing_snapshot`. The suites of one target run
in one step, with one Great Expectations context and one Data Docs build (GX is
imported when the step runs, not when the definitions load): each suite is still
its own asset check, with its own result and metadata.
"""

from collections import defaultdict
from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)
from dagster_dbt import get_asset_key_for_model

from data_quality.outcomes import Failure, data_docs_url
from data_quality.status import record_outcome
from data_quality.suites import DagsterAsset, DbtModel, Suite, all_suites
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


def _check_name(suite: Suite) -> str:
    return f"gx_{suite.name}"


def _failure_metadata(failure: Failure) -> dict[str, object]:
    return {
        "expectation": failure.expectation,
        "description": failure.description,
        "unexpected_count": failure.unexpected_count,
        "unexpected_rows": failure.unexpected[:METADATA_ROWS],
        "error": (failure.error or "")[:500],
    }


def _checks_for(asset_key: AssetKey, suites: list[Suite]) -> AssetChecksDefinition:
    specs = [
        AssetCheckSpec(
            name=_check_name(suite),
            asset=asset_key,
            blocking=suite.blocking,
            description=(
                f"Great Expectations suite '{suite.name}' on {suite.schema}.{suite.table}."
            ),
        )
        for suite in suites
    ]

    @multi_asset_check(
        name=f"gx_suites_on_{asset_key.path[-1]}",
        specs=specs,
        description=f"Great Expectations suites guarding {asset_key.to_user_string()}.",
    )
    def _check(mau_home: MauHome) -> Iterator[AssetCheckResult]:
        from data_quality.validate import run_suites

        settings = mau_home.settings()
        for suite, outcome in zip(suites, run_suites(settings, suites), strict=True):
            record_outcome(settings, outcome)
            yield AssetCheckResult(
                asset_key=asset_key,
                check_name=_check_name(suite),
                passed=outcome.success,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "expectations": outcome.evaluated,
                    "failed": len(outcome.failures),
                    "failures": MetadataValue.json(
                        [_failure_metadata(failure) for failure in outcome.failures]
                    ),
                    "data_docs": MetadataValue.url(data_docs_url(settings)),
                },
            )

    return _check


def build_checks() -> list[AssetChecksDefinition]:
    by_target: dict[AssetKey, list[Suite]] = defaultdict(list)
    for suite in all_suites():
        by_target[_asset_key(suite.target)].append(suite)
    return [_checks_for(key, suites) for key, suites in by_target.items()]
