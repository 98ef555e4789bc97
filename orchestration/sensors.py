"""Sensors: alert delivery runs on its own clock, outside the pipeline job."""

from dagster import DefaultSensorStatus, SensorEvaluationContext, SkipReason, sensor

from mau_warehouse.notify.alerts import deliver_pending
from orchestration.resources import MauHome


@sensor(
    name="alert_delivery",
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Delivers queued usage alerts to every configured channel (webhook, email), each "
        "once; failed sends are retried with a growing delay. Launches no run."
    ),
)
def alert_delivery(context: SensorEvaluationContext, mau_home: MauHome) -> SkipReason:
    outcome = deliver_pending(mau_home.settings())
    context.log.info(f"alert delivery: {outcome}")
    return SkipReason(f"delivered {outcome['delivered']}, failed {outcome['failed']}")
