{{ config(materialized='table') }}

-- R11 plan of a month: one row per tenant and month in which at least one
-- subscription row covers a day. Dates are days in the tenant's time zone; ended_on
-- is inclusive; an open row runs up to the month of the later of the tenant's last
-- counted activity and the tenant's local today (macros/calendar.sql). The month's
-- plan is the one of the row that covers the latest day of the month covered by any
-- row (a row cancelled on the 15th still gives that month its plan); is_trial comes
-- from that row.
-- Ties (overlapping rows covering the same latest day): the most recently started
-- row wins, then a paid row over a trial row, then the smallest plan_id.
with

subscriptions as (
    select * from {{ ref('stg_billing_system__subscriptions') }}
),

months as (
    select * from {{ ref('int_calendar_months_spined') }}
),

tenant_today_months as (
    select
        tenant_id,
        {{ first_day_of_month(local_as_of_date('billing_timezone')) }} as today_month
    from {{ ref('stg_billing_system__tenants') }}
),

tenant_activity_horizons as (
    select
        tenant_id,
        max(activity_month) as last_activity_month
    from {{ ref('int_tenant_months_aggregated') }}
    group by tenant_id
),

subscription_ranges as (
    select
        subscriptions.tenant_id,
        subscriptions.plan_id,
        subscriptions.is_trial,
        subscriptions.started_on,
        subscriptions.ended_on,
        {{ first_day_of_month('subscriptions.started_on') }} as first_month,
        case
            when subscriptions.ended_on is not null
                then {{ first_day_of_month('subscriptions.ended_on') }}
            when
                tenant_activity_horizons.last_activity_month
                > coalesce(tenant_today_months.today_month, {{ first_day_of_month(local_as_of_date("'UTC'")) }})
                then tenant_activity_horizons.last_activity_month
            else coalesce(tenant_today_months.today_month, {{ first_day_of_month(local_as_of_date("'UTC'")) }})
        end as last_month
    from subscriptions
    left join tenant_activity_horizons
        on subscriptions.tenant_id = tenant_activity_horizons.tenant_id
    left join tenant_today_months
        on subscriptions.tenant_id = tenant_today_months.tenant_id
),

subscription_months as (
    select
        subscription_ranges.tenant_id,
        months.month_start,
        months.month_end,
        subscription_ranges.plan_id,
        subscription_ranges.is_trial,
        subscription_ranges.started_on,
        subscription_ranges.ended_on,
        -- the latest day of this month that the row covers
        case
            when subscription_ranges.ended_on is null then months.month_end
            when subscription_ranges.ended_on > months.month_end then months.month_end
            else subscription_ranges.ended_on
        end as covered_through
    from subscription_ranges
    inner join months
        on
            subscription_ranges.first_month <= months.month_start
            and subscription_ranges.last_month >= months.month_start
),

ranked_subscription_months as (
    select
        *,
        row_number() over (
            partition by tenant_id, month_start
            order by covered_through desc, started_on desc, is_trial asc, plan_id asc
        ) as coverage_rank,
        count(*) over (partition by tenant_id, month_start) as covering_row_count
    from subscription_months
),

planned as (
    select
        tenant_id,
        month_start,
        plan_id,
        is_trial,
        started_on as subscription_started_on,
        ended_on as subscription_ended_on,
        covered_through,
        covering_row_count
    from ranked_subscription_months
    where coverage_rank = 1
)

select * from planned
