{#-
    R7: the person behind each event of `events` (a CTE name or a parenthesized
    subquery with the columns of int_events_classified): its user id; without one,
    the user its anonymous id is linked to (a link from any month); without a link,
    the anonymous id itself. person_kind tells users from unlinked anonymous ids (R8).
    Excluded events (R6) and events received after their month's close time (R16)
    are kept with is_counted = false.
    One macro for int_events_attributed_to_persons and for the incremental models
    that read only the tenant-months that changed (events_of_changed_tenant_months):
    they narrow the events first and look their links up after, where a filter on
    the view would be applied only after every event of the history was joined.
-#}
{% macro persons_behind_events(events) -%}
    select
        events.tenant_id,
        events.event_id,
        events.is_attributed,
        events.billing_timezone,
        events.event_time,
        events.activity_date,
        events.activity_month,
        events.utc_month,
        events.is_excluded,
        events.excluded_reason,
        events.matched_bot_pattern,
        not events.is_excluded and not events.is_received_after_close as is_counted,
        events.is_received_after_close,
        events.device_class,
        events.first_loaded_at,
        events._built_at,
        events.user_pseudonym,
        events.anonymous_pseudonym,
        coalesce(
            events.user_pseudonym,
            identity_links.linked_user_pseudonym,
            events.anonymous_pseudonym
        ) as person_id,
        case
            when events.user_pseudonym is not null then 'user'
            when identity_links.linked_user_pseudonym is not null then 'user'
            else 'anonymous'
        end as person_kind,
        case
            when events.user_pseudonym is not null then 'user_id'
            when identity_links.linked_user_pseudonym is not null then 'linked_anonymous_id'
            else 'anonymous_id'
        end as identity_resolution
    from {{ events }} as events
    left join {{ ref('int_identity_links_resolved') }} as identity_links
        on
            events.tenant_id = identity_links.tenant_id
            and events.anonymous_pseudonym = identity_links.anonymous_pseudonym
{%- endmacro %}
