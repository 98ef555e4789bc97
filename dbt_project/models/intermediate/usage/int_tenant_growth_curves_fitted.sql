{{ config(materialized='table') }}

-- R13: the tenant's own curve of how month-to-date uniques grow, fitted for each
-- tenant-month M from the tenant's ENDED months strictly before M with MAU > 0 (no
-- leakage: M's projection never sees M or any later month), except the tenant's first
-- month with MAU > 0: a tenant usually starts sending events mid-month (sign-up, SDK
-- roll-out), and a month that starts late would teach the curve that almost nobody is
-- active early, so every later month would be over-projected (a false R13 alert).
-- Each history month is sampled at 30 normalized points k = 1..30 (k/30 of the month
-- elapsed, whatever its length): the day position x = k * days_in_month / 30 is
-- linearly interpolated between mtd_mau of days floor(x) and floor(x) + 1 (day 0 =
-- nobody yet), divided by the month's final MAU. The curve of M at point k is the
-- median of those fractions over the history months; it exists only with at least
-- var('projection_min_history_months') (2) history months (else the plain method).
with

tenant_days as (
    select * from {{ ref('int_tenant_days_aggregated') }}
),

active_months as (
    select distinct
        tenant_id,
        month_start,
        days_in_month,
        month_mau
    from tenant_days
    where is_month_ended and month_mau > 0
),

first_active_months as (
    select
        tenant_id,
        min(month_start) as first_month_start
    from active_months
    group by tenant_id
),

history_months as (
    select
        active_months.tenant_id,
        active_months.month_start,
        active_months.days_in_month,
        active_months.month_mau
    from active_months
    inner join first_active_months
        on active_months.tenant_id = first_active_months.tenant_id
    -- not the tenant's first active month: it is usually partial (see above)
    where active_months.month_start > first_active_months.first_month_start
),

target_months as (
    select distinct
        tenant_id,
        month_start
    from tenant_days
),

curve_points as (
    select generated_number as curve_point
    from ({{ dbt.generate_series(30) }}) as series
),

sample_positions as (
    select
        history_months.tenant_id,
        history_months.month_start,
        history_months.month_mau,
        curve_points.curve_point,
        cast(curve_points.curve_point as double) * history_months.days_in_month / 30 as day_position
    from history_months
    cross join curve_points
),

sample_days as (
    select
        *,
        cast(floor(day_position) as integer) as lower_day,
        day_position - floor(day_position) as upper_weight
    from sample_positions
),

sampled_fractions as (
    select
        sample_days.tenant_id,
        sample_days.month_start,
        sample_days.curve_point,
        (
            (1 - sample_days.upper_weight)
            * (case when sample_days.lower_day = 0 then 0 else coalesce(lower_days.mtd_mau, sample_days.month_mau) end)
            + sample_days.upper_weight * coalesce(upper_days.mtd_mau, sample_days.month_mau)
        ) / sample_days.month_mau as mtd_fraction
    from sample_days
    left join tenant_days as lower_days
        on
            sample_days.tenant_id = lower_days.tenant_id
            and sample_days.month_start = lower_days.month_start
            and sample_days.lower_day = lower_days.day_of_month
    left join tenant_days as upper_days
        on
            sample_days.tenant_id = upper_days.tenant_id
            and sample_days.month_start = upper_days.month_start
            and sample_days.lower_day + 1 = upper_days.day_of_month
),

fitted as (
    select
        target_months.tenant_id,
        target_months.month_start,
        sampled_fractions.curve_point,
        {{ median('sampled_fractions.mtd_fraction') }} as mtd_fraction,
        count(*) as history_month_count,
        max(sampled_fractions.month_start) as last_history_month
    from target_months
    inner join sampled_fractions
        on
            target_months.tenant_id = sampled_fractions.tenant_id
            and target_months.month_start > sampled_fractions.month_start
    group by
        target_months.tenant_id,
        target_months.month_start,
        sampled_fractions.curve_point
    having count(*) >= {{ var('projection_min_history_months') }}
),

final as (
    select
        tenant_id,
        month_start,
        cast(curve_point as integer) as curve_point,
        cast(mtd_fraction as double) as mtd_fraction,
        cast(history_month_count as integer) as history_month_count,
        last_history_month
    from fitted
)

select * from final
