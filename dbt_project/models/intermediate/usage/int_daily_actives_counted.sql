{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_changed_tenant_months() }}"],
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- One row per attributed tenant (R18), activity month and local day (tenant time zone,
-- R5) with at least one counted event: daily_active_persons, the distinct persons (R7)
-- with a counted event that day (R8). Incremental like int_person_months_aggregated:
-- a run recounts the tenant-months of int_tenant_months_changed stamped after its
-- last build.
with

counted_events as (
    {{ events_of_changed_tenant_months('events.is_counted and events.is_attributed') }}
),

daily_actives as (
    select
        tenant_id,
        activity_month,
        activity_date,
        count(distinct {{ dbt.concat(["person_kind", "':'", "person_id"]) }}) as daily_active_persons
    from counted_events
    group by
        tenant_id,
        activity_month,
        activity_date
),

final as (
    select
        cast(tenant_id as string) as tenant_id,
        cast(activity_month as date) as activity_month,
        cast(activity_date as date) as activity_date,
        cast(daily_active_persons as bigint) as daily_active_persons,
        {{ build_stamp() }} as _built_at
    from daily_actives
)

select * from final
