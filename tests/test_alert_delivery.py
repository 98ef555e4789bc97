"""Alerts delivered by `mau run` itself, once (P4, R12, R13), and `mau alerts` (SPEC §5).

A small hand-written landing folder: two tenants on a 10-MAU plan reach 80 % early in
March 2025. The alerts mart decides which alerts fire (and when projected ones do); the
tests pin relationships — what the run queued is what reached each channel, once — and
the contract of `mau alerts`, not a count of alerts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_mau
from tests.notification_servers import smtp_server, webhook_receiver

SUMMARY = re.compile(r"alerts: (\d+) sent \(webhook (\d+), email (\d+)\), (\d+) failed")
ACME_CONTACTS = "ap@acme.example, cfo@acme.example"
FALLBACK = "csm@example.com"
DASHBOARD = "https://mau.example.com"


def visits(tenant: str, users: int, day: str) -> str:
    return "".join(
        json.dumps(
            {
                "event_id": f"{tenant}-{day}-u{n}",
                "tenant_id": tenant,
                "event_type": "sdk_loaded",
                "occurred_at": f"{day}T10:{n:02d}:00Z",
                "user_id": f"u{n}",
                "device_type": "desktop",
            }
        )
        + "\n"
        for n in range(1, users + 1)
    )


def write_landing(home: Path) -> None:
    accounts = home / "landing" / "accounts"
    accounts.mkdir(parents=True)
    (accounts / "plans.csv").write_text(
        "plan_id,plan_name,mau_limit,monthly_price_usd\n"
        "tiny,Tiny,10,1500\n"
        "small,Small,50,3000\n"
        "huge,Huge,,9000\n"
    )
    # acme's export names its contacts, separated by a semicolon; beta's names none.
    (accounts / "tenants.csv").write_text(
        "tenant_id,tenant_name,billing_timezone,created_at,billing_email\n"
        'acme,Acme,Europe/Paris,2025-01-01T00:00:00Z,"ap@acme.example; cfo@acme.example"\n'
        "beta,Beta,America/New_York,2025-01-01T00:00:00Z,\n"
    )
    (accounts / "subscriptions.csv").write_text(
        "tenant_id,plan_id,started_on,ended_on,is_trial\n"
        "acme,tiny,2025-01-01,,false\n"
        "beta,tiny,2025-01-01,,false\n"
    )
    events = home / "landing" / "events"
    events.mkdir(parents=True)
    (events / "march.jsonl").write_text(
        visits("acme", 8, "2025-03-05") + visits("beta", 9, "2025-03-06")
    )


def summary(stderr: str) -> tuple[int, int, int, int]:
    [match] = [m for line in stderr.splitlines() if (m := SUMMARY.fullmatch(line))]
    return tuple(int(group) for group in match.groups())  # type: ignore[return-value]


def month_alerts(home: Path, *args: str) -> list[dict[str, object]]:
    done = run_mau(home, "alerts", "--month", "2025-03", "--format", "json", *args)
    return json.loads(done.stdout)


@pytest.mark.slow
def test_a_run_delivers_what_it_queued_once_and_mau_alerts_lists_it(
    mau_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_landing(mau_home)
    # March 2025 stays open, so its alerts are live (R16's close is configurable).
    monkeypatch.setenv("MAU_CLOSE_AFTER_HOURS", "1000000")
    monkeypatch.setenv("MAU_DASHBOARD_URL", DASHBOARD)
    with webhook_receiver() as webhook, smtp_server() as (port, mailbox):
        monkeypatch.setenv("MAU_ALERT_WEBHOOK_URL", webhook.url)
        monkeypatch.setenv("MAU_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("MAU_SMTP_PORT", str(port))
        monkeypatch.setenv("MAU_ALERT_EMAIL_TO", FALLBACK)

        first = run_mau(mau_home, "run")  # no `mau ui`, no sensor
        alerts = month_alerts(mau_home)
        ids = sorted(str(alert["alert_id"]) for alert in alerts)
        assert ids, "8 and 9 of 10 MAU reach the 80 % threshold"
        assert summary(first.stderr) == (len(ids), len(ids), len(ids), 0)
        assert sorted(post["alert"]["alert_id"] for post in webhook.posts) == ids
        assert sorted(m["Message-ID"] for m in mailbox) == sorted(
            f"<{i}@mau-warehouse>" for i in ids
        )

        second = run_mau(mau_home, "run")
        assert summary(second.stderr) == (0, 0, 0, 0)
        assert len(webhook.posts) == len(ids)
        assert len(mailbox) == len(ids)

    # E-mail goes to the tenant's own contacts when the export has them, else the list.
    tenant_of = {str(a["alert_id"]): a["tenant_id"] for a in alerts}
    recipients = {tenant_of[m["Message-ID"][1:].split("@")[0]]: m["To"] for m in mailbox}
    assert recipients == {"acme": ACME_CONTACTS, "beta": FALLBACK}

    # The 80 % alert of acme: dated, with the reset day in its zone and the way out.
    [reached] = [
        a for a in alerts
        if (a["tenant_id"], a["kind"], a["threshold"]) == ("acme", "threshold_reached", 0.8)
    ]  # fmt: skip
    assert (reached["alert_date"], reached["mtd_mau"], reached["mau_limit"]) == (
        "2025-03-05", 8, 10
    )  # fmt: skip
    [mail] = [m for m in mailbox if m["Message-ID"] == f"<{reached['alert_id']}@mau-warehouse>"]
    body = mail.get_payload(decode=True).decode()
    assert "Acme reached 80% of its 10 MAU limit in 2025-03: 8 MAU on 2025-03-05" in body
    assert "As of 2025-03-05 (day 5 of 31, Europe/Paris time)" in body
    assert "Month-to-date MAU: 8 of your 10 MAU limit (80%, Tiny plan)" in body
    assert "starts again from zero on 2025-04-01 at 00:00 (Europe/Paris)" in body
    assert "nothing is cut off" in body
    assert re.search(r"We recommend upgrading to (Small|Huge) \(.*USD a month\)", body)
    assert f"{DASHBOARD}/my_usage?tenant=acme" in body
    [post] = [p for p in webhook.posts if p["alert"]["alert_id"] == reached["alert_id"]]
    assert post["text"].splitlines() == body.splitlines()  # the same message on both

    # `mau alerts`: SPEC §5 keys and types, one tenant, another month, a table.
    check_alert_json(alerts)
    assert {a["tenant_id"] for a in alerts} == {"acme", "beta"}
    assert month_alerts(mau_home, "--tenant", "acme") == [
        a for a in alerts if a["tenant_id"] == "acme"
    ]
    done = run_mau(mau_home, "alerts", "--month", "2025-02", "--format", "json")
    assert json.loads(done.stdout) == []
    table = run_mau(mau_home, "alerts", "--month", "2025-03").stdout
    assert table.splitlines()[0].split()[:4] == ["date", "tenant", "kind", "threshold"]
    assert len(table.splitlines()) == 2 + len(alerts)
    unknown = run_mau(mau_home, "alerts", "--month", "2025-03", "--tenant", "nobody", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "mau: error: no tenant 'nobody' in the published figures"


def check_alert_json(alerts: list[dict[str, object]]) -> None:
    """SPEC §5: the keys and types of `mau alerts --format json`."""
    for alert in alerts:
        assert {
            "tenant_id", "month", "kind", "threshold", "alert_date",
            "mtd_mau", "projected_mau", "mau_limit",
        } <= alert.keys()  # fmt: skip
        assert isinstance(alert["tenant_id"], str)
        assert alert["month"] == "2025-03"
        assert alert["kind"] in {"threshold_reached", "projected_to_exceed"}
        assert isinstance(alert["threshold"], float) and 0 < alert["threshold"] <= 1
        assert re.fullmatch(r"2025-03-\d{2}", str(alert["alert_date"]))
        assert isinstance(alert["mtd_mau"], int)
        assert isinstance(alert["projected_mau"], int)
        assert isinstance(alert["mau_limit"], int)
        for bound in ("projected_mau_low", "projected_mau_high"):
            assert bound not in alert or isinstance(alert[bound], int | None)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2025-3"), "month must be YYYY-MM, got '2025-3'"),
        (("--month", "March"), "month must be YYYY-MM, got 'March'"),
        (("--month", "2025-03", "--format", "csv"), "invalid choice: 'csv'"),
        (("--tenant", "acme"), "the following arguments are required: --month"),
    ],
)
def test_mau_alerts_bad_arguments_give_one_line(
    mau_home: Path, args: tuple[str, ...], message: str
) -> None:
    done = run_mau(mau_home, "alerts", *args, check=False)
    assert done.returncode != 0
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert message in line


def test_a_bad_billing_email_refuses_the_export_in_one_line(mau_home: Path) -> None:
    write_landing(mau_home)
    tenants = mau_home / "landing" / "accounts" / "tenants.csv"
    tenants.write_text(tenants.read_text().replace("cfo@acme.example", "cfo at acme"))
    done = run_mau(mau_home, "ingest", str(tenants), check=False)
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line == "mau: error: accounts/tenants.csv line 2: 'cfo at acme' is not an e-mail address"


def test_billing_email_is_optional_and_loaded_as_one_list(mau_home: Path) -> None:
    write_landing(mau_home)
    run_mau(mau_home, "ingest")
    warehouse = mau_home / "warehouse" / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select tenant_id, billing_email from raw.tenants order by 1").fetchall()
    assert rows == [("acme", ACME_CONTACTS), ("beta", "")]

    # An older export, without the column, still loads (and replaces the previous one).
    tenants = mau_home / "landing" / "accounts" / "tenants.csv"
    tenants.write_text(
        "tenant_id,tenant_name,billing_timezone,created_at\nacme,Acme,Europe/Paris,\n"
    )
    run_mau(mau_home, "ingest")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("select tenant_id, billing_email from raw.tenants").fetchall()
    assert rows == [("acme", "")]
