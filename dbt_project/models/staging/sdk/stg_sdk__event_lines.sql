-- One row per event line that passed R1, duplicates included (R2 is decided downstream).
-- Identifiers arrive trimmed (R3) and pseudonymized (R17) from the loader.
with

source as (
    select * from {{ source('sdk', 'event_lines') }}
),

renamed as (
    select
        -- keys
        cast(load_id as integer) as load_id,
        cast(line_number as bigint) as line_number,
        cast(tenant_id as string) as tenant_id,
        cast(event_id as string) as event_id,

        -- event
        cast(event_type as string) as event_type,
        cast(session_id as string) as session_id,
        cast(page_url as string) as page_url,
        cast(properties as {{ type_json() }}) as event_properties,
        cast(extra_fields as {{ type_json() }}) as extra_fields,
        cast(content_fingerprint as string) as content_fingerprint,

        -- identity (R3, R17)
        cast(user_pseudonym as string) as user_pseudonym,
        cast(anonymous_pseudonym as string) as anonymous_pseudonym,

        -- device and traffic (R6, R9)
        lower(cast(device_type as string)) as device_type,
        cast(user_agent as string) as user_agent,
        lower(cast(user_agent_device_class as string)) as user_agent_device_class,
        coalesce(cast(is_preview as boolean), false) as is_preview,

        -- timestamps, all UTC instants (R4)
        cast(occurred_at as {{ type_timestamptz() }}) as occurred_at,
        cast(sent_at as {{ type_timestamptz() }}) as sent_at,
        cast(received_at as {{ type_timestamptz() }}) as received_at,
        cast(loaded_at as {{ type_timestamptz() }}) as loaded_at
    from source
)

select * from renamed
