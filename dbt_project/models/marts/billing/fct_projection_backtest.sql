-- R13 backtest. One row per projection method and checkpoint day (var
-- projection_checkpoint_days, default 7, 14, 21): how far the projections made on that
-- day of the month were from the month's final MAU, over every ENDED tenant-month with
-- MAU > 0 whose tenant had at least var('projection_min_history_months') ended months
-- with MAU > 0 before it (where the tenant curve applies). The straight line is
-- computed on the same tenant-months for comparison. APE = |projected - final| / final.
with

tenant_days as (
    select * from {{ ref('int_tenant_days_projected') }}
),

methods as (
    select 'tenant_curve' as method
    union all
    select 'straight_line' as method
),

checkpoints as (
    {%- for checkpoint_day in var('projection_checkpoint_days') %}
        select cast({{ checkpoint_day }} as integer) as checkpoint_day
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

backtested_days as (
    select *
    from tenant_days
    where
        is_month_ended
        and month_mau > 0
        and curve_history_months >= {{ var('projection_min_history_months') }}
),

projections as (
    select
        methods.method,
        checkpoints.checkpoint_day,
        backtested_days.tenant_id,
        backtested_days.month_start,
        backtested_days.month_mau,
        case
            when methods.method = 'tenant_curve' then backtested_days.projected_mau
            else backtested_days.linear_projected_mau
        end as projected_mau
    from backtested_days
    inner join checkpoints
        on backtested_days.day_of_month = checkpoints.checkpoint_day
    cross join methods
),

errors as (
    select
        method,
        checkpoint_day,
        tenant_id,
        month_start,
        abs(cast(projected_mau as double) - month_mau) / month_mau as absolute_percentage_error
    from projections
),

summarized as (
    select
        method,
        checkpoint_day,
        count(*) as tenant_months,
        {{ median('absolute_percentage_error') }} as median_absolute_percentage_error,
        avg(absolute_percentage_error) as mean_absolute_percentage_error
    from errors
    group by
        method,
        checkpoint_day
),

final as (
    select
        cast(methods.method as string) as method,
        cast(checkpoints.checkpoint_day as integer) as checkpoint_day,
        cast(coalesce(summarized.tenant_months, 0) as bigint) as tenant_months,
        cast(summarized.median_absolute_percentage_error as double) as median_absolute_percentage_error,
        cast(summarized.mean_absolute_percentage_error as double) as mean_absolute_percentage_error
    from methods
    cross join checkpoints
    left join summarized
        on
            methods.method = summarized.method
            and checkpoints.checkpoint_day = summarized.checkpoint_day
)

select * from final
