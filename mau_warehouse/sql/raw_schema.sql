-- Raw layer written by the loader (mau_warehouse.ingest). dbt reads it through
-- sources only. Identifiers are already pseudonymized here (R17): no column of
-- any table holds a raw user_id or anonymous_id.
create schema if not exists raw;

create sequence if not exists raw.load_id_seq start 1;

-- One row per file content ever loaded: the ledger that makes loads idempotent (R2).
create table if not exists raw.load_ledger (
    load_id integer primary key,
    file_path varchar not null,          -- path relative to the landing folder
    file_kind varchar not null,          -- events | accounts | requests
    content_sha256 varchar not null,
    size_bytes bigint not null,
    lines bigint not null,
    accepted bigint not null,
    duplicates bigint not null,
    quarantined bigint not null,
    status varchar not null,             -- loaded | unreadable
    error varchar,
    loaded_at timestamptz not null,
    suppressed bigint not null default 0 -- lines of erased persons, not stored (R17)
);
-- Warehouses created before erasure existed get the column too.
alter table raw.load_ledger add column if not exists suppressed bigint default 0;

-- The content hash last computed for each landing path, with the size and
-- modification time it had then: a run hashes again only files that changed, so
-- re-reading a year of landing files costs a stat each, not a read (SPEC §6).
-- The ledger above still decides by content what is new.
create table if not exists raw.landing_file_stats (
    file_path varchar primary key,       -- path relative to the landing folder
    size_bytes bigint not null,
    modified_ns bigint not null,
    content_sha256 varchar not null
);

-- One row per line that passed R1 (duplicates included: R2 is decided in dbt).
create table if not exists raw.event_lines (
    load_id integer not null,
    line_number bigint not null,
    event_id varchar not null,
    tenant_id varchar not null,
    event_type varchar,
    occurred_at timestamptz not null,
    sent_at timestamptz,
    received_at timestamptz,
    user_pseudonym varchar,              -- keyed hash of the trimmed user_id (R3, R17)
    anonymous_pseudonym varchar,         -- keyed hash of the trimmed anonymous_id (R3, R17)
    session_id varchar,
    device_type varchar,
    user_agent varchar,
    user_agent_device_class varchar,     -- tablet | mobile | desktop parsed from user_agent, null without one (R9)
    page_url varchar,
    is_preview boolean not null,
    properties json,
    extra_fields json,                   -- unknown fields, kept (SPEC §2.1)
    content_fingerprint varchar not null, -- hash of the pseudonymized line, for R2 conflicts
    loaded_at timestamptz not null,
    primary key (load_id, line_number)
);

-- One row per line that could not become an event (R1), never dropped.
create table if not exists raw.quarantine (
    load_id integer not null,
    line_number bigint not null,
    reason varchar not null,
    raw_line varchar not null,           -- the line, identifier values replaced by pseudonyms
    tenant_id varchar,                   -- when the line named one
    user_pseudonym varchar,              -- pseudonyms of the ids found in the line (R17 erasure)
    anonymous_pseudonym varchar,
    loaded_at timestamptz not null,
    primary key (load_id, line_number)
);

-- Lines that were loaded, or read, and are not kept (R17): erased with their person,
-- purged after the retention period, or suppressed at load because their person was
-- erased. With it every file's lines still add up (R1). No identifier is kept here.
create table if not exists raw.line_removals (
    load_id integer not null,
    line_number bigint not null,
    line_kind varchar not null,          -- event | quarantine | suppressed (never stored)
    cause varchar not null,              -- erasure | retention | suppression
    request_id varchar,                  -- the erasure request behind an erasure or suppression
    removed_at timestamptz not null,
    primary key (load_id, line_number)
);

-- Erasure (R17): the suppression list and the audit of every request honoured.
create schema if not exists privacy;

-- One row per pseudonym of an erased person. The pseudonym itself is not kept: digest
-- is a keyed hash of it (mau_warehouse/privacy/pseudonyms.py), which the loader
-- compares with the hash of each new line's pseudonyms.
create table if not exists privacy.suppressions (
    tenant_id varchar not null,
    id_kind varchar not null,            -- user | anonymous
    digest varchar not null,
    request_id varchar not null,
    suppressed_at timestamptz not null,
    primary key (tenant_id, id_kind, digest)
);

-- One row per erasure request honoured: when, and rows removed per table. No
-- identifier of the person.
create table if not exists privacy.erasure_audit (
    request_id varchar primary key,
    tenant_id varchar not null,
    source varchar not null,             -- command, or the request file's landing path
    requested_at timestamptz,            -- as given by the request file, if any
    erased_at timestamptz not null,
    rows_removed json not null           -- {"schema.table": rows}
);

-- Billing-system exports, as text: each load replaces the previous version.
create table if not exists raw.plans (
    plan_id varchar,
    plan_name varchar,
    mau_limit varchar,
    monthly_price_usd varchar,
    source_file varchar not null,
    loaded_at timestamptz not null
);

create table if not exists raw.tenants (
    tenant_id varchar,
    tenant_name varchar,
    billing_timezone varchar,
    created_at varchar,
    source_file varchar not null,
    loaded_at timestamptz not null,
    billing_email varchar                -- optional column: alert contacts, comma-separated
);
-- Warehouses created before billing contacts existed get the column too.
alter table raw.tenants add column if not exists billing_email varchar;

create table if not exists raw.subscriptions (
    tenant_id varchar,
    plan_id varchar,
    started_on varchar,
    ended_on varchar,
    is_trial varchar,
    source_file varchar not null,
    loaded_at timestamptz not null
);

-- Billing state written by the pipeline's close step (R16), never by dbt.
create schema if not exists billing;

-- One row per tenant-month that is closed: automatically once its closes_at has
-- passed, or by hand (`mau close --month`). A closed month never reopens.
create table if not exists billing.month_closes (
    tenant_id varchar not null,
    month date not null,
    closed_at timestamptz not null,
    close_kind varchar not null,         -- automatic | manual
    primary key (tenant_id, month)
);

-- Months asked to close by hand, taken by the next run's close step.
create table if not exists billing.close_requests (
    month date not null,
    requested_at timestamptz not null
);

-- The frozen figures of every closed tenant-month: written once, never updated.
-- Columns are those of marts.fct_tenant_monthly_usage at close time, plus the
-- close time and a fingerprint of the row (checked by the data-quality layer).
create table if not exists billing.monthly_usage_snapshot (
    tenant_id varchar not null,
    month date not null,
    figures json not null,               -- the whole mart row, as written
    closed_at timestamptz not null,
    fingerprint varchar not null,        -- md5 of figures
    primary key (tenant_id, month)
);

-- The independent recount's plans (data_quality/recount_scope.py): which loads each
-- run's recount covered, so the next run recounts only what changed after them (§6).
create schema if not exists quality;

create table if not exists quality.recount_plans (
    planned_at timestamptz primary key,
    since_load_id integer,               -- lines of later loads were recounted; null: all open
    through_load_id integer not null,    -- the latest load when the recount was planned
    through_loaded_at timestamptz,       -- that load's time: tells a rebuilt warehouse apart
    context_fingerprint varchar not null, -- tenants export and bot list the recount saw
    passed boolean                       -- null while it runs
);
