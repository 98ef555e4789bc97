"""Delivery channels, configured by the settings: a Slack-style webhook and SMTP email.

Credentials (SMTP password, a webhook URL with a token) only ever come from the
environment or from owner-only files outside the repository (NAME_FILE), never from
code or the repository (SPEC §7).
"""

from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Protocol

from mau_warehouse.errors import MauError
from mau_warehouse.notify.message import DEFAULT_DASHBOARD_URL, headline, message_text

if TYPE_CHECKING:
    from mau_warehouse.config import AlertSettings

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Alert:
    """One row of marts.fct_usage_alerts (R12, R13), with what its message needs.

    The fields after mau_limit are optional: alerts queued by an older version lack them.
    """

    alert_id: str
    tenant_id: str
    tenant_name: str
    month: str
    alert_kind: str
    threshold: float
    alert_date: str
    value: int
    mau_limit: int
    mtd_mau: int | None = None
    projected_mau: int | None = None
    projected_mau_low: int | None = None
    projected_mau_high: int | None = None
    plan_name: str | None = None
    billing_timezone: str | None = None
    upgrade_plan_name: str | None = None
    upgrade_plan_limit: int | None = None  # None with a plan name: unlimited
    upgrade_plan_price_usd: float | None = None
    billing_email: str | None = None  # the tenant's contacts, comma-separated

    def headline(self) -> str:
        return headline(self)

    def contacts(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in (self.billing_email or "").split(",") if a.strip())

    def as_json(self) -> dict[str, object]:
        return asdict(self)


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs Slack-compatible JSON; the alert id rides along so receivers can drop repeats."""

    url: str
    dashboard_url: str = DEFAULT_DASHBOARD_URL
    name: str = "webhook"

    def send(self, alert: Alert) -> None:
        text = message_text(alert, self.dashboard_url)
        body = json.dumps({"text": text, "alert": alert.as_json()}).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Idempotency-Key": alert.alert_id},
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            if not 200 <= response.status < 300:
                raise OSError(f"webhook answered {response.status}")


@dataclass(frozen=True)
class EmailChannel:
    """One plain-text email per alert, to the tenant's own billing contacts when the
    billing export has them (billing_email), else to the configured recipients.
    Message-ID is derived from the alert id."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    dashboard_url: str = DEFAULT_DASHBOARD_URL
    name: str = "email"

    def send(self, alert: Alert) -> None:
        recipients = alert.contacts() or self.recipients
        if not recipients:
            raise MauError(
                f"no recipient for tenant {alert.tenant_id}: it has no billing_email in "
                "tenants.csv and MAU_ALERT_EMAIL_TO is empty"
            )
        message = EmailMessage()
        message["Subject"] = f"[MAU] {alert.headline()}"
        message["From"] = self.sender
        message["To"] = ", ".join(recipients)
        message["Message-ID"] = f"<{alert.alert_id}@mau-warehouse>"
        message.set_content(message_text(alert, self.dashboard_url))
        with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def configured_channels(settings: AlertSettings) -> list[Channel]:
    """Channels named by MAU_ALERT_WEBHOOK_URL and MAU_SMTP_HOST (+ sender and recipients).

    MAU_ALERT_EMAIL_TO is the fallback list: a tenant's own billing_email takes its place.
    """
    channels: list[Channel] = []
    # The webhook URL carries a token and the SMTP password is one: each comes from its
    # variable or from an owner-only file named by NAME_FILE (SPEC §7), read when sending.
    webhook_url = settings.webhook_url.read()
    if webhook_url:
        channels.append(WebhookChannel(webhook_url, settings.dashboard_url))
    if settings.smtp_host:
        channels.append(
            EmailChannel(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.email_from,
                recipients=settings.email_to,
                username=settings.smtp_user,
                password=settings.smtp_password.read(),
                starttls=settings.smtp_starttls,
                dashboard_url=settings.dashboard_url,
            )
        )
    return channels
