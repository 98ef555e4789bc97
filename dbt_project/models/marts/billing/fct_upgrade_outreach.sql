-- R14 upgrade outreach. One row per tenant-month over its finite limit (mau >
-- mau_limit) or projected over it: projected_status = 'over' (R13), i.e. the LOW
-- bound of the open month's projection is over the limit — the same rule as the R13
-- alerts, so sales never call a tenant on a day-1 guess. An ended month is judged on
-- its MAU. Nothing is ever cut: we reach out at the next billing cycle with the
-- cheapest plan covering the larger of MAU and projection (an unlimited plan when no
-- plan's limit covers it).
with

tenant_months as (
    select * from {{ ref('int_tenant_months_projected') }}
    where outreach_reason is not null
),

final as (
    select
        cast(tenant_id as string) as tenant_id,
        cast(tenant_name as string) as tenant_name,
        cast(month_start as date) as month,
        cast(mau as bigint) as mau,
        cast(projected_mau as bigint) as projected_mau,
        cast(projected_mau_low as bigint) as projected_mau_low,
        cast(projected_mau_high as bigint) as projected_mau_high,
        cast(projected_status as string) as projected_status,
        cast(mau_limit as bigint) as mau_limit,
        cast(plan_id as string) as plan_id,
        cast(is_trial as boolean) as is_trial,
        cast(case when mau > mau_limit then mau - mau_limit else 0 end as bigint) as overage_mau,
        cast(outreach_reason as string) as reason,
        cast({{ dbt.dateadd('month', 1, 'month_start') }} as date) as next_billing_date,
        cast(recommended_plan_id as string) as recommended_plan_id
    from tenant_months
)

select * from final
