-- One row per calendar month from the earliest month any subscription or counted
-- event touches to the latest one, including every tenant's current local month
-- (its "today" in its own zone, macros/calendar.sql). Portable month spine: offsets
-- from dbt.generate_series.
with

subscriptions as (
    select * from {{ ref('stg_billing_system__subscriptions') }}
),

tenants as (
    select * from {{ ref('stg_billing_system__tenants') }}
),

tenant_months as (
    select * from {{ ref('int_tenant_months_aggregated') }}
),

month_candidates as (
    select {{ first_day_of_month('started_on') }} as month_start from subscriptions
    union all
    select {{ first_day_of_month('ended_on') }} as month_start from subscriptions
    union all
    select activity_month as month_start from tenant_months
),

bounds as (
    select
        min(month_start) as first_month,
        max(month_start) as last_data_month
    from month_candidates
),

local_today_months as (
    -- the latest month any tenant has entered in its own zone (UTC without tenants)
    select max(today_month) as last_today_month
    from (
        select {{ first_day_of_month(local_as_of_date('billing_timezone')) }} as today_month
        from tenants
        union all
        select {{ first_day_of_month(local_as_of_date("'UTC'")) }} as today_month
    ) as todays
),

bounds_with_as_of as (
    select
        bounds.first_month,
        case
            when bounds.last_data_month > local_today_months.last_today_month then bounds.last_data_month
            else local_today_months.last_today_month
        end as last_month
    from bounds
    cross join local_today_months
    where bounds.first_month is not null
),

month_offsets as (
    -- up to a century of months, from dbt's portable series generator
    select generated_number - 1 as month_offset
    from ({{ dbt.generate_series(1200) }}) as series
),

months as (
    select
        cast(
            {{ dbt.dateadd('month', 'month_offsets.month_offset', 'bounds_with_as_of.first_month') }} as date
        ) as month_start
    from bounds_with_as_of
    cross join month_offsets
    where
        month_offsets.month_offset
        <= {{ dbt.datediff('bounds_with_as_of.first_month', 'bounds_with_as_of.last_month', 'month') }}
),

final as (
    select
        month_start,
        {{ last_day_of_month('month_start') }} as month_end
    from months
)

select * from final
