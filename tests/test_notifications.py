"""Alert delivery through the Dagster sensor to a real webhook and a real SMTP server (P4)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import build_sensor_context

from mau_warehouse.config import load_settings
from mau_warehouse.notify.channels import Alert
from mau_warehouse.notify.outbox import Outbox
from orchestration.resources import MauHome
from orchestration.sensors import alert_delivery
from tests.notification_servers import Webhook, smtp_server, webhook_receiver

ALERTS = [
    Alert("a80", "t1", "Acme", "2025-03", "threshold_reached", 0.8, "2025-03-12", 2000, 2500),
    Alert("a100", "t1", "Acme", "2025-03", "threshold_reached", 1.0, "2025-03-20", 2500, 2500),
]


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Webhook, list]]:
    with webhook_receiver() as webhook, smtp_server() as (port, mailbox):
        monkeypatch.setenv("MAU_ALERT_WEBHOOK_URL", webhook.url)
        monkeypatch.setenv("MAU_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("MAU_SMTP_PORT", str(port))
        monkeypatch.setenv("MAU_ALERT_EMAIL_TO", "billing@acme.example, csm@example.com")
        yield webhook, mailbox


def evaluate_sensor(home: Path) -> str:
    context = build_sensor_context(resources={"mau_home": MauHome(home=str(home))})
    return alert_delivery(context).skip_message


def test_each_alert_reaches_each_channel_once(mau_home: Path, channels) -> None:
    webhook, mailbox = channels
    outbox = Outbox(load_settings(mau_home).outbox_path)
    assert outbox.add(ALERTS, ["webhook", "email"]) == 2

    assert evaluate_sensor(mau_home) == "delivered 4, failed 0"
    assert evaluate_sensor(mau_home) == "delivered 0, failed 0"
    # Queuing the same alerts again (the next run re-reads the mart) adds nothing.
    assert outbox.add(ALERTS, ["webhook", "email"]) == 0
    assert evaluate_sensor(mau_home) == "delivered 0, failed 0"

    assert [post["alert"]["alert_id"] for post in webhook.posts] == ["a100", "a80"]
    assert webhook.posts[1]["text"] == (
        "Acme reached 80% of its 2,500 MAU limit in 2025-03: 2,000 MAU on 2025-03-12"
    )
    assert sorted(message["Message-ID"] for message in mailbox) == [
        "<a100@mau-warehouse>",
        "<a80@mau-warehouse>",
    ]
    assert mailbox[0]["To"] == "billing@acme.example, csm@example.com"
    assert {(d["alert_id"], d["channel"], d["status"]) for d in outbox.deliveries()} == {
        ("a80", "webhook", "delivered"),
        ("a80", "email", "delivered"),
        ("a100", "webhook", "delivered"),
        ("a100", "email", "delivered"),
    }


def test_a_failed_send_is_retried_later_without_duplicates(mau_home: Path, channels) -> None:
    webhook, mailbox = channels
    webhook.failures_to_serve = 1
    outbox = Outbox(load_settings(mau_home).outbox_path)
    outbox.add(ALERTS[:1], ["webhook", "email"])

    assert evaluate_sensor(mau_home) == "delivered 1, failed 1"
    [failed] = [d for d in outbox.deliveries() if d["channel"] == "webhook"]
    assert failed["status"] == "failed"
    assert "500" in failed["last_error"]
    # Not due yet: the retry waits for its delay.
    assert evaluate_sensor(mau_home) == "delivered 0, failed 0"

    with sqlite3.connect(outbox.path) as con:  # let the retry delay pass
        con.execute("update deliveries set next_attempt_at = '2000-01-01T00:00:00+00:00'")
    assert evaluate_sensor(mau_home) == "delivered 1, failed 0"
    assert evaluate_sensor(mau_home) == "delivered 0, failed 0"
    assert len(webhook.posts) == 1
    assert len(mailbox) == 1
    assert [d["attempts"] for d in outbox.deliveries()] == [1, 2]  # email, webhook
