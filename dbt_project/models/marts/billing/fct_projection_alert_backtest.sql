-- R13 alert backtest (SPEC §6 targets). One row per alert threshold (var
-- alert_thresholds): how the 'projected_to_exceed' alerts of fct_usage_alerts did over
-- every ENDED tenant-month with MAU > 0 and a finite, positive limit. The bounds the alerts use are
-- drawn from earlier months only (int_projection_errors_measured), so each month is
-- scored as it would have been alerted at the time.
--   ended_over: the month's final MAU is above threshold × mau_limit (for 1.0: the
--     month ended over its limit, R12 'over').
--   precision = alerts whose tenant-month ended over / projected alerts.
--   recall = tenant-months that ended over and had a projected alert strictly before
--     the local day their mtd_mau reached the threshold (the threshold_reached alert) /
--     tenant-months that ended over.
--   lead days = that day − the projected alert's day; the median over warned months.
-- Ratios are null when their denominator is 0. docs/projection.md reports the figures.
with

tenant_months as (
    select * from {{ ref('int_tenant_months_projected') }}
    where is_month_ended and plan_id is not null and mau_limit > 0 and mau > 0
),

alerts as (
    select * from {{ ref('fct_usage_alerts') }}
),

thresholds as (
    {{ alert_thresholds() }}
),

scored as (
    select
        thresholds.threshold,
        tenant_months.tenant_id,
        tenant_months.month_start,
        cast(tenant_months.mau as double) > thresholds.threshold * tenant_months.mau_limit as is_ended_over,
        projected_alerts.alert_date as projected_on,
        reached_alerts.alert_date as reached_on
    from tenant_months
    cross join thresholds
    left join alerts as projected_alerts
        on
            tenant_months.tenant_id = projected_alerts.tenant_id
            and tenant_months.month_start = projected_alerts.month
            and thresholds.threshold = projected_alerts.threshold
            and projected_alerts.alert_kind = 'projected_to_exceed'
    left join alerts as reached_alerts
        on
            tenant_months.tenant_id = reached_alerts.tenant_id
            and tenant_months.month_start = reached_alerts.month
            and thresholds.threshold = reached_alerts.threshold
            and reached_alerts.alert_kind = 'threshold_reached'
),

warned as (
    select
        *,
        is_ended_over and projected_on is not null and projected_on < reached_on as is_warned_in_time,
        case
            when is_ended_over and projected_on < reached_on
                then {{ dbt.datediff('projected_on', 'reached_on', 'day') }}
        end as lead_days
    from scored
),

summarized as (
    select
        threshold,
        count(*) as tenant_months,
        min(month_start) as first_month,
        max(month_start) as last_month,
        sum(case when projected_on is not null then 1 else 0 end) as projected_alerts,
        sum(case when projected_on is not null and is_ended_over then 1 else 0 end) as correct_alerts,
        sum(case when is_ended_over then 1 else 0 end) as ended_over_tenant_months,
        sum(case when is_warned_in_time then 1 else 0 end) as warned_tenant_months,
        {{ median('lead_days') }} as median_lead_days
    from warned
    group by threshold
),

final as (
    select
        cast(thresholds.threshold as double) as threshold,
        cast(coalesce(summarized.tenant_months, 0) as bigint) as tenant_months,
        cast(summarized.first_month as date) as first_month,
        cast(summarized.last_month as date) as last_month,
        cast(coalesce(summarized.projected_alerts, 0) as bigint) as projected_alerts,
        cast(coalesce(summarized.correct_alerts, 0) as bigint) as correct_alerts,
        cast(summarized.correct_alerts as double) / nullif(summarized.projected_alerts, 0) as alert_precision,
        cast(coalesce(summarized.ended_over_tenant_months, 0) as bigint) as ended_over_tenant_months,
        cast(coalesce(summarized.warned_tenant_months, 0) as bigint) as warned_tenant_months,
        cast(summarized.warned_tenant_months as double)
        / nullif(summarized.ended_over_tenant_months, 0) as alert_recall,
        cast(summarized.median_lead_days as double) as median_lead_days
    from thresholds
    left join summarized
        on thresholds.threshold = summarized.threshold
)

select * from final
