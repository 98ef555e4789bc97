{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_changed_tenant_months('month') }}"],
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- R6 data health. One row per tenant, activity month (tenant time zone, R5; UTC for
-- unattributed tenants, R18) and exclusion reason (preview, bot). Excluded events are
-- kept and reported here; they never make anyone active. Incremental: a run recounts
-- the tenant-months of int_tenant_months_changed stamped after its last build.
with

excluded_events as (
    {{ events_of_changed_tenant_months('events.is_excluded') }}
),

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
        cast(tenant_id as string) as tenant_id,
        cast(activity_month as date) as month,
        cast(excluded_reason as string) as excluded_reason,
        cast(is_attributed as boolean) as is_attributed,
        cast(excluded_event_count as bigint) as excluded_event_count,
        cast(excluded_person_count as bigint) as excluded_person_count,
        cast(matched_bot_pattern_count as bigint) as matched_bot_pattern_count,
        {{ build_stamp() }} as _built_at
    from by_reason
)

select * from final
