"""Loading is idempotent and atomic (SPEC §7, R2): reloads, reorders, splits and kills
change no figure."""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mau_warehouse.config import load_settings
from mau_warehouse.ingest import ingest
from tests.conftest import MAU, TEST_KEY, build_usage_mart, mau_env, run_mau

pytestmark = pytest.mark.slow

TENANTS = "tenant_id,tenant_name,billing_timezone,created_at\n{rows}"
TIME_ZONES = ("Europe/Paris", "America/New_York", "UTC")


def write_accounts(home: Path, tenant_ids: list[str], time_zone: str) -> None:
    accounts = home / "landing" / "accounts"
    accounts.mkdir(parents=True, exist_ok=True)
    rows = "".join(f"{t},{t},{time_zone},2025-01-01T00:00:00Z\n" for t in tenant_ids)
    (accounts / "tenants.csv").write_text(TENANTS.format(rows=rows))
    subscriptions = "".join(f"{t},startup,2025-01-01,2025-06-30,false\n" for t in tenant_ids)
    (accounts / "subscriptions.csv").write_text(
        "tenant_id,plan_id,started_on,ended_on,is_trial\n" + subscriptions
    )


# Random events around month ends (so time zones and clock skew matter), few ids
# (so stitching and duplicates happen), retries that repeat or change content.
minutes = st.integers(min_value=0, max_value=4 * 24 * 60)
event_strategy = st.fixed_dictionaries(
    {
        "event": st.integers(0, 30),
        "user": st.one_of(st.none(), st.sampled_from(["u1", "u2", " u3 ", "U3"])),
        "browser": st.one_of(st.none(), st.sampled_from(["a1", "a2", "a3"])),
        "minute": minutes,
        "skew": st.sampled_from([0, 0, 240, -240]),
        "device": st.sampled_from([None, "mobile", "desktop", "tablet"]),
        "preview": st.booleans(),
    }
).filter(lambda e: e["user"] or e["browser"])


def to_line(tenant: str, spec: dict[str, object], copy: int) -> str:
    base = 1_743_375_600  # 2025-03-30T23:00:00Z: the March/April edge in every zone
    occurred = base + 60 * int(spec["minute"]) - 3 * 24 * 3600
    received = occurred + 5 + copy * 7  # every copy of an event arrives at its own time
    sent = received - int(spec["skew"])
    iso = lambda seconds: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))  # noqa: E731
    return json.dumps(
        {
            "event_id": f"e{spec['event']}",
            "tenant_id": tenant,
            "event_type": "sdk_loaded",
            "occurred_at": iso(occurred),
            "sent_at": iso(sent),
            "received_at": iso(received),
            "user_id": spec["user"],
            "anonymous_id": spec["browser"],
            "device_type": spec["device"],
            "is_preview": spec["preview"],
        }
    )


def lines_for(tenant: str, specs: list[dict[str, object]]) -> list[str]:
    copies: dict[object, int] = {}
    lines = []
    for spec in specs:
        copy = copies.get(spec["event"], 0)
        copies[spec["event"]] = copy + 1
        lines.append(to_line(tenant, spec, copy))
    return lines


def write_file(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=st.lists(event_strategy, min_size=1, max_size=25),
    shuffle_seed=st.integers(0, 2**32),
    parts=st.integers(1, 4),
    time_zone=st.sampled_from(TIME_ZONES),
)
def test_figures_do_not_change_when_events_are_reloaded_reordered_or_split(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    specs: list[dict[str, object]],
    shuffle_seed: int,
    parts: int,
    time_zone: str,
) -> None:
    """Tenant `once` gets every event in one file; tenant `again` gets the same events
    shuffled, split into files, one file loaded twice under another name and the whole
    set replayed in a later load. Both must end with the same figures (SPEC §7)."""
    monkeypatch.setenv("MAU_PSEUDONYM_KEY", TEST_KEY)
    home = tmp_path_factory.mktemp("property")
    write_accounts(home, ["once", "again"], time_zone)
    events = home / "landing" / "events"
    write_file(events / "a-once.jsonl", lines_for("once", specs))

    shuffled = lines_for("again", specs)
    random.Random(shuffle_seed).shuffle(shuffled)
    size = -(-len(shuffled) // parts)
    chunks = [shuffled[i : i + size] for i in range(0, len(shuffled), size)]
    for number, chunk in enumerate(chunks):
        write_file(events / f"b-again-{number}.jsonl", chunk)
    shutil.copy(events / "b-again-0.jsonl", events / "c-again-renamed.jsonl")
    ingest(load_settings(home))
    write_file(events / "d-again-replay.jsonl", list(reversed(shuffled)))
    ingest(load_settings(home))

    rows = build_usage_mart(home)
    once = [row[1:] for row in rows if row[0] == "once"]
    again = [row[1:] for row in rows if row[0] == "again"]
    assert once  # both tenants are subscribed, so both have rows
    assert once == again


def test_a_load_killed_midway_reruns_to_exact_figures(tmp_path_factory) -> None:
    clean = tmp_path_factory.mktemp("clean")
    run_mau(clean, "generate", "--seed", "3", "--tenants", "4", "--months", "1",
            "--events", "150000", "--start-month", "2025-03")  # fmt: skip
    killed = tmp_path_factory.mktemp("killed")
    shutil.copytree(clean / "landing", killed / "landing")

    # Small batches: many transactions, so the kill lands between and inside them.
    env = {**mau_env(killed), "MAU_INGEST_BATCH_BYTES": "300000"}
    process = subprocess.Popen(
        [MAU, "ingest"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    committed = 0
    while committed < 3:
        line = process.stderr.readline()
        assert line, "ingest finished before it could be killed"
        committed += line.startswith("loaded events/")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    partial = json.loads(run_mau(killed, "ingest", "--format", "json").stdout)
    complete = json.loads(run_mau(clean, "ingest", "--format", "json").stdout)
    # The rerun loaded exactly what the killed run had not committed ...
    assert 0 < len(partial) < len(complete)
    by_file = {r["file"]: r for r in complete}
    for report in partial:
        assert report == by_file[report["file"]]
    # ... and every figure equals a clean run's.
    assert build_usage_mart(killed) == build_usage_mart(clean)
