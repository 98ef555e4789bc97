{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['tenant_id', 'anonymous_pseudonym'],
    on_schema_change='sync_all_columns',
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- depends_on: {{ ref('int_event_lines_ranked') }}

{#- A warehouse built before the winning event's keys were kept resolves every link
    once, as a full build does; sync_all_columns then gives its table those keys. -#}
{%- set keeps_link_keys = is_incremental() and 'linked_event_id' in (
    adapter.get_columns_in_relation(this) | map(attribute='name') | list
) -%}

{#- Only an id whose linking event was itself ranked again can need its history. When
    no kept link's event was, the history is not read at all: a join on an empty set
    of stale ids still scanned every linking event of the history (6.4 M on M). -#}
{%- set reads_history = false -%}
{%- if keeps_link_keys and execute -%}
    {%- set reranked_links_query -%}
        select count(*)
        from {{ this }} as previous_links
        inner join {{ ref('int_event_lines_ranked') }} as reranked
            on
                previous_links.tenant_id = reranked.tenant_id
                and previous_links.linked_event_id = reranked.event_id
        where reranked._built_at > {{ last_build_stamp() }}
    {%- endset -%}
    {%- set reads_history = run_query(reranked_links_query).columns[0].values()[0] > 0 -%}
{%- endif %}

-- R7 identity stitching, within a tenant. Every deduplicated event (past R1, not a
-- duplicate; excluded traffic included) carrying both ids links the anonymous id to
-- the user. Several users: the linking event with the earliest event_time wins, then
-- the one received first (received_at, nulls last), then the smaller event_id. Ids of
-- persons never break a tie: they are pseudonyms (R17), so a tie broken on them
-- would let the key decide a tenant's MAU. Each row keeps the winning event's
-- event_time, received_at and event_id: the keys a later event must beat.
-- Incremental (SPEC §6): a run resolves again the anonymous ids that some newly
-- ranked copy carries with a user id (the copy that lost its place to a new winner
-- included), from their previous link and the newly ranked linking events only: a
-- new event can take the link, never give it back. Only an id whose linking event
-- was itself ranked again (its winning copy may carry the link no more) is resolved
-- from its whole history. A row is written only where the resolution changed; a link
-- that no winning event carries any more stays as a row without a linked user, so
-- that the months of that anonymous id are recounted (int_tenant_months_changed).
with

linking_winners as (
    -- the winning copies (R2) that link an anonymous id to a user
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym,
        event_time,
        received_at,
        event_id,
        _built_at
    from {{ ref('int_events_deduplicated') }}
    where
        user_pseudonym is not null
        and anonymous_pseudonym is not null
),

{% if keeps_link_keys %}

    reranked_lines as (
        -- every copy of the events that received a new copy since the last build (R2)
        select
            tenant_id,
            event_id,
            user_pseudonym,
            anonymous_pseudonym
        from {{ ref('int_event_lines_ranked') }}
        where _built_at > {{ last_build_stamp() }}
    ),

    reranked_events as (
        select distinct
            tenant_id,
            event_id
        from reranked_lines
    ),

    reranked_linking_winners as (
        -- of the events ranked again since the last build
        select
            tenant_id,
            anonymous_pseudonym,
            user_pseudonym,
            event_time,
            received_at,
            event_id
        from linking_winners
        where _built_at > {{ last_build_stamp() }}
    ),

    relinked_anonymous_ids as (
        select distinct
            tenant_id,
            anonymous_pseudonym
        from reranked_lines
        where
            user_pseudonym is not null
            and anonymous_pseudonym is not null
    ),

    previous_links as (
        select
            previous_links.*,
            reranked_link.tenant_id is not null as is_reranked,
            -- The linking event was ranked again: it still wins if its new winning copy
            -- links the id no later than before (every other event was later than the
            -- old copy); otherwise the id is resolved from its whole history.
            coalesce(
                reranked_link.tenant_id is not null
                and not exists (
                    select 1
                    from reranked_linking_winners as relinking
                    where
                        relinking.tenant_id = previous_links.tenant_id
                        and relinking.event_id = previous_links.linked_event_id
                        and relinking.anonymous_pseudonym = previous_links.anonymous_pseudonym
                        and (
                            relinking.event_time < previous_links.linked_at
                            or (
                                relinking.event_time = previous_links.linked_at
                                and (
                                    previous_links.linked_received_at is null
                                    or relinking.received_at <= previous_links.linked_received_at
                                )
                            )
                        )
                ),
                false
            ) as is_stale
        from {{ this }} as previous_links
        inner join relinked_anonymous_ids
            on
                previous_links.tenant_id = relinked_anonymous_ids.tenant_id
                and previous_links.anonymous_pseudonym = relinked_anonymous_ids.anonymous_pseudonym
        left join reranked_events as reranked_link
            on
                previous_links.tenant_id = reranked_link.tenant_id
                and previous_links.linked_event_id = reranked_link.event_id
    ),

    {% if reads_history %}

    stale_linking_events as (
        select
            winning_events.tenant_id,
            winning_events.anonymous_pseudonym,
            winning_events.user_pseudonym,
            winning_events.event_time,
            winning_events.received_at,
            winning_events.event_id
        from {{ ref('int_events_deduplicated') }} as winning_events
        inner join previous_links
            on
                winning_events.tenant_id = previous_links.tenant_id
                and winning_events.anonymous_pseudonym = previous_links.anonymous_pseudonym
        where
            previous_links.is_stale
            and winning_events.user_pseudonym is not null
    ),

    {% endif %}

    linking_events as (
        select * from reranked_linking_winners
        union all
        select
            tenant_id,
            anonymous_pseudonym,
            linked_user_pseudonym as user_pseudonym,
            linked_at as event_time,
            linked_received_at as received_at,
            linked_event_id as event_id
        from previous_links
        where
            linked_user_pseudonym is not null
            -- a linking event ranked again competes with its new winning copy instead
            and not is_reranked
            and not is_stale
        {% if reads_history %}
            union all
            select * from stale_linking_events
        {% endif %}
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
        from linking_winners
    ),

{% endif %}

ranked_linking_events as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym,
        event_time,
        received_at,
        event_id,
        row_number() over (
            partition by tenant_id, anonymous_pseudonym
            order by event_time asc, received_at asc nulls last, event_id asc
        ) as link_rank
    from linking_events
),

resolved_links as (
    select
        tenant_id,
        anonymous_pseudonym,
        user_pseudonym as linked_user_pseudonym,
        event_time as linked_at,
        received_at as linked_received_at,
        event_id as linked_event_id
    from ranked_linking_events
    where link_rank = 1
),

{% if keeps_link_keys %}

    current_links as (
        select
            relinked_anonymous_ids.tenant_id,
            relinked_anonymous_ids.anonymous_pseudonym,
            resolved_links.linked_user_pseudonym,
            resolved_links.linked_at,
            resolved_links.linked_received_at,
            resolved_links.linked_event_id
        from relinked_anonymous_ids
        left join resolved_links
            on
                relinked_anonymous_ids.tenant_id = resolved_links.tenant_id
                and relinked_anonymous_ids.anonymous_pseudonym = resolved_links.anonymous_pseudonym
    ),

    changed_links as (
        select current_links.*
        from current_links
        left join previous_links
            on
                current_links.tenant_id = previous_links.tenant_id
                and current_links.anonymous_pseudonym = previous_links.anonymous_pseudonym
        where
        -- a new link, another winning event, or a link that no winning event carries any more
            (previous_links.tenant_id is null and current_links.linked_user_pseudonym is not null)
            or (
                previous_links.tenant_id is not null
                and (
                    current_links.linked_user_pseudonym is distinct from previous_links.linked_user_pseudonym
                    or current_links.linked_event_id is distinct from previous_links.linked_event_id
                    or current_links.linked_at is distinct from previous_links.linked_at
                    or current_links.linked_received_at is distinct from previous_links.linked_received_at
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
        linked_received_at,
        linked_event_id,
        {{ build_stamp() }} as _built_at
    from changed_links
)

select * from final
