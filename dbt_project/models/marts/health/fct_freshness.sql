-- P3 data health. Exactly one row, measured when the model is built: how recent the
-- loaded data is (newest received_at loaded) and how much of it there is.
with

event_lines as (
    select
        max(received_at) as newest_received_at,
        count(*) as event_line_count
    from {{ ref('stg_sdk__event_lines') }}
),

events as (
    select
        max(event_time) as newest_event_time,
        count(*) as event_count
    from {{ ref('int_events_deduplicated') }}
),

loads as (
    select max(loaded_at) as newest_loaded_at
    from {{ ref('stg_sdk__load_ledger') }}
),

measured as (
    select
        {{ dbt.current_timestamp() }} as measured_at,
        event_lines.newest_received_at,
        events.newest_event_time,
        loads.newest_loaded_at,
        event_lines.event_line_count,
        events.event_count
    from event_lines
    cross join events
    cross join loads
),

final as (
    select
        cast(measured_at as {{ type_timestamptz() }}) as measured_at,
        cast(newest_received_at as {{ type_timestamptz() }}) as newest_received_at,
        cast(newest_event_time as {{ type_timestamptz() }}) as newest_event_time,
        cast(newest_loaded_at as {{ type_timestamptz() }}) as newest_loaded_at,
        cast(event_line_count as bigint) as event_line_count,
        cast(event_count as bigint) as event_count,
        cast(
            {{ dbt.datediff('newest_received_at', 'measured_at', 'minute') }} / 60.0 as double
        ) as hours_since_newest_received_at
    from measured
)

select * from final
