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


# R2, R4–R8 applied from the staged lines, without any intermediate model, so that
# a bug in the dbt models cannot also hide itself here. Elapsed time is added in
# microseconds (an interval of days would be added in the session's calendar).
# Tenants absent from the tenants export are left out (R18): they are not billed.
#
# Scope (data_quality/recount_scope.py): the run's plan names the loads already
# recounted (`since_load_id`). The tenant-months in scope
# are those the newer lines can change (their own months, and the open months of the
# anonymous ids they link to a user, R7), every month the close step is about to
# freeze (R16) and the months of a hand close; a plan without `since_load_id` takes
# every open tenant-month. Closed months are frozen in the billing snapshot and guarded
# by its fingerprints, so the recount never goes back before a tenant's last close.
# An event's local month is the UTC month of its event time a day earlier or a day
# later (zones are within ±14 hours of UTC), so lines are picked by those two months;
# then every copy of a picked event is ranked. Whether a line's user agent is a bot's
# is decided once per distinct agent, and rows carry only the columns the count needs,
# so the windows sort narrow rows (SPEC §6). The CTEs read more than once are
# materialized once (DuckDB would otherwise plan them again at every reference).
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
plan as (
    select cast({since_load_id} as integer) as since_load_id
),
tenant_windows as materialized (
    select
        tenants.tenant_id,
        tenants.billing_timezone,
        max(closes.month_start) as last_closed_month,
        -- lines from a day before the month after the last close can be in that month
        cast(max(closes.month_start) as timestamptz) + interval 1 month - interval 1 day
            as window_starts_at
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
    where tenant_id in (select tenant_id from tenant_windows)
),
line_months as (
    -- the two months a line's local month is one of (R5), from the month after the
    -- tenant, on (UTC wall-clock arithmetic: no time zone at every line)
    select
        lines.*,
        cast(date_trunc('month', lines.utc_time - interval 1 day) as date) as month_before,
        cast(date_trunc('month', lines.utc_time + interval 1 day) as date) as month_after
    from (select *, make_timestamp(epoch_us(event_time)) as utc_time from lines) as lines
    inner join tenant_windows
        on lines.tenant_id = tenant_windows.tenant_id
    where tenant_windows.window_starts_at is null
        or lines.event_time >= tenant_windows.window_starts_at
),
new_lines as (
    select *
    from line_months
    where load_id > coalesce((select since_load_id from plan), -1)
),
linked_anonymous_ids as (
    -- R7: a new line with both ids may stitch the id's events in other open months
    select distinct tenant_id, anonymous_pseudonym
    from new_lines
    where user_pseudonym is not null and anonymous_pseudonym is not null
),
scope as materialized (
    select tenant_id, month_before as month from new_lines
    union
    select tenant_id, month_after from new_lines
    union
    select line_months.tenant_id, unnest([line_months.month_before, line_months.month_after])
    from line_months
    where (line_months.tenant_id, line_months.anonymous_pseudonym)
        in (select tenant_id, anonymous_pseudonym from linked_anonymous_ids)
    union
    select tenant_id, month
    from usage
    where not is_closed
        and (
            (select since_load_id from plan) is null
            -- R16: what the close step will freeze in this run is recounted first
            or closes_at <= now() + interval 1 hour
            or month in (select month from billing.close_requests)
        )
),
window_keys as (
    select distinct line_months.tenant_id, line_months.event_id
    from line_months
    where (line_months.tenant_id, line_months.month_before) in (select tenant_id, month from scope)
        or (line_months.tenant_id, line_months.month_after) in (select tenant_id, month from scope)
),
agents as (
    select distinct user_agent from lines where user_agent is not null
),
bot_agents as materialized (
    -- R4, decided once per distinct user agent
    select agents.user_agent
    from agents
    where exists (
        select 1
        from reference.bot_user_agent_patterns as bots
        where contains(lower(agents.user_agent), lower(bots.pattern))
    )
),
ranked_lines as (
    -- only what the count needs, so the windows below sort narrow rows
    select
        lines.tenant_id,
        lines.event_id,
        lines.load_id,
        lines.line_number,
        lines.received_at,
        lines.user_pseudonym,
        lines.anonymous_pseudonym,
        lines.event_time,
        lines.is_preview or bot_agents.user_agent is not null as is_excluded
    from lines
    left join bot_agents
        on lines.user_agent = bot_agents.user_agent
),
window_events as materialized (
    select ranked_lines.*
    from ranked_lines
    where (ranked_lines.tenant_id, ranked_lines.event_id)
        in (select tenant_id, event_id from window_keys)
    qualify row_number() over (
        partition by ranked_lines.tenant_id, ranked_lines.event_id
        order by
            ranked_lines.received_at asc nulls last,
            ranked_lines.load_id asc,
            ranked_lines.line_number asc
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
    select ranked_lines.*
    from ranked_lines
    where (ranked_lines.tenant_id, ranked_lines.event_id)
        in (select tenant_id, event_id from linking_keys)
    qualify row_number() over (
        partition by ranked_lines.tenant_id, ranked_lines.event_id
        order by
            ranked_lines.received_at asc nulls last,
            ranked_lines.load_id asc,
            ranked_lines.line_number asc
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
    where not window_events.is_excluded
        -- R16: an event received after its month's close time is a late adjustment,
        -- never counted (the close time is the mart's, pinned by its own unit test)
        and not coalesce(
            coalesce(window_events.received_at, window_events.event_time) > month_close.closes_at,
            false
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
        and (counted.tenant_id, counted.month) in (select tenant_id, month from scope)
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
        and (usage.tenant_id, usage.month) in (select tenant_id, month from scope)
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
    since = "null" if since_load_id is None else str(int(since_load_id))
    return Suite(
        name=RECONCILIATION,
        schema="marts",
        table="fct_tenant_monthly_usage",
        target=DbtModel(USAGE_MART),
        blocking=True,
        build=lambda: (
            _rows(
                RECOUNT_QUERY.replace("{since_load_id}", since),
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
