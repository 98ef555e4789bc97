-- One row per tenant of the latest tenants.csv export. Empty billing_timezone = UTC (R5).
-- billing_email (optional column, comma-separated addresses, normalized by the loader)
-- is where the tenant's usage alerts are e-mailed (R12, R13); null = the configured list.
with

source as (
    select * from {{ source('billing_system', 'tenants') }}
),

latest_export as (
    -- each load replaces the previous version (SPEC 2.2): keep only the newest one
    {{ latest_export('source') }}
),

renamed as (
    select
        cast(trim(tenant_id) as string) as tenant_id,
        cast(tenant_name as string) as tenant_name,
        cast(coalesce(nullif(trim(billing_timezone), ''), 'UTC') as string) as billing_timezone,
        {{ dbt.safe_cast("nullif(trim(created_at), '')", type_timestamptz()) }} as created_at,
        cast(nullif(trim(billing_email), '') as string) as billing_email,
        cast(source_file as string) as source_file,
        cast(loaded_at as {{ type_timestamptz() }}) as loaded_at
    from latest_export
)

select * from renamed
