-- One row per file content ever loaded (the loader's idempotency ledger, R1/R2).
with

source as (
    select * from {{ source('sdk', 'load_ledger') }}
),

renamed as (
    select
        cast(load_id as integer) as load_id,
        cast(file_path as string) as file_path,
        cast(file_kind as string) as file_kind,
        cast(content_sha256 as string) as content_sha256,
        cast(size_bytes as bigint) as size_bytes,
        cast(lines as bigint) as line_count,
        cast(accepted as bigint) as accepted_count,
        cast(duplicates as bigint) as duplicate_count,
        cast(quarantined as bigint) as quarantined_count,
        cast(suppressed as bigint) as suppressed_count,
        cast(status as string) as load_status,
        cast(error as string) as load_error,
        cast(loaded_at as {{ type_timestamptz() }}) as loaded_at
    from source
)

select * from renamed
