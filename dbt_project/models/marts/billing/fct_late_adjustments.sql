-- R16 late adjustments. One row per closed tenant-month (billing.month_closes) that
-- has counted events (R8) loaded after its closed_at: events the frozen snapshot did
-- not see. An event counts as loaded when its FIRST copy (any line with the same
-- tenant_id and event_id, R2) was loaded, so a late retry of an event already loaded
-- is not late. late_person_count = persons of the month whose counted events were ALL
-- loaded after the close — the persons the late events would have added to the MAU;
-- a person already counted before the close adds nothing. Reported, never restated:
-- the snapshot is never changed (that is the Python close step's rule).
with

closes as (
    select * from {{ ref('stg_billing_state__month_closes') }}
),

closed_tenants as (
    select distinct tenant_id from closes
),

event_lines as (
    select * from {{ ref('int_event_lines_ranked') }}
    where tenant_id in (select closed_tenants.tenant_id from closed_tenants)
),

counted_events as (
    select * from {{ ref('int_events_attributed_to_persons') }}
    where
        is_counted
        and is_attributed
        and tenant_id in (select closed_tenants.tenant_id from closed_tenants)
),

event_first_loads as (
    select
        tenant_id,
        event_id,
        min(loaded_at) as first_loaded_at
    from event_lines
    group by
        tenant_id,
        event_id
),

closed_month_events as (
    select
        counted_events.tenant_id,
        counted_events.activity_month as month_start,
        counted_events.person_kind,
        counted_events.person_id,
        counted_events.event_id,
        closes.closed_at,
        event_first_loads.first_loaded_at,
        event_first_loads.first_loaded_at > closes.closed_at as is_late
    from counted_events
    inner join closes
        on
            counted_events.tenant_id = closes.tenant_id
            and counted_events.activity_month = closes.month_start
    inner join event_first_loads
        on
            counted_events.tenant_id = event_first_loads.tenant_id
            and counted_events.event_id = event_first_loads.event_id
),

closed_month_persons as (
    select
        tenant_id,
        month_start,
        person_kind,
        person_id,
        sum(case when is_late then 1 else 0 end) as late_event_count,
        sum(case when is_late then 0 else 1 end) as on_time_event_count,
        min(case when is_late then first_loaded_at end) as first_late_loaded_at
    from closed_month_events
    group by
        tenant_id,
        month_start,
        person_kind,
        person_id
),

adjustments as (
    select
        tenant_id,
        month_start,
        sum(late_event_count) as late_event_count,
        sum(case when late_event_count > 0 and on_time_event_count = 0 then 1 else 0 end) as late_person_count,
        min(first_late_loaded_at) as first_late_loaded_at
    from closed_month_persons
    group by
        tenant_id,
        month_start
    having sum(late_event_count) > 0
),

final as (
    select
        cast(adjustments.tenant_id as varchar) as tenant_id,
        cast(adjustments.month_start as date) as month,
        cast(closes.closed_at as timestamp with time zone) as closed_at,
        cast(closes.close_kind as varchar) as close_kind,
        cast(adjustments.late_event_count as bigint) as late_event_count,
        cast(adjustments.late_person_count as bigint) as late_person_count,
        cast(adjustments.first_late_loaded_at as timestamp with time zone) as first_late_loaded_at
    from adjustments
    inner join closes
        on
            adjustments.tenant_id = closes.tenant_id
            and adjustments.month_start = closes.month_start
)

select * from final
