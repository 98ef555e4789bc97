{{ config(materialized='table') }}

-- One row per tenant, activity month (tenant time zone, R5) and person (R7) with at
-- least one counted event (R8: deduplicated, not excluded). 50 visits in a month are
-- one row. Device flags follow R9: a person seen on two classes has both flags.
with

counted_events as (
    select * from {{ ref('int_events_attributed_to_persons') }}
    where is_counted
),

person_months as (
    select
        tenant_id,
        activity_month,
        person_kind,
        person_id,
        is_attributed,
        billing_timezone,
        count(*) as counted_event_count,
        count(distinct activity_date) as active_day_count,
        min(activity_date) as first_active_date,
        min(event_time) as first_event_time,
        max(event_time) as last_event_time,
        max(case when device_class = 'mobile' then 1 else 0 end) = 1 as has_mobile_event,
        max(case when device_class = 'desktop' then 1 else 0 end) = 1 as has_desktop_event,
        max(case when device_class = 'tablet' then 1 else 0 end) = 1 as has_tablet_event
    from counted_events
    group by
        tenant_id,
        activity_month,
        person_kind,
        person_id,
        is_attributed,
        billing_timezone
),

flagged as (
    select
        *,
        person_kind = 'user' as is_user,
        -- R10: the first month in which this user had a counted event
        person_kind = 'user'
        and activity_month = min(activity_month) over (
            partition by tenant_id, person_kind, person_id
        ) as is_first_user_month
    from person_months
)

select * from flagged
