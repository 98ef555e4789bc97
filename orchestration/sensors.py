"""Sensors: new landing files start a run; alert delivery runs on its own clock."""

import hashlib
import json

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from mau_warehouse.errors import MauError
from mau_warehouse.ingest.discovery import discover, loaded_file_states
from mau_warehouse.notify.alerts import deliver_pending
from orchestration.jobs import mau_pipeline
from orchestration.resources import MauHome


@sensor(
    name="new_landing_files",
    job=mau_pipeline,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Starts the pipeline when a file appears or changes under the landing folder. "
        "The cursor remembers each file's size and modification time; the loader's "
        "ledger still decides what is new by content, so a touched file loads nothing twice. "
        "Its first tick starts from the files the loader has already seen, so turning it on "
        "over a loaded landing folder starts no run."
    ),
)
def new_landing_files(context: SensorEvaluationContext, mau_home: MauHome):
    settings = mau_home.settings()
    try:
        files = discover(settings.landing_dir)
        seen = json.loads(context.cursor) if context.cursor else loaded_file_states(settings)
    except MauError as exc:  # no landing folder yet, or a run holds the warehouse
        return SkipReason(str(exc))
    current = {f.display_name: [f.path.stat().st_size, f.path.stat().st_mtime_ns] for f in files}
    changed = sorted(name for name, state in current.items() if seen.get(name) != state)
    if not changed:
        return SkipReason("no new landing files")
    context.update_cursor(json.dumps(current))
    run_key = hashlib.sha256(json.dumps([[n, current[n]] for n in changed]).encode()).hexdigest()
    return RunRequest(run_key=run_key, tags={"mau/new_files": str(len(changed))})


@sensor(
    name="alert_delivery",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Delivers queued usage alerts to every configured channel (webhook, email), each "
        "once; failed sends are retried with a growing delay. Launches no run. `mau run` "
        "delivers too, at the end of each run; the outbox keeps each send once between them."
    ),
)
def alert_delivery(context: SensorEvaluationContext, mau_home: MauHome) -> SkipReason:
    outcome = deliver_pending(mau_home.settings())
    context.log.info(outcome.summary())
    return SkipReason(f"delivered {outcome.delivered}, failed {outcome.failed}")
