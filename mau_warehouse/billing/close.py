"""Closing tenant-months and freezing their figures (R16).

A tenant-month closes automatically once its `closes_at` (72 hours after the month
ends in the tenant's zone, a dbt var) has passed, or by hand with `mau close`.
Closing writes the month's row of the usage mart, as JSON with a fingerprint, into
`billing.monthly_usage_snapshot`. Rows there are only ever inserted: later events
for a closed month become late adjustments, never a restatement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb


@dataclass(frozen=True)
class CloseOutcome:
    closed: int
    snapshotted: int


def request_close(con: duckdb.DuckDBPyConnection, month: date, now: datetime) -> None:
    """Ask the next run's close step to close `month` for every tenant (`mau close`)."""
    con.execute(
        "insert into billing.close_requests values ($month, $now)", {"month": month, "now": now}
    )


def close_due_months(con: duckdb.DuckDBPyConnection, now: datetime) -> CloseOutcome:
    """Close what is due or requested, and snapshot every closed month not yet frozen."""
    con.begin()
    try:
        closed = con.execute(
            """
            insert into billing.month_closes
            select
                usage.tenant_id,
                usage.month,
                $now,
                case
                    when usage.month in (select month from billing.close_requests) then 'manual'
                    else 'automatic'
                end,
            from marts.fct_tenant_monthly_usage as usage
            where (usage.closes_at <= $now
                   or usage.month in (select month from billing.close_requests))
              and not exists (
                  select 1 from billing.month_closes as closes
                  where closes.tenant_id = usage.tenant_id and closes.month = usage.month
              )
            """,
            {"now": now},
        ).fetchall()[0][0]
        con.execute("delete from billing.close_requests")
        snapshotted = con.execute(
            """
            insert into billing.monthly_usage_snapshot
            select
                usage.tenant_id,
                usage.month,
                to_json(usage) as figures,
                closes.closed_at,
                md5(to_json(usage)::varchar) as fingerprint,
            from marts.fct_tenant_monthly_usage as usage
            inner join billing.month_closes as closes
                on usage.tenant_id = closes.tenant_id and usage.month = closes.month
            where not exists (
                select 1 from billing.monthly_usage_snapshot as frozen
                where frozen.tenant_id = usage.tenant_id and frozen.month = usage.month
            )
            """
        ).fetchall()[0][0]
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return CloseOutcome(closed=closed, snapshotted=snapshotted)
