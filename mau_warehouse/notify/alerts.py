"""From the published alerts mart to the outbox, and from the outbox to the channels."""

from __future__ import annotations

from mau_warehouse.config import Settings
from mau_warehouse.notify.channels import Alert, configured_channels
from mau_warehouse.notify.outbox import ALERT_FIELDS, DeliveryOutcome, Outbox
from mau_warehouse.warehouse import connect_serving

# Everything a message needs, read from the serving copy only. The plan to recommend
# (R14) is the outreach row's when the tenant-month has one; otherwise the cheapest plan
# above the current limit that covers the month-to-date MAU and the projection, so that
# an 80 % alert already names the way out.
PUBLISHED_ALERTS = """
with upgrade_options as (
    select
        alerts.alert_id,
        plans.plan_name,
        plans.mau_limit,
        plans.monthly_price_usd,
        row_number() over (
            partition by alerts.alert_id
            order by plans.monthly_price_usd, plans.mau_limit nulls last, plans.plan_id
        ) as preference
    from marts.fct_usage_alerts as alerts
    inner join marts.dim_plans as plans
        on plans.is_unlimited
        or plans.mau_limit >= greatest(
            alerts.mau_limit + 1, alerts.mtd_mau, coalesce(alerts.projected_mau, 0)
        )
)
select
    alerts.alert_id,
    alerts.tenant_id,
    coalesce(alerts.tenant_name, alerts.tenant_id) as tenant_name,
    strftime(alerts.month, '%Y-%m') as month,
    alerts.alert_kind,
    alerts.threshold,
    strftime(alerts.alert_date, '%Y-%m-%d') as alert_date,
    alerts.value,
    alerts.mau_limit,
    alerts.mtd_mau,
    alerts.projected_mau,
    alerts.projected_mau_low,
    alerts.projected_mau_high,
    current_plan.plan_name,
    tenants.billing_timezone,
    coalesce(recommended.plan_name, next_plan.plan_name) as upgrade_plan_name,
    case when recommended.plan_id is not null then recommended.mau_limit
        else next_plan.mau_limit end as upgrade_plan_limit,
    cast(case when recommended.plan_id is not null then recommended.monthly_price_usd
        else next_plan.monthly_price_usd end as double) as upgrade_plan_price_usd,
    tenants.billing_email
from marts.fct_usage_alerts as alerts
inner join marts.fct_tenant_monthly_usage as usage
    on alerts.tenant_id = usage.tenant_id and alerts.month = usage.month
left join marts.dim_tenants as tenants on alerts.tenant_id = tenants.tenant_id
left join marts.dim_plans as current_plan on alerts.plan_id = current_plan.plan_id
left join marts.fct_upgrade_outreach as outreach
    on alerts.tenant_id = outreach.tenant_id and alerts.month = outreach.month
left join marts.dim_plans as recommended on outreach.recommended_plan_id = recommended.plan_id
left join upgrade_options as next_plan
    on alerts.alert_id = next_plan.alert_id and next_plan.preference = 1
-- Customers hear about months still inside their billing window (before the
-- automatic close, R16): alerts of months long past — every past month on a
-- first deployment — stay in the mart. A month closed early by hand keeps
-- the alerts it raised while open.
where usage.closes_at > now()
order by alerts.alert_date, alerts.alert_id
"""


def published_alerts(settings: Settings) -> list[Alert]:
    con = connect_serving(settings)
    try:
        rows = con.execute(PUBLISHED_ALERTS).fetchall()
    finally:
        con.close()
    return [Alert(**dict(zip(ALERT_FIELDS, row, strict=True))) for row in rows]


def queue_new_alerts(settings: Settings) -> tuple[int, list[str]]:
    """Add published alerts of live months to the outbox; each is queued once, ever (R12)."""
    channels = [channel.name for channel in configured_channels(settings.alerts)]
    added = Outbox(settings.outbox_path).add(published_alerts(settings), channels)
    return added, channels


def deliver_pending(settings: Settings) -> DeliveryOutcome:
    """Send what is due in the outbox: called by `mau run` after a successful run and by
    the alert_delivery sensor; the outbox's claims keep each send once between them."""
    return Outbox(settings.outbox_path).deliver(configured_channels(settings.alerts))
