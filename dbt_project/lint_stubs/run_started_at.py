"""Lint-time stand-in for dbt's ``run_started_at`` (a datetime), see ../.sqlfluff.

Only ``strftime`` is used (macros/incremental.sql); it renders a fixed instant.
"""


def strftime(_format):
    return "2026-01-01 00:00:00.000000"
