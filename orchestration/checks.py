"""Great Expectations suites as Dagster asset checks; blocking suites stop what is downstream.

Each suite is an asset check of the table it queries: a dbt model (asset key from the
dbt manifest) or a plain Dagster asset such as `billing_snapshot`. The suites whose
tables one step builds run together in one step after it, with one Great Expectations
context and one Data Docs build (GX is imported when the step runs, not when the
definitions load): each suite is still its own asset check, with its own result and
metadata.

Dagster only holds back the assets that read a checked asset directly. The dbt models
downstream of a checked intermediate model are built in the same dbt step, before any
check has run, so the assets that must wait for every blocking check (the close and
publishing) depend on `assets_with_blocking_checks()`.
"""

from collections import defaultdict
from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    Config,
    MetadataValue,
    multi_asset_check,
)
from dagster_dbt import get_asset_key_for_model

from data_quality.outcomes import Failure, data_docs_url
from data_quality.recount_scope import RecountPlan, plan_recount, record_recount
from data_quality.status import record_outcome
from data_quality.suites import (
    RECONCILIATION,
    DagsterAsset,
    DbtModel,
    Suite,
    all_suites,
    reconciliation_suite,
)
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


class ChecksConfig(Config):
    """Run configuration of a checks step (the launchpad shows it)."""

    full_recount: bool = False
    """Recount every open tenant-month, not only what this run's lines changed
    (data_quality/recount_scope.py); MAU_FULL_RECOUNT=1 asks for it on every run."""


def _scoped(suites: list[Suite], plan: RecountPlan | None) -> list[Suite]:
    """The suites, with the recount limited to the plan's tenant-months."""
    if plan is None:
        return suites
    return [
        reconciliation_suite(plan.since_load_id) if suite.name == RECONCILIATION else suite
        for suite in suites
    ]


def _checks_for(step: str, suites: list[Suite]) -> AssetChecksDefinition:
    keys = {suite.name: _asset_key(suite.target) for suite in suites}
    specs = [
        AssetCheckSpec(
            name=_check_name(suite),
            asset=keys[suite.name],
            blocking=suite.blocking,
            description=(
                f"Great Expectations suite '{suite.name}' on {suite.schema}.{suite.table}."
            ),
        )
        for suite in suites
    ]

    @multi_asset_check(
        name=f"gx_suites_on_{step}",
        specs=specs,
        description=f"Great Expectations suites on the tables that {step} builds.",
    )
    def _check(mau_home: MauHome, config: ChecksConfig) -> Iterator[AssetCheckResult]:
        from data_quality.validate import run_suites

        settings = mau_home.settings()
        plan = None
        if any(suite.name == RECONCILIATION for suite in suites):
            plan = plan_recount(settings, full=config.full_recount or settings.full_recount)
        outcomes = run_suites(settings, _scoped(suites, plan))
        for suite, outcome in zip(suites, outcomes, strict=True):
            record_outcome(settings, outcome)
            scope = {}
            if plan is not None and suite.name == RECONCILIATION:
                record_recount(settings, plan, passed=outcome.success)
                scope = {"recounted": plan.describe()}
            yield AssetCheckResult(
                asset_key=keys[suite.name],
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
                    **scope,
                },
            )

    return _check


def _step(target: DbtModel | DagsterAsset) -> str:
    """The step that builds the target: every dbt model comes from the one dbt step."""
    match target:
        case DbtModel():
            return "dbt_models"
        case DagsterAsset(key=key):
            return key


def build_checks() -> list[AssetChecksDefinition]:
    by_step: dict[str, list[Suite]] = defaultdict(list)
    for suite in all_suites():
        by_step[_step(suite.target)].append(suite)
    return [_checks_for(step, suites) for step, suites in by_step.items()]


def assets_with_blocking_checks() -> list[AssetKey]:
    """Assets with a blocking check; an asset that depends on them waits for those checks."""
    return list(dict.fromkeys(_asset_key(suite.target) for suite in all_suites() if suite.blocking))
