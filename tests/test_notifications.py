"""Alert delivery through the Dagster sensor to a real webhook and a real SMTP server (P4),
and the words of each message (R12–R14). Delivery by `mau run`: test_alert_delivery.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from dagster import build_sensor_context

from mau_warehouse.config import load_settings
from mau_warehouse.notify.channels import Alert
from mau_warehouse.notify.message import message_text
from mau_warehouse.notify.outbox import DeliveryOutcome, Outbox
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
    assert webhook.posts[1]["text"].splitlines()[0] == (
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


PROJECTED = Alert(
    "p100", "t1", "Acme", "2026-12", "projected_to_exceed", 1.0, "2026-12-03", 2900, 2500,
    mtd_mau=1020, projected_mau=2900, projected_mau_low=2650, projected_mau_high=3200,
    plan_name="Startup", billing_timezone="Europe/Paris", upgrade_plan_name="Growth",
    upgrade_plan_limit=10000, upgrade_plan_price_usd=599.0, billing_email="ap@acme.example",
)  # fmt: skip


def test_a_projected_alert_reads_as_dated_with_its_range_reset_day_and_upgrade() -> None:
    """R13: a projection made on a day says so; R14: nothing is cut off, the plan to take."""
    assert message_text(PROJECTED, "https://mau.example.com/").splitlines() == [
        "Acme is projected to pass 100% of its 2,500 MAU limit in 2026-12 "
        "(projection of 2026-12-03: 2,900 MAU)",
        "",
        "As of 2026-12-03 (day 3 of 31, Europe/Paris time):",
        "- Month-to-date MAU: 1,020 of your 2,500 MAU limit (41%, Startup plan).",
        "- Projected end-of-month MAU: 2,900 (likely between 2,650 and 3,200), 116% of the "
        "limit. This is a projection made on 2026-12-03 from the month so far; the dashboard "
        "shows today's figures.",
        "- The count starts again from zero on 2027-01-01 at 00:00 (Europe/Paris).",
        "",
        "If you go over the limit, nothing is cut off: every user keeps being served and "
        "counted. We recommend upgrading to Growth (up to 10,000 MAU, 599.00 USD a month) "
        "from the next billing cycle on 2027-01-01.",
        "",
        "Your usage: https://mau.example.com/my_usage?tenant=t1",
    ]


def test_a_message_without_range_or_plan_still_says_what_happens() -> None:
    bare = replace(
        PROJECTED, projected_mau_low=None, projected_mau_high=None, upgrade_plan_name=None
    )
    text = message_text(bare, "http://127.0.0.1:8501")
    assert "- Projected end-of-month MAU: 2,900, 116% of the limit." in text
    assert "We will reach out about an upgrade at the next billing cycle." in text
    unlimited = replace(PROJECTED, upgrade_plan_name="Enterprise", upgrade_plan_limit=None)
    assert "Enterprise (unlimited MAU, 599.00 USD a month)" in message_text(unlimited, "x")


def test_email_goes_to_the_tenants_billing_contacts(mau_home: Path, channels) -> None:
    webhook, mailbox = channels
    with_contacts = replace(PROJECTED, billing_email="ap@acme.example, cfo@acme.example")
    Outbox(load_settings(mau_home).outbox_path).add(
        [with_contacts, ALERTS[0]], ["webhook", "email"]
    )
    assert evaluate_sensor(mau_home) == "delivered 4, failed 0"
    recipients = {message["Message-ID"]: message["To"] for message in mailbox}
    assert recipients == {
        "<p100@mau-warehouse>": "ap@acme.example, cfo@acme.example",
        "<a80@mau-warehouse>": "billing@acme.example, csm@example.com",  # no contact: the list
    }
    [post] = [p for p in webhook.posts if p["alert"]["alert_id"] == "p100"]
    assert post["alert"]["projected_mau_low"] == 2650


def test_an_outbox_written_before_the_message_fields_still_delivers(
    mau_home: Path, channels
) -> None:
    webhook, _ = channels
    path = load_settings(mau_home).outbox_path
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as con:  # the first outbox schema, with one pending alert
        con.executescript(
            """
            create table alerts (alert_id text primary key, tenant_id text not null,
                tenant_name text not null, month text not null, alert_kind text not null,
                threshold real not null, alert_date text not null, value integer not null,
                mau_limit integer not null, created_at text not null);
            insert into alerts values ('old', 't1', 'Acme', '2025-03', 'threshold_reached',
                0.8, '2025-03-12', 2000, 2500, '2025-03-12T00:00:00+00:00');
            """
        )
    Outbox(path).add([], ["webhook"])
    assert evaluate_sensor(mau_home) == "delivered 1, failed 0"
    assert "As of 2025-03-12 (day 12 of 31, UTC time):" in webhook.posts[0]["text"]


def test_the_run_summary_names_each_channel() -> None:
    outcome = DeliveryOutcome(channels=["webhook", "email"])
    for alert_id in ("a", "b", "c"):
        outcome.count("webhook", alert_id, delivered=True)
        outcome.count("email", alert_id, delivered=alert_id != "c")
    assert outcome.summary() == (
        "alerts: 3 sent (webhook 3, email 2), 1 failed (webhook 0, email 1; retried later)"
    )
    assert DeliveryOutcome(channels=[]).summary() == (
        "alerts: none sent, no channel configured (set MAU_ALERT_WEBHOOK_URL or MAU_SMTP_HOST)"
    )
