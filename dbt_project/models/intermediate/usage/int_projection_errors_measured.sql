{{ config(materialized='table') }}

-- R13: the measured error of the end-of-month projection, for each month M that is
-- projected, projection method and day of the month. The backtest data is every day of
-- every ENDED tenant-month with MAU > 0 (int_tenant_days_projected keeps, for each day,
-- what was projected that day): error_ratio = final MAU / projected_mau. Only tenant-
-- months of calendar months before M are used, pooled over tenants, so the bounds of M
-- never see M itself or a later month (no leakage: the backtest of the alerts is honest).
-- With at least var('projection_error_min_samples') ratios from at least
-- var('projection_error_min_months') calendar months (the first days' error changes with
-- the weekday a month starts on, so two months are not enough), the bounds are their
-- var('projection_low_quantile') and var('projection_high_quantile') (error_source
-- 'measured'); with fewer (a new warehouse, or the first months of a method), the
-- documented default relative error e = var('projection_default_relative_error'):
-- ratios 1 − e and 1 + e (error_source 'default'; with e = 1 the low bound is mtd_mau,
-- so no projected alert is sent before the backtest has data).
{%- set is_measured -%}
    measured.sample_count >= {{ var('projection_error_min_samples') }}
    and measured.sample_month_count >= {{ var('projection_error_min_months') }}
{%- endset %}

with

tenant_days as (
    select * from {{ ref('int_tenant_days_projected') }}
),

projected_months as (
    select distinct
        month_start,
        days_in_month
    from tenant_days
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

month_days as (
    select
        projected_months.month_start,
        methods.projection_method,
        days.day_of_month
    from projected_months
    cross join methods
    inner join days
        on projected_months.days_in_month >= days.day_of_month
),

error_ratios as (
    select
        projection_method,
        day_of_month,
        month_start,
        cast(month_mau as double) / projected_mau as error_ratio
    from tenant_days
    where is_month_ended and month_mau > 0 and projected_mau > 0
),

measured as (
    select
        month_days.month_start,
        month_days.projection_method,
        month_days.day_of_month,
        count(*) as sample_count,
        count(distinct error_ratios.month_start) as sample_month_count,
        {{ quantile('error_ratios.error_ratio', var('projection_low_quantile')) }} as low_ratio,
        {{ median('error_ratios.error_ratio') }} as median_ratio,
        {{ quantile('error_ratios.error_ratio', var('projection_high_quantile')) }} as high_ratio
    from month_days
    inner join error_ratios
        on
            month_days.projection_method = error_ratios.projection_method
            and month_days.day_of_month = error_ratios.day_of_month
            and month_days.month_start > error_ratios.month_start
    group by
        month_days.month_start,
        month_days.projection_method,
        month_days.day_of_month
),

final as (
    select
        month_days.month_start,
        cast(month_days.projection_method as string) as projection_method,
        cast(month_days.day_of_month as integer) as day_of_month,
        cast(coalesce(measured.sample_count, 0) as bigint) as sample_count,
        cast(coalesce(measured.sample_month_count, 0) as bigint) as sample_month_count,
        cast(
            case
                when {{ is_measured }} then 'measured'
                else 'default'
            end as string
        ) as error_source,
        cast(
            case
                when {{ is_measured }} then measured.low_ratio
                else greatest(1 - {{ var('projection_default_relative_error') }}, 0)
            end as double
        ) as low_ratio,
        cast(measured.median_ratio as double) as median_ratio,
        cast(
            case
                when {{ is_measured }} then measured.high_ratio
                else 1 + {{ var('projection_default_relative_error') }}
            end as double
        ) as high_ratio
    from month_days
    left join measured
        on
            month_days.month_start = measured.month_start
            and month_days.projection_method = measured.projection_method
            and month_days.day_of_month = measured.day_of_month
)

select * from final
