-- R2: keep the winning copy of every (tenant_id, event_id).
-- R4: event_time = occurred_at + (received_at - sent_at) when both are present
-- (the browser's clock error removed), else occurred_at. All instants are UTC.
-- A view: the ranked lines are incremental, and so are the models reading this.
with

winning_lines as (
    select * from {{ ref('int_event_lines_ranked') }}
    where not is_duplicate
),

timed as (
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
        case
            when sent_at is not null and received_at is not null
                then {{ add_elapsed_time('occurred_at', 'sent_at', 'received_at') }}
            else occurred_at
        end as event_time,
        loaded_at,
        content_fingerprint,
        copy_count,
        first_loaded_at,
        _built_at
    from winning_lines
)

select * from timed
