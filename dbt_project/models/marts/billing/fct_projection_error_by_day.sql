-- R13 backtest, by day of the month. One row per projection method ('tenant_curve',
-- 'linear') and day of the month (1..31): how far the projections made on that day were
-- from the month's final MAU, over every ENDED tenant-month with MAU > 0 on the days
-- that method applied (int_tenant_days_projected.projection_method). This is the error
-- the next month's bounds are drawn from (int_projection_errors_measured measures the
-- same figures for each month on the months before it only). error_ratio = final MAU /
-- projected MAU (1.0 = exact, 0.5 = projected twice the final figure); APE = |projected
-- − final| / final. Always one row per pair; tenant_months = 0 and null errors without
-- data. See docs/projection.md.
with

tenant_days as (
    select * from {{ ref('int_tenant_days_projected') }}
),

methods as (
    select 'tenant_curve' as projection_method
    union all
    select 'linear' as projection_method
),

days as (
    select generated_number as day_of_month
    from ({{ dbt.generate_series(31) }}) as series
),

errors as (
    select
        projection_method,
        day_of_month,
        cast(month_mau as double) / projected_mau as error_ratio,
        abs(cast(projected_mau as double) - month_mau) / month_mau as absolute_percentage_error
    from tenant_days
    where is_month_ended and month_mau > 0 and projected_mau > 0
),

summarized as (
    select
        projection_method,
        day_of_month,
        count(*) as tenant_months,
        {{ median('absolute_percentage_error') }} as median_absolute_percentage_error,
        {{ quantile('error_ratio', var('projection_low_quantile')) }} as low_ratio,
        {{ median('error_ratio') }} as median_ratio,
        {{ quantile('error_ratio', var('projection_high_quantile')) }} as high_ratio
    from errors
    group by
        projection_method,
        day_of_month
),

final as (
    select
        cast(methods.projection_method as string) as projection_method,
        cast(days.day_of_month as integer) as day_of_month,
        cast(coalesce(summarized.tenant_months, 0) as bigint) as tenant_months,
        cast(summarized.median_absolute_percentage_error as double) as median_absolute_percentage_error,
        cast(summarized.low_ratio as double) as low_ratio,
        cast(summarized.median_ratio as double) as median_ratio,
        cast(summarized.high_ratio as double) as high_ratio
    from methods
    cross join days
    left join summarized
        on
            methods.projection_method = summarized.projection_method
            and days.day_of_month = summarized.day_of_month
)

select * from final
