"""Every counting rule on small hand-written landing files, against figures worked out by hand.

The fixtures are a story, one line per event; the expected figures below each
say which events make them. Two tenants bill in time zones with daylight saving
(Europe/Paris, America/New_York), a third sends events without a contract (R18).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import run_mau

pytestmark = pytest.mark.slow

IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def ev(event_id: str, tenant: str, at: str, **fields: object) -> dict[str, object]:
    return {"event_id": event_id, "tenant_id": tenant, "event_type": "sdk_loaded",
            "occurred_at": at, **fields}  # fmt: skip


PARIS_MARCH = [
    # R3: surrounding white space is trimmed, so both are person U1; then an identical retry (R2).
    ev("pm1", "paris", "2025-03-03T09:00:00Z", user_id=" U1 ", device_type="desktop"),
    ev("pm1", "paris", "2025-03-03T09:00:00Z", user_id=" U1 ", device_type="desktop"),
    ev("pm2", "paris", "2025-03-04T09:00:00Z", user_id="U1", device_type="desktop"),
    # R9: U2 on a phone and on a desktop counts in both segments.
    ev("pm3", "paris", "2025-03-04T10:00:00Z", user_id="U2", device_type="mobile"),
    ev("pm4", "paris", "2025-03-05T10:00:00Z", user_id="U2", device_type="desktop"),
    # R7: browser A1 shared by U3 (first link) and U4; A1 alone is U3.
    ev(
        "pm5",
        "paris",
        "2025-03-05T10:00:00Z",
        user_id="U3",
        anonymous_id="A1",
        device_type="desktop",
    ),
    ev(
        "pm6", "paris", "2025-03-06T10:00:00Z", user_id="U4", anonymous_id="A1", user_agent=IPAD
    ),  # R9: no device_type, the parser says tablet
    ev("pm7", "paris", "2025-03-07T10:00:00Z", anonymous_id="A1", device_type="desktop"),
    # R2: first received copy of pm8 (its later copy, in April's file, names a user).
    ev(
        "pm8",
        "paris",
        "2025-03-10T10:00:00Z",
        anonymous_id="A2",
        sent_at="2025-03-10T10:00:01Z",
        received_at="2025-03-10T10:00:05Z",
    ),
    # R5: 23:30 in Paris (CEST since 30 March) is still March ...
    ev("pm9", "paris", "2025-03-31T21:30:00Z", anonymous_id="A5", device_type="mobile"),
    # ... and 00:30 is April.
    ev("pm10", "paris", "2025-03-31T22:30:00Z", anonymous_id="A6", device_type="desktop"),
    # R4: a slow browser clock: 23:59 on its clock, 00:05 April in truth.
    ev(
        "pm11",
        "paris",
        "2025-03-31T21:59:00Z",
        anonymous_id="A3",
        sent_at="2025-03-31T21:59:30Z",
        received_at="2025-03-31T22:05:30Z",
    ),
    # R6: a bot and a preview are kept but never make anyone active.
    ev("pm12", "paris", "2025-03-12T10:00:00Z", anonymous_id="A7", user_agent=GOOGLEBOT),
    ev("pm13", "paris", "2025-03-12T11:00:00Z", user_id="U6", is_preview=True),
]

PARIS_APRIL = [
    # R4: a fast browser clock: 00:02 on 1 May on its clock, 23:58 on 30 April in truth.
    ev(
        "pa1",
        "paris",
        "2025-04-30T22:02:00Z",
        anonymous_id="A4",
        device_type="mobile",
        sent_at="2025-04-30T22:02:10Z",
        received_at="2025-04-30T21:58:10Z",
    ),
    ev("pa2", "paris", "2025-04-10T09:00:00Z", user_id="U1", device_type="desktop"),
    # R2: a later copy of pm8 that differs: a duplicate and a conflict, never counted,
    # so it links nobody (R7) and U5 never exists.
    ev(
        "pm8",
        "paris",
        "2025-03-10T10:00:00Z",
        anonymous_id="A2",
        user_id="U5",
        sent_at="2025-03-10T10:00:01Z",
        received_at="2025-03-10T10:05:00Z",
    ),
]

NEW_YORK = [
    # R5: 23:30 on 31 October in New York (EDT) ...
    ev("n1", "nyc", "2025-11-01T03:30:00Z", anonymous_id="B1", device_type="desktop"),
    # ... 00:30 on 1 November (EDT) ...
    ev("n2", "nyc", "2025-11-01T04:30:00Z", user_id="nyc-user", device_type="desktop"),
    # ... and 01:30 EST after the clocks went back on 2 November.
    ev("n3", "nyc", "2025-11-02T06:30:00Z", anonymous_id="B3", device_type="mobile"),
    # R3: ids belong to their tenant: this U1 is not Paris's U1.
    ev("n4", "nyc", "2025-11-15T12:00:00Z", user_id="U1", device_type="desktop"),
]

BAD_AND_UNKNOWN = [
    '{"event_id": "q1", "tenant_id": "paris", "occurred_at": ',  # malformed_json
    json.dumps(ev("q2", "paris", "2025-03-03T09:00:00Z", anonymous_id="Q",
                  properties={"blob": "x" * 33_000})),  # oversized
    json.dumps({"tenant_id": "paris", "occurred_at": "2025-03-03T09:00:00Z",
                "anonymous_id": "Q"}),  # missing_event_id
    json.dumps({"event_id": "q4", "occurred_at": "2025-03-03T09:00:00Z",
                "anonymous_id": "Q"}),  # missing_tenant
    json.dumps(ev("q5", "paris", "2025-03-03T09:00:00Z", user_id="   ",
                  anonymous_id="")),  # missing_identity (R3: blank ids are absent)
    json.dumps(ev("q6", "paris", "2025-02-30T10:00:00Z", anonymous_id="Q")),  # bad_timestamp
    json.dumps(ev("q7", "paris", "2025-03-03T09:00:00Z", anonymous_id="Q",
                  received_at="later")),  # bad_timestamp
    json.dumps(ev("q8", "paris", "2025-03-10T10:00:00Z", anonymous_id="Q",
                  received_at="2025-03-10T09:00:00Z")),  # future_timestamp
    # R18: a tenant missing from tenants.csv: accepted, reported, never billed.
    json.dumps(ev("g1", "ghost", "2025-03-15T10:00:00Z", anonymous_id="G1")),
    json.dumps(ev("g2", "ghost", "2025-03-16T10:00:00Z", anonymous_id="G2")),
]  # fmt: skip


def write_landing(home: Path) -> None:
    landing = home / "landing"
    accounts = landing / "accounts"
    accounts.mkdir(parents=True)
    (accounts / "tenants.csv").write_text(
        "tenant_id,tenant_name,billing_timezone,created_at\n"
        "paris,Paris SAS,Europe/Paris,2025-01-01T00:00:00Z\n"
        "nyc,New York Inc,America/New_York,2025-01-01T00:00:00Z\n"
    )
    # No plans.csv: the shipped catalogue (startup 2,500 MAU at $249, growth 10,000 at $879).
    # R11: New York's trial covers the last covered day of October, its paid plan November.
    (accounts / "subscriptions.csv").write_text(
        "tenant_id,plan_id,started_on,ended_on,is_trial\n"
        "paris,startup,2025-01-01,,false\n"
        "nyc,growth,2025-10-10,2025-10-30,true\n"
        "nyc,growth,2025-11-01,,false\n"
    )
    events = landing / "events" / "2025"
    (events / "03").mkdir(parents=True)
    (events / "03" / "paris.jsonl").write_text("\n".join(json.dumps(e) for e in PARIS_MARCH) + "\n")
    (events / "03" / "bad.jsonl").write_text("\n".join(BAD_AND_UNKNOWN) + "\n")
    (events / "04").mkdir()
    (events / "04" / "paris.ndjson.gz").write_bytes(
        gzip.compress(("\n".join(json.dumps(e) for e in PARIS_APRIL) + "\n").encode())
    )
    (events / "11").mkdir()
    columns = sorted({key for e in NEW_YORK for key in e})
    pq.write_table(
        pa.table({c: [e.get(c) for e in NEW_YORK] for c in columns}), events / "11" / "nyc.parquet"
    )


@pytest.fixture(scope="module")
def story_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    home = tmp_path_factory.mktemp("story")
    write_landing(home)
    ingested = json.loads(run_mau(home, "ingest", "--format", "json").stdout)
    run_mau(home, "run")
    return home, ingested


def test_ingest_reports_every_file_and_reason(story_home: tuple[Path, list]) -> None:
    _, ingested = story_home
    events = {r["file"]: r for r in ingested if r["file"].startswith("events/")}
    assert events == {
        "events/2025/03/bad.jsonl": {
            "file": "events/2025/03/bad.jsonl",
            "lines": 10,
            "accepted": 2,
            "duplicates": 0,
            "quarantined": {
                "bad_timestamp": 2,
                "future_timestamp": 1,
                "malformed_json": 1,
                "missing_event_id": 1,
                "missing_identity": 1,
                "missing_tenant": 1,
                "oversized": 1,
            },
        },
        "events/2025/03/paris.jsonl": {
            "file": "events/2025/03/paris.jsonl",
            "lines": 14,
            "accepted": 13,
            "duplicates": 1,
            "quarantined": {},
        },
        "events/2025/04/paris.ndjson.gz": {
            "file": "events/2025/04/paris.ndjson.gz",
            "lines": 3,
            "accepted": 2,
            "duplicates": 1,
            "quarantined": {},
        },
        "events/2025/11/nyc.parquet": {
            "file": "events/2025/11/nyc.parquet",
            "lines": 4,
            "accepted": 4,
            "duplicates": 0,
            "quarantined": {},
        },
    }


def report(home: Path, month: str) -> dict[str, dict[str, object]]:
    rows = json.loads(run_mau(home, "report", "--month", month, "--format", "json").stdout)
    return {row["tenant_id"]: row for row in rows}


def figures(row: dict[str, object], *names: str) -> tuple[object, ...]:
    return tuple(row[name] for name in names)


COUNTS = ("mau", "identified_mau", "anonymous_mau", "mobile_mau", "desktop_mau", "tablet_mau",
          "known_users")  # fmt: skip
BILLING = ("plan_id", "mau_limit", "status", "overage_mau", "is_trial", "amount_due_usd",
           "invoice_eligible")  # fmt: skip


def test_march_in_paris(story_home: tuple[Path, list]) -> None:
    rows = report(story_home[0], "2025-03")
    # Not New York (no plan, no event in March) and never the unknown tenant (R18).
    assert set(rows) == {"paris"}
    paris = rows["paris"]
    # Persons: U1, U2, U3 (with A1's lone event), U4 identified; A2 and A5 anonymous.
    # Mobile: U2, A5. Desktop: U1, U2, U3, A2 (no device, no agent). Tablet: U4.
    assert figures(paris, *COUNTS) == (6, 4, 2, 2, 4, 1, 4)
    assert paris["active_rate"] == 1.0
    assert figures(paris, *BILLING) == ("startup", 2500, "ok", 0, False, 249.0, False)
    assert paris["utilization"] == pytest.approx(6 / 2500)


def test_april_in_paris(story_home: tuple[Path, list]) -> None:
    paris = report(story_home[0], "2025-04")["paris"]
    # U1 again; A6 (00:30 local), A3 (slow clock) and A4 (fast clock) anonymous.
    # Mobile: A4. Desktop: U1, A6, A3. Known users still U1..U4 (R10).
    assert figures(paris, *COUNTS) == (4, 1, 3, 1, 3, 0, 4)
    assert paris["active_rate"] == 0.25


def test_new_york_trial_month_and_paid_month(story_home: tuple[Path, list]) -> None:
    october = report(story_home[0], "2025-10")
    # A subscribed tenant without activity still has its row (SPEC §4).
    assert figures(october["paris"], "mau", "known_users", "status") == (0, 4, "ok")
    nyc = october["nyc"]
    assert figures(nyc, *COUNTS) == (1, 0, 1, 0, 1, 0, 0)  # B1, 23:30 EDT on 31 October
    assert nyc["active_rate"] is None
    assert figures(nyc, *BILLING) == ("growth", 10000, "ok", 0, True, 0.0, False)

    nyc = report(story_home[0], "2025-11")["nyc"]
    # nyc-user and New York's own U1 identified, B3 anonymous (mobile).
    assert figures(nyc, *COUNTS) == (3, 2, 1, 1, 2, 0, 2)
    assert figures(nyc, *BILLING) == ("growth", 10000, "ok", 0, False, 879.0, False)


def test_health_marts_report_what_was_not_counted(story_home: tuple[Path, list]) -> None:
    serving = story_home[0] / "warehouse" / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        unattributed = con.execute(
            "select tenant_id, utc_month, event_count, mau from marts.fct_unattributed_usage"
        ).fetchall()
        excluded = con.execute(
            "select excluded_reason, excluded_event_count from marts.fct_excluded_traffic "
            "order by 1"
        ).fetchall()
        conflicts = con.execute(
            "select event_id, is_conflict from marts.fct_duplicate_events order by 1"
        ).fetchall()
        quarantined = con.execute(
            "select sum(quarantined_line_count) from marts.fct_quarantine_by_reason"
        ).fetchall()
    assert [(t, m.isoformat(), n, mau) for t, m, n, mau in unattributed] == [
        ("ghost", "2025-03-01", 2, 2)
    ]
    assert excluded == [("bot", 1), ("preview", 1)]
    assert conflicts == [("pm1", False), ("pm8", True)]
    assert quarantined == [(8,)]
