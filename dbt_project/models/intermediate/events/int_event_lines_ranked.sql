{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['tenant_id', 'event_id'],
    on_schema_change='fail',
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- R2 deduplication, decided here: (tenant_id, event_id) identifies an event.
-- The first received copy wins: earliest received_at (nulls last), then the earlier
-- loaded file (smaller load_id), then the earlier line. Later copies are duplicates;
-- a duplicate whose content_fingerprint differs from the winner's is a conflict.
-- Incremental (SPEC §6): a run ranks again only the events that received a new copy
-- (lines of loads newer than any ranked line), together with their earlier copies,
-- and replaces those events' rows; nothing else of the history is read but its keys.
with

event_lines as (
    select * from {{ ref('stg_sdk__event_lines') }}
),

{% if is_incremental() %}

    new_lines as (
        select *
        from event_lines
        where load_id > (select coalesce(max(ranked.load_id), 0) from {{ this }} as ranked)
    ),

    touched_events as (
        select distinct
            tenant_id,
            event_id
        from new_lines
    ),

    earlier_copies as (
        select
            {{ event_line_columns('ranked') }}
        from {{ this }} as ranked
        inner join touched_events
            on
                ranked.tenant_id = touched_events.tenant_id
                and ranked.event_id = touched_events.event_id
    ),

    copies as {{ inline_cte() }} (
        select
            {{ event_line_columns() }}
        from new_lines
        union all
        select * from earlier_copies
    ),

{% else %}

    copies as {{ inline_cte() }} (
        select * from event_lines
    ),

{% endif %}

-- Most events have one copy. Only the copies of events with several are sorted into
-- R2's order: a window over every line sorts the whole width of the history (on M,
-- 43.3 s against 34.1 s for this split; docs/benchmarks.md, item 5, says why it does
-- not yet save L).
events_with_copies as (
    select
        tenant_id,
        event_id
    from copies
    group by
        tenant_id,
        event_id
    having count(*) > 1
),

single_copies as (
    select
        {{ event_line_columns('copies') }},
        cast(1 as bigint) as copy_rank,
        cast(1 as bigint) as copy_count,
        copies.loaded_at as first_loaded_at,
        copies.load_id as winner_load_id,
        copies.line_number as winner_line_number,
        copies.received_at as winner_received_at,
        copies.content_fingerprint as winner_content_fingerprint
    from copies
    left join events_with_copies
        on
            copies.tenant_id = events_with_copies.tenant_id
            and copies.event_id = events_with_copies.event_id
    where events_with_copies.event_id is null
),

several_copies as (
    select
        {{ event_line_columns('copies') }}
    from copies
    inner join events_with_copies
        on
            copies.tenant_id = events_with_copies.tenant_id
            and copies.event_id = events_with_copies.event_id
),

ranked_copies as (
    select
        {{ event_line_columns() }},
        row_number() over copy_order as copy_rank,
        count(*) over (partition by tenant_id, event_id) as copy_count,
        -- R16: an event arrived when its first copy did, whichever copy wins
        min(loaded_at) over (partition by tenant_id, event_id) as first_loaded_at,
        first_value(load_id) over copy_order as winner_load_id,
        first_value(line_number) over copy_order as winner_line_number,
        first_value(received_at) over copy_order as winner_received_at,
        first_value(content_fingerprint) over copy_order as winner_content_fingerprint
    from several_copies
    -- R2: the copies of one event, the winning (first received) copy first
    window copy_order as (
        partition by tenant_id, event_id
        order by received_at asc nulls last, load_id asc, line_number asc
    )
),

ranked as (
    select * from single_copies
    union all
    select * from ranked_copies
),

flagged as (
    select
        *,
        copy_rank > 1 as is_duplicate,
        copy_rank > 1 and content_fingerprint != winner_content_fingerprint as is_conflict,
        {{ build_stamp() }} as _built_at
    from ranked
)

select * from flagged
