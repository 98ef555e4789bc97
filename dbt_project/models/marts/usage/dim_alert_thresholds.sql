-- One row per configured alert threshold (R12): the lines the dashboards draw on
-- usage charts, from the same variable fct_usage_alerts fires on.
with

thresholds as (
    {{ alert_thresholds() }}
),

final as (
    select
        cast(threshold as double) as threshold,
        cast(cast(round(threshold * 100) as integer) as string) || ' %' as threshold_label
    from thresholds
)

select * from final
