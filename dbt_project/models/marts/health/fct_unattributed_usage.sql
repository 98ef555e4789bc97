{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=["{{ delete_changed_tenant_months('utc_month') }}"],
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- R18 data health. One row per tenant missing from the tenants export and UTC month
-- with events. Such events are accepted and counted here, never billed; once the
-- tenant appears in the export, every model recomputes and they count normally.
-- Incremental: a run recounts the tenant-months of int_tenant_months_changed stamped
-- after its last build (an unattributed tenant's activity month is its UTC month).
with

unattributed_events as (
    {{ events_of_changed_tenant_months('not events.is_attributed') }}
),

tenant_months as (
    select
        tenant_id,
        utc_month,
        count(*) as event_count,
        sum(case when is_counted then 1 else 0 end) as counted_event_count,
        sum(case when is_counted then 0 else 1 end) as excluded_event_count,
        count(distinct case when is_counted then {{ dbt.concat(["person_kind", "':'", "person_id"]) }} end) as mau,
        count(distinct case when is_counted and person_kind = 'user' then person_id end) as identified_mau,
        count(distinct case when is_counted and person_kind = 'anonymous' then person_id end) as anonymous_mau,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time
    from unattributed_events
    group by
        tenant_id,
        utc_month
),

final as (
    select
        cast(tenant_id as string) as tenant_id,
        cast(utc_month as date) as utc_month,
        cast(event_count as bigint) as event_count,
        cast(counted_event_count as bigint) as counted_event_count,
        cast(excluded_event_count as bigint) as excluded_event_count,
        cast(mau as bigint) as mau,
        cast(identified_mau as bigint) as identified_mau,
        cast(anonymous_mau as bigint) as anonymous_mau,
        cast(first_event_time as {{ type_timestamptz() }}) as first_event_time,
        cast(last_event_time as {{ type_timestamptz() }}) as last_event_time,
        {{ build_stamp() }} as _built_at
    from tenant_months
)

select * from final
