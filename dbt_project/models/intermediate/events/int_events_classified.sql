{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['tenant_id', 'event_id'],
    on_schema_change='fail',
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- One row per deduplicated event with its billing context:
--   R5  activity_date / activity_month in the tenant's billing_timezone (DST included);
--   R6  excluded traffic: is_preview, or user agent containing a bot pattern (seed);
--   R9  device class: device_type, else the loader's user-agent class, else desktop;
--   R18 is_attributed: the tenant exists in the tenants export. Unattributed tenants
--       have no time zone, so their months are UTC months.
-- Incremental (SPEC §6): a run classifies the events whose ranking changed since its
-- last build, and every event of a tenant whose time zone or attribution changed in
-- the tenants export (R5, R18); previous_activity_month keeps the month a replaced row
-- had, so that int_tenant_months_changed recomputes the month an event left too.
--   R16 is_received_after_close: the event reached the collector (received_at; its
--       event time when the collector gave none) after its tenant-month's close
--       time. Such an event never enters the month's billing snapshot, however early
--       a run loads it: it is a late adjustment (fct_late_adjustments), so the
--       snapshot depends on the data only, not on when the pipeline ran.
-- A change of the bot list (R6) or of close_after_hours (R16) needs a full refresh.
with

tenants as (
    select * from {{ ref('stg_billing_system__tenants') }}
),

bot_patterns as (
    select lower(pattern) as pattern from {{ ref('bot_user_agent_patterns') }}
),

{% if is_incremental() %}

    applied_contexts as (
        select distinct
            tenant_id,
            billing_timezone,
            is_attributed
        from {{ this }}
    ),

    recontextualized_tenants as (
    -- tenants whose events were classified under another time zone or attribution
        select distinct applied_contexts.tenant_id
        from applied_contexts
        left join tenants
            on applied_contexts.tenant_id = tenants.tenant_id
        where
            applied_contexts.billing_timezone != coalesce(tenants.billing_timezone, 'UTC')
            or applied_contexts.is_attributed != (tenants.tenant_id is not null)
    ),

    -- Two parts, so that the first reads only the newest row groups of the ranking.
    -- Each reads the winning events on its own: a CTE that both read would be
    -- materialized whole, every event of the history, before either filter applies.
    reranked_events as (
        select *
        from {{ ref('int_events_deduplicated') }}
        where _built_at > {{ last_build_stamp() }}
    ),

    recontextualized_events as (
        select *
        from {{ ref('int_events_deduplicated') }}
        where
            _built_at <= {{ last_build_stamp() }}
            and tenant_id in (select recontextualized_tenants.tenant_id from recontextualized_tenants)
    ),

    events as (
        select * from reranked_events
        union all
        select * from recontextualized_events
    ),

    previous_months as (
        select
            classified.tenant_id,
            classified.event_id,
            classified.activity_month
        from {{ this }} as classified
        inner join events
            on
                classified.tenant_id = events.tenant_id
                and classified.event_id = events.event_id
    ),

{% else %}

    events as {{ inline_cte() }} (
        select * from {{ ref('int_events_deduplicated') }}
    ),

    previous_months as (
        -- a full build replaces no row
        select
            cast(null as string) as tenant_id,
            cast(null as string) as event_id,
            cast(null as date) as activity_month
        where 1 = 0
    ),

{% endif %}

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

events_in_context as {{ inline_cte() }} (
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
        events.first_loaded_at,
        bot_user_agents.matched_bot_pattern,
        tenants.tenant_id is not null as is_attributed,
        coalesce(tenants.billing_timezone, 'UTC') as billing_timezone
    from events
    left join tenants
        on events.tenant_id = tenants.tenant_id
    left join bot_user_agents
        on events.user_agent = bot_user_agents.user_agent
),

utc_wall_times as {{ inline_cte() }} (
    select
        *,
        {{ utc_wall_time('event_time') }} as utc_event_time
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
            utc_wall_time('first_event_time'),
            to_local_timestamp('first_event_time', 'billing_timezone'),
            'second'
        ) }} as first_offset_seconds,
        {{ dbt.datediff(
            utc_wall_time('last_event_time'),
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

classified as {{ inline_cte() }} (
    select
        localized.tenant_id,
        localized.event_id,
        localized.load_id,
        localized.line_number,
        localized.event_type,
        localized.user_pseudonym,
        localized.anonymous_pseudonym,
        localized.is_attributed,
        localized.billing_timezone,
        localized.received_at,
        localized.event_time,
        localized.local_event_time,
        cast(localized.local_event_time as date) as activity_date,
        {{ first_day_of_month('localized.local_event_time') }} as activity_month,
        {{ first_day_of_month('localized.utc_event_time') }} as utc_month,
        localized.is_preview,
        localized.matched_bot_pattern,
        coalesce(localized.is_preview or localized.matched_bot_pattern is not null, false) as is_excluded,
        case
            when localized.is_preview then 'preview'
            when localized.matched_bot_pattern is not null then 'bot'
        end as excluded_reason,
        localized.device_type,
        localized.user_agent,
        localized.user_agent_device_class,
        case
            when localized.device_type in ('desktop', 'mobile', 'tablet') then localized.device_type
            when localized.user_agent_device_class in ('desktop', 'mobile', 'tablet')
                then localized.user_agent_device_class
            else 'desktop'
        end as device_class,
        -- R16: when the event's first copy was loaded (late adjustments)
        localized.first_loaded_at,
        previous_months.activity_month as previous_activity_month,
        {{ build_stamp() }} as _built_at
    from localized
    left join previous_months
        on
            localized.tenant_id = previous_months.tenant_id
            and localized.event_id = previous_months.event_id
),

month_close_times as (
    -- R16, once per (time zone, month) instead of once per event
    select
        billing_timezone,
        activity_month,
        {{ month_closes_at('activity_month', 'billing_timezone') }} as closes_at
    from classified
    group by
        billing_timezone,
        activity_month
),

final as (
    select
        classified.tenant_id,
        classified.event_id,
        classified.load_id,
        classified.line_number,
        classified.event_type,
        classified.user_pseudonym,
        classified.anonymous_pseudonym,
        classified.is_attributed,
        classified.billing_timezone,
        classified.received_at,
        classified.event_time,
        classified.local_event_time,
        classified.activity_date,
        classified.activity_month,
        classified.utc_month,
        classified.is_preview,
        classified.matched_bot_pattern,
        classified.is_excluded,
        classified.excluded_reason,
        classified.device_type,
        classified.user_agent,
        classified.user_agent_device_class,
        classified.device_class,
        classified.first_loaded_at,
        -- unattributed tenants are never billed (R18): nothing of theirs is late
        coalesce(
            classified.is_attributed
            and coalesce(classified.received_at, classified.event_time) > month_close_times.closes_at,
            false
        ) as is_received_after_close,
        classified.previous_activity_month,
        classified._built_at
    from classified
    inner join month_close_times
        on
            classified.billing_timezone = month_close_times.billing_timezone
            and classified.activity_month = month_close_times.activity_month
)

select * from final
