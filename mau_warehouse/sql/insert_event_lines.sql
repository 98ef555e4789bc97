-- Move one classified chunk into the raw layer: events (duplicates included,
-- R2 is decided in dbt) and quarantined lines (R1). No raw identifier is written.
-- Chunks come in file order, so sorting each one keeps the tables in
-- (load_id, line_number) order, which zone maps on load_id rely on.
insert into raw.event_lines
select
    load_id,
    line_number,
    event_id,
    tenant_id,
    event_type,
    occurred_at,
    sent_at,
    received_at,
    user_pseudonym,
    anonymous_pseudonym,
    session_id,
    device_type,
    classified.user_agent,
    -- R9 needs the parsed class only where the SDK sent no device type; set only
    -- there, it does not depend on which files share a chunk.
    case when classified.device_type is null then device_classes.device_class end,
    page_url,
    is_preview,
    properties,
    extra_fields,
    content_fingerprint,
    $loaded_at,
from chunk_classified as classified
left join chunk_device_classes as device_classes
    on classified.user_agent = device_classes.user_agent
where classified.reason is null
order by classified.load_id, classified.line_number;

insert into raw.quarantine
select
    load_id,
    line_number,
    reason,
    quarantine_line,
    tenant_id,
    user_pseudonym,
    anonymous_pseudonym,
    $loaded_at,
from chunk_classified
where reason is not null
order by load_id, line_number;
