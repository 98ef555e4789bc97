{{ config(
    materialized=incremental_materialization(),
    incremental_strategy='delete+insert',
    unique_key=['tenant_id', 'activity_month'],
    on_schema_change='fail',
    post_hook=["{{ record_build_stamp() }}"],
) }}

-- depends_on: {{ ref('int_identity_links_resolved') }}

-- The change log of incremental builds (SPEC §6): one row per tenant and activity
-- month (tenant time zone, R5) whose persons may have changed, stamped with the run
-- that found it. The models partitioned by tenant-month (person-months, daily
-- actives, excluded traffic, unattributed usage, late adjustments) recompute exactly
-- the partitions stamped after their own last build. A tenant-month changes when
--   - one of its events was classified again (a new or replaced winning copy, R2; a
--     new time zone or attribution of its tenant, R5, R18), in the month it is in now
--     and in the month it was in before;
--   - an anonymous id active in it was linked to another user, or lost its link (R7).
-- The erasure of a person (R17) stamps the months it recounts here too.
with

classified_events as (
    select * from {{ ref('int_events_classified') }}
),

{% if is_incremental() %}

    reclassified_events as (
        select
            tenant_id,
            activity_month,
            previous_activity_month
        from classified_events
        where _built_at > {{ last_build_stamp() }}
    ),

    relinked_anonymous_ids as (
        select
            tenant_id,
            anonymous_pseudonym
        from {{ ref('int_identity_links_resolved') }}
        where _built_at > {{ last_build_stamp() }}
    ),

    changed_months as (
        select
            tenant_id,
            activity_month
        from reclassified_events
        union
        select
            tenant_id,
            previous_activity_month as activity_month
        from reclassified_events
        where previous_activity_month is not null
        union
        select
            classified_events.tenant_id,
            classified_events.activity_month
        from classified_events
        inner join relinked_anonymous_ids
            on
                classified_events.tenant_id = relinked_anonymous_ids.tenant_id
                and classified_events.anonymous_pseudonym = relinked_anonymous_ids.anonymous_pseudonym
    ),

{% else %}

    changed_months as (
        select
            tenant_id,
            activity_month
        from classified_events
    ),

{% endif %}

final as (
    select distinct
        cast(tenant_id as string) as tenant_id,
        cast(activity_month as date) as activity_month,
        {{ build_stamp() }} as _built_at
    from changed_months
)

select * from final
