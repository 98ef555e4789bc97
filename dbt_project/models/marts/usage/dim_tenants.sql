-- One row per tenant of the tenants export (attributed tenants, R18).
with

tenants as (
    select * from {{ ref('stg_billing_system__tenants') }}
),

final as (
    select
        cast(tenant_id as string) as tenant_id,
        cast(tenant_name as string) as tenant_name,
        cast(billing_timezone as string) as billing_timezone,
        cast(created_at as {{ type_timestamptz() }}) as created_at,
        -- alerts go to the tenant's own billing contacts when the export has them (R12)
        cast(billing_email as string) as billing_email,
        cast(source_file as string) as source_file,
        cast(loaded_at as {{ type_timestamptz() }}) as loaded_at
    from tenants
)

select * from final
