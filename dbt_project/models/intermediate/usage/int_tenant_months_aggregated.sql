{{ config(materialized='table') }}

-- One row per tenant and activity month with at least one counted event.
-- R8: mau = distinct persons = identified_mau (users) + anonymous_mau (unlinked ids).
-- R9: device segments count persons with a counted event of that class (may overlap).
-- R10: new_known_users = users whose first counted month is this one; the billing
-- mart accumulates them into known_users. A table rebuilt every run from the
-- incremental person-months: a user's first month spans every month of the tenant.
with

person_months as (
    select * from {{ ref('int_person_months_aggregated') }}
),

user_first_months as (
    select
        tenant_id,
        person_id,
        min(activity_month) as first_user_month
    from person_months
    where is_user
    group by
        tenant_id,
        person_id
),

flagged_person_months as (
    select
        person_months.*,
        person_months.is_user
        and user_first_months.first_user_month = person_months.activity_month as is_first_user_month
    from person_months
    left join user_first_months
        on
            person_months.tenant_id = user_first_months.tenant_id
            and person_months.person_id = user_first_months.person_id
),

tenant_months as (
    select
        tenant_id,
        activity_month,
        is_attributed,
        billing_timezone,
        count(*) as mau,
        sum(case when is_user then 1 else 0 end) as identified_mau,
        sum(case when is_user then 0 else 1 end) as anonymous_mau,
        sum(case when has_mobile_event then 1 else 0 end) as mobile_mau,
        sum(case when has_desktop_event then 1 else 0 end) as desktop_mau,
        sum(case when has_tablet_event then 1 else 0 end) as tablet_mau,
        sum(case when is_first_user_month then 1 else 0 end) as new_known_users,
        sum(counted_event_count) as counted_event_count
    from flagged_person_months
    group by
        tenant_id,
        activity_month,
        is_attributed,
        billing_timezone
),

typed as (
    select
        tenant_id,
        activity_month,
        is_attributed,
        billing_timezone,
        cast(mau as bigint) as mau,
        cast(identified_mau as bigint) as identified_mau,
        cast(anonymous_mau as bigint) as anonymous_mau,
        cast(mobile_mau as bigint) as mobile_mau,
        cast(desktop_mau as bigint) as desktop_mau,
        cast(tablet_mau as bigint) as tablet_mau,
        cast(new_known_users as bigint) as new_known_users,
        cast(counted_event_count as bigint) as counted_event_count
    from tenant_months
)

select * from typed
