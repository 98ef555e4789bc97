-- One row per subscription row of the latest subscriptions.csv export.
-- Dates are days in the tenant's time zone; ended_on is inclusive, null while running (R11).
with

source as (
    select * from {{ source('billing_system', 'subscriptions') }}
),

latest_export as (
    -- each load replaces the previous version (SPEC 2.2): keep only the newest one
    {{ latest_export('source') }}
),

renamed as (
    select
        cast(trim(tenant_id) as string) as tenant_id,
        cast(trim(plan_id) as string) as plan_id,
        cast(nullif(trim(started_on), '') as date) as started_on,
        cast(nullif(trim(ended_on), '') as date) as ended_on,
        coalesce(lower(trim(is_trial)) = 'true', false) as is_trial,
        cast(source_file as string) as source_file,
        cast(loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_export
)

select * from renamed
