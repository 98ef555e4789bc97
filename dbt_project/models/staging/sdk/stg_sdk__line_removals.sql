-- One row per loaded line that is not kept (R17: erasure, retention, suppression).
with

source as (
    select * from {{ source('sdk', 'line_removals') }}
),

renamed as (
    select
        cast(load_id as integer) as load_id,
        cast(line_number as bigint) as line_number,
        cast(line_kind as varchar) as line_kind,
        cast(cause as varchar) as removal_cause,
        cast(request_id as varchar) as erasure_request_id,
        cast(removed_at as timestamp with time zone) as removed_at
    from source
)

select * from renamed
