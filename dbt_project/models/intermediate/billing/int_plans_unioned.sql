-- One row per plan of the catalogue in force. The billing export (raw.plans) wins
-- as a whole when it has any row; otherwise the default catalogue shipped as the
-- seed default_plans is used (SPEC 2.2). The two are never mixed.
with

exported_plans as (
    select
        plan_id,
        plan_name,
        mau_limit,
        monthly_price_usd,
        'billing_export' as plan_source
    from {{ ref('stg_billing_system__plans') }}
),

default_plans as (
    select
        cast(plan_id as string) as plan_id,
        cast(plan_name as string) as plan_name,
        cast(mau_limit as bigint) as mau_limit,
        cast(monthly_price_usd as decimal(18, 2)) as monthly_price_usd,
        'default_catalogue' as plan_source
    from {{ ref('default_plans') }}
    where not exists (select 1 from exported_plans)
),

unioned as (
    select * from exported_plans
    union all
    select * from default_plans
),

final as (
    select
        plan_id,
        plan_name,
        mau_limit,
        mau_limit is null as is_unlimited,
        monthly_price_usd,
        plan_source
    from unioned
)

select * from final
