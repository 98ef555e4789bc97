"""Retries for transient failures of the steps that open the warehouse or the outbox.

The warehouse may be briefly locked by another writer (a `mau close`, a manual
run from the UI) or the disk momentarily full; every step is idempotent, so a
retry cannot double anything. dbt tests and Great Expectations checks are not
retried: a failed check is a finding, not a hiccup.
"""

from dagster import Backoff, RetryPolicy

from mau_warehouse.config import load_settings

transient_retry = RetryPolicy(
    max_retries=load_settings().step_retries,
    delay=10,
    backoff=Backoff.EXPONENTIAL,
)
