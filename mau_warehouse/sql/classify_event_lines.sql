-- R1 validation, R3 identifier clean-up, R4 event time and R17 pseudonymization
-- of one batch of landing lines, in one vectorized pass.
-- Input: temp table batch_lines(load_id, line_number, raw_line, is_utf8).
-- Parameters: $key (pseudonymization secret, never stored), $loaded_at.
-- Output: temp table batch_classified, one row per non-blank line with
-- `reason` null for lines that become events.
create or replace temp table batch_classified as
with
stripped as (
    select
        load_id,
        line_number,
        rtrim(raw_line, chr(10) || chr(13)) as raw_line,
        is_utf8,
    from batch_lines
),

non_blank as (
    -- Blank lines carry nothing; they are not counted as lines (documented in README).
    select *
    from stripped
    where trim(raw_line) <> ''
),

parsed as (
    select
        *,
        strlen(raw_line) > 32768 as is_oversized,
        case
            when strlen(raw_line) <= 32768 and is_utf8 and json_valid(raw_line)
                then json(raw_line)
        end as doc,
    from non_blank
),

fields as (
    select
        *,
        doc is not null and json_type(doc) = 'OBJECT' as is_object,
        nullif(trim(doc ->> '$.event_id'), '') as event_id,
        nullif(doc ->> '$.tenant_id', '') as tenant_id,
        doc ->> '$.event_type' as event_type,
        doc ->> '$.occurred_at' as occurred_at_text,
        doc ->> '$.sent_at' as sent_at_text,
        doc ->> '$.received_at' as received_at_text,
        -- R3: trim surrounding white space (Unicode spaces too); empty means absent; case kept.
        nullif(regexp_replace(doc ->> '$.user_id', '^[\s\p{Z}]+|[\s\p{Z}]+$', '', 'g'), '')
            as user_id,
        nullif(regexp_replace(doc ->> '$.anonymous_id', '^[\s\p{Z}]+|[\s\p{Z}]+$', '', 'g'), '')
            as anonymous_id,
        doc ->> '$.session_id' as session_id,
        lower(doc ->> '$.device_type') as device_type,
        doc ->> '$.user_agent' as user_agent,
        doc ->> '$.page_url' as page_url,
        coalesce(lower(doc ->> '$.is_preview') = 'true', false) as is_preview,
        doc -> '$.properties' as properties,
        json_merge_patch(
            doc,
            '{"event_id":null,"tenant_id":null,"event_type":null,"occurred_at":null,
              "sent_at":null,"received_at":null,"user_id":null,"anonymous_id":null,
              "session_id":null,"device_type":null,"user_agent":null,"page_url":null,
              "is_preview":null,"properties":null}'
        ) as extra_fields,
    from parsed
),

timestamps as (
    -- RFC 3339 with Z or an offset, optional fraction; anything else is bad_timestamp.
    select
        *,
        case
            when regexp_full_match(
                occurred_at_text,
                '\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}(:?\d{2})?)'
            ) then try_cast(upper(occurred_at_text) as timestamptz)
        end as occurred_at,
        case
            when regexp_full_match(
                sent_at_text,
                '\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}(:?\d{2})?)'
            ) then try_cast(upper(sent_at_text) as timestamptz)
        end as sent_at,
        case
            when regexp_full_match(
                received_at_text,
                '\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}(:?\d{2})?)'
            ) then try_cast(upper(received_at_text) as timestamptz)
        end as received_at,
    from fields
),

pseudonymized as (
    -- R17: secret-prefixed SHA-256, scoped by tenant (R3) and by kind of id so
    -- that a user id never collides with an anonymous id of the same text.
    select
        *,
        case when user_id is not null then
            left(sha256($key || chr(31) || coalesce(tenant_id, '') || chr(31) || 'user'
                || chr(31) || user_id), 32)
        end as user_pseudonym,
        case when anonymous_id is not null then
            left(sha256($key || chr(31) || coalesce(tenant_id, '') || chr(31) || 'anonymous'
                || chr(31) || anonymous_id), 32)
        end as anonymous_pseudonym,
        -- R4, computed here only for the future_timestamp check; dbt derives it again.
        case
            when sent_at is not null and received_at is not null
                then occurred_at + (received_at - sent_at)
            else occurred_at
        end as event_time,
    from timestamps
),

classified as (
    select
        *,
        case
            when is_oversized then 'oversized'
            when not is_object then 'malformed_json'
            when event_id is null then 'missing_event_id'
            when tenant_id is null then 'missing_tenant'
            when user_id is null and anonymous_id is null then 'missing_identity'
            when occurred_at is null then 'bad_timestamp'
            when sent_at_text is not null and sent_at is null then 'bad_timestamp'
            when received_at_text is not null and received_at is null then 'bad_timestamp'
            when event_time > coalesce(received_at, $loaded_at::timestamptz) + interval 5 minute
                then 'future_timestamp'
        end as reason,
    from pseudonymized
),

quarantine_ids as (
    -- Quarantined lines keep their text (R1) but not their identifiers (R17): the
    -- value of each id key is replaced by its pseudonym, found by pattern when the
    -- line is not valid JSON.
    select
        *,
        case when reason is not null then coalesce(
            user_pseudonym,
            left(sha256($key || chr(31) || coalesce(tenant_id, '') || chr(31) || 'user'
                || chr(31) || nullif(regexp_replace(regexp_extract(
                    raw_line, '"user_id"\s*:\s*"((?:[^"\\]|\\.)*)"', 1
                ), '^[\s\p{Z}]+|[\s\p{Z}]+$', '', 'g'), '')), 32)
        ) end as quarantine_user_pseudonym,
        case when reason is not null then coalesce(
            anonymous_pseudonym,
            left(sha256($key || chr(31) || coalesce(tenant_id, '') || chr(31) || 'anonymous'
                || chr(31) || nullif(regexp_replace(regexp_extract(
                    raw_line, '"anonymous_id"\s*:\s*"((?:[^"\\]|\\.)*)"', 1
                ), '^[\s\p{Z}]+|[\s\p{Z}]+$', '', 'g'), '')), 32)
        ) end as quarantine_anonymous_pseudonym,
    from classified
)

select
    load_id,
    line_number,
    reason,
    case when reason is not null then
        regexp_replace(
            regexp_replace(
                raw_line,
                '("user_id"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)',
                '\1"' || coalesce(quarantine_user_pseudonym, '') || '"',
                'g'
            ),
            '("anonymous_id"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)',
            '\1"' || coalesce(quarantine_anonymous_pseudonym, '') || '"',
            'g'
        )
    end as quarantine_line,
    quarantine_user_pseudonym,
    quarantine_anonymous_pseudonym,
    event_id,
    tenant_id,
    event_type,
    occurred_at,
    sent_at,
    received_at,
    user_pseudonym,
    anonymous_pseudonym,
    session_id,
    case when device_type in ('desktop', 'mobile', 'tablet') then device_type end as device_type,
    user_agent,
    page_url,
    is_preview,
    properties,
    case when extra_fields::varchar <> '{}' then extra_fields end as extra_fields,
    -- R2 conflicts compare what the browser said about the event: the collector's
    -- received_at and the batch's sent_at may differ between honest retries.
    md5(concat_ws(
        chr(31), event_type, occurred_at::varchar, user_pseudonym, anonymous_pseudonym,
        session_id, device_type, user_agent, page_url, is_preview::varchar,
        properties::varchar, extra_fields::varchar
    )) as content_fingerprint,
from quarantine_ids
