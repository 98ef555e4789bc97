"""Billing end to end (R11–R16, P4, P5): alerts that reach the customer, a month close
that freezes the bill, and a late event that is reported, never restated."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from dagster import build_sensor_context

from orchestration.resources import MauHome
from orchestration.sensors import alert_delivery
from tests.conftest import run_mau
from tests.notification_servers import smtp_server, webhook_receiver

pytestmark = pytest.mark.slow


def visits(first_user: int, last_user: int, day: str) -> str:
    return "".join(
        json.dumps(
            {
                "event_id": f"{day}-u{n}",
                "tenant_id": "acme",
                "event_type": "sdk_loaded",
                "occurred_at": f"{day}T10:{n:02d}:00Z",
                "user_id": f"u{n}",
                "device_type": "desktop",
            }
        )
        + "\n"
        for n in range(first_user, last_user + 1)
    )


def write_accounts(home: Path) -> None:
    accounts = home / "landing" / "accounts"
    accounts.mkdir(parents=True)
    (accounts / "plans.csv").write_text(
        "plan_id,plan_name,mau_limit,monthly_price_usd\n"
        "tiny,Tiny,10,1500\n"
        "small,Small,50,3000\n"
        "huge,Huge,,9000\n"
    )
    (accounts / "tenants.csv").write_text(
        "tenant_id,tenant_name,billing_timezone,created_at\nacme,Acme,UTC,2025-01-01T00:00:00Z\n"
    )
    (accounts / "subscriptions.csv").write_text(
        "tenant_id,plan_id,started_on,ended_on,is_trial\nacme,tiny,2025-01-01,,false\n"
    )


def deliver(home: Path) -> str:
    context = build_sensor_context(resources={"mau_home": MauHome(home=str(home))})
    return alert_delivery(context).skip_message


def march(home: Path) -> dict[str, object]:
    done = run_mau(home, "report", "--month", "2025-03", "--format", "json")
    [row] = json.loads(done.stdout)
    return row


def serving(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True)


def test_alerts_close_and_late_adjustment(mau_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = mau_home / "landing" / "events"
    events.mkdir(parents=True)
    write_accounts(mau_home)
    # March 2025 stays open until closed by hand (the automatic close is configurable).
    monkeypatch.setenv("MAU_CLOSE_AFTER_HOURS", "1000000")
    with webhook_receiver() as webhook, smtp_server() as (port, mailbox):
        monkeypatch.setenv("MAU_ALERT_WEBHOOK_URL", webhook.url)
        monkeypatch.setenv("MAU_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("MAU_SMTP_PORT", str(port))
        monkeypatch.setenv("MAU_ALERT_EMAIL_TO", "billing@acme.example")

        # Step 1: 8 of 10 MAU on 5 March: the 80 % alert fires that day.
        (events / "step1.jsonl").write_text(visits(1, 8, "2025-03-05"))
        run_mau(mau_home, "run")
        deliver(mau_home)
        reached = [
            p["alert"] for p in webhook.posts if p["alert"]["alert_kind"] == "threshold_reached"
        ]
        assert [(a["threshold"], a["alert_date"], a["value"]) for a in reached] == [
            (0.8, "2025-03-05", 8)
        ]

        # Step 2: 4 more users on 12 March (12 > 10), loaded by the run that closes March.
        (events / "step2.jsonl").write_text(visits(9, 12, "2025-03-12"))
        run_mau(mau_home, "close", "--month", "2025-03")
        deliver(mau_home)
        deliver(mau_home)  # a second pass sends nothing again

        reached = [
            p["alert"] for p in webhook.posts if p["alert"]["alert_kind"] == "threshold_reached"
        ]
        assert [(a["threshold"], a["alert_date"], a["value"]) for a in reached] == [
            (0.8, "2025-03-05", 8),
            (1.0, "2025-03-12", 12),
        ]
        ids = [p["alert"]["alert_id"] for p in webhook.posts]
        assert len(ids) == len(set(ids))  # each alert once on the webhook ...
        mail_ids = [m["Message-ID"] for m in mailbox]
        assert sorted(mail_ids) == sorted(f"<{i}@mau-warehouse>" for i in ids)  # ... and by mail

    closed = march(mau_home)
    assert closed["is_closed"] is True
    assert (closed["mau"], closed["mau_limit"], closed["status"], closed["overage_mau"]) == (
        12, 10, "over", 2
    )  # fmt: skip
    assert closed["recommended_plan_id"] == "small"  # cheapest plan covering 12 (R14)
    assert (closed["amount_due_usd"], closed["invoice_eligible"]) == (1500.0, True)  # R15
    with serving(mau_home) as con:
        [(fingerprint_at_close,)] = con.execute(
            "select fingerprint from billing.monthly_usage_snapshot where month = '2025-03-01'"
        ).fetchall()
        [outreach] = con.execute(
            "select reason, next_billing_date, recommended_plan_id from marts.fct_upgrade_outreach"
        ).fetchall()
    assert (outreach[0], outreach[1].isoformat(), outreach[2]) == (
        "over_limit", "2025-04-01", "small"
    )  # fmt: skip

    # A late event for the closed month: one new person (u13) and one already counted (u1).
    (events / "late.jsonl").write_text(visits(13, 13, "2025-03-20") + visits(1, 1, "2025-03-21"))
    run_mau(mau_home, "run")

    assert march(mau_home) == closed  # the bill is frozen (R16)
    with serving(mau_home) as con:
        [(fingerprint_now,)] = con.execute(
            "select fingerprint from billing.monthly_usage_snapshot where month = '2025-03-01'"
        ).fetchall()
        late = con.execute(
            "select tenant_id, month, late_event_count, late_person_count "
            "from marts.fct_late_adjustments"
        ).fetchall()
    assert fingerprint_now == fingerprint_at_close
    assert [(t, m.isoformat(), e, p) for t, m, e, p in late] == [("acme", "2025-03-01", 2, 1)]
