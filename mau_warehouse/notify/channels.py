"""Delivery channels, configured from the environment: a Slack-style webhook and SMTP email.

Credentials (SMTP password, a webhook URL with a token) only ever come from the
environment or from owner-only files outside the repository (NAME_FILE), never from
code or the repository (SPEC §7).
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from mau_warehouse.errors import MauError
from mau_warehouse.secrets_files import read_secret

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Alert:
    alert_id: str
    tenant_id: str
    tenant_name: str
    month: str
    alert_kind: str
    threshold: float
    alert_date: str
    value: int
    mau_limit: int

    def headline(self) -> str:
        share = f"{self.threshold:.0%}"
        if self.alert_kind == "projected_to_exceed":
            return (
                f"{self.tenant_name} is on track to pass {share} of its {self.mau_limit:,} MAU "
                f"limit in {self.month} (projected {self.value:,} MAU on {self.alert_date})"
            )
        return (
            f"{self.tenant_name} reached {share} of its {self.mau_limit:,} MAU limit in "
            f"{self.month}: {self.value:,} MAU on {self.alert_date}"
        )

    def as_json(self) -> dict[str, object]:
        return {
            "alert_id": self.alert_id,
            "tenant_id": self.tenant_id,
            "tenant_name": self.tenant_name,
            "month": self.month,
            "alert_kind": self.alert_kind,
            "threshold": self.threshold,
            "alert_date": self.alert_date,
            "value": self.value,
            "mau_limit": self.mau_limit,
        }


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> None: ...


@dataclass(frozen=True)
class WebhookChannel:
    """POSTs Slack-compatible JSON; the alert id rides along so receivers can drop repeats."""

    url: str
    name: str = "webhook"

    def send(self, alert: Alert) -> None:
        body = json.dumps({"text": alert.headline(), "alert": alert.as_json()}).encode()
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
    """Sends one plain-text email per alert; Message-ID is derived from the alert id."""

    host: str
    port: int
    sender: str
    recipients: tuple[str, ...]
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    name: str = "email"

    def send(self, alert: Alert) -> None:
        message = EmailMessage()
        message["Subject"] = f"[MAU] {alert.headline()}"
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Message-ID"] = f"<{alert.alert_id}@mau-warehouse>"
        message.set_content(
            alert.headline()
            + "\n\nNothing is ever cut off: we will reach out about an upgrade at the next "
            "billing cycle.\n\n" + json.dumps(alert.as_json(), indent=2)
        )
        with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def configured_channels(environ: dict[str, str] | None = None) -> list[Channel]:
    """Channels named by MAU_ALERT_WEBHOOK_URL and MAU_SMTP_HOST (+ sender and recipients)."""
    env = os.environ if environ is None else environ
    channels: list[Channel] = []
    # The webhook URL carries a token and the SMTP password is one: each comes from its
    # variable or from an owner-only file named by NAME_FILE (SPEC §7).
    webhook_url = read_secret("MAU_ALERT_WEBHOOK_URL", env)
    if webhook_url:
        channels.append(WebhookChannel(webhook_url))
    if env.get("MAU_SMTP_HOST"):
        recipients = tuple(
            address.strip()
            for address in env.get("MAU_ALERT_EMAIL_TO", "").split(",")
            if address.strip()
        )
        if not recipients:
            raise MauError("MAU_SMTP_HOST is set but MAU_ALERT_EMAIL_TO names no recipient")
        try:
            port = int(env.get("MAU_SMTP_PORT", "25"))
        except ValueError as exc:
            raise MauError(
                f"MAU_SMTP_PORT must be a port number, got {env['MAU_SMTP_PORT']!r}"
            ) from exc
        channels.append(
            EmailChannel(
                host=env["MAU_SMTP_HOST"],
                port=port,
                sender=env.get("MAU_ALERT_EMAIL_FROM", "mau-warehouse@localhost"),
                recipients=recipients,
                username=env.get("MAU_SMTP_USER") or None,
                password=read_secret("MAU_SMTP_PASSWORD", env),
                starttls=env.get("MAU_SMTP_STARTTLS", "").lower() in {"1", "true", "yes"},
            )
        )
    return channels
