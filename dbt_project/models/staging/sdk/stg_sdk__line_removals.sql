-- One row per loaded line that is not kept (R17: erasure, retention, suppression).
with

source as (
    select * from {{ source('sdk', 'line_removals') }}
),

renamed as (
    select
        cast(load_id as integer) as load_id,
        cast(line_number as bigint) as line_number,
        cast(line_kind as string) as line_kind,
        cast(cause as string) as removal_cause,
        cast(request_id as string) as erasure_request_id,
        cast(removed_at as {{ type_timestamptz() }}) as removed_at
    from source
)

select * from renamed
