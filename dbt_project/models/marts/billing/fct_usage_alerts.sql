-- R12, R13 alerts. One row per tenant, month, alert kind and threshold (var
-- alert_thresholds, default 0.8 and 1.0) that fired, for tenant-months with a finite,
-- positive limit (no alert for unlimited plans or months without a plan). Days are the
-- tenant's local days (R5): alert_date is the local day the condition first held.
--   threshold_reached (R12): the first local day mtd_mau / mau_limit >= threshold.
--   projected_to_exceed (R13, amended): the first local day the LOW bound of the
--     projection (projected_mau_low, int_tenant_days_bounded: the projection less the
--     error the backtest measured for that method and day of the month) reaches the
--     threshold, strictly before the day mtd_mau itself reaches it — never on or after
--     that day. When several thresholds are first projected on the same day, only the
--     highest is sent (no 80 % and 100 % the same morning).
-- Each fires at most once per (tenant, month, kind, threshold); exactly 80 % fires.
-- alert_id = md5('tenant_id|YYYY-MM-DD|alert_kind|threshold') keys the notification outbox.
with

tenant_days as (
    select * from {{ ref('int_tenant_days_bounded') }}
    where plan_id is not null and mau_limit > 0
),

tenants as (
    select * from {{ ref('stg_billing_system__tenants') }}
),

thresholds as (
    {{ alert_thresholds() }}
),

day_thresholds as (
    select
        tenant_days.tenant_id,
        tenant_days.month_start,
        tenant_days.activity_date,
        tenant_days.plan_id,
        tenant_days.mau_limit,
        tenant_days.mtd_mau,
        tenant_days.projected_mau,
        tenant_days.projected_mau_low,
        tenant_days.projected_mau_high,
        tenant_days.projection_method,
        thresholds.threshold,
        cast(tenant_days.mtd_mau as double) / tenant_days.mau_limit >= thresholds.threshold as is_reached,
        cast(tenant_days.projected_mau_low as double) / tenant_days.mau_limit >= thresholds.threshold
            as is_projected
    from tenant_days
    cross join thresholds
),

reached_days as (
    select
        tenant_id,
        month_start,
        threshold,
        min(activity_date) as reached_on
    from day_thresholds
    where is_reached
    group by
        tenant_id,
        month_start,
        threshold
),

reached_firings as (
    select
        *,
        'threshold_reached' as alert_kind,
        mtd_mau as alert_value
    from day_thresholds
    where is_reached
),

projected_firings as (
    select
        day_thresholds.*,
        'projected_to_exceed' as alert_kind,
        day_thresholds.projected_mau as alert_value
    from day_thresholds
    left join reached_days
        on
            day_thresholds.tenant_id = reached_days.tenant_id
            and day_thresholds.month_start = reached_days.month_start
            and day_thresholds.threshold = reached_days.threshold
    where
        day_thresholds.is_projected
        and not day_thresholds.is_reached
        -- R13: never on or after the day the threshold itself was reached
        and (reached_days.reached_on is null or day_thresholds.activity_date < reached_days.reached_on)
),

firing_days as (
    select * from reached_firings
    union all
    select * from projected_firings
),

first_firing_days as (
    select
        *,
        row_number() over (
            partition by tenant_id, month_start, alert_kind, threshold
            order by activity_date asc
        ) as firing_rank
    from firing_days
),

first_firings as (
    select
        *,
        -- R13: of the projected thresholds first crossed on one day, only the highest
        row_number() over (
            partition by tenant_id, month_start, alert_kind, activity_date
            order by threshold desc
        ) as same_day_rank
    from first_firing_days
    where firing_rank = 1
),

alerts as (
    select
        first_firings.*,
        tenants.tenant_name,
        {{ dbt.hash(dbt.concat([
            'first_firings.tenant_id', "'|'",
            'cast(first_firings.month_start as string)', "'|'",
            'first_firings.alert_kind', "'|'",
            'cast(first_firings.threshold as string)'
        ])) }} as alert_id
    from first_firings
    left join tenants
        on first_firings.tenant_id = tenants.tenant_id
    where first_firings.alert_kind = 'threshold_reached' or first_firings.same_day_rank = 1
),

final as (
    select
        cast(alert_id as string) as alert_id,
        cast(tenant_id as string) as tenant_id,
        cast(tenant_name as string) as tenant_name,
        cast(month_start as date) as month,
        cast(alert_kind as string) as alert_kind,
        cast(threshold as double) as threshold,
        cast(activity_date as date) as alert_date,
        cast(alert_value as bigint) as value,
        cast(mtd_mau as bigint) as mtd_mau,
        cast(projected_mau as bigint) as projected_mau,
        cast(projected_mau_low as bigint) as projected_mau_low,
        cast(projected_mau_high as bigint) as projected_mau_high,
        cast(projection_method as string) as projection_method,
        cast(plan_id as string) as plan_id,
        cast(mau_limit as bigint) as mau_limit
    from alerts
)

select * from final
