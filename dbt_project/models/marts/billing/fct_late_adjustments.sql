{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_changed_tenant_months('month') }}"],
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- depends_on: {{ ref('int_tenant_months_changed') }}

-- R16 late adjustments. One row per closed tenant-month (billing.month_closes) that
-- has counted events (R8) loaded after its closed_at: events the frozen snapshot did
-- not see. An event counts as loaded when its FIRST copy (any line with the same
-- tenant_id and event_id, R2) was loaded, so a late retry of an event already loaded
-- is not late. late_person_count = persons of the month whose counted events were ALL
-- loaded after the close — the persons the late events would have added to the MAU;
-- a person already counted before the close adds nothing. Reported, never restated:
-- the snapshot is never changed (that is the Python close step's rule).
-- Incremental: a run recounts the tenant-months of int_tenant_months_changed stamped
-- after its last build. A month closes after the run that loaded its events, so only
-- events loaded later, which change its tenant-month, can make it late.
with

closes as (
    select * from {{ ref('stg_billing_state__month_closes') }}
),

{% if is_incremental() %}

    changed_months as (
        select
            tenant_id,
            activity_month
        from {{ ref('int_tenant_months_changed') }}
        where _built_at > {{ last_build_stamp() }}
    ),

    counted_events as (
        select events.*
        from {{ ref('int_events_attributed_to_persons') }} as events
        inner join changed_months
            on
                events.tenant_id = changed_months.tenant_id
                and events.activity_month = changed_months.activity_month
        where events.is_counted and events.is_attributed
    ),

{% else %}

    counted_events as (
        select * from {{ ref('int_events_attributed_to_persons') }}
        where is_counted and is_attributed
    ),

{% endif %}

closed_month_events as (
    select
        counted_events.tenant_id,
        counted_events.activity_month as month_start,
        counted_events.person_kind,
        counted_events.person_id,
        counted_events.event_id,
        closes.closed_at,
        counted_events.first_loaded_at,
        counted_events.first_loaded_at > closes.closed_at as is_late
    from counted_events
    inner join closes
        on
            counted_events.tenant_id = closes.tenant_id
            and counted_events.activity_month = closes.month_start
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
        cast(adjustments.first_late_loaded_at as timestamp with time zone) as first_late_loaded_at,
        {{ build_stamp() }} as _built_at
    from adjustments
    inner join closes
        on
            adjustments.tenant_id = closes.tenant_id
            and adjustments.month_start = closes.month_start
)

select * from final
