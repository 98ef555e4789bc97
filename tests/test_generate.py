"""`mau generate`: deterministic, realistic landing data with every case R1-R18 must handle."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest

from mau_warehouse.errors import MauError
from mau_warehouse.tools.workload import (
    MALFORMED_KINDS,
    GenerateOptions,
    GenerateSummary,
    generate,
)
from mau_warehouse.tools.workload import run as generate_module

SMALL = GenerateOptions(
    seed=7, tenants=30, months=2, events=30_000, start_month="2025-01", malformed_rate=0.01
)
REQUIRED = ("event_id", "tenant_id", "event_type", "occurred_at")
BOT_MARKERS = ("bot", "crawler", "spider", "slurp", "headlesschrome", "lighthouse", "pingdom")
SUFFIXES = (".jsonl.gz", ".jsonl", ".ndjson.gz", ".ndjson", ".parquet")


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    folder = tmp_path_factory.mktemp("small") / "landing"
    return folder, generate(folder, SMALL)


@pytest.fixture(scope="module")
def lines(landing: tuple[Path, GenerateSummary]) -> list[tuple[str, str]]:
    """(file suffix, raw line) for every event line; parquet rows re-serialised as JSON."""
    folder, _ = landing
    found = []
    for path in sorted((folder / "events").rglob("*")):
        suffix = next((s for s in SUFFIXES if path.name.endswith(s)), None)
        if suffix is not None:
            found.extend((suffix, line) for line in _read_lines(path, suffix))
    return found


@pytest.fixture(scope="module")
def events(lines: list[tuple[str, str]]) -> list[dict]:
    """The well-formed events, in file order."""
    return [json.loads(raw) for _, raw in lines if _reason(raw) is None]


def _read_lines(path: Path, suffix: str) -> list[str]:
    if suffix == ".parquet":
        rows = pq.read_table(path).to_pylist()
        for row in rows:
            row["properties"] = json.loads(row["properties"])
        return [json.dumps(row) for row in rows]
    opener = gzip.open if suffix.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return handle.read().splitlines()


def _timestamp(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def _reason(raw: str) -> str | None:
    """A plain reading of SPEC R1: the quarantine reason of a line, None when it is fine."""
    if len(raw.encode()) > 32 * 1024:
        return "oversized"
    try:
        event = json.loads(raw)
    except json.JSONDecodeError:
        return "malformed_json"
    if not event.get("event_id"):
        return "missing_event_id"
    if not event.get("tenant_id"):
        return "missing_tenant"
    if not (event.get("user_id") or "").strip() and not (event.get("anonymous_id") or "").strip():
        return "missing_identity"
    occurred = _timestamp(event.get("occurred_at"))
    sent, received = (_timestamp(event.get(k)) for k in ("sent_at", "received_at"))
    broken = [k for k in ("sent_at", "received_at") if event.get(k) is not None]
    if occurred is None or any(_timestamp(event[k]) is None for k in broken):
        return "bad_timestamp"
    event_time = occurred + (received - sent) if sent and received else occurred
    if received and event_time > received + timedelta(minutes=5):
        return "future_timestamp"
    return None


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    options = GenerateOptions(seed=3, tenants=5, months=1, events=5_000, start_month="2024-02")
    generate(tmp_path / "a", options)
    generate(tmp_path / "b", options)
    generate(tmp_path / "c", GenerateOptions(**{**options.__dict__, "seed": 4}))
    first, again, other = (_digests(tmp_path / name) for name in "abc")
    assert first == again
    assert len(first) == 3 + 29  # the accounts and one file per day of February 2024
    assert len(other) == len(first)  # the formats of the days change with the seed
    del first["accounts/plans.csv"]  # the plan catalogue is the same for every seed
    assert not set(first.values()) & set(other.values())


def test_summary_counts_match_the_files(landing, lines) -> None:
    folder, summary = landing
    assert summary.files == len([p for p in folder.rglob("*") if p.is_file()])
    assert summary.lines == len(lines)
    assert summary.lines - summary.events == sum(_reason(raw) is not None for _, raw in lines)
    assert abs(summary.events - SMALL.events) < 0.1 * SMALL.events
    assert (summary.tenants, summary.months) == (SMALL.tenants, SMALL.months)
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_every_format_and_day_path(landing, lines) -> None:
    folder, _ = landing
    assert {suffix for suffix, _ in lines} == set(SUFFIXES)
    for path in (folder / "events").rglob("events-*"):
        year, month, day = path.parts[-4:-1]
        assert path.name.startswith(f"events-{year}-{month}-{day}.")


def test_each_malformed_kind_appears_and_nothing_else_is_broken(lines) -> None:
    reasons = Counter(_reason(raw) for _, raw in lines)
    assert set(reasons) - {None} == set(MALFORMED_KINDS)
    assert reasons["oversized"] < reasons["malformed_json"]  # oversized lines stay rare


def test_well_formed_events_carry_the_fields(events) -> None:
    for event in events:
        assert all(event.get(name) for name in REQUIRED)
        assert event["device_type"] in (None, "desktop", "mobile", "tablet")
        assert isinstance(event["properties"], dict)
        assert isinstance(event.get("is_preview", False), bool)
        assert event.get("received_at") is not None


def test_accounts_csvs(landing) -> None:
    folder, _ = landing
    header, plans = _csv_rows(folder / "accounts" / "plans.csv")
    assert header == ["plan_id", "plan_name", "mau_limit", "monthly_price_usd"]
    assert {p["plan_id"]: p["mau_limit"] for p in plans} == {
        "startup": "2500",
        "growth": "10000",
        "scale": "50000",
        "enterprise": "",
    }
    header, tenants = _csv_rows(folder / "accounts" / "tenants.csv")
    assert header == ["tenant_id", "tenant_name", "billing_timezone", "created_at", "billing_email"]
    assert len(tenants) == SMALL.tenants
    for tenant in tenants:
        ZoneInfo(tenant["billing_timezone"] or "UTC")  # raises on an unknown name
        assert _timestamp(tenant["created_at"]) is not None
    header, subscriptions = _csv_rows(folder / "accounts" / "subscriptions.csv")
    assert header == ["tenant_id", "plan_id", "started_on", "ended_on", "is_trial"]
    plan_ids = {p["plan_id"] for p in plans}
    tenant_ids = {t["tenant_id"] for t in tenants}
    for row in subscriptions:
        assert row["plan_id"] in plan_ids and row["tenant_id"] in tenant_ids
        assert row["is_trial"] in ("true", "false")
        assert not row["ended_on"] or row["ended_on"] >= row["started_on"]
    trials = [r for r in subscriptions if r["is_trial"] == "true"]
    assert trials and all(
        datetime.fromisoformat(r["ended_on"]) - datetime.fromisoformat(r["started_on"])
        == timedelta(days=20)
        for r in trials
    )


def test_subscription_lifecycles(landing) -> None:
    folder, _ = landing
    _, subscriptions = _csv_rows(folder / "accounts" / "subscriptions.csv")
    paid: dict[str, list[dict[str, str]]] = {}
    for row in subscriptions:
        if row["is_trial"] == "false":
            paid.setdefault(row["tenant_id"], []).append(row)
    assert any(len(rows) > 1 for rows in paid.values()), "an upgrade"
    assert any(len(rows) == 1 and rows[0]["ended_on"] for rows in paid.values()), "a cancel"
    assert any(rows[-1]["ended_on"] == "" for rows in paid.values()), "a running plan"


def test_realism_features(events) -> None:
    copies = Counter((e["tenant_id"], e["event_id"]) for e in events)
    assert any(n > 1 for n in copies.values()), "retried events"
    by_id: dict[tuple[str, str], list[dict]] = {}
    for e in events:
        by_id.setdefault((e["tenant_id"], e["event_id"]), []).append(e)
    retried = [group for group in by_id.values() if len(group) > 1]
    assert any(g[0]["received_at"] != g[1]["received_at"] for g in retried), "a later retry"
    assert any(
        {k: v for k, v in g[0].items() if k != "received_at"}
        != {k: v for k, v in g[1].items() if k != "received_at"}
        for g in retried
    ), "a conflicting retry"
    agents = [(e.get("user_agent") or "").lower() for e in events]
    assert any(any(m in a for m in BOT_MARKERS) for a in agents), "bots"
    assert any(e.get("is_preview") for e in events), "previews"
    assert any(e.get("user_id") and e.get("anonymous_id") for e in events), "both ids"
    assert any(not e.get("user_id") and e.get("anonymous_id") for e in events), "anonymous"
    assert any(e.get("device_type") == "mobile" for e in events), "mobile rows"
    padded = [
        v for e in events for v in (e.get("user_id"), e.get("anonymous_id")) if v and v != v.strip()
    ]
    assert padded, "white space around ids"
    assert any(e.get("user_id") == "" for e in events), "an empty user_id"
    late = [
        e
        for e in events
        if _timestamp(e["received_at"]) - _timestamp(e["occurred_at"]) > timedelta(days=1)
    ]
    assert late, "late events"
    assert any(e["occurred_at"].endswith("Z") for e in events)
    assert any(e["occurred_at"][-6] in "+-" for e in events), "local offsets"
    assert any("." not in e["occurred_at"] for e in events), "no fractional seconds"


def test_shared_browser_links_two_users(events) -> None:
    users_of: dict[tuple[str, str], set[str]] = {}
    for e in events:
        if e.get("user_id") and e.get("anonymous_id") and not e.get("is_preview"):
            key = (e["tenant_id"], e["anonymous_id"].strip())
            users_of.setdefault(key, set()).add(e["user_id"].strip())
    assert any(len(users) > 1 for users in users_of.values())


def test_unlisted_tenant_sends_events(landing, events) -> None:
    folder, _ = landing
    _, tenants = _csv_rows(folder / "accounts" / "tenants.csv")
    listed = {t["tenant_id"] for t in tenants}
    assert {e["tenant_id"] for e in events} - listed == {f"t{SMALL.tenants + 1:04d}"}


def test_mobile_share_is_realistic(events) -> None:
    human = [e for e in events if e.get("device_type")]
    share = sum(e["device_type"] == "mobile" for e in human) / len(human)
    assert 0.15 < share < 0.45


def test_default_start_ends_with_the_open_current_month(tmp_path, monkeypatch) -> None:
    now = datetime(2025, 3, 10, 12, 34, tzinfo=UTC)
    monkeypatch.setattr(generate_module, "_utc_now", lambda: now)
    progress: list[tuple[int, int]] = []
    options = GenerateOptions(tenants=4, months=2, events=3_000)
    generate(tmp_path, options, lambda done, total: progress.append((done, total)))
    days = sorted(p.name.split(".")[0] for p in (tmp_path / "events").rglob("events-*"))
    assert days[0] == "events-2025-02-01" and days[-1] == "events-2025-03-10"
    assert progress[0] == (0, 3_000) and progress[-1] == (3_000, 3_000)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    last = next((tmp_path / "events" / "2025" / "03" / "10").iterdir())
    stamps = [
        _timestamp(json.loads(raw).get("received_at"))
        for raw in _read_lines(last, next(s for s in SUFFIXES if last.name.endswith(s)))
        if _reason(raw) is None
    ]
    assert stamps and max(stamps) < datetime(2025, 3, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "change",
    [
        {"tenants": 0},
        {"months": 0},
        {"events": -1},
        {"malformed_rate": 1.5},
        {"start_month": "2025-13"},
        {"start_month": "March"},
        {"start_month": "2999-01"},
    ],
)
def test_bad_options_raise(tmp_path: Path, change: dict) -> None:
    options = GenerateOptions(**{**GenerateOptions(tenants=2, events=100).__dict__, **change})
    with pytest.raises(MauError):
        generate(tmp_path, options)


def test_zero_events_writes_accounts_only(tmp_path: Path) -> None:
    summary = generate(tmp_path, GenerateOptions(tenants=3, events=0, start_month="2025-01"))
    assert summary.files == 3 and summary.lines == 0
    assert not (tmp_path / "events").exists()


def test_content_does_not_depend_on_chunking(tmp_path: Path, monkeypatch) -> None:
    """Details are hashed from each event's key, and broken lines go in at row positions."""
    options = GenerateOptions(
        seed=9, tenants=6, months=1, events=20_000, start_month="2024-06", malformed_rate=0.01
    )
    generate(tmp_path / "a", options)
    monkeypatch.setattr(generate_module, "CHUNK_ROWS", 997)  # chunks cross day files
    monkeypatch.setattr(generate_module, "BATCH_ROWS", 1_500)
    generate(tmp_path / "b", options)
    paths = sorted((tmp_path / "a" / "events").rglob("events-*"))
    assert {next(s for s in SUFFIXES if p.name.endswith(s)) for p in paths} == set(SUFFIXES)
    for path in paths:
        suffix = next(s for s in SUFFIXES if path.name.endswith(s))
        other = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert _read_lines(other, suffix) == _read_lines(path, suffix), path.name


def test_parquet_columns_keep_the_json_types(landing) -> None:
    """Text timestamps, a boolean is_preview and JSON properties, as the loader expects."""
    folder, _ = landing
    path = next((folder / "events").rglob("*.parquet"))
    schema = pq.read_schema(path)
    assert schema.names == list(generate_module.EVENT_COLUMNS)
    assert {str(schema.field(n).type) for n in schema.names[:-2]} == {"string"}
    assert str(schema.field("is_preview").type) == "bool"
    assert pq.ParquetFile(path).schema.column(len(schema) - 1).logical_type.type == "JSON"


def test_months_without_events_still_get_their_day_files(tmp_path: Path) -> None:
    """Few events for many tenants and months: some months draw no event at all."""
    options = GenerateOptions(tenants=50, months=12, events=200, start_month="2024-01")
    summary = generate(tmp_path, options)
    assert summary.files == 3 + 366  # 2024 is a leap year: one file per day, empty or not
    assert summary.events > 0
