"""From the published alerts mart to the outbox, and from the outbox to the channels."""

from __future__ import annotations

from mau_warehouse.config import Settings
from mau_warehouse.notify.channels import Alert, configured_channels
from mau_warehouse.notify.outbox import Outbox
from mau_warehouse.warehouse import connect_serving


def published_alerts(settings: Settings) -> list[Alert]:
    con = connect_serving(settings)
    try:
        # Customers hear about months still inside their billing window (before the
        # automatic close, R16): alerts of months long past — every past month on a
        # first deployment — stay in the mart. A month closed early by hand keeps
        # the alerts it raised while open.
        rows = con.execute(
            """
            select
                alerts.alert_id,
                alerts.tenant_id,
                coalesce(alerts.tenant_name, alerts.tenant_id),
                strftime(alerts.month, '%Y-%m'),
                alerts.alert_kind,
                alerts.threshold,
                strftime(alerts.alert_date, '%Y-%m-%d'),
                alerts.value,
                alerts.mau_limit,
            from marts.fct_usage_alerts as alerts
            inner join marts.fct_tenant_monthly_usage as usage
                on alerts.tenant_id = usage.tenant_id and alerts.month = usage.month
            where usage.closes_at > now()
            order by alerts.alert_date, alerts.alert_id
            """
        ).fetchall()
    finally:
        con.close()
    return [Alert(*row[:5], float(row[5]), row[6], int(row[7]), int(row[8])) for row in rows]


def queue_new_alerts(settings: Settings) -> tuple[int, list[str]]:
    """Add published alerts of live months to the outbox; each is queued once, ever (R12)."""
    channels = [channel.name for channel in configured_channels()]
    added = Outbox(settings.outbox_path).add(published_alerts(settings), channels)
    return added, channels


def deliver_pending(settings: Settings) -> dict[str, int]:
    return Outbox(settings.outbox_path).deliver(configured_channels())
