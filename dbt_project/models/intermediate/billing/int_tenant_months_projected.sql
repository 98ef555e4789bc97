-- R13, R14: one row per tenant-month of int_tenant_months_enumerated with its
-- end-of-month projection and, when it is over its limit or projected over it, the
-- upgrade outreach decision.
--   projected_mau, projected_mau_low, projected_mau_high: the month's MAU once the
--     month has ended; for the open month the projection and its bounds (the error the
--     backtest measured, int_tenant_days_bounded) of its latest daily row; the MAU when
--     the month has no daily row yet. Never below the MAU.
--   projected_status (R13): R12's bands applied to projected_mau_low for a month not
--     yet ended; null once it has ended (its status is then final).
--   outreach_reason (finite limit only): 'over_limit' when mau > mau_limit, else
--     'projected_over_limit' when projected_status = 'over' (R14 "projected over it":
--     over the limit even at the low bound, the rule R13 alerts use), else null.
--   recommended_plan_id: the cheapest plan (monthly_price_usd, then plan_id) whose
--     limit covers the larger of mau and projected_mau; if none does, the cheapest
--     unlimited plan; null without an outreach reason.
with

tenant_months as (
    select * from {{ ref('int_tenant_months_enumerated') }}
),

tenant_days as (
    select * from {{ ref('int_tenant_days_bounded') }}
),

plans as (
    select * from {{ ref('int_plans_unioned') }}
),

latest_days as (
    select
        tenant_id,
        month_start,
        projected_mau,
        projected_mau_low,
        projected_mau_high,
        projection_method,
        activity_date,
        row_number() over (
            partition by tenant_id, month_start
            order by activity_date desc
        ) as recency_rank
    from tenant_days
),

projected as (
    select
        tenant_months.*,
        latest_days.activity_date as projected_on,
        -- an ended month's projection and bounds are its MAU; an open month's never fall
        -- below the MAU counted so far
        {%- for column in ['projected_mau', 'projected_mau_low', 'projected_mau_high'] %}
            case
                when tenant_months.is_month_ended then tenant_months.mau
                else greatest(coalesce(latest_days.{{ column }}, tenant_months.mau), tenant_months.mau)
            end as {{ column }},
        {%- endfor %}
        case
            when tenant_months.is_month_ended then 'final'
            else coalesce(latest_days.projection_method, 'final')
        end as projection_method
    from tenant_months
    left join latest_days
        on
            tenant_months.tenant_id = latest_days.tenant_id
            and tenant_months.month_start = latest_days.month_start
            and latest_days.recency_rank = 1
),

statused as (
    select
        *,
        case
            when not is_month_ended
                then
                    {{ usage_status(
                        'plan_id',
                        'mau_limit',
                        'projected_mau_low',
                        'cast(projected_mau_low as double) / nullif(mau_limit, 0)'
                    ) }}
        end as projected_status
    from projected
),

reasoned as (
    select
        *,
        case
            when plan_id is null or mau_limit is null then null
            when mau > mau_limit then 'over_limit'
            when projected_status = 'over' then 'projected_over_limit'
        end as outreach_reason,
        case when projected_mau > mau then projected_mau else mau end as required_mau
    from statused
),

covering_plans as (
    select
        reasoned.tenant_id,
        reasoned.month_start,
        plans.plan_id,
        row_number() over (
            partition by reasoned.tenant_id, reasoned.month_start
            order by
                case when plans.mau_limit is null then 1 else 0 end asc,
                plans.monthly_price_usd asc,
                plans.plan_id asc
        ) as recommendation_rank
    from reasoned
    inner join plans
        on reasoned.required_mau <= plans.mau_limit or plans.mau_limit is null
    where reasoned.outreach_reason is not null
),

final as (
    select
        reasoned.tenant_id,
        reasoned.tenant_name,
        reasoned.billing_timezone,
        reasoned.month_start,
        reasoned.month_end,
        reasoned.is_month_ended,
        reasoned.mau,
        reasoned.projected_mau,
        reasoned.projected_mau_low,
        reasoned.projected_mau_high,
        reasoned.projected_status,
        reasoned.projection_method,
        reasoned.projected_on,
        reasoned.plan_id,
        reasoned.mau_limit,
        reasoned.is_trial,
        reasoned.outreach_reason,
        covering_plans.plan_id as recommended_plan_id
    from reasoned
    left join covering_plans
        on
            reasoned.tenant_id = covering_plans.tenant_id
            and reasoned.month_start = covering_plans.month_start
            and covering_plans.recommendation_rank = 1
)

select * from final
