-- Billing mart. One row per tenant-month of int_tenant_months_enumerated: attributed
-- tenant (R18) and calendar month (tenant time zone, R5) in which the tenant had a plan
-- (R11) or at least one counted event (R8). A subscribed tenant without activity has a
-- row with MAU 0.
-- R13/R14: projected_mau, its bounds, projected_status and recommended_plan_id come from
-- int_tenant_months_projected; projected_status is null once the month is ended or closed;
-- R16: closes_at = local midnight of the 1st of the next month (tenant zone, DST
-- included) + var('close_after_hours') hours; is_closed = a row in billing.month_closes.
with

tenant_months as (
    select * from {{ ref('int_tenant_months_enumerated') }}
),

usage as (
    select * from {{ ref('int_tenant_months_aggregated') }}
    where is_attributed
),

plans as (
    select * from {{ ref('int_plans_unioned') }}
),

projections as (
    select * from {{ ref('int_tenant_months_projected') }}
),

closes as (
    select * from {{ ref('stg_billing_state__month_closes') }}
),

joined as (
    select
        tenant_months.tenant_id,
        tenant_months.tenant_name,
        tenant_months.billing_timezone,
        tenant_months.month_start,
        tenant_months.mau,
        coalesce(usage.identified_mau, 0) as identified_mau,
        coalesce(usage.anonymous_mau, 0) as anonymous_mau,
        coalesce(usage.mobile_mau, 0) as mobile_mau,
        coalesce(usage.desktop_mau, 0) as desktop_mau,
        coalesce(usage.tablet_mau, 0) as tablet_mau,
        -- R10: users with a counted event in this month or any earlier one. Every
        -- month with a new user has a row here, so a running sum over rows is exact.
        sum(coalesce(usage.new_known_users, 0)) over (
            partition by tenant_months.tenant_id
            order by tenant_months.month_start
            rows between unbounded preceding and current row
        ) as known_users,
        tenant_months.plan_id,
        plans.plan_name,
        tenant_months.mau_limit,
        plans.monthly_price_usd,
        tenant_months.is_trial,
        -- R13: the month's MAU once ended, else its latest daily projection
        coalesce(projections.projected_mau, tenant_months.mau) as projected_mau,
        coalesce(projections.projected_mau_low, tenant_months.mau) as projected_mau_low,
        coalesce(projections.projected_mau_high, tenant_months.mau) as projected_mau_high,
        -- R13: for open months only (R12's bands on the low bound)
        case when closes.tenant_id is null then projections.projected_status end as projected_status,
        -- R14: only tenant-months with an outreach row have a recommendation
        projections.recommended_plan_id,
        -- R16: the instant the month ends in the tenant's zone, plus the close delay
        {{ month_closes_at('tenant_months.month_start', 'tenant_months.billing_timezone') }} as closes_at,
        closes.tenant_id is not null as is_closed,
        -- the month has not ended yet in the tenant's zone: its figures are month to date
        closes.tenant_id is null
        and tenant_months.local_as_of_date <= tenant_months.month_end as is_month_to_date
    from tenant_months
    left join usage
        on
            tenant_months.tenant_id = usage.tenant_id
            and tenant_months.month_start = usage.activity_month
    left join plans
        on tenant_months.plan_id = plans.plan_id
    left join projections
        on
            tenant_months.tenant_id = projections.tenant_id
            and tenant_months.month_start = projections.month_start
    left join closes
        on
            tenant_months.tenant_id = closes.tenant_id
            and tenant_months.month_start = closes.month_start
),

measured as (
    select
        *,
        -- R10: null when nobody is known yet
        cast(identified_mau as double) / nullif(known_users, 0) as active_rate,
        -- R12: null without a plan or without a limit
        case
            when plan_id is not null then cast(mau as double) / nullif(mau_limit, 0)
        end as utilization
    from joined
),

statused as (
    select
        *,
        -- R12 status; thresholds are the vars approaching_threshold / over_threshold
        {{ usage_status('plan_id', 'mau_limit', 'mau', 'utilization') }} as status,
        -- R14: never negative; 0 when unlimited or without a plan
        case
            when plan_id is null or mau_limit is null then 0
            when mau > mau_limit then mau - mau_limit
            else 0
        end as overage_mau,
        -- R15: a paid month owes the plan's price, a trial month 0, no plan 0
        case
            when plan_id is null then 0
            when is_trial then 0
            else coalesce(monthly_price_usd, 0)
        end as amount_due_usd
    from measured
),

final as (
    select
        cast(tenant_id as string) as tenant_id,
        cast(tenant_name as string) as tenant_name,
        cast(billing_timezone as string) as billing_timezone,
        cast(month_start as date) as month,
        cast(mau as bigint) as mau,
        cast(identified_mau as bigint) as identified_mau,
        cast(anonymous_mau as bigint) as anonymous_mau,
        cast(mobile_mau as bigint) as mobile_mau,
        cast(desktop_mau as bigint) as desktop_mau,
        cast(tablet_mau as bigint) as tablet_mau,
        cast(known_users as bigint) as known_users,
        cast(active_rate as double) as active_rate,
        cast(plan_id as string) as plan_id,
        cast(plan_name as string) as plan_name,
        cast(mau_limit as bigint) as mau_limit,
        cast(utilization as double) as utilization,
        cast(status as string) as status,
        cast(is_trial as boolean) as is_trial,
        cast(overage_mau as bigint) as overage_mau,
        cast(amount_due_usd as decimal(18, 2)) as amount_due_usd,
        -- R15: invoice or bank transfer when the amount due is over the threshold
        cast(amount_due_usd > {{ var('invoice_threshold_usd') }} as boolean) as invoice_eligible,
        cast(projected_mau as bigint) as projected_mau,
        cast(projected_mau_low as bigint) as projected_mau_low,
        cast(projected_mau_high as bigint) as projected_mau_high,
        cast(projected_status as string) as projected_status,
        cast(recommended_plan_id as string) as recommended_plan_id,
        cast(closes_at as {{ type_timestamptz() }}) as closes_at,
        cast(is_closed as boolean) as is_closed,
        cast(is_month_to_date as boolean) as is_month_to_date
    from statused
)

select * from final
