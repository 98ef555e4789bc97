-- R2 data health. One row per duplicate event line (a later copy of an already
-- received (tenant_id, event_id)); is_conflict when its content differs from the winner.
with

duplicate_lines as (
    select * from {{ ref('int_event_lines_ranked') }}
    where is_duplicate
),

loads as (
    select * from {{ ref('stg_sdk__load_ledger') }}
),

final as (
    select
        cast(duplicate_lines.load_id as integer) as load_id,
        cast(duplicate_lines.line_number as bigint) as line_number,
        cast(loads.file_path as string) as file_path,
        cast(duplicate_lines.tenant_id as string) as tenant_id,
        cast(duplicate_lines.event_id as string) as event_id,
        cast(duplicate_lines.received_at as {{ type_timestamptz() }}) as received_at,
        cast(duplicate_lines.loaded_at as {{ type_timestamptz() }}) as loaded_at,
        cast(duplicate_lines.copy_rank as bigint) as copy_rank,
        cast(duplicate_lines.copy_count as bigint) as copy_count,
        cast(duplicate_lines.winner_load_id as integer) as winner_load_id,
        cast(duplicate_lines.winner_line_number as bigint) as winner_line_number,
        cast(duplicate_lines.winner_received_at as {{ type_timestamptz() }}) as winner_received_at,
        cast(duplicate_lines.is_conflict as boolean) as is_conflict
    from duplicate_lines
    left join loads
        on duplicate_lines.load_id = loads.load_id
)

select * from final
