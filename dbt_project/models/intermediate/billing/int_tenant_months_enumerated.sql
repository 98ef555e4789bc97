-- One row per attributed tenant (R18) and month of its time zone (R5) in which it had
-- a plan (R11) or a counted event (R8): the rows of fct_tenant_monthly_usage, with what
-- the daily month-to-date figures and the projection (R12, R13) need — the month's
-- length, its final MAU so far, its plan and limit, and whether it has ended in the
-- tenant's zone (its last day is before the tenant's local as-of date).
with

tenants as (
    select * from {{ ref('stg_billing_system__tenants') }}
),

usage as (
    select * from {{ ref('int_tenant_months_aggregated') }}
    where is_attributed
),

planned as (
    select * from {{ ref('int_tenant_months_planned') }}
),

plans as (
    select * from {{ ref('int_plans_unioned') }}
),

tenant_months as (
    select
        tenant_id,
        activity_month as month_start
    from usage
    union
    select
        tenant_id,
        month_start
    from planned
),

joined as (
    select
        tenant_months.tenant_id,
        tenants.tenant_name,
        tenants.billing_timezone,
        tenant_months.month_start,
        {{ last_day_of_month('tenant_months.month_start') }} as month_end,
        {{ local_as_of_date('tenants.billing_timezone') }} as local_as_of_date,
        coalesce(usage.mau, 0) as mau,
        planned.plan_id,
        plans.mau_limit,
        coalesce(planned.is_trial, false) as is_trial
    from tenant_months
    inner join tenants
        on tenant_months.tenant_id = tenants.tenant_id
    left join usage
        on
            tenant_months.tenant_id = usage.tenant_id
            and tenant_months.month_start = usage.activity_month
    left join planned
        on
            tenant_months.tenant_id = planned.tenant_id
            and tenant_months.month_start = planned.month_start
    left join plans
        on planned.plan_id = plans.plan_id
),

final as (
    select
        tenant_id,
        tenant_name,
        billing_timezone,
        month_start,
        month_end,
        cast({{ dbt.datediff('month_start', 'month_end', 'day') }} + 1 as integer) as days_in_month,
        local_as_of_date,
        month_end < local_as_of_date as is_month_ended,
        mau,
        plan_id,
        mau_limit,
        is_trial
    from joined
)

select * from final
