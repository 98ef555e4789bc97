-- R17 suppression: lines of erased persons are not stored again, whatever file brings
-- them (a replayed landing file included). A line is suppressed when the keyed hash of
-- its user or anonymous pseudonym is on privacy.suppressions for its tenant; it is
-- recorded in raw.line_removals, so that its file's lines still add up (R1), and
-- removed from the chunk before the chunk is inserted.
-- Parameters: $key (pseudonymization secret, never stored), $loaded_at.
-- Only lines of tenants with a suppression are hashed: without erasures this is free.
insert into raw.line_removals
with
suppressed_tenants as (
    select distinct tenant_id from privacy.suppressions
),

candidates as materialized (
    select
        classified.load_id,
        classified.line_number,
        classified.tenant_id,
        classified.user_pseudonym,
        classified.anonymous_pseudonym,
    from chunk_classified as classified
    where classified.tenant_id in (select suppressed_tenants.tenant_id from suppressed_tenants)
),

digests as (
    select
        load_id,
        line_number,
        tenant_id,
        'user' as id_kind,
        left(sha256($key || chr(31) || 'suppressed' || chr(31) || user_pseudonym), 32) as digest,
    from candidates
    where user_pseudonym is not null
    union all
    select
        load_id,
        line_number,
        tenant_id,
        'anonymous' as id_kind,
        left(sha256($key || chr(31) || 'suppressed' || chr(31) || anonymous_pseudonym), 32),
    from candidates
    where anonymous_pseudonym is not null
)

select
    digests.load_id,
    digests.line_number,
    'suppressed' as line_kind,
    'suppression' as cause,
    min(suppressions.request_id) as request_id,
    $loaded_at as removed_at,
from digests
inner join privacy.suppressions as suppressions
    on digests.tenant_id = suppressions.tenant_id
    and digests.id_kind = suppressions.id_kind
    and digests.digest = suppressions.digest
group by digests.load_id, digests.line_number;

delete from chunk_classified
using raw.line_removals as removals
where chunk_classified.load_id = removals.load_id
    and chunk_classified.line_number = removals.line_number
    and removals.cause = 'suppression'
    and removals.removed_at = $loaded_at
