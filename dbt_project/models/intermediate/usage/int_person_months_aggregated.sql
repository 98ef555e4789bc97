{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_changed_tenant_months() }}"],
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- One row per tenant, activity month (tenant time zone, R5) and person (R7) with at
-- least one counted event (R8: deduplicated, not excluded). 50 visits in a month are
-- one row. Device flags follow R9: a person seen on two classes has both flags.
-- Incremental (SPEC §6): the first-seen table of persons per tenant-month. A run
-- recounts only the tenant-months of int_tenant_months_changed stamped after its last
-- build; the pre-hook removes their rows first.
with

counted_events as (
    {{ events_of_changed_tenant_months('events.is_counted') }}
),

person_months as (
    select
        tenant_id,
        activity_month,
        person_kind,
        person_id,
        is_attributed,
        billing_timezone,
        count(*) as counted_event_count,
        count(distinct activity_date) as active_day_count,
        min(activity_date) as first_active_date,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time,
        max(case when device_class = 'mobile' then 1 else 0 end) = 1 as has_mobile_event,
        max(case when device_class = 'desktop' then 1 else 0 end) = 1 as has_desktop_event,
        max(case when device_class = 'tablet' then 1 else 0 end) = 1 as has_tablet_event
    from counted_events
    group by
        tenant_id,
        activity_month,
        person_kind,
        person_id,
        is_attributed,
        billing_timezone
),

final as (
    select
        *,
        person_kind = 'user' as is_user,
        {{ build_stamp() }} as _built_at
    from person_months
)

select * from final
