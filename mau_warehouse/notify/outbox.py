"""The alert outbox: a small SQLite file beside the warehouse.

Alerts are written by the pipeline and delivered by a Dagster sensor. Keeping the
outbox out of DuckDB means delivery never waits for, nor blocks, the single
warehouse writer. Each (alert, channel) pair is sent at most once: a pair is
claimed in a transaction before sending and marked delivered right after, and
failures are retried with a growing delay.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mau_warehouse.notify.channels import Alert, Channel

SCHEMA = """
create table if not exists alerts (
    alert_id text primary key,
    tenant_id text not null,
    tenant_name text not null,
    month text not null,
    alert_kind text not null,
    threshold real not null,
    alert_date text not null,
    value integer not null,
    mau_limit integer not null,
    created_at text not null
);
create table if not exists deliveries (
    alert_id text not null references alerts (alert_id),
    channel text not null,
    status text not null,            -- pending | sending | delivered | failed
    attempts integer not null default 0,
    next_attempt_at text not null,
    last_error text,
    delivered_at text,
    primary key (alert_id, channel)
);
"""
MAX_ATTEMPTS = 12
# A claim older than this is from a process that died mid-send; it is retried.
STALE_CLAIM = timedelta(minutes=10)


def _now() -> datetime:
    return datetime.now(UTC)


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.row_factory = sqlite3.Row
        try:
            yield con
        finally:
            con.close()

    def add(self, alerts: list[Alert], channels: list[str]) -> int:
        """Record new alerts and a pending delivery per channel; known alerts are ignored."""
        added = 0
        now = _now().isoformat()
        with self._connect() as con:
            con.execute("begin immediate")
            for alert in alerts:
                cursor = con.execute(
                    """
                    insert or ignore into alerts values (
                        :alert_id, :tenant_id, :tenant_name, :month, :alert_kind, :threshold,
                        :alert_date, :value, :mau_limit, :created_at)
                    """,
                    {**asdict(alert), "created_at": now},
                )
                added += cursor.rowcount
            # Every alert gets a delivery row for every channel configured now, so a
            # channel added later also receives the alerts it has not seen yet.
            for channel in channels:
                con.execute(
                    """
                    insert or ignore into deliveries (alert_id, channel, status, next_attempt_at)
                    select alert_id, ?, 'pending', ? from alerts
                    """,
                    (channel, now),
                )
            con.execute("commit")
        return added

    def _claim(self, channel: str) -> list[Alert]:
        now = _now()
        with self._connect() as con:
            con.execute("begin immediate")
            rows = con.execute(
                """
                select alerts.* from deliveries join alerts using (alert_id)
                where deliveries.channel = :channel
                  and ((deliveries.status in ('pending', 'failed') and next_attempt_at <= :now)
                       or (deliveries.status = 'sending' and next_attempt_at <= :stale))
                  and deliveries.attempts < :max_attempts
                order by alerts.created_at, alerts.alert_id
                """,
                {
                    "channel": channel,
                    "now": now.isoformat(),
                    "stale": (now - STALE_CLAIM).isoformat(),
                    "max_attempts": MAX_ATTEMPTS,
                },
            ).fetchall()
            con.executemany(
                """
                update deliveries set status = 'sending', attempts = attempts + 1,
                    next_attempt_at = ? where alert_id = ? and channel = ?
                """,
                [(now.isoformat(), row["alert_id"], channel) for row in rows],
            )
            con.execute("commit")
        return [
            Alert(**{k: row[k] for k in row.keys() if k != "created_at"})  # noqa: SIM118
            for row in rows
        ]

    def _finish(self, alert_id: str, channel: str, error: str | None, attempts_so_far: int) -> None:
        now = _now()
        with self._connect() as con:
            if error is None:
                con.execute(
                    "update deliveries set status = 'delivered', delivered_at = ?, "
                    "last_error = null where alert_id = ? and channel = ?",
                    (now.isoformat(), alert_id, channel),
                )
            else:
                delay = timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts_so_far - 1)))
                con.execute(
                    "update deliveries set status = 'failed', last_error = ?, "
                    "next_attempt_at = ? where alert_id = ? and channel = ?",
                    (error[:500], (now + delay).isoformat(), alert_id, channel),
                )

    def deliver(self, channels: list[Channel]) -> dict[str, int]:
        """Send every due delivery once; return counts of delivered and failed sends."""
        outcome = {"delivered": 0, "failed": 0}
        for channel in channels:
            for alert in self._claim(channel.name):
                attempts = self.attempts(alert.alert_id, channel.name)
                try:
                    channel.send(alert)
                except Exception as exc:  # any channel failure is retried later
                    self._finish(alert.alert_id, channel.name, f"{type(exc).__name__}: {exc}",
                                 attempts)  # fmt: skip
                    outcome["failed"] += 1
                else:
                    self._finish(alert.alert_id, channel.name, None, attempts)
                    outcome["delivered"] += 1
        return outcome

    def attempts(self, alert_id: str, channel: str) -> int:
        with self._connect() as con:
            row = con.execute(
                "select attempts from deliveries where alert_id = ? and channel = ?",
                (alert_id, channel),
            ).fetchone()
        return int(row["attempts"]) if row else 0

    def deliveries(self) -> list[dict[str, object]]:
        with self._connect() as con:
            rows = con.execute(
                "select * from deliveries join alerts using (alert_id) order by alert_id, channel"
            ).fetchall()
        return [dict(row) for row in rows]
