"""Expectation suites, kept as code: one suite per guarded table and concern.

Each suite names the warehouse table it reads (the batch; `{batch}` in a row
query stands for it), the Dagster asset its check is attached to, and whether a
failure blocks what comes downstream. Every expectation cites the rule of SPEC
§3 it protects, so a failing check says which promise was broken.

Checks that read an intermediate table or span several tables are attached to
the mart they protect: dbt builds every model in one Dagster step, so only a
check on the usage mart can hold back the billing snapshot and publication.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation


def status_thresholds() -> tuple[float, float]:
    """R12's status bands as fractions of mau_limit, read from the dbt vars
    `approaching_threshold` and `over_threshold` (dbt_project.yml) that the models use,
    so that the check and the mart cannot disagree on where a band starts."""
    import yaml

    from mau_warehouse.config import DBT_PROJECT_DIR

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


# The keys written by the latest build of an incremental model (dbt stamps its rows
# with the run's start) must occur once in the whole table: a replaced row left
# behind would count twice. Only those keys are probed, so the check costs about the
# same whatever the history (SPEC §6).
LATEST_BUILD_DUPLICATES = """
with
rows as (
    select * from {{batch}}
),
latest_keys as (
    select distinct {keys}
    from rows
    where _built_at = (
        select max(built_at)
        from intermediate.incremental_build_stamps
        where model_name = '{stamped_by}'
    )
)
select {keys}, count(*) as row_count
from rows
where ({keys}) in (select {keys} from latest_keys)
group by {keys}
having count(*) > 1
"""


def _latest_build_unique(keys: str, stamped_by: str, description: str) -> Expectation:
    return _rows(LATEST_BUILD_DUPLICATES.format(keys=keys, stamped_by=stamped_by), description)


def events_deduplicated_suite() -> Suite:
    """The winning copy of every event, which all counting starts from (R2)."""
    return Suite(
        name="int_events_deduplicated",
        schema="intermediate",
        table="int_events_deduplicated",
        target=DbtModel("int_events_deduplicated"),
        blocking=True,
        build=lambda: (
            _latest_build_unique(
                "tenant_id, event_id",
                "int_event_lines_ranked",
                "R2: one winning copy per (tenant_id, event_id); later copies are "
                "duplicates and never count (every event ranked by the latest build).",
            ),
        ),
    )


def person_months_suite() -> Suite:
    """Persons active in a month, the rows MAU is a count of (R7, R8)."""
    return Suite(
        name="int_person_months_aggregated",
        schema="intermediate",
        table="int_person_months_aggregated",
        target=DbtModel("int_person_months_aggregated"),
        blocking=True,
        build=lambda: (
            _latest_build_unique(
                "tenant_id, activity_month, person_kind, person_id",
                "int_person_months_aggregated",
                "R7, R8: one row per tenant, activity month and person, so that a "
                "person is counted once however many events they had (every "
                "tenant-month recounted by the latest build).",
            ),
        ),
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
    """Grain and internal consistency of the tenant × month usage mart (R8–R10)."""
    return Suite(
        name="fct_tenant_monthly_usage",
        schema="marts",
        table="fct_tenant_monthly_usage",
        target=DbtModel(USAGE_MART),
        blocking=True,
        build=lambda: (
            _gx().expectations.ExpectCompoundColumnsToBeUnique(
                column_list=["tenant_id", "month"],
                description="R8: one row per tenant and month, so no month is billed twice.",
            ),
            _gx().expectations.ExpectColumnValuesToNotBeNull(
                column="mau", description="R8: every tenant-month has a MAU figure."
            ),
            _rows(
                """
                select tenant_id, month, mau, identified_mau, anonymous_mau
                from {batch}
                where identified_mau + anonymous_mau is distinct from mau
                """,
                "R8: identified_mau + anonymous_mau = mau.",
            ),
            _rows(
                """
                select tenant_id, month, mau, mobile_mau, desktop_mau, tablet_mau
                from {batch}
                where greatest(mobile_mau, desktop_mau, tablet_mau) > mau
                    or mau > mobile_mau + desktop_mau + tablet_mau
                """,
                "R9: each device segment ≤ mau ≤ mobile_mau + desktop_mau + tablet_mau "
                "(a person seen on two classes counts in both, nobody in none).",
            ),
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
            _rows(
                """
                select tenant_id, month, identified_mau, known_users
                from {batch}
                where identified_mau > known_users
                """,
                "R10: every user active in a month is a known user (identified_mau ≤ known_users).",
            ),
        ),
    )


# R2, R4–R8 applied from the staged lines, without any intermediate model, so that
# a bug in the dbt models cannot also hide itself here. Elapsed time is added in
# microseconds (an interval of days would be added in the session's calendar).
# Tenants absent from the tenants export are left out (R18): they are not billed.
# The recount covers every tenant-month that is not closed yet (R16), after each
# tenant's last closed month: closed months are frozen in the billing snapshot and
# guarded by its fingerprints, so the cost of a check follows the open months, not
# the history (SPEC §6). Events received after their month's close time are late
# adjustments, not counted (R16). Lines are picked by their own event time with a day of
# margin on each side of the tenant's window (time zones are within ±14 hours of
# UTC), then every copy of a picked event is ranked; the links of the anonymous ids
# seen come from the whole history. The CTEs read more than once are materialized
# once (DuckDB would otherwise plan them again at every reference).
RECOUNT_QUERY = """
with
usage as (
    select * from {batch}
),
tenants as (
    select * from staging.stg_billing_system__tenants
),
closes as (
    select * from staging.stg_billing_state__month_closes
),
tenant_windows as materialized (
    select
        tenants.tenant_id,
        tenants.billing_timezone,
        max(closes.month_start) as last_closed_month
    from tenants
    left join closes
        on tenants.tenant_id = closes.tenant_id
    group by tenants.tenant_id, tenants.billing_timezone
),
lines as (
    select
        tenant_id,
        event_id,
        load_id,
        line_number,
        received_at,
        user_pseudonym,
        anonymous_pseudonym,
        user_agent,
        is_preview,
        case
            when sent_at is not null and received_at is not null
                then occurred_at
                    + to_microseconds(epoch_us(received_at) - epoch_us(sent_at))
            else occurred_at
        end as event_time
    from staging.stg_sdk__event_lines
),
window_keys as (
    select distinct lines.tenant_id, lines.event_id
    from lines
    inner join tenant_windows
        on lines.tenant_id = tenant_windows.tenant_id
    where tenant_windows.last_closed_month is null
        or lines.event_time >= cast(tenant_windows.last_closed_month as timestamptz)
            + interval 1 month - interval 1 day
),
window_events as materialized (
    select lines.*
    from lines
    where (lines.tenant_id, lines.event_id) in (select tenant_id, event_id from window_keys)
    qualify row_number() over (
        partition by lines.tenant_id, lines.event_id
        order by lines.received_at asc nulls last, lines.load_id asc, lines.line_number asc
    ) = 1
),
window_anonymous_ids as (
    select distinct tenant_id, anonymous_pseudonym
    from window_events
    where anonymous_pseudonym is not null
),
linking_keys as (
    select distinct lines.tenant_id, lines.event_id
    from lines
    where lines.user_pseudonym is not null
        and (lines.tenant_id, lines.anonymous_pseudonym)
            in (select tenant_id, anonymous_pseudonym from window_anonymous_ids)
),
linking_events as (
    select lines.*
    from lines
    where (lines.tenant_id, lines.event_id) in (select tenant_id, event_id from linking_keys)
    qualify row_number() over (
        partition by lines.tenant_id, lines.event_id
        order by lines.received_at asc nulls last, lines.load_id asc, lines.line_number asc
    ) = 1
),
links as materialized (
    select tenant_id, anonymous_pseudonym, user_pseudonym as linked_user
    from linking_events
    where user_pseudonym is not null and anonymous_pseudonym is not null
    qualify row_number() over (
        partition by tenant_id, anonymous_pseudonym
        order by event_time asc, received_at asc nulls last, event_id asc
    ) = 1
),
window_event_spans as (
    select
        tenant_id,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time
    from window_events
    group by tenant_id
),
month_starts as (
    -- R5 from the other side: the UTC instant at which each local month begins;
    -- an event belongs to the last month begun at its event time
    select
        spans.tenant_id,
        months.month,
        timezone(tenant_windows.billing_timezone, cast(months.month as timestamp)) as starts_at
    from window_event_spans as spans
    inner join tenant_windows
        on spans.tenant_id = tenant_windows.tenant_id
    cross join lateral (
        select cast(unnest(generate_series(
            date_trunc('month', spans.first_event_time) - interval 1 month,
            spans.last_event_time + interval 1 month,
            interval 1 month
        )) as date) as month
    ) as months
),
counted as (
    select
        window_events.tenant_id,
        month_starts.month,
        coalesce(window_events.user_pseudonym, links.linked_user) is not null as is_user,
        coalesce(
            window_events.user_pseudonym, links.linked_user, window_events.anonymous_pseudonym
        ) as person
    from window_events
    asof inner join month_starts
        on window_events.tenant_id = month_starts.tenant_id
        and window_events.event_time >= month_starts.starts_at
    left join links
        on window_events.tenant_id = links.tenant_id
        and window_events.anonymous_pseudonym = links.anonymous_pseudonym
    left join usage as month_close
        on window_events.tenant_id = month_close.tenant_id
        and month_starts.month = month_close.month
    where not window_events.is_preview
        -- R16: an event received after its month's close time is a late adjustment,
        -- never counted (the close time is the mart's, pinned by its own unit test)
        and not coalesce(
            coalesce(window_events.received_at, window_events.event_time) > month_close.closes_at,
            false
        )
        and not exists (
            select 1
            from reference.bot_user_agent_patterns as bots
            where contains(lower(window_events.user_agent), lower(bots.pattern))
        )
),
recount as materialized (
    select
        counted.tenant_id,
        counted.month,
        count(*) as mau,
        count(*) filter (where counted.is_user) as identified_mau,
        count(*) filter (where not counted.is_user) as anonymous_mau
    from (select distinct tenant_id, month, is_user, person from counted) as counted
    inner join tenant_windows
        on counted.tenant_id = tenant_windows.tenant_id
    where counted.month > coalesce(tenant_windows.last_closed_month, date '1900-01-01')
        and not exists (
            select 1 from closes
            where closes.tenant_id = counted.tenant_id and closes.month_start = counted.month
        )
    group by counted.tenant_id, counted.month
),
open_usage as (
    select usage.*
    from usage
    inner join tenant_windows
        on usage.tenant_id = tenant_windows.tenant_id
    where usage.month > coalesce(tenant_windows.last_closed_month, date '1900-01-01')
        and not usage.is_closed
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


def reconciliation_suite() -> Suite:
    """The usage mart against an independent recount from the staged events."""
    return Suite(
        name="usage_reconciliation",
        schema="marts",
        table="fct_tenant_monthly_usage",
        target=DbtModel(USAGE_MART),
        blocking=True,
        build=lambda: (
            _rows(
                RECOUNT_QUERY,
                "R2, R4–R8, R18: for every month not closed yet, mau, identified_mau and "
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
        events_deduplicated_suite(),
        person_months_suite(),
        file_loads_suite(),
        usage_suite(),
        reconciliation_suite(),
        billing_suite(),
        snapshot_suite(),
    ]
