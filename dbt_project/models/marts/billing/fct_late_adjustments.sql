{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_changed_tenant_months('month') }}"],
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- R16 late adjustments. One row per closed tenant-month (billing.month_closes, or past
-- its close time and so closed by this run's close step) with events that its frozen
-- snapshot does not hold. The snapshot holds exactly the
-- month's counted events (R8) received at or before the month's close time and
-- loaded by the close; every other one is late: received after the close time
-- (is_received_after_close, decided from the data alone), or loaded after the close
-- ran (its FIRST copy, R2: a late retry of an event already loaded is not late).
-- late_person_count = persons of the month whose events were ALL late — the persons
-- the late events would have added to the MAU; a person already counted before the
-- close adds nothing. Reported, never restated: the snapshot is never changed (the
-- Python close step's rule).
-- Incremental: a run recounts the tenant-months of int_tenant_months_changed stamped
-- after its last build. A month closes after the run that loaded its events, so only
-- events loaded later, which change its tenant-month, can make it late.
with

closes as (
    select * from {{ ref('stg_billing_state__month_closes') }}
),

counted_events as {{ inline_cte() }} (
    {{ events_of_changed_tenant_months('not events.is_excluded and events.is_attributed') }}
),

closing_months as (
    -- the closed tenant-months, and those whose close time has passed: the close step
    -- of this very run closes them right after the build, with every event loaded so
    -- far, so their late events are known now, not one run later
    select
        tenant_months.tenant_id,
        tenant_months.month_start,
        coalesce(closes.closed_at, {{ build_stamp() }}) as closed_at,
        coalesce(closes.close_kind, 'automatic') as close_kind
    from (
        select distinct
            tenant_id,
            activity_month as month_start,
            billing_timezone
        from counted_events
    ) as tenant_months
    left join closes
        on
            tenant_months.tenant_id = closes.tenant_id
            and tenant_months.month_start = closes.month_start
    where
        closes.tenant_id is not null
        or {{ month_closes_at('tenant_months.month_start', 'tenant_months.billing_timezone') }} <= {{ build_stamp() }}
),

closed_month_events as (
    select
        counted_events.tenant_id,
        counted_events.activity_month as month_start,
        counted_events.person_kind,
        counted_events.person_id,
        counted_events.event_id,
        counted_events.first_loaded_at,
        counted_events.is_received_after_close
        or counted_events.first_loaded_at > closing_months.closed_at as is_late
    from counted_events
    inner join closing_months
        on
            counted_events.tenant_id = closing_months.tenant_id
            and counted_events.activity_month = closing_months.month_start
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
        cast(adjustments.tenant_id as string) as tenant_id,
        cast(adjustments.month_start as date) as month,
        cast(closing_months.closed_at as {{ type_timestamptz() }}) as closed_at,
        cast(closing_months.close_kind as string) as close_kind,
        cast(adjustments.late_event_count as bigint) as late_event_count,
        cast(adjustments.late_person_count as bigint) as late_person_count,
        cast(adjustments.first_late_loaded_at as {{ type_timestamptz() }}) as first_late_loaded_at,
        {{ build_stamp() }} as _built_at
    from adjustments
    inner join closing_months
        on
            adjustments.tenant_id = closing_months.tenant_id
            and adjustments.month_start = closing_months.month_start
)

select * from final
