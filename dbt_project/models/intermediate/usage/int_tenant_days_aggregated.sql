{{ config(materialized='table') }}

-- One row per tenant-month of int_tenant_months_enumerated and local day of that month
-- (tenant time zone, R5), from the 1st to the month's last day — for the open month
-- up to the tenant's local as-of date (or its last active day, if later).
-- daily_active_persons: distinct persons with a counted event that day (R8).
-- mtd_mau: exact distinct persons from the 1st to that day, as a running sum of the
-- persons whose first active day of the month is that day (a person active on the
-- 1st and the 5th counts once, on the 1st). On the last row mtd_mau = the month's MAU.
with

tenant_months as (
    select * from {{ ref('int_tenant_months_enumerated') }}
),

person_months as (
    select * from {{ ref('int_person_months_aggregated') }}
    where is_attributed
),

daily_actives as (
    select * from {{ ref('int_daily_actives_counted') }}
),

daily_new_persons as (
    select
        tenant_id,
        activity_month,
        first_active_date as activity_date,
        count(*) as new_persons
    from person_months
    group by
        tenant_id,
        activity_month,
        first_active_date
),

last_active_dates as (
    select
        tenant_id,
        activity_month,
        max(activity_date) as last_active_date
    from daily_actives
    group by
        tenant_id,
        activity_month
),

day_offsets as (
    select generated_number - 1 as day_offset
    from ({{ dbt.generate_series(31) }}) as series
),

month_horizons as (
    select
        tenant_months.*,
        -- the open month runs to today in the tenant's zone; activity already loaded
        -- for later days (a pinned as_of_date) extends it to the last active day
        case
            when tenant_months.month_end < tenant_months.local_as_of_date then tenant_months.month_end
            when last_active_dates.last_active_date > tenant_months.local_as_of_date
                then last_active_dates.last_active_date
            else tenant_months.local_as_of_date
        end as last_reported_date
    from tenant_months
    left join last_active_dates
        on
            tenant_months.tenant_id = last_active_dates.tenant_id
            and tenant_months.month_start = last_active_dates.activity_month
),

tenant_days as (
    select
        month_horizons.tenant_id,
        month_horizons.billing_timezone,
        month_horizons.month_start,
        month_horizons.month_end,
        month_horizons.days_in_month,
        month_horizons.is_month_ended,
        month_horizons.mau as month_mau,
        month_horizons.plan_id,
        month_horizons.mau_limit,
        cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'month_horizons.month_start') }} as date)
            as activity_date,
        day_offsets.day_offset + 1 as day_of_month
    from month_horizons
    cross join day_offsets
    where
        day_offsets.day_offset < month_horizons.days_in_month
        and day_offsets.day_offset
        <= {{ dbt.datediff('month_horizons.month_start', 'month_horizons.last_reported_date', 'day') }}
),

counted as (
    select
        tenant_days.*,
        coalesce(daily_actives.daily_active_persons, 0) as daily_active_persons,
        coalesce(daily_new_persons.new_persons, 0) as new_persons,
        sum(coalesce(daily_new_persons.new_persons, 0)) over (
            partition by tenant_days.tenant_id, tenant_days.month_start
            order by tenant_days.activity_date
            rows between unbounded preceding and current row
        ) as mtd_mau
    from tenant_days
    left join daily_actives
        on
            tenant_days.tenant_id = daily_actives.tenant_id
            and tenant_days.month_start = daily_actives.activity_month
            and tenant_days.activity_date = daily_actives.activity_date
    left join daily_new_persons
        on
            tenant_days.tenant_id = daily_new_persons.tenant_id
            and tenant_days.month_start = daily_new_persons.activity_month
            and tenant_days.activity_date = daily_new_persons.activity_date
),

final as (
    select
        tenant_id,
        billing_timezone,
        month_start,
        month_end,
        cast(days_in_month as integer) as days_in_month,
        is_month_ended,
        cast(month_mau as bigint) as month_mau,
        plan_id,
        mau_limit,
        activity_date,
        cast(day_of_month as integer) as day_of_month,
        cast(daily_active_persons as bigint) as daily_active_persons,
        cast(new_persons as bigint) as new_persons,
        cast(mtd_mau as bigint) as mtd_mau
    from counted
)

select * from final
