{{ config(materialized='table') }}

-- R2 deduplication, decided here: (tenant_id, event_id) identifies an event.
-- The first received copy wins: earliest received_at (nulls last), then the earlier
-- loaded file (smaller load_id), then the earlier line. Later copies are duplicates;
-- a duplicate whose content_fingerprint differs from the winner's is a conflict.
with

event_lines as (
    select * from {{ ref('stg_sdk__event_lines') }}
),

ranked as (
    select
        tenant_id,
        event_id,
        load_id,
        line_number,
        event_type,
        session_id,
        page_url,
        user_pseudonym,
        anonymous_pseudonym,
        device_type,
        user_agent,
        user_agent_device_class,
        is_preview,
        occurred_at,
        sent_at,
        received_at,
        loaded_at,
        content_fingerprint,
        row_number() over (
            partition by tenant_id, event_id
            order by received_at asc nulls last, load_id asc, line_number asc
        ) as copy_rank,
        count(*) over (partition by tenant_id, event_id) as copy_count,
        first_value(load_id) over (
            partition by tenant_id, event_id
            order by received_at asc nulls last, load_id asc, line_number asc
        ) as winner_load_id,
        first_value(line_number) over (
            partition by tenant_id, event_id
            order by received_at asc nulls last, load_id asc, line_number asc
        ) as winner_line_number,
        first_value(received_at) over (
            partition by tenant_id, event_id
            order by received_at asc nulls last, load_id asc, line_number asc
        ) as winner_received_at,
        first_value(content_fingerprint) over (
            partition by tenant_id, event_id
            order by received_at asc nulls last, load_id asc, line_number asc
        ) as winner_content_fingerprint
    from event_lines
),

flagged as (
    select
        *,
        copy_rank > 1 as is_duplicate,
        copy_rank > 1 and content_fingerprint != winner_content_fingerprint as is_conflict
    from ranked
)

select * from flagged
