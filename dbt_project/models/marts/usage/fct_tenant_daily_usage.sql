-- Month-to-date usage. One row per attributed tenant (R18) and local calendar day of
-- its time zone (R5), from the 1st of each tenant-month of fct_tenant_monthly_usage to
-- the month's last day — for the open month, to today in the tenant's zone.
-- What "real time" usage (P3), the alerts (R12) and the projection (R13) are built on.
-- R13: projected_mau_low / projected_mau_high bound the day's projection with the error
-- the backtest measured for its method and day of the month (int_tenant_days_bounded);
-- projected_status is R12's bands on the low bound. Ended months keep what each day
-- said (the backtest data), like projected_mau.
with

tenant_days as (
    select * from {{ ref('int_tenant_days_bounded') }}
),

final as (
    select
        cast(tenant_id as string) as tenant_id,
        cast(billing_timezone as string) as billing_timezone,
        cast(activity_date as date) as activity_date,
        cast(month_start as date) as month,
        cast(day_of_month as integer) as day_of_month,
        cast(days_in_month as integer) as days_in_month,
        cast(is_month_ended as boolean) as is_month_ended,
        cast(daily_active_persons as bigint) as daily_active_persons,
        cast(new_persons as bigint) as new_persons,
        cast(mtd_mau as bigint) as mtd_mau,
        cast(plan_id as string) as plan_id,
        cast(mau_limit as bigint) as mau_limit,
        cast(utilization as double) as utilization,
        cast(status as string) as status,
        cast(projected_mau as bigint) as projected_mau,
        cast(projected_utilization as double) as projected_utilization,
        cast(projection_method as string) as projection_method,
        cast(curve_history_months as integer) as curve_history_months,
        cast(projected_mau_low as bigint) as projected_mau_low,
        cast(projected_mau_high as bigint) as projected_mau_high,
        cast(projected_status as string) as projected_status
    from tenant_days
)

select * from final
