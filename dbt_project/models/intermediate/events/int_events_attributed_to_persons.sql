-- R7: the person behind each event: its user id; without one, the user its anonymous
-- id is linked to (a link from any month); without a link, the anonymous id itself.
-- person_kind tells users from unlinked anonymous ids (R8). Excluded events are kept
-- with is_counted = false so that excluded traffic can be reported (R6); so are
-- events received after their month's close time (R16), which are late adjustments.
-- A view: its readers are incremental and read the tenant-months that changed only
-- (events_of_changed_tenant_months applies the same macro to those events alone).
with

events as (
    select * from {{ ref('int_events_classified') }}
),

attributed as (
    {{ persons_behind_events('events') }}
)

select * from attributed
