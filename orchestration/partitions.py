"""Partitions that make backfills natural: landing days and billing months.

The hourly pipeline is not partitioned: the loader decides what is new by content and
dbt's incremental models recount the tenant-months that changed, whichever they are
(a late event or a login can change any earlier month). Backfills are: reload one
day's landing folder after files were restored or replaced, or close past months by
hand. Both are partitioned assets outside the pipeline job, so the UI's backfill
dialog can run them over a date range.
Partitions start at MAU_PARTITIONS_START (default 2024-01-01).
"""

from dagster import DailyPartitionsDefinition, MonthlyPartitionsDefinition

from mau_warehouse.config import load_settings

PARTITIONS_START = load_settings().partitions_start

# Today's landing folder fills all day and may be reloaded (end_offset=1); a month can
# only be closed once it has ended, so the open month is not offered (R16).
landing_days = DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC", end_offset=1)
billing_months = MonthlyPartitionsDefinition(
    start_date=PARTITIONS_START, timezone="UTC", end_offset=0
)
