-- One row per calendar month from the earliest month any subscription or counted
-- event touches to the latest one, including the month of the as-of date (see the
-- as_of_date var). Portable month spine: offsets from dbt.generate_series.
with

subscriptions as (
    select * from {{ ref('stg_billing_system__subscriptions') }}
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

bounds_with_as_of as (
    select
        first_month,
        case
            when last_data_month > {{ first_day_of_month(as_of_date()) }} then last_data_month
            else {{ first_day_of_month(as_of_date()) }}
        end as last_month
    from bounds
    where first_month is not null
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
