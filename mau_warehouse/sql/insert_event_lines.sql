-- Move one classified batch into the raw layer: events (duplicates included,
-- R2 is decided in dbt) and quarantined lines (R1). No raw identifier is written.
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
    device_classes.device_class,
    page_url,
    is_preview,
    properties,
    extra_fields,
    content_fingerprint,
    $loaded_at,
from batch_classified as classified
left join batch_device_classes as device_classes
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
from batch_classified
where reason is not null
order by load_id, line_number;
