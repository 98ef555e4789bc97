{{ config(materialized='table') }}

-- R7 identity stitching, within a tenant. Every deduplicated event (past R1, not a
-- duplicate; excluded traffic included) carrying both ids links the anonymous id to
-- the user. Several users: the link with the earliest event_time wins, then the
-- smallest user id (compared on pseudonyms: raw ids never reach the warehouse, R17).
with

linking_events as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym,
        event_time
    from {{ ref('int_events_deduplicated') }}
    where
        user_pseudonym is not null
        and anonymous_pseudonym is not null
),

candidate_links as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym,
        min(event_time) as first_linked_at,
        count(*) as linking_event_count
    from linking_events
    group by
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym
),

ranked_links as (
    select
        *,
        row_number() over (
            partition by tenant_id, anonymous_pseudonym
            order by first_linked_at asc, user_pseudonym asc
        ) as link_rank,
        count(*) over (partition by tenant_id, anonymous_pseudonym) as candidate_user_count
    from candidate_links
),

resolved_links as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym as linked_user_pseudonym,
        first_linked_at as linked_at,
        linking_event_count,
        candidate_user_count
    from ranked_links
    where link_rank = 1
)

select * from resolved_links
