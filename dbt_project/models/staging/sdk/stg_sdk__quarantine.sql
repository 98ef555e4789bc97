-- One row per line that could not become an event (R1), never dropped.
with

source as (
    select * from {{ source('sdk', 'quarantine') }}
),

renamed as (
    select
        cast(load_id as integer) as load_id,
        cast(line_number as bigint) as line_number,
        cast(reason as varchar) as quarantine_reason,
        cast(raw_line as varchar) as raw_line,
        cast(tenant_id as varchar) as tenant_id,
        cast(user_pseudonym as varchar) as user_pseudonym,
        cast(anonymous_pseudonym as varchar) as anonymous_pseudonym,
        cast(loaded_at as timestamp with time zone) as loaded_at
    from source
)

select * from renamed
