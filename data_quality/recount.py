"""The independent recount of MAU from the staged lines (R2, R4–R8, R16, R18).

R2, R4–R8 are applied again from `staging.stg_sdk__event_lines`, without any
intermediate model, so that a bug in the dbt models cannot also hide itself here.
Elapsed time is added in microseconds (an interval of days would be added in the
session's calendar). Tenants absent from the tenants export are left out (R18).

The recount is written to two small tables before the `usage_reconciliation` suite
compares them with the usage mart: Great Expectations runs a row query twice (for
the count and for the rows it shows), and the recount is the costliest query of a
run, so it runs once.

- `quality.recount_scope`: the open tenant-months recounted in this run. With a plan
  (`since_load_id`, data_quality/recount_scope.py) they are those the newer lines can
  change (their own months, and the open months of the anonymous ids they link to a
  user, R7), every month the close step is about to freeze (R16) and the months of a
  hand close; without one, every open tenant-month. Closed months are frozen in the
  billing snapshot and guarded by its fingerprints: the recount never goes back
  before a tenant's last close.
- `quality.recount_links`: the link of every anonymous id (R7), resolved by the
  recount itself from the staged lines. An anonymous id's link can come from any
  month, so resolving the links of a month's anonymous ids read their whole history
  at every run; instead a run resolves again only the anonymous ids that its new
  lines can relink, and a full plan resolves every link from scratch.
- `quality.usage_recounts`: mau, identified_mau and anonymous_mau of each of them.

An event's local month is the UTC month of its event time a day earlier or a day
later (zones are within ±14 hours of UTC), so lines are picked by those two months;
then every copy of a picked event is ranked (R2: the first received copy wins).
Whether a user agent is a bot's is decided once per distinct agent, and only for the
lines that are ranked; rows carry only the columns the count needs. The staged lines
are never materialized whole (DuckDB materializes a CTE read twice, before any filter:
every line of the history, at every run); what a later step reads is written to a
table first, so that the planner knows its size.
"""

from __future__ import annotations

import duckdb

from mau_warehouse.config import Settings
from mau_warehouse.warehouse import connect_writer

# What the scope and the recount both start from: tenants with their last close,
# and the staged lines of billed tenants with their event time (R3, R18).
CONTEXT = """
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
        max(closes.month_start) as last_closed_month,
        -- lines from a day before the month after the last close can be in that month
        cast(max(closes.month_start) as timestamptz) + interval 1 month - interval 1 day
            as window_starts_at
    from tenants
    left join closes
        on tenants.tenant_id = closes.tenant_id
    group by tenants.tenant_id, tenants.billing_timezone
),
lines as not materialized (
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
line_months as not materialized (
    -- the two months a line's local month is one of (R5), from the month after the
    -- tenant's last close on (UTC wall-clock arithmetic: no time zone at every line)
    select
        lines.tenant_id,
        lines.event_id,
        lines.load_id,
        lines.user_pseudonym,
        lines.anonymous_pseudonym,
        cast(date_trunc('month', lines.utc_time - interval 1 day) as date) as month_before,
        cast(date_trunc('month', lines.utc_time + interval 1 day) as date) as month_after
    from (select *, make_timestamp(epoch_us(event_time)) as utc_time from lines) as lines
    inner join tenant_windows
        on lines.tenant_id = tenant_windows.tenant_id
    where tenant_windows.window_starts_at is null
        or lines.event_time >= tenant_windows.window_starts_at
)
"""

SCOPE_QUERY = f"""
with
{CONTEXT},
usage as (
    select * from marts.fct_tenant_monthly_usage
),
new_lines as materialized (
    select *
    from line_months
    where load_id > coalesce($since_load_id, -1)
),
linked_anonymous_ids as (
    -- R7: a new line with both ids may stitch the id's events in other open months
    select distinct tenant_id, anonymous_pseudonym
    from new_lines
    where user_pseudonym is not null and anonymous_pseudonym is not null
),
candidates as (
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
            $since_load_id is null
            -- R16: what the close step will freeze in this run is recounted first
            or closes_at <= now() + interval 1 hour
            or month in (select month from billing.close_requests)
        )
)
select distinct candidates.tenant_id, candidates.month
from candidates
inner join tenant_windows
    on candidates.tenant_id = tenant_windows.tenant_id
where candidates.month > coalesce(tenant_windows.last_closed_month, date '1900-01-01')
    and not exists (
        select 1 from closes
        where closes.tenant_id = candidates.tenant_id and closes.month_start = candidates.month
    )
"""

# R2: of the copies of one event, the first received wins (then the earlier load, then
# the earlier line).
FIRST_RECEIVED_COPY = """qualify row_number() over (
    partition by tenant_id, event_id
    order by received_at asc nulls last, load_id asc, line_number asc
) = 1"""

# R7 from the staged lines: an anonymous id's link is its earliest linking event
# (event time, then first received, then smaller event_id), among events whose winning
# copy (R2) carries both ids. Each link keeps those keys, which a later event must beat.
# `{anonymous_ids}` narrows it to the anonymous ids of a table: the events that can
# link one are those with any copy carrying it with a user.
RESOLVED_LINKS = f"""
linking_keys as (
    select distinct tenant_id, event_id
    from lines
    where user_pseudonym is not null and anonymous_pseudonym is not null{{anonymous_ids}}
),
linking_winners as (
    select
        lines.tenant_id,
        lines.event_id,
        lines.received_at,
        lines.user_pseudonym,
        lines.anonymous_pseudonym,
        lines.event_time
    from lines
    where (lines.tenant_id, lines.event_id) in (select tenant_id, event_id from linking_keys)
    {FIRST_RECEIVED_COPY}
),
resolved_links as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym as linked_user_pseudonym,
        event_time as linked_at,
        received_at as linked_received_at,
        event_id as linked_event_id
    from linking_winners
    where user_pseudonym is not null and anonymous_pseudonym is not null{{anonymous_ids}}
    qualify row_number() over (
        partition by tenant_id, anonymous_pseudonym
        order by event_time asc, received_at asc nulls last, event_id asc
    ) = 1
)
"""


def _only(table: str) -> str:
    return f"""
        and (tenant_id, anonymous_pseudonym)
            in (select tenant_id, anonymous_pseudonym from {table})"""


ALL_LINKS_QUERY = f"""
with
{CONTEXT},
{RESOLVED_LINKS.format(anonymous_ids="")}
select * from resolved_links
"""

# A new line can change the winning copy of its own event only (R2): every copy of
# the events that lines of newer loads belong to, and the winning copy of each.
RERANKED_LINES_QUERY = f"""
with
{CONTEXT}
select tenant_id, event_id, load_id, line_number, received_at, user_pseudonym,
    anonymous_pseudonym, event_time
from lines
where (tenant_id, event_id) in (
    select tenant_id, event_id from lines where load_id > $since_load_id
)
"""

RERANKED_WINNERS_QUERY = f"""
select *
from reranked_lines
{FIRST_RECEIVED_COPY}
"""

# The links those copies can change: of the anonymous ids that any of them carries
# with a user (the earlier winner's and the new one's).
RELINKED_QUERY = """
select distinct tenant_id, anonymous_pseudonym
from reranked_lines
where user_pseudonym is not null and anonymous_pseudonym is not null
"""

# The kept link of each of those ids. A new event can take a link, never give it back,
# so the kept link still beats every older event; only when its own event was ranked
# again and its new winning copy no longer links the id as early is the id resolved
# again from its whole history (stale).
PREVIOUS_LINKS_QUERY = """
select
    links.*,
    reranked.event_id is not null as is_reranked,
    reranked.event_id is not null and not coalesce(
        reranked.anonymous_pseudonym = links.anonymous_pseudonym
        and reranked.user_pseudonym is not null
        and (
            reranked.event_time < links.linked_at
            or (
                reranked.event_time = links.linked_at
                and (links.linked_received_at is null
                    or reranked.received_at <= links.linked_received_at)
            )
        ),
        false
    ) as is_stale
from quality.recount_links as links
left join reranked_winners as reranked
    on reranked.tenant_id = links.tenant_id
    and reranked.event_id = links.linked_event_id
where (links.tenant_id, links.anonymous_pseudonym)
    in (select tenant_id, anonymous_pseudonym from relinked_anonymous_ids)
"""

# The new link of each relinked id: the earliest of its kept link (unless its event
# was ranked again), the winning copies ranked again that link it, and, for a stale
# id, every linking event of its history.
RELINKED_LINKS_QUERY = f"""
with
{CONTEXT},
{RESOLVED_LINKS.format(anonymous_ids=_only("stale_anonymous_ids"))},
candidates as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym as linked_user_pseudonym,
        event_time as linked_at,
        received_at as linked_received_at,
        event_id as linked_event_id
    from reranked_winners
    where user_pseudonym is not null and anonymous_pseudonym is not null
    union all
    select
        tenant_id,
        anonymous_pseudonym,
        linked_user_pseudonym,
        linked_at,
        linked_received_at,
        linked_event_id
    from previous_links
    where not is_reranked and not is_stale
    union all
    select * from resolved_links
)
select *
from candidates
qualify row_number() over (
    partition by tenant_id, anonymous_pseudonym
    order by linked_at asc, linked_received_at asc nulls last, linked_event_id asc
) = 1
"""

# The events whose month can be one of the scope's, then the winning copy (R2) of
# each. Both are written to tables before the count: as CTEs their sizes were unknown
# to the planner, which then held every staged line, or every window event, in memory
# to look up the keys, or the links (R7).
WINDOW_KEYS_QUERY = f"""
with
{CONTEXT},
scope as (
    select * from quality.recount_scope
)
select distinct line_months.tenant_id, line_months.event_id
from line_months
where (line_months.tenant_id, line_months.month_before) in (select tenant_id, month from scope)
    or (line_months.tenant_id, line_months.month_after) in (select tenant_id, month from scope)
"""

WINDOW_EVENTS_QUERY = f"""
with
{CONTEXT}
select
    tenant_id,
    received_at,
    user_pseudonym,
    anonymous_pseudonym,
    user_agent,
    is_preview,
    event_time
from lines
where (tenant_id, event_id) in (select tenant_id, event_id from recount_window_keys)
{FIRST_RECEIVED_COPY}
"""

RECOUNT_QUERY = f"""
with
{CONTEXT},
usage as (
    select * from marts.fct_tenant_monthly_usage
),
scope as (
    select * from quality.recount_scope
),
window_events as (
    select * from recount_window_events
),
agents as (
    select distinct user_agent from window_events where user_agent is not null
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
        coalesce(window_events.user_pseudonym, links.linked_user_pseudonym) is not null as is_user,
        coalesce(
            window_events.user_pseudonym,
            links.linked_user_pseudonym,
            window_events.anonymous_pseudonym
        ) as person
    from window_events
    asof inner join month_starts
        on window_events.tenant_id = month_starts.tenant_id
        and window_events.event_time >= month_starts.starts_at
    -- R7, kept by the recount itself (update_links below), never read from dbt
    left join quality.recount_links as links
        on window_events.tenant_id = links.tenant_id
        and window_events.anonymous_pseudonym = links.anonymous_pseudonym
    left join usage as month_close
        on window_events.tenant_id = month_close.tenant_id
        and month_starts.month = month_close.month
    left join bot_agents
        on window_events.user_agent = bot_agents.user_agent
    where not window_events.is_preview
        and bot_agents.user_agent is null
        -- R16: an event received after its month's close time is a late adjustment,
        -- never counted (the close time is the mart's, pinned by its own unit test)
        and not coalesce(
            coalesce(window_events.received_at, window_events.event_time) > month_close.closes_at,
            false
        )
)
select
    counted.tenant_id,
    counted.month,
    count(*) as mau,
    count(*) filter (where counted.is_user) as identified_mau,
    count(*) filter (where not counted.is_user) as anonymous_mau
from (select distinct tenant_id, month, is_user, person from counted) as counted
where (counted.tenant_id, counted.month) in (select tenant_id, month from scope)
group by counted.tenant_id, counted.month
"""


def _links_exist(con: duckdb.DuckDBPyConnection) -> bool:
    [(count,)] = con.execute(
        "select count(*) from duckdb_tables() "
        "where schema_name = 'quality' and table_name = 'recount_links'"
    ).fetchall()
    return count > 0


def update_links(con: duckdb.DuckDBPyConnection, since_load_id: int | None) -> None:
    """Bring `quality.recount_links` up to the staged lines (R7).

    A full plan, or a warehouse without the table yet, resolves every link again;
    otherwise only the anonymous ids that lines of loads after `since_load_id` can
    relink are resolved again, from their kept link and the events ranked again.
    Resolving again what an earlier, failed recount already resolved changes nothing,
    so a plan that starts from the last passing recount is always enough.
    """
    if since_load_id is None or not _links_exist(con):
        con.execute(f"create or replace table quality.recount_links as {ALL_LINKS_QUERY}")
        return
    steps = [
        ("reranked_lines", RERANKED_LINES_QUERY),
        ("reranked_winners", RERANKED_WINNERS_QUERY),
        ("relinked_anonymous_ids", RELINKED_QUERY),
        ("previous_links", PREVIOUS_LINKS_QUERY),
        (
            "stale_anonymous_ids",
            "select tenant_id, anonymous_pseudonym from previous_links where is_stale",
        ),
    ]
    con.execute("begin transaction")
    try:
        for table, query in steps:
            parameters = {"since_load_id": since_load_id} if "$since_load_id" in query else {}
            con.execute(f"create or replace temporary table {table} as {query}", parameters)
        con.execute(f"create or replace temporary table relinked_links as {RELINKED_LINKS_QUERY}")
        con.execute(
            """
            delete from quality.recount_links
            where (tenant_id, anonymous_pseudonym)
                in (select tenant_id, anonymous_pseudonym from relinked_anonymous_ids)
            """
        )
        con.execute("insert into quality.recount_links select * from relinked_links")
        for table, _ in [*steps, ("relinked_links", "")]:
            con.execute(f"drop table {table}")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def materialize_recount(settings: Settings, since_load_id: int | None) -> None:
    """Write `quality.recount_scope` and `quality.usage_recounts` for this plan."""
    con = connect_writer(settings)
    try:
        con.execute(
            f"create or replace table quality.recount_scope as {SCOPE_QUERY}",
            {"since_load_id": since_load_id},
        )
        update_links(con, since_load_id)
        for table, query in [
            ("recount_window_keys", WINDOW_KEYS_QUERY),
            ("recount_window_events", WINDOW_EVENTS_QUERY),
        ]:
            con.execute(f"create or replace temporary table {table} as {query}")
        con.execute(f"create or replace table quality.usage_recounts as {RECOUNT_QUERY}")
        con.execute("drop table recount_window_keys; drop table recount_window_events")
    finally:
        con.close()
