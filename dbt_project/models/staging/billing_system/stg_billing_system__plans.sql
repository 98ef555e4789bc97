-- One row per plan of the latest plans.csv export (text columns typed here).
-- Empty mau_limit = unlimited (R12). May be empty: see int_plans_unioned.
with

source as (
    select * from {{ source('billing_system', 'plans') }}
),

latest_export as (
    -- each load replaces the previous version (SPEC 2.2): keep only the newest one
    {{ latest_export('source') }}
),

renamed as (
    select
        cast(trim(plan_id) as string) as plan_id,
        cast(trim(plan_name) as string) as plan_name,
        cast(nullif(trim(mau_limit), '') as bigint) as mau_limit,
        cast(nullif(trim(monthly_price_usd), '') as decimal(18, 2)) as monthly_price_usd,
        cast(source_file as string) as source_file,
        cast(loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_export
)

select * from renamed
