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
-- the user. Several users: the linking event with the earliest event_time wins, then
-- the one received first (received_at, nulls last), then the smaller event_id. Ids of
-- persons never break a tie: they are pseudonyms (R17), so a tie broken on them
-- would let the key decide a tenant's MAU.
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
            winning_events.event_time,
            winning_events.received_at,
            winning_events.event_id
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
            event_time,
            received_at,
            event_id
        from winning_events
        where
            user_pseudonym is not null
            and anonymous_pseudonym is not null
    ),

{% endif %}

ranked_linking_events as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym,
        event_time,
        row_number() over (
            partition by tenant_id, anonymous_pseudonym
            order by event_time asc, received_at asc nulls last, event_id asc
        ) as link_rank
    from linking_events
),

candidate_user_counts as (
    select
        tenant_id,
        anonymous_pseudonym,
        count(distinct user_pseudonym) as candidate_user_count
    from linking_events
    group by
        tenant_id,
        anonymous_pseudonym
),

resolved_links as (
    select
        ranked_linking_events.tenant_id,
        ranked_linking_events.anonymous_pseudonym,
        ranked_linking_events.user_pseudonym as linked_user_pseudonym,
        ranked_linking_events.event_time as linked_at,
        candidate_user_counts.candidate_user_count
    from ranked_linking_events
    inner join candidate_user_counts
        on
            ranked_linking_events.tenant_id = candidate_user_counts.tenant_id
            and ranked_linking_events.anonymous_pseudonym = candidate_user_counts.anonymous_pseudonym
    where ranked_linking_events.link_rank = 1
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
