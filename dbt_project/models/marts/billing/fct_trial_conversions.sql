-- P6 / R11 trials and what became of them. One row per trial subscription
-- (tenant_id, started_on). A trial converts when a paid subscription of the same
-- tenant starts after the trial started and before the tenant's next trial; the
-- first such subscription is the conversion. Dates are days in the tenant's time
-- zone, like the export's.
with

subscriptions as (
    select * from {{ ref('stg_billing_system__subscriptions') }}
),

tenants as (
    select * from {{ ref('dim_tenants') }}
),

trials as (
    select
        *,
        -- a later trial is a new attempt: a purchase after it is not this trial's
        lead(started_on) over (partition by tenant_id order by started_on) as next_trial_started_on
    from subscriptions
    where is_trial
),

paid_subscriptions as (
    select * from subscriptions
    where not is_trial
),

paid_subscriptions_after_trials as (
    select
        trials.tenant_id,
        trials.started_on as trial_started_on,
        paid_subscriptions.plan_id,
        paid_subscriptions.started_on,
        row_number() over (
            partition by trials.tenant_id, trials.started_on
            order by paid_subscriptions.started_on, paid_subscriptions.plan_id
        ) as paid_rank
    from trials
    inner join paid_subscriptions
        on
            trials.tenant_id = paid_subscriptions.tenant_id
            and trials.started_on < paid_subscriptions.started_on
            and (
                trials.next_trial_started_on is null
                or trials.next_trial_started_on > paid_subscriptions.started_on
            )
),

conversions as (
    select * from paid_subscriptions_after_trials
    where paid_rank = 1
),

trials_with_outcomes as (
    select
        trials.tenant_id,
        tenants.tenant_name,
        trials.plan_id as trial_plan_id,
        trials.started_on,
        trials.ended_on,
        conversions.plan_id as converted_plan_id,
        conversions.started_on as converted_on,
        {{ local_as_of_date("coalesce(tenants.billing_timezone, 'UTC')") }} as local_today
    from trials
    left join tenants
        on trials.tenant_id = tenants.tenant_id
    left join conversions
        on
            trials.tenant_id = conversions.tenant_id
            and trials.started_on = conversions.trial_started_on
),

final as (
    select
        cast(tenant_id as string) as tenant_id,
        cast(tenant_name as string) as tenant_name,
        cast(trial_plan_id as string) as trial_plan_id,
        cast(started_on as date) as started_on,
        cast(ended_on as date) as ended_on,
        cast(
            case
                when converted_on <= local_today then 'converted'
                when converted_on is not null then 'converting'
                when ended_on is null or ended_on >= local_today then 'in_trial'
                else 'lapsed'
            end as string
        ) as trial_status,
        cast(
            case
                when converted_on is null and ended_on >= local_today
                    then {{ dbt.datediff('local_today', 'ended_on', 'day') }}
            end as integer
        ) as days_left,
        cast(converted_plan_id as string) as converted_plan_id,
        cast(converted_on as date) as converted_on
    from trials_with_outcomes
)

select * from final
