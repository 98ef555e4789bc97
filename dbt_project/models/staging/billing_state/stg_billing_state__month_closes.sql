-- One row per closed tenant-month (R16), as written by the pipeline's close step.
with

source as (
    select * from {{ source('billing_state', 'month_closes') }}
),

renamed as (
    select
        cast(tenant_id as string) as tenant_id,
        cast(month as date) as month_start,
        cast(closed_at as {{ type_timestamptz() }}) as closed_at,
        cast(close_kind as string) as close_kind
    from source
)

select * from renamed
