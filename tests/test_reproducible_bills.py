"""A bill is a function of the landing files alone: not of the pseudonymization key
(R7, R17), nor of when the pipeline ran (R16), end to end through `mau`.

The third source of drift, "today" taken as the UTC date, is pinned by the dbt unit
tests `r11_open_subscription_runs_to_the_tenants_local_today` and
`r5_month_spine_reaches_the_latest_local_month` (a tenant at UTC+14).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_mau

pytestmark = pytest.mark.slow

OTHER_KEY = "a-rotated-pseudonymization-key"


def write_landing(home: Path, files: dict[str, list[dict[str, object]]], tenants: str) -> None:
    events = home / "landing" / "events"
    events.mkdir(parents=True, exist_ok=True)
    for name, lines in files.items():
        (events / name).write_text("".join(json.dumps(line) + "\n" for line in lines))
    accounts = home / "landing" / "accounts"
    accounts.mkdir(parents=True, exist_ok=True)
    (accounts / "tenants.csv").write_text(
        "tenant_id,tenant_name,billing_timezone,created_at\n" + tenants
    )
    (accounts / "subscriptions.csv").write_text("tenant_id,plan_id,started_on,ended_on,is_trial\n")


def report(home: Path, key: str, month: str) -> list[dict[str, object]]:
    done = run_mau(home, "report", "--month", month, "--format", "json", key=key)
    return json.loads(done.stdout)


def serving(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True)


# The smallest input: a1 is linked to u2 and u3 at the same event time.
TIE = [
    {"event_id": "1", "tenant_id": "t", "occurred_at": "2026-10-10T10:00:00Z",
     "user_id": "u2", "anonymous_id": "a1"},
    {"event_id": "2", "tenant_id": "t", "occurred_at": "2026-10-10T10:00:00Z",
     "user_id": "u3", "anonymous_id": "a1"},
    {"event_id": "3", "tenant_id": "t", "occurred_at": "2026-11-05T10:00:00Z",
     "anonymous_id": "a1"},
    {"event_id": "4", "tenant_id": "t", "occurred_at": "2026-11-06T10:00:00Z", "user_id": "u2"},
]  # fmt: skip
# R2: two copies of one event that differ only in which field is null: a conflict.
NULL_SWAP = [
    {"event_id": "c1", "tenant_id": "t", "occurred_at": "2026-11-07T10:00:00Z",
     "user_id": "u2", "session_id": "s", "page_url": None},
    {"event_id": "c1", "tenant_id": "t", "occurred_at": "2026-11-07T10:00:00Z",
     "user_id": "u2", "session_id": None, "page_url": "s"},
]  # fmt: skip


def test_an_r7_tie_is_decided_by_the_data_not_by_the_key(tmp_path: Path) -> None:
    figures = {}
    for key in ("first-key", OTHER_KEY):
        home = tmp_path / key
        write_landing(
            home,
            {"tie.jsonl": TIE, "copies.jsonl": NULL_SWAP},
            "t,T,UTC,2026-01-01T00:00:00Z\n",
        )
        run_mau(home, "run", key=key)
        figures[key] = [report(home, key, month) for month in ("2026-10", "2026-11")]
        with serving(home) as con:
            conflicts = con.execute(
                "select count(*) from marts.fct_duplicate_events where is_conflict"
            ).fetchone()[0]
        assert conflicts == 1  # R2: the copies differ, though only in where the null is

    assert figures["first-key"] == figures[OTHER_KEY]
    [october], [november] = figures["first-key"]
    # R7: same event time and no received_at: the smaller event_id ("1", u2) links a1,
    # so a1 in November is u2, who is active that month anyway: one person.
    assert (october["mau"], october["identified_mau"]) == (2, 2)
    assert (november["mau"], november["identified_mau"], november["anonymous_mau"]) == (1, 1, 0)


def test_event_ids_are_trimmed_before_deduplication(mau_home: Path) -> None:
    # R3: ids of every kind are trimmed of surrounding white space, event_id included,
    # so a retry whose id gained spaces is still the same event (R2).
    write_landing(
        mau_home,
        {
            "spaced.jsonl": [
                {"event_id": " e1\t", "tenant_id": "t", "occurred_at": "2026-11-01T10:00:00Z",
                 "user_id": "u1"},
                {"event_id": "e1", "tenant_id": "t", "occurred_at": "2026-11-01T10:00:00Z",
                 "user_id": "u1"},
                {"event_id": "   ", "tenant_id": "t", "occurred_at": "2026-11-01T10:00:00Z",
                 "user_id": "u1"},
            ]
        },
        "t,T,UTC,2026-01-01T00:00:00Z\n",
    )  # fmt: skip
    [loaded] = [
        row
        for row in json.loads(run_mau(mau_home, "ingest", "--format", "json").stdout)
        if row["file"].endswith("spaced.jsonl")
    ]
    assert (loaded["lines"], loaded["accepted"], loaded["duplicates"]) == (3, 1, 1)
    assert loaded["quarantined"] == {"missing_event_id": 1}  # only white space: absent


def visits(tenant: str, day: str, received: str, *users: int) -> list[dict[str, object]]:
    return [
        {"event_id": f"{day}-{received}-u{n}", "tenant_id": tenant,
         "occurred_at": f"{day}T10:00:00Z", "received_at": received, "user_id": f"u{n}"}
        for n in users
    ]  # fmt: skip


# March 2025 of a UTC tenant closes at 2025-04-04T00:00:00Z (72 hours after it ends).
ON_TIME = {
    "march.jsonl": visits("acme", "2025-03-10", "2025-03-10T10:00:05Z", 1, 2, 3)
    # received one minute before the close time: in the snapshot
    + visits("acme", "2025-03-31", "2025-04-03T23:59:00Z", 4),
}
AFTER_CLOSE_TIME = {
    # received after the close time: late whatever the schedule; u5 is new, u1 is not
    "late.jsonl": visits("acme", "2025-03-20", "2025-04-05T08:00:00Z", 1, 5),
}


def billing_state(home: Path) -> tuple[list[dict[str, object]], list[tuple[object, ...]]]:
    snapshot = run_mau(home, "report", "--month", "2025-03", "--format", "json").stdout
    with serving(home) as con:
        late = con.execute(
            "select tenant_id, month, late_event_count, late_person_count "
            "from marts.fct_late_adjustments order by all"
        ).fetchall()
    return json.loads(snapshot), late


def test_a_months_snapshot_does_not_depend_on_the_run_schedule(tmp_path: Path) -> None:
    # R16: the same landing files, run as deliveries came (the first run closes March,
    # whose close time has passed) or once, days after the close time.
    tenants = "acme,Acme,UTC,2025-01-01T00:00:00Z\n"
    day_by_day = tmp_path / "day-by-day"
    write_landing(day_by_day, ON_TIME, tenants)
    run_mau(day_by_day, "run")
    write_landing(day_by_day, AFTER_CLOSE_TIME, tenants)
    run_mau(day_by_day, "run")

    once = tmp_path / "once"
    write_landing(once, {**ON_TIME, **AFTER_CLOSE_TIME}, tenants)
    run_mau(once, "run")

    assert billing_state(day_by_day) == billing_state(once)
    [march], late = billing_state(once)
    assert (march["is_closed"], march["mau"]) == (True, 4)  # u1–u4, not u5
    assert late == [("acme", date(2025, 3, 1), 2, 1)]  # two late events, one new person (u5)


def test_a_generated_fleets_report_is_the_same_under_two_keys(tmp_path: Path) -> None:
    # R17: the key only renames persons; every figure of every tenant-month stays.
    reports = {}
    for key in ("first-key", OTHER_KEY):
        home = tmp_path / key
        run_mau(
            home, "generate", "--seed", "13", "--tenants", "6", "--months", "2",
            "--events", "20000", "--start-month", "2026-10", key=key,
        )  # fmt: skip
        # the tie, in a tenant of its own, beside the generated traffic
        write_landing_tie(home)
        run_mau(home, "run", key=key)
        reports[key] = [report(home, key, month) for month in ("2026-10", "2026-11", "2026-12")]
    assert reports["first-key"] == reports[OTHER_KEY]
    assert sum(len(month) for month in reports[OTHER_KEY]) > 6  # the fleet is there


def write_landing_tie(home: Path) -> None:
    (home / "landing" / "events" / "tie.jsonl").write_text(
        "".join(json.dumps({**line, "tenant_id": "tie"}) + "\n" for line in TIE)
    )
