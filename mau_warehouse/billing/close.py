"""Closing tenant-months and freezing their figures (R16).

A tenant-month closes automatically once its `closes_at` (72 hours after the month
ends in the tenant's zone, a dbt var) has passed, or by hand with `mau close`.
Closing writes the month's row of the usage mart, as JSON with a fingerprint, into
`billing.monthly_usage_snapshot`. Rows there are only ever inserted: later events
for a closed month become late adjustments, never a restatement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import duckdb

from mau_warehouse.errors import MauError


@dataclass(frozen=True)
class CloseOutcome:
    closed: int
    snapshotted: int


# The westernmost time zone (UTC−12) ends a month 12 hours after UTC does.
LAST_ZONE_BEHIND_UTC = timedelta(hours=12)


def ended_everywhere_at(month: date) -> datetime:
    """When `month` has ended in every tenant's time zone."""
    next_month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return datetime.combine(next_month, time(), tzinfo=UTC) + LAST_ZONE_BEHIND_UTC


def check_month_ended(month: date, now: datetime) -> None:
    """Refuse, in one line, to close a month some tenant is still living in."""
    if now < ended_everywhere_at(month):
        raise MauError(
            f"{month:%Y-%m} has not ended in every time zone yet: it can be closed from "
            f"{ended_everywhere_at(month):%Y-%m-%d %H:%M} UTC"
        )


def request_close(con: duckdb.DuckDBPyConnection, month: date, now: datetime) -> None:
    """Ask the next run's close step to close `month` for every tenant (`mau close`).

    Only an ended month can be closed: freezing month-to-date figures would bill a
    partial month for good, since later events are never restated (R16).
    """
    check_month_ended(month, now)
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
