{{ config(materialized='table') }}

-- R12, R13: every tenant day of int_tenant_days_aggregated with what would have been
-- projected for the end of its month on that day, from that day's mtd_mau only.
--   tenant_curve: the day's position in the month, d * 30 / days_in_month, is linearly
--     interpolated on the month's fitted curve (int_tenant_growth_curves_fitted, point
--     0 = 0); projection = mtd_mau / fraction, never below mtd_mau.
--   linear (plain method, when the tenant has fewer than 2 ended history months with
--     MAU > 0, or the curve is still 0 at that point):
--     projection = mtd_mau * days_in_month / day_of_month.
-- Both are kept (the backtest compares them); projected_mau is the one that applies.
-- Ended months carry their day-by-day projections too: that is the backtest data.
with

tenant_days as (
    select * from {{ ref('int_tenant_days_aggregated') }}
),

curves as (
    select * from {{ ref('int_tenant_growth_curves_fitted') }}
),

positioned as (
    select
        *,
        cast(day_of_month as double) * 30 / days_in_month as curve_position
    from tenant_days
),

curve_bounds as (
    select
        *,
        cast(floor(curve_position) as integer) as lower_point,
        curve_position - floor(curve_position) as upper_weight
    from positioned
),

interpolated as (
    select
        curve_bounds.*,
        coalesce(lower_curves.history_month_count, upper_curves.history_month_count) as curve_history_months,
        (1 - curve_bounds.upper_weight)
        * (case when curve_bounds.lower_point = 0 then 0 else lower_curves.mtd_fraction end)
        + curve_bounds.upper_weight
        * (case when curve_bounds.lower_point >= 30 then 1 else upper_curves.mtd_fraction end)
            as curve_fraction
    from curve_bounds
    left join curves as lower_curves
        on
            curve_bounds.tenant_id = lower_curves.tenant_id
            and curve_bounds.month_start = lower_curves.month_start
            and curve_bounds.lower_point = lower_curves.curve_point
    left join curves as upper_curves
        on
            curve_bounds.tenant_id = upper_curves.tenant_id
            and curve_bounds.month_start = upper_curves.month_start
            and curve_bounds.lower_point + 1 = upper_curves.curve_point
),

projected as (
    select
        *,
        case
            when curve_fraction > 0
                then cast(round(cast(mtd_mau as double) / curve_fraction) as bigint)
        end as raw_curve_projected_mau,
        cast(round(cast(mtd_mau as double) * days_in_month / day_of_month) as bigint) as linear_projected_mau
    from interpolated
),

chosen as (
    select
        *,
        case
            when raw_curve_projected_mau is null then null
            when raw_curve_projected_mau < mtd_mau then mtd_mau
            else raw_curve_projected_mau
        end as curve_projected_mau
    from projected
),

measured as (
    select
        *,
        case when curve_projected_mau is not null then 'tenant_curve' else 'linear' end as projection_method,
        coalesce(curve_projected_mau, linear_projected_mau) as projected_mau
    from chosen
),

final as (
    select
        {{ tenant_day_columns() }},
        -- R12 on month-to-date figures: null without a plan or without a limit
        case when plan_id is not null then cast(mtd_mau as double) / nullif(mau_limit, 0) end as utilization,
        {{ usage_status('plan_id', 'mau_limit', 'mtd_mau', 'cast(mtd_mau as double) / nullif(mau_limit, 0)') }}
            as status,
        cast(curve_fraction as double) as curve_fraction,
        cast(coalesce(curve_history_months, 0) as integer) as curve_history_months,
        curve_projected_mau,
        linear_projected_mau,
        projected_mau,
        case
            when plan_id is not null then cast(projected_mau as double) / nullif(mau_limit, 0)
        end as projected_utilization,
        projection_method
    from measured
)

select * from final
