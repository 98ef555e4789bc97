{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_changed_tenant_months('month') }}"],
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- depends_on: {{ ref('int_tenant_months_changed') }}

-- R6 data health. One row per tenant, activity month (tenant time zone, R5; UTC for
-- unattributed tenants, R18) and exclusion reason (preview, bot). Excluded events are
-- kept and reported here; they never make anyone active. Incremental: a run recounts
-- the tenant-months of int_tenant_months_changed stamped after its last build.
with

{% if is_incremental() %}

    changed_months as (
        select
            tenant_id,
            activity_month
        from {{ ref('int_tenant_months_changed') }}
        where _built_at > {{ last_build_stamp() }}
    ),

    excluded_events as (
        select events.*
        from {{ ref('int_events_attributed_to_persons') }} as events
        inner join changed_months
            on
                events.tenant_id = changed_months.tenant_id
                and events.activity_month = changed_months.activity_month
        where events.is_excluded
    ),

{% else %}

    excluded_events as (
        select * from {{ ref('int_events_attributed_to_persons') }}
        where is_excluded
    ),

{% endif %}

by_reason as (
    select
        tenant_id,
        activity_month,
        excluded_reason,
        is_attributed,
        count(*) as excluded_event_count,
        count(distinct {{ dbt.concat(["person_kind", "':'", "person_id"]) }}) as excluded_person_count,
        count(distinct matched_bot_pattern) as matched_bot_pattern_count
    from excluded_events
    group by
        tenant_id,
        activity_month,
        excluded_reason,
        is_attributed
),

final as (
    select
        cast(tenant_id as varchar) as tenant_id,
        cast(activity_month as date) as month,
        cast(excluded_reason as varchar) as excluded_reason,
        cast(is_attributed as boolean) as is_attributed,
        cast(excluded_event_count as bigint) as excluded_event_count,
        cast(excluded_person_count as bigint) as excluded_person_count,
        cast(matched_bot_pattern_count as bigint) as matched_bot_pattern_count,
        {{ build_stamp() }} as _built_at
    from by_reason
)

select * from final
