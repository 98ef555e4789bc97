"""The landing sensor starts a run when files appear, and only then (issue: Dagster automation)."""

from __future__ import annotations

import json
from pathlib import Path

from dagster import RunRequest, SkipReason, build_sensor_context

from orchestration.resources import MauHome
from orchestration.sensors import new_landing_files
from tests.conftest import run_mau


def evaluate(home: Path, cursor: str | None) -> tuple[object, str | None]:
    context = build_sensor_context(cursor=cursor, resources={"mau_home": MauHome(home=str(home))})
    result = new_landing_files(context)
    return result, context.cursor


def test_the_sensor_picks_up_new_files_once(mau_home: Path) -> None:
    result, cursor = evaluate(mau_home, None)
    assert isinstance(result, SkipReason)
    assert "landing folder" in result.skip_message

    events = mau_home / "landing" / "events"
    events.mkdir(parents=True)
    line = {"event_id": "e1", "tenant_id": "t", "occurred_at": "2025-03-01T00:00:00Z",
            "anonymous_id": "a"}  # fmt: skip
    (events / "one.jsonl").write_text(json.dumps(line) + "\n")
    first, cursor = evaluate(mau_home, cursor)
    assert isinstance(first, RunRequest)
    assert first.tags["mau/new_files"] == "1"

    again, cursor = evaluate(mau_home, cursor)
    assert isinstance(again, SkipReason)  # nothing new: no second run

    (events / "two.jsonl").write_text(json.dumps({**line, "event_id": "e2"}) + "\n")
    second, _ = evaluate(mau_home, cursor)
    assert isinstance(second, RunRequest)
    assert second.tags["mau/new_files"] == "1"
    assert second.run_key != first.run_key


def test_the_first_tick_starts_from_what_the_loader_has_seen(mau_home: Path) -> None:
    # Turning the sensor on over a landing folder that `mau ingest` (or `mau run`) already
    # loaded starts no run: its cursor begins with the loader's file states.
    events = mau_home / "landing" / "events"
    events.mkdir(parents=True)
    line = {"event_id": "e1", "tenant_id": "t", "occurred_at": "2025-03-01T00:00:00Z",
            "anonymous_id": "a"}  # fmt: skip
    (events / "one.jsonl").write_text(json.dumps(line) + "\n")
    run_mau(mau_home, "ingest")

    first, cursor = evaluate(mau_home, None)
    assert isinstance(first, SkipReason)
    assert first.skip_message == "no new landing files"

    (events / "two.jsonl").write_text(json.dumps({**line, "event_id": "e2"}) + "\n")
    second, _ = evaluate(mau_home, cursor)
    assert isinstance(second, RunRequest)
    assert second.tags["mau/new_files"] == "1"  # only the file the loader has not seen
