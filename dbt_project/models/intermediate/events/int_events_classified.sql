{{ config(materialized='table') }}

-- One row per deduplicated event with its billing context:
--   R5  activity_date / activity_month in the tenant's billing_timezone (DST included);
--   R6  excluded traffic: is_preview, or user agent containing a bot pattern (seed);
--   R9  device class: device_type, else the loader's user-agent class, else desktop;
--   R18 is_attributed: the tenant exists in the tenants export. Unattributed tenants
--       have no time zone, so their months are UTC months.
with

events as (
    select * from {{ ref('int_events_deduplicated') }}
),

tenants as (
    select * from {{ ref('stg_billing_system__tenants') }}
),

bot_patterns as (
    select lower(pattern) as pattern from {{ ref('bot_user_agent_patterns') }}
),

user_agents as (
    -- match patterns once per distinct user agent, not once per event
    select distinct user_agent
    from events
    where user_agent is not null
),

bot_user_agents as (
    select
        user_agents.user_agent,
        min(bot_patterns.pattern) as matched_bot_pattern
    from user_agents
    inner join bot_patterns
        on {{ dbt.position('bot_patterns.pattern', 'lower(user_agents.user_agent)') }} > 0
    group by user_agents.user_agent
),

events_in_context as (
    select
        events.tenant_id,
        events.event_id,
        events.load_id,
        events.line_number,
        events.event_type,
        events.user_pseudonym,
        events.anonymous_pseudonym,
        events.device_type,
        events.user_agent,
        events.user_agent_device_class,
        events.is_preview,
        events.received_at,
        events.event_time,
        bot_user_agents.matched_bot_pattern,
        tenants.tenant_id is not null as is_attributed,
        coalesce(tenants.billing_timezone, 'UTC') as billing_timezone
    from events
    left join tenants
        on events.tenant_id = tenants.tenant_id
    left join bot_user_agents
        on events.user_agent = bot_user_agents.user_agent
),

utc_wall_times as (
    select
        *,
        {{ to_local_timestamp('event_time', "'UTC'") }} as utc_event_time
    from events_in_context
),

zone_hours as (
    -- R5, computed once per (time zone, UTC hour) instead of once per event: within
    -- an hour a zone's UTC offset is constant unless a daylight-saving change falls
    -- inside it, which shows as different offsets at the hour's first and last events.
    select
        billing_timezone,
        {{ dbt.date_trunc('hour', 'utc_event_time') }} as utc_hour,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time
    from utc_wall_times
    group by
        billing_timezone,
        {{ dbt.date_trunc('hour', 'utc_event_time') }}
),

zone_hour_offsets as (
    select
        billing_timezone,
        utc_hour,
        {{ dbt.datediff(
            to_local_timestamp('first_event_time', "'UTC'"),
            to_local_timestamp('first_event_time', 'billing_timezone'),
            'second'
        ) }} as first_offset_seconds,
        {{ dbt.datediff(
            to_local_timestamp('last_event_time', "'UTC'"),
            to_local_timestamp('last_event_time', 'billing_timezone'),
            'second'
        ) }} as last_offset_seconds
    from zone_hours
),

localized as (
    select
        utc_wall_times.*,
        case
            when zone_hour_offsets.first_offset_seconds = zone_hour_offsets.last_offset_seconds
                then {{ dbt.dateadd(
                    'second',
                    'zone_hour_offsets.first_offset_seconds',
                    'utc_wall_times.utc_event_time'
                ) }}
            -- an hour with a daylight-saving change: convert each event on its own
            else {{ to_local_timestamp('utc_wall_times.event_time', 'utc_wall_times.billing_timezone') }}
        end as local_event_time
    from utc_wall_times
    inner join zone_hour_offsets
        on
            utc_wall_times.billing_timezone = zone_hour_offsets.billing_timezone
            and {{ dbt.date_trunc('hour', 'utc_wall_times.utc_event_time') }} = zone_hour_offsets.utc_hour
),

classified as (
    select
        tenant_id,
        event_id,
        load_id,
        line_number,
        event_type,
        user_pseudonym,
        anonymous_pseudonym,
        is_attributed,
        billing_timezone,
        received_at,
        event_time,
        local_event_time,
        cast(local_event_time as date) as activity_date,
        {{ first_day_of_month('local_event_time') }} as activity_month,
        {{ first_day_of_month('utc_event_time') }} as utc_month,
        is_preview,
        matched_bot_pattern,
        coalesce(is_preview or matched_bot_pattern is not null, false) as is_excluded,
        case
            when is_preview then 'preview'
            when matched_bot_pattern is not null then 'bot'
        end as excluded_reason,
        device_type,
        user_agent,
        user_agent_device_class,
        case
            when device_type in ('desktop', 'mobile', 'tablet') then device_type
            when user_agent_device_class in ('desktop', 'mobile', 'tablet') then user_agent_device_class
            else 'desktop'
        end as device_class
    from localized
)

select * from classified
