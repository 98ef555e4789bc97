{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['tenant_id', 'anonymous_pseudonym'],
    on_schema_change='fail',
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- depends_on: {{ ref('int_event_lines_ranked') }}

-- R7 identity stitching, within a tenant. Every deduplicated event (past R1, not a
-- duplicate; excluded traffic included) carrying both ids links the anonymous id to
-- the user. Several users: the link with the earliest event_time wins, then the
-- smallest user id (compared on pseudonyms: raw ids never reach the warehouse, R17).
-- Incremental (SPEC §6): a run resolves again the anonymous ids that some newly
-- ranked copy carries with a user id (the copy that lost its place to a new winner
-- included), and writes a row only where the resolution changed. A link that no
-- winning event carries any more stays as a row without a linked user, so that the
-- months of that anonymous id are recounted (int_tenant_months_changed).
with

winning_events as (
    select * from {{ ref('int_events_deduplicated') }}
),

{% if is_incremental() %}

    relinked_anonymous_ids as (
        select distinct
            tenant_id,
            anonymous_pseudonym
        from {{ ref('int_event_lines_ranked') }}
        where
            _built_at > {{ last_build_stamp() }}
            and user_pseudonym is not null
            and anonymous_pseudonym is not null
    ),

    linking_events as (
        select
            winning_events.tenant_id,
            winning_events.anonymous_pseudonym,
            winning_events.user_pseudonym,
            winning_events.event_time
        from winning_events
        inner join relinked_anonymous_ids
            on
                winning_events.tenant_id = relinked_anonymous_ids.tenant_id
                and winning_events.anonymous_pseudonym = relinked_anonymous_ids.anonymous_pseudonym
        where winning_events.user_pseudonym is not null
    ),

{% else %}

    linking_events as (
        select
            tenant_id,
            anonymous_pseudonym,
            user_pseudonym,
            event_time
        from winning_events
        where
            user_pseudonym is not null
            and anonymous_pseudonym is not null
    ),

{% endif %}

candidate_links as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym,
        min(event_time) as first_linked_at
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
        candidate_user_count
    from ranked_links
    where link_rank = 1
),

{% if is_incremental() %}

    current_links as (
        select
            relinked_anonymous_ids.tenant_id,
            relinked_anonymous_ids.anonymous_pseudonym,
            resolved_links.linked_user_pseudonym,
            resolved_links.linked_at,
            coalesce(resolved_links.candidate_user_count, 0) as candidate_user_count
        from relinked_anonymous_ids
        left join resolved_links
            on
                relinked_anonymous_ids.tenant_id = resolved_links.tenant_id
                and relinked_anonymous_ids.anonymous_pseudonym = resolved_links.anonymous_pseudonym
    ),

    changed_links as (
        select current_links.*
        from current_links
        left join {{ this }} as previous_links
            on
                current_links.tenant_id = previous_links.tenant_id
                and current_links.anonymous_pseudonym = previous_links.anonymous_pseudonym
        where
        -- a new link, a different winner, or a link that no winning event carries any more
            (previous_links.tenant_id is null and current_links.linked_user_pseudonym is not null)
            or (
                previous_links.tenant_id is not null
                and (
                    current_links.linked_user_pseudonym is distinct from previous_links.linked_user_pseudonym
                    or current_links.linked_at is distinct from previous_links.linked_at
                    or current_links.candidate_user_count != previous_links.candidate_user_count
                )
            )
    ),

{% else %}

    changed_links as (
        select * from resolved_links
    ),

{% endif %}

final as (
    select
        tenant_id,
        anonymous_pseudonym,
        linked_user_pseudonym,
        linked_at,
        cast(candidate_user_count as bigint) as candidate_user_count,
        {{ build_stamp() }} as _built_at
    from changed_links
)

select * from final
