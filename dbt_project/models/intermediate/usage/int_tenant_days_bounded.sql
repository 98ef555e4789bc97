{{ config(materialized='table') }}

-- R12, R13: every row of int_tenant_days_projected with the bounds of its projection
-- and the day's projected_status. The bounds apply the error measured by the backtest
-- for the projection's method and day of the month, on months before this one
-- (int_projection_errors_measured):
--   projected_mau_low  = round(projected_mau × low_ratio), never above projected_mau,
--   projected_mau_high = round(projected_mau × high_ratio), never below projected_mau,
-- both never below mtd_mau (the month's MAU can only grow). A month with nobody yet
-- (mtd_mau 0) has bounds 0: there is nothing to scale. error_source:
--   measured: the error of the projection's own method was measured;
--   linear_fallback: the tenant curve's error is not measured yet (its first months in
--     a new warehouse) but the straight line's is: the bounds are the straight-line
--     projection times the straight line's measured ratios (still clamped around
--     projected_mau as above), so alerts do not wait months for the curve's backtest;
--   default: neither is measured: the default relative error (see
--     int_projection_errors_measured), with which no projected alert is sent.
-- projected_status: R12's bands (macro usage_status) applied to projected_mau_low, so
-- 'over' means over the limit even at the low end of the measured error (R13, R14).
-- Ended months keep what each day said: that is the data of the alert backtest.
with

tenant_days as (
    select * from {{ ref('int_tenant_days_projected') }}
),

errors as (
    select * from {{ ref('int_projection_errors_measured') }}
),

scaled as (
    select
        tenant_days.*,
        case
            when own_errors.error_source = 'measured' then 'measured'
            when linear_errors.error_source = 'measured' then 'linear_fallback'
            else 'default'
        end as error_source,
        case
            when own_errors.error_source = 'measured' then own_errors.sample_count
            when linear_errors.error_source = 'measured' then linear_errors.sample_count
            else 0
        end as error_sample_count,
        case
            when own_errors.error_source = 'measured'
                then cast(round(tenant_days.projected_mau * own_errors.low_ratio) as bigint)
            when linear_errors.error_source = 'measured'
                then cast(round(tenant_days.linear_projected_mau * linear_errors.low_ratio) as bigint)
            else cast(round(tenant_days.projected_mau * own_errors.low_ratio) as bigint)
        end as scaled_low,
        case
            when own_errors.error_source = 'measured'
                then cast(round(tenant_days.projected_mau * own_errors.high_ratio) as bigint)
            when linear_errors.error_source = 'measured'
                then cast(round(tenant_days.linear_projected_mau * linear_errors.high_ratio) as bigint)
            else cast(round(tenant_days.projected_mau * own_errors.high_ratio) as bigint)
        end as scaled_high
    from tenant_days
    left join errors as own_errors
        on
            tenant_days.month_start = own_errors.month_start
            and tenant_days.projection_method = own_errors.projection_method
            and tenant_days.day_of_month = own_errors.day_of_month
    left join errors as linear_errors
        on
            tenant_days.month_start = linear_errors.month_start
            and linear_errors.projection_method = 'linear'
            and tenant_days.day_of_month = linear_errors.day_of_month
),

bounded as (
    select
        *,
        case
            when scaled_low is null or scaled_low > projected_mau then projected_mau
            when scaled_low < mtd_mau then mtd_mau
            else scaled_low
        end as projected_mau_low,
        case
            when scaled_high is null or scaled_high < projected_mau then projected_mau
            else scaled_high
        end as projected_mau_high
    from scaled
),

final as (
    select
        {{ tenant_day_columns() }},
        utilization,
        status,
        curve_fraction,
        curve_history_months,
        curve_projected_mau,
        linear_projected_mau,
        projected_mau,
        projected_utilization,
        projection_method,
        cast(projected_mau_low as bigint) as projected_mau_low,
        cast(projected_mau_high as bigint) as projected_mau_high,
        cast(error_source as string) as error_source,
        cast(error_sample_count as bigint) as error_sample_count,
        -- R13: R12's bands on the low bound
        cast(
            {{ usage_status(
                'plan_id',
                'mau_limit',
                'projected_mau_low',
                'cast(projected_mau_low as double) / nullif(mau_limit, 0)'
            ) }} as string
        ) as projected_status
    from bounded
)

select * from final
