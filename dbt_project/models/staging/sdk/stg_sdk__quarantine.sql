-- One row per line that could not become an event (R1), never dropped.
with

source as (
    select * from {{ source('sdk', 'quarantine') }}
),

renamed as (
    select
        cast(load_id as integer) as load_id,
        cast(line_number as bigint) as line_number,
        cast(reason as string) as quarantine_reason,
        cast(raw_line as string) as raw_line,
        cast(tenant_id as string) as tenant_id,
        cast(user_pseudonym as string) as user_pseudonym,
        cast(anonymous_pseudonym as string) as anonymous_pseudonym,
        cast(loaded_at as {{ type_timestamptz() }}) as loaded_at
    from source
)

select * from renamed
