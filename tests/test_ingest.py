"""Loading landing files through `mau ingest` (SPEC §2, §5; R1, R2, R3, R17)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import run_mau

RAW_USER = "Alice.Secret@example.com"
RAW_BROWSER = "browser-7f3a"


def event(event_id: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "event_id": event_id,
        "tenant_id": "acme",
        "event_type": "sdk_loaded",
        "occurred_at": "2025-03-10T10:00:00Z",
        "anonymous_id": RAW_BROWSER,
    }
    base.update(fields)
    return base


def write_lines(path: Path, lines: list[str], compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def ingest_json(home: Path, *paths: Path) -> list[dict[str, object]]:
    done = run_mau(home, "ingest", "--format", "json", *map(str, paths))
    return json.loads(done.stdout)


def warehouse(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True)


def test_every_quarantine_reason_is_counted_and_kept(mau_home: Path) -> None:
    lines = [
        json.dumps(event("e1", user_id=f"  {RAW_USER} ")),
        json.dumps(event("e1", user_id=RAW_USER)),  # R2: a retry of e1
        "",  # blank lines are not lines
        json.dumps(event("e2", anonymous_id="   ")),  # R3: blank id is absent
        json.dumps(event("e3", occurred_at="yesterday")),
        json.dumps(event("e4", occurred_at="2025-03-10T10:00:00Z", sent_at="soon")),
        json.dumps(event("e5", occurred_at="2099-01-01T00:00:00Z")),
        json.dumps({k: v for k, v in event("e6").items() if k != "event_id"}),
        json.dumps({k: v for k, v in event("e7").items() if k != "tenant_id"}),
        '{"event_id": "e8", "user_id": "' + RAW_USER + '", truncated',
        json.dumps(event("e9", properties={"padding": "x" * 33_000})),
        json.dumps(event("e10", occurred_at="2025-03-10T12:00:00.123+02:00", extra_field=1)),
    ]
    path = write_lines(mau_home / "landing" / "events" / "day.jsonl", lines)

    [report] = ingest_json(mau_home, path)

    assert report == {
        "file": "events/day.jsonl",
        "lines": 11,
        "accepted": 2,
        "duplicates": 1,
        "quarantined": {
            "bad_timestamp": 2,
            "future_timestamp": 1,
            "malformed_json": 1,
            "missing_event_id": 1,
            "missing_identity": 1,
            "missing_tenant": 1,
            "oversized": 1,
        },
    }
    with warehouse(mau_home) as con:
        quarantine = con.execute(
            "select line_number, reason from raw.quarantine order by line_number"
        ).fetchall()
        assert quarantine == [
            (4, "missing_identity"),
            (5, "bad_timestamp"),
            (6, "bad_timestamp"),
            (7, "future_timestamp"),
            (8, "missing_event_id"),
            (9, "missing_tenant"),
            (10, "malformed_json"),
            (11, "oversized"),
        ]
        # R3: the padded and the plain copy of the id are the same person.
        pseudonyms = con.execute(
            "select distinct user_pseudonym from raw.event_lines where event_id = 'e1'"
        ).fetchall()
        assert len(pseudonyms) == 1
        extra = con.execute(
            "select extra_fields from raw.event_lines where event_id = 'e10'"
        ).fetchall()
        assert json.loads(extra[0][0]) == {"extra_field": 1}


def test_no_raw_identifier_reaches_the_warehouse(mau_home: Path) -> None:
    lines = [
        json.dumps(event("e1", user_id=RAW_USER)),
        json.dumps(event("e2", user_id=RAW_USER, occurred_at="bad")),
        '{"event_id": "e3", "user_id": "' + RAW_USER + '", "anonymous_id": "' + RAW_BROWSER,
    ]
    path = write_lines(mau_home / "landing" / "events" / "ids.jsonl", lines)
    ingest_json(mau_home, path)

    with warehouse(mau_home) as con:
        columns = con.execute(
            """
            select table_schema, table_name, column_name from information_schema.columns
            where data_type in ('VARCHAR', 'JSON')
            """
        ).fetchall()
        assert columns
        for schema, table, column in columns:
            hits = con.execute(
                f'select count(*) from "{schema}"."{table}" '
                f'where "{column}"::varchar like $user or "{column}"::varchar like $browser',
                {"user": f"%{RAW_USER}%", "browser": f"%{RAW_BROWSER}%"},
            ).fetchall()[0][0]
            assert hits == 0, f"raw id found in {schema}.{table}.{column}"


def test_same_content_loads_once_whatever_its_name(mau_home: Path) -> None:
    events_dir = mau_home / "landing" / "events"
    lines = [json.dumps(event(f"e{i}")) for i in range(5)]
    original = write_lines(events_dir / "a.jsonl", lines)
    assert ingest_json(mau_home)[0]["accepted"] == 5

    shutil.copy(original, events_dir / "renamed-copy.jsonl")
    assert ingest_json(mau_home) == []

    # The same events split into two new files are all duplicates (R2).
    write_lines(events_dir / "part1.jsonl", lines[:2])
    write_lines(events_dir / "part2.jsonl", lines[2:])
    reports = ingest_json(mau_home)
    assert [(r["accepted"], r["duplicates"]) for r in reports] == [(0, 2), (0, 3)]


def test_every_format_loads_and_a_corrupt_file_does_not_stop_the_others(
    mau_home: Path,
) -> None:
    events_dir = mau_home / "landing" / "events" / "2025" / "03"
    write_lines(events_dir / "a.jsonl.gz", [json.dumps(event("g1"))], compress=True)
    write_lines(events_dir / "b.ndjson", [json.dumps(event("n1"))])
    write_lines(events_dir / "c.ndjson.gz", [json.dumps(event("n2"))], compress=True)
    table = pa.table(
        {
            "event_id": ["p1", "p2"],
            "tenant_id": ["acme", "acme"],
            "event_type": ["sdk_loaded", "identify"],
            "occurred_at": ["2025-03-10T10:00:00Z", "2025-03-10T11:00:00+01:00"],
            "user_id": [None, RAW_USER],
            "anonymous_id": [RAW_BROWSER, RAW_BROWSER],
            "is_preview": [False, False],
        }
    )
    pq.write_table(table, events_dir / "d.parquet")
    (events_dir / "e.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not gzip")

    reports = {r["file"]: r for r in ingest_json(mau_home)}

    assert reports["events/2025/03/e.jsonl.gz"]["error"].startswith("unreadable: corrupt gzip")
    assert reports["events/2025/03/e.jsonl.gz"]["lines"] == 0
    accepted = {name: r["accepted"] for name, r in reports.items() if "error" not in r}
    assert accepted == {
        "events/2025/03/a.jsonl.gz": 1,
        "events/2025/03/b.ndjson": 1,
        "events/2025/03/c.ndjson.gz": 1,
        "events/2025/03/d.parquet": 2,
    }
    with warehouse(mau_home) as con:
        times = con.execute(
            "select event_id, occurred_at from raw.event_lines where event_id like 'p%' "
            "order by event_id"
        ).fetchall()
    assert [t.isoformat() for _, t in times] == [
        "2025-03-10T10:00:00+00:00",
        "2025-03-10T10:00:00+00:00",
    ]


def test_a_bad_account_file_is_refused_in_one_line_and_nothing_is_lost(mau_home: Path) -> None:
    accounts = mau_home / "landing" / "accounts"
    accounts.mkdir(parents=True)
    (accounts / "tenants.csv").write_text(
        "tenant_id,tenant_name,billing_timezone,created_at\n"
        "acme,Acme,Europe/Paris,2025-01-01T00:00:00Z\n"
    )
    run_mau(mau_home, "ingest")
    (accounts / "tenants.csv").write_text(
        "tenant_id,tenant_name,billing_timezone,created_at\n"
        "acme,Acme,Europe/Paris,2025-01-01T00:00:00Z\n"
        "globex,Globex,Mars/Olympus,2025-01-01T00:00:00Z\n"
    )

    done = run_mau(mau_home, "ingest", check=False)

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "mau: error: accounts/tenants.csv line 3: 'Mars/Olympus' is not an IANA time zone"
    ]
    with warehouse(mau_home) as con:
        tenants = con.execute("select tenant_id, billing_timezone from raw.tenants").fetchall()
    assert tenants == [("acme", "Europe/Paris")]


def test_subscriptions_are_checked_against_the_plan_catalogue(mau_home: Path) -> None:
    accounts = mau_home / "landing" / "accounts"
    accounts.mkdir(parents=True)
    header = "tenant_id,plan_id,started_on,ended_on,is_trial\n"
    # Without plans.csv the shipped catalogue is in force (SPEC §2.2).
    (accounts / "subscriptions.csv").write_text(header + "acme,growth,2025-01-01,,false\n")
    run_mau(mau_home, "ingest")
    (accounts / "subscriptions.csv").write_text(header + "acme,platinum,2025-01-01,,false\n")

    done = run_mau(mau_home, "ingest", check=False)

    assert done.stderr.strip() == (
        "mau: error: accounts/subscriptions.csv line 2: "
        "plan 'platinum' is not in the plan catalogue"
    )
