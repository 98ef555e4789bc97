-- R1 data health. One row per load (file content) and quarantine reason.
with

quarantined_lines as (
    select * from {{ ref('stg_sdk__quarantine') }}
),

loads as (
    select * from {{ ref('stg_sdk__load_ledger') }}
),

by_reason as (
    select
        load_id,
        quarantine_reason,
        count(*) as quarantined_line_count,
        min(line_number) as first_line_number
    from quarantined_lines
    group by
        load_id,
        quarantine_reason
),

final as (
    select
        cast(by_reason.load_id as integer) as load_id,
        cast(loads.file_path as string) as file_path,
        cast(loads.loaded_at as {{ type_timestamptz() }}) as loaded_at,
        cast(by_reason.quarantine_reason as string) as quarantine_reason,
        cast(by_reason.quarantined_line_count as bigint) as quarantined_line_count,
        cast(by_reason.first_line_number as bigint) as first_line_number
    from by_reason
    left join loads
        on by_reason.load_id = loads.load_id
)

select * from final
