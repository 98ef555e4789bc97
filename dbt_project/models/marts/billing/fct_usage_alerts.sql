-- R12, R13 alerts. One row per tenant, month, alert kind and threshold (var
-- alert_thresholds, default 0.8 and 1.0) that fired, for tenant-months with a finite,
-- positive limit (no alert for unlimited plans or months without a plan).
--   threshold_reached: the first local day mtd_mau / mau_limit >= threshold;
--   projected_to_exceed: the first local day projected_mau / mau_limit >= threshold
--     while mtd_mau / mau_limit is still below it ("on track to exceed").
-- Each fires at most once per (tenant, month, kind, threshold); exactly 80 % fires.
-- alert_id = md5('tenant_id|YYYY-MM-DD|alert_kind|threshold') keys the notification outbox.
with

tenant_days as (
    select * from {{ ref('int_tenant_days_projected') }}
    where plan_id is not null and mau_limit > 0
),

tenants as (
    select * from {{ ref('stg_billing_system__tenants') }}
),

thresholds as (
    {%- for threshold in var('alert_thresholds') %}
        select cast({{ threshold }} as double) as threshold
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
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
        tenant_days.projection_method,
        thresholds.threshold,
        cast(tenant_days.mtd_mau as double) / tenant_days.mau_limit >= thresholds.threshold as is_reached,
        cast(tenant_days.projected_mau as double) / tenant_days.mau_limit >= thresholds.threshold as is_projected
    from tenant_days
    cross join thresholds
),

firing_days as (
    select
        *,
        'threshold_reached' as alert_kind,
        mtd_mau as alert_value
    from day_thresholds
    where is_reached
    union all
    select
        *,
        'projected_to_exceed' as alert_kind,
        projected_mau as alert_value
    from day_thresholds
    where is_projected and not is_reached
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

alerts as (
    select
        first_firing_days.*,
        tenants.tenant_name,
        {{ dbt.hash(dbt.concat([
            'first_firing_days.tenant_id', "'|'",
            'cast(first_firing_days.month_start as varchar)', "'|'",
            'first_firing_days.alert_kind', "'|'",
            'cast(first_firing_days.threshold as varchar)'
        ])) }} as alert_id
    from first_firing_days
    left join tenants
        on first_firing_days.tenant_id = tenants.tenant_id
    where first_firing_days.firing_rank = 1
),

final as (
    select
        cast(alert_id as varchar) as alert_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(tenant_name as varchar) as tenant_name,
        cast(month_start as date) as month,
        cast(alert_kind as varchar) as alert_kind,
        cast(threshold as double) as threshold,
        cast(activity_date as date) as alert_date,
        cast(alert_value as bigint) as value,
        cast(mtd_mau as bigint) as mtd_mau,
        cast(projected_mau as bigint) as projected_mau,
        cast(projection_method as varchar) as projection_method,
        cast(plan_id as varchar) as plan_id,
        cast(mau_limit as bigint) as mau_limit
    from alerts
)

select * from final
