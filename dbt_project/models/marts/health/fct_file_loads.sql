-- R1/R2 data health. One row per load (file content) of the loader's ledger:
-- the ledger's counts at load time next to what the warehouse holds now.
-- R1 invariant per file: line_count = accepted_count + duplicate_count + quarantined_count
-- + suppressed_count, and the warehouse still holds every one of those lines, or records
-- why it does not (R17: erased, purged after the retention period): nothing is lost.
with

loads as (
    select * from {{ ref('stg_sdk__load_ledger') }}
),

event_lines as (
    select
        load_id,
        count(*) as stored_event_line_count,
        sum(case when is_duplicate then 0 else 1 end) as winning_line_count,
        sum(case when is_duplicate then 1 else 0 end) as duplicate_line_count,
        sum(case when is_conflict then 1 else 0 end) as conflict_line_count
    from {{ ref('int_event_lines_ranked') }}
    group by load_id
),

quarantined_lines as (
    select
        load_id,
        count(*) as stored_quarantined_line_count
    from {{ ref('stg_sdk__quarantine') }}
    group by load_id
),

removed_lines as (
    select
        load_id,
        count(*) filter (where line_kind = 'event') as removed_event_line_count,
        count(*) filter (where line_kind = 'quarantine') as removed_quarantined_line_count
    from {{ ref('stg_sdk__line_removals') }}
    group by load_id
),

final as (
    select
        cast(loads.load_id as integer) as load_id,
        cast(loads.file_path as string) as file_path,
        cast(loads.file_kind as string) as file_kind,
        cast(loads.content_sha256 as string) as content_sha256,
        cast(loads.size_bytes as bigint) as size_bytes,
        cast(loads.load_status as string) as load_status,
        cast(loads.load_error as string) as load_error,
        cast(loads.loaded_at as {{ type_timestamptz() }}) as loaded_at,
        cast(loads.line_count as bigint) as line_count,
        cast(loads.accepted_count as bigint) as accepted_count,
        cast(loads.duplicate_count as bigint) as duplicate_count,
        cast(loads.quarantined_count as bigint) as quarantined_count,
        cast(loads.suppressed_count as bigint) as suppressed_count,
        cast(
            loads.line_count
            = loads.accepted_count + loads.duplicate_count + loads.quarantined_count
            + loads.suppressed_count
            and coalesce(event_lines.stored_event_line_count, 0)
            + coalesce(removed_lines.removed_event_line_count, 0)
            = loads.accepted_count + loads.duplicate_count
            and coalesce(quarantined_lines.stored_quarantined_line_count, 0)
            + coalesce(removed_lines.removed_quarantined_line_count, 0)
            = loads.quarantined_count
            as boolean
        ) as is_balanced,
        cast(coalesce(event_lines.stored_event_line_count, 0) as bigint) as stored_event_line_count,
        cast(coalesce(event_lines.winning_line_count, 0) as bigint) as winning_line_count,
        cast(coalesce(event_lines.duplicate_line_count, 0) as bigint) as current_duplicate_line_count,
        cast(coalesce(event_lines.conflict_line_count, 0) as bigint) as conflict_line_count,
        cast(coalesce(quarantined_lines.stored_quarantined_line_count, 0) as bigint) as stored_quarantined_line_count,
        cast(coalesce(removed_lines.removed_event_line_count, 0) as bigint) as removed_event_line_count,
        cast(coalesce(removed_lines.removed_quarantined_line_count, 0) as bigint)
            as removed_quarantined_line_count
    from loads
    left join event_lines
        on loads.load_id = event_lines.load_id
    left join quarantined_lines
        on loads.load_id = quarantined_lines.load_id
    left join removed_lines
        on loads.load_id = removed_lines.load_id
)

select * from final
