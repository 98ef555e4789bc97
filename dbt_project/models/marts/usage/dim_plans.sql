-- One row per plan of the catalogue in force (billing export, else default catalogue).
with

plans as (
    select * from {{ ref('int_plans_unioned') }}
),

final as (
    select
        cast(plan_id as string) as plan_id,
        cast(plan_name as string) as plan_name,
        cast(mau_limit as bigint) as mau_limit,
        cast(is_unlimited as boolean) as is_unlimited,
        cast(monthly_price_usd as decimal(18, 2)) as monthly_price_usd,
        cast(plan_source as string) as plan_source
    from plans
)

select * from final
