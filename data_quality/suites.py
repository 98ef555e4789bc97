"""Expectation suites, kept as code: one suite per guarded table and concern.

Each suite names the warehouse table it reads (the batch; `{batch}` in a row
query stands for it), the Dagster asset its check is attached to, and whether a
failure blocks what comes downstream. Every expectation cites the rule of SPEC
§3 it protects, so a failing check says which promise was broken.

A suite never repeats a dbt test: grains, non-null columns and rules within a row
are dbt tests of the models, which fail the dbt step before any suite runs. The
suites hold what those do not: rules across rows and tables, the independent
recount, and the fingerprints of the frozen snapshots.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from data_quality.recount import materialize_recount
from mau_warehouse.config import DBT_PROJECT_DIR, Settings

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation


def status_thresholds() -> tuple[float, float]:
    """R12's status bands as fractions of mau_limit, read from the dbt vars
    `approaching_threshold` and `over_threshold` (dbt_project.yml) that the models use,
    so that the check and the mart cannot disagree on where a band starts."""
    import yaml

    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())
    return float(project["vars"]["approaching_threshold"]), float(project["vars"]["over_threshold"])


USAGE_MART = "fct_tenant_monthly_usage"


@dataclass(frozen=True)
class DbtModel:
    """A dbt model: its Dagster asset key comes from the dbt manifest."""

    name: str


@dataclass(frozen=True)
class DagsterAsset:
    """A Dagster asset that is not a dbt model, by its asset key."""

    key: str


@dataclass(frozen=True)
class Suite:
    """What a suite guards; its expectations are built when it is validated.

    `target` is the asset that builds `schema`.`table`, so the suite's Dagster check
    shows on the table it queries.

    Building them imports Great Expectations, which takes seconds: the Dagster
    definitions, loaded by every run, the UI and each sensor tick, list the suites
    as asset checks without paying for it.
    """

    name: str
    schema: str
    table: str
    target: DbtModel | DagsterAsset
    blocking: bool
    build: Callable[[], tuple[Expectation, ...]]
    # Written to the warehouse just before validation: what an expectation compares
    # with, computed once rather than once per query Great Expectations makes.
    prepare: Callable[[Settings], None] | None = None

    @property
    def expectations(self) -> tuple[Expectation, ...]:
        return self.build()


def _gx() -> ModuleType:
    import great_expectations

    return great_expectations


def _rows(query: str, description: str) -> Expectation:
    """An expectation that `query` returns no row; each returned row names an offender.

    GX substitutes `{batch}` with an aliased subquery, or an unaliased one when the
    query contains a join: a query that needs its own alias selects `{batch}` in a
    CTE first.
    """
    return _gx().expectations.UnexpectedRowsExpectation(
        unexpected_rows_query=query, description=description
    )


def file_loads_suite() -> Suite:
    """Per-file line conservation (R1): nothing a file brought was lost or counted twice."""
    loaded_event_files = "from {batch} where file_kind = 'events' and load_status = 'loaded'"
    counts = (
        "load_id, file_path, line_count, accepted_count, duplicate_count, quarantined_count, "
        "suppressed_count"
    )
    return Suite(
        name="file_loads_conservation",
        schema="marts",
        table="fct_file_loads",
        target=DbtModel("fct_file_loads"),
        blocking=True,
        build=lambda: (
            _rows(
                f"""
                select {counts}
                {loaded_event_files}
                    and line_count is distinct from
                        accepted_count + duplicate_count + quarantined_count + suppressed_count
                """,
                "R1: for every loaded events file, lines = accepted + duplicates + quarantined "
                "+ suppressed (lines of erased persons, R17).",
            ),
            _rows(
                f"""
                select {counts}, stored_event_line_count, removed_event_line_count
                {loaded_event_files}
                    and stored_event_line_count + removed_event_line_count
                        is distinct from accepted_count + duplicate_count
                """,
                "R1, R2: the warehouse holds every accepted and duplicate line of each "
                "loaded events file, or records its removal (R17): stored_event_line_count "
                "+ removed_event_line_count = accepted + duplicates.",
            ),
            _rows(
                f"""
                select {counts}, stored_quarantined_line_count, removed_quarantined_line_count
                {loaded_event_files}
                    and stored_quarantined_line_count + removed_quarantined_line_count
                        is distinct from quarantined_count
                """,
                "R1: every quarantined line of each loaded events file is kept, or its "
                "removal recorded (R17): stored_quarantined_line_count + "
                "removed_quarantined_line_count = quarantined_count.",
            ),
        ),
    )


def usage_suite() -> Suite:
    """Rules of the tenant × month usage mart that span rows (R10).

    The mart's grain, its non-null MAU and the rules within a row (R8, R9, R10's
    identified_mau ≤ known_users) are dbt tests of the model (its contract and
    `_usage__models.yml`): they fail the dbt step itself, so they are not repeated here.
    """
    return Suite(
        name="fct_tenant_monthly_usage",
        schema="marts",
        table="fct_tenant_monthly_usage",
        target=DbtModel(USAGE_MART),
        blocking=True,
        build=lambda: (
            _rows(
                """
                select tenant_id, month, known_users, previous_month, previous_known_users
                from (
                    select
                        tenant_id,
                        month,
                        known_users,
                        lag(month) over (partition by tenant_id order by month)
                            as previous_month,
                        lag(known_users) over (partition by tenant_id order by month)
                            as previous_known_users
                    from {batch}
                )
                where known_users < previous_known_users
                """,
                "R10: known_users never decreases from one month to the next of a tenant.",
            ),
        ),
    )


# The usage mart's open tenant-months in this run's scope against the independent
# recount (data_quality/recount.py), which the suite's prepare step wrote just before.
RECONCILIATION_QUERY = """
with
usage as (
    select * from {batch}
),
scope as (
    select * from quality.recount_scope
),
recount as (
    select * from quality.usage_recounts
),
open_usage as (
    select usage.*
    from usage
    inner join scope
        on usage.tenant_id = scope.tenant_id
        and usage.month = scope.month
    where not usage.is_closed
)
select
    coalesce(open_usage.tenant_id, recount.tenant_id) as tenant_id,
    coalesce(open_usage.month, recount.month) as month,
    open_usage.mau,
    coalesce(recount.mau, 0) as recounted_mau,
    open_usage.identified_mau,
    coalesce(recount.identified_mau, 0) as recounted_identified_mau,
    open_usage.anonymous_mau,
    coalesce(recount.anonymous_mau, 0) as recounted_anonymous_mau
from open_usage
full outer join recount
    on open_usage.tenant_id = recount.tenant_id
    and open_usage.month = recount.month
where open_usage.mau is distinct from coalesce(recount.mau, 0)
    or open_usage.identified_mau is distinct from coalesce(recount.identified_mau, 0)
    or open_usage.anonymous_mau is distinct from coalesce(recount.anonymous_mau, 0)
"""


RECONCILIATION = "usage_reconciliation"


def reconciliation_suite(since_load_id: int | None = None) -> Suite:
    """The usage mart against an independent recount from the staged events: of every
    open tenant-month, or of those that lines loaded after `since_load_id` can change."""
    return Suite(
        name=RECONCILIATION,
        schema="marts",
        table="fct_tenant_monthly_usage",
        target=DbtModel(USAGE_MART),
        blocking=True,
        prepare=lambda settings: materialize_recount(settings, since_load_id),
        build=lambda: (
            _rows(
                RECONCILIATION_QUERY,
                "R2, R4–R8, R18: for every month not closed yet (or those this run's "
                "lines can change, and those about to close), mau, identified_mau and "
                "anonymous_mau equal an independent recount from staging.stg_sdk__event_lines "
                "(first received copy, event time with clock skew removed, month in the "
                "tenant's zone, previews and bots excluded, events received after the "
                "month's close time left to late adjustments, anonymous ids stitched to "
                "their earliest linked user).",
            ),
        ),
    )


def billing_suite() -> Suite:
    """What an invoice reads from the usage mart: limits, status, overage, attribution."""
    approaching, over = status_thresholds()
    return Suite(
        name="usage_billing",
        schema="marts",
        table="fct_tenant_monthly_usage",
        target=DbtModel(USAGE_MART),
        blocking=True,
        build=lambda: (
            _rows(
                """
                select tenant_id, month, mau, mau_limit, overage_mau,
                    case
                        when mau_limit is null then 0 else greatest(0, mau - mau_limit)
                    end as expected_overage_mau
                from {batch}
                where overage_mau is distinct from (
                    case when mau_limit is null then 0 else greatest(0, mau - mau_limit) end
                )
                """,
                "R14: overage_mau = max(0, mau − mau_limit), and 0 without a limit.",
            ),
            _rows(
                """
                select tenant_id, month, plan_id, mau, mau_limit, utilization
                from {batch}
                where case
                    when plan_id is null or mau_limit is null or mau_limit = 0
                        then utilization is not null
                    else utilization is null
                        or abs(utilization - cast(mau as double) / mau_limit) > 1e-9
                end
                """,
                "R12: utilization = mau / mau_limit, null without a plan or a limit.",
            ),
            _rows(
                f"""
                select tenant_id, month, plan_id, mau, mau_limit, status, expected_status
                from (
                    select
                        *,
                        case
                            when plan_id is null then 'no_plan'
                            when mau_limit is null then 'unlimited'
                            -- a zero limit is over as soon as anybody is active
                            when mau_limit = 0 and mau > 0 then 'over'
                            when mau_limit = 0 then 'ok'
                            when cast(mau as double) / mau_limit > {over}
                                then 'over'
                            when cast(mau as double) / mau_limit >= {approaching}
                                then 'approaching'
                            else 'ok'
                        end as expected_status
                    from {{batch}}
                )
                where status is distinct from expected_status
                """,
                f"R12: status agrees with utilization: ok below {approaching:.0%}, "
                f"approaching from {approaching:.0%} to {over:.0%} "
                "inclusive, over above; unlimited without a limit, no_plan without a plan.",
            ),
            _rows(
                """
                with usage as (select * from {batch})
                select usage.tenant_id, usage.month, usage.mau
                from usage
                where not exists (
                    select 1
                    from staging.stg_billing_system__tenants as tenants
                    where tenants.tenant_id = usage.tenant_id
                )
                """,
                "R18: no tenant absent from the tenants export is billed.",
            ),
        ),
    )


def snapshot_suite() -> Suite:
    """Frozen figures of closed months, written once by the `billing_snapshot` asset (R16)."""
    return Suite(
        name="monthly_usage_snapshot",
        schema="billing",
        table="monthly_usage_snapshot",
        target=DagsterAsset("billing_snapshot"),
        blocking=True,
        build=lambda: (
            _gx().expectations.ExpectCompoundColumnsToBeUnique(
                column_list=["tenant_id", "month"],
                description="R16: one frozen snapshot per closed tenant-month.",
            ),
            _rows(
                """
                select tenant_id, month, closed_at, fingerprint,
                    md5(cast(figures as varchar)) as recomputed_fingerprint
                from {batch}
                where md5(cast(figures as varchar)) is distinct from fingerprint
                """,
                "R16: a closed month's figures never change: md5(figures) still equals "
                "the fingerprint written at close time.",
            ),
        ),
    )


def all_suites() -> list[Suite]:
    return [
        file_loads_suite(),
        usage_suite(),
        reconciliation_suite(),
        billing_suite(),
        snapshot_suite(),
    ]
