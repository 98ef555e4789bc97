-- R1 validation, R3 identifier clean-up, R4 event time and R17 pseudonymization
-- of one chunk of landing lines, in one vectorized pass.
-- Input: chunk_lines(load_id, line_number, raw_line, line_bytes, is_utf8), the
-- non-blank lines of a chunk (an Arrow table); raw_line may end with its line
-- break, line_bytes is the length without it.
-- Parameters: $key (pseudonymization secret, never stored), $loaded_at,
-- $whitespace (every character Python's str.strip removes: R3 trims all of them).
-- Output: temp table chunk_classified, one row per line, `reason` null for lines
-- that become events. Each CTE is read once, so DuckDB streams the whole chain
-- without materializing the wide raw text; each JSON document is parsed once.
create or replace temp table chunk_classified as
with
documents as (
    select
        load_id,
        line_number,
        raw_line,
        line_bytes > 32768 as is_oversized,
        -- A valid document that starts with '{' is an object: json_type only
        -- needs to look at the rare one with leading white space.
        case
            when line_bytes <= 32768
                and is_utf8
                and json_valid(raw_line)
                and (prefix(raw_line, '{') or json_type(raw_line) = 'OBJECT')
                then raw_line
        end as doc,
    from chunk_lines
),

parsed as (
    select
        *,
        from_json(doc, '{
            "event_id": "VARCHAR", "tenant_id": "VARCHAR", "event_type": "VARCHAR",
            "occurred_at": "VARCHAR", "sent_at": "VARCHAR", "received_at": "VARCHAR",
            "user_id": "VARCHAR", "anonymous_id": "VARCHAR", "session_id": "VARCHAR",
            "device_type": "VARCHAR", "user_agent": "VARCHAR", "page_url": "VARCHAR",
            "is_preview": "VARCHAR", "properties": "JSON"
        }') as f,
        json_keys(doc) as keys,
    from documents
),

fields as (
    -- R3: surrounding white space trimmed; empty means absent; case kept. Trimming
    -- with a set of 25 characters costs about as much as parsing the JSON, and an
    -- id that starts and ends with printable ASCII has nothing to trim (every
    -- white-space character is a control character, a space or beyond ASCII), so
    -- only the other ids go through trim.
    select
        load_id,
        line_number,
        raw_line,
        is_oversized,
        doc is not null as is_object,
        case
            when ord(f.event_id) between 33 and 127 and ord(right(f.event_id, 1)) between 33 and 127
                then f.event_id
            else nullif(trim(f.event_id, $whitespace), '')
        end as event_id,
        nullif(f.tenant_id, '') as tenant_id,
        f.event_type as event_type,
        f.occurred_at as occurred_at_text,
        f.sent_at as sent_at_text,
        f.received_at as received_at_text,
        case
            when ord(f.user_id) between 33 and 127 and ord(right(f.user_id, 1)) between 33 and 127
                then f.user_id
            else nullif(trim(f.user_id, $whitespace), '')
        end as user_id,
        case
            when ord(f.anonymous_id) between 33 and 127
                and ord(right(f.anonymous_id, 1)) between 33 and 127
                then f.anonymous_id
            else nullif(trim(f.anonymous_id, $whitespace), '')
        end as anonymous_id,
        f.session_id as session_id,
        lower(f.device_type) as device_type,
        f.user_agent as user_agent,
        f.page_url as page_url,
        coalesce(lower(f.is_preview) = 'true', false) as is_preview,
        f.properties as properties,
        -- Unknown fields are kept (SPEC §2.1); most lines have none, so the
        -- costly patch only runs where a key is not one of the documented ones.
        -- A document with as many keys as non-null documented fields has no other
        -- key, which spares most lines the key-by-key check.
        case
            when len(keys) > (
                (f.event_id is not null)::int + (f.tenant_id is not null)::int
                + (f.event_type is not null)::int + (f.occurred_at is not null)::int
                + (f.sent_at is not null)::int + (f.received_at is not null)::int
                + (f.user_id is not null)::int + (f.anonymous_id is not null)::int
                + (f.session_id is not null)::int + (f.device_type is not null)::int
                + (f.user_agent is not null)::int + (f.page_url is not null)::int
                + (f.is_preview is not null)::int + (f.properties is not null)::int
            )
                and len(list_filter(keys, lambda key: key not in (
                'event_id', 'tenant_id', 'event_type', 'occurred_at', 'sent_at',
                'received_at', 'user_id', 'anonymous_id', 'session_id', 'device_type',
                'user_agent', 'page_url', 'is_preview', 'properties'
            ))) > 0
                then json_merge_patch(
                    doc,
                    '{"event_id":null,"tenant_id":null,"event_type":null,"occurred_at":null,
                      "sent_at":null,"received_at":null,"user_id":null,"anonymous_id":null,
                      "session_id":null,"device_type":null,"user_agent":null,"page_url":null,
                      "is_preview":null,"properties":null}'
                )
        end as extra_fields,
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

reasoned as (
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
            -- R4 event time, here only for the future_timestamp check (dbt derives it
            -- again), in epoch microseconds: interval arithmetic on timestamptz goes
            -- through the ICU calendar and costs more than the rest of the query.
            when case
                    when sent_at is not null and received_at is not null
                        then epoch_us(occurred_at) + (epoch_us(received_at) - epoch_us(sent_at))
                    else epoch_us(occurred_at)
                end > epoch_us(coalesce(received_at, $loaded_at::timestamptz)) + 300000000
                then 'future_timestamp'
        end as reason,
        -- Ids of quarantined lines that are not valid JSON are found by pattern, so
        -- their text can be pseudonymized too (R17).
        case
            when not is_object then nullif(trim(regexp_extract(
                raw_line, '"user_id"\s*:\s*"((?:[^"\\]|\\.)*)"', 1
            ), $whitespace), '')
            else user_id
        end as any_user_id,
        case
            when not is_object then nullif(trim(regexp_extract(
                raw_line, '"anonymous_id"\s*:\s*"((?:[^"\\]|\\.)*)"', 1
            ), $whitespace), '')
            else anonymous_id
        end as any_anonymous_id,
    from timestamps
),

pseudonymized as (
    -- R17: secret-prefixed SHA-256, scoped by tenant (R3) and by kind of id so that a
    -- user id never collides with an anonymous id of the same text. Hashing every
    -- row costs less than finding the distinct ids and joining them back.
    select
        *,
        left(sha256(
            $key || chr(31) || coalesce(tenant_id, '') || chr(31) || 'user' || chr(31)
            || any_user_id
        ), 32) as user_pseudonym,
        left(sha256(
            $key || chr(31) || coalesce(tenant_id, '') || chr(31) || 'anonymous' || chr(31)
            || any_anonymous_id
        ), 32) as anonymous_pseudonym,
    from reasoned
)

select
    load_id,
    line_number,
    reason,
    -- Quarantined lines keep their text (R1) but not their identifiers (R17): the
    -- value of each id key is replaced by its pseudonym.
    case when reason is not null then
        regexp_replace(
            regexp_replace(
                rtrim(raw_line, chr(10) || chr(13)),
                '("user_id"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)',
                '\1"' || coalesce(user_pseudonym, '') || '"',
                'g'
            ),
            '("anonymous_id"\s*:\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)',
            '\1"' || coalesce(anonymous_pseudonym, '') || '"',
            'g'
        )
    end as quarantine_line,
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
    extra_fields,
    -- R2 conflicts compare what the browser said about the event: the collector's
    -- received_at and the batch's sent_at may differ between honest retries. Every
    -- field is marked present ('=' and its value) or absent ('-'), since concat_ws
    -- skips nulls: copies that differ only in which field is null must differ here.
    md5(concat_ws(
        chr(31),
        coalesce('=' || event_type, '-'),
        coalesce('=' || occurred_at::varchar, '-'),
        coalesce('=' || user_pseudonym, '-'),
        coalesce('=' || anonymous_pseudonym, '-'),
        coalesce('=' || session_id, '-'),
        coalesce('=' || device_type, '-'),
        coalesce('=' || user_agent, '-'),
        coalesce('=' || page_url, '-'),
        coalesce('=' || is_preview::varchar, '-'),
        coalesce('=' || properties::varchar, '-'),
        coalesce('=' || extra_fields::varchar, '-')
    )) as content_fingerprint,
from pseudonymized
