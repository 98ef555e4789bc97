"""The alert outbox: a small SQLite file beside the warehouse.

Alerts are written by the pipeline and delivered at the end of every `mau run` and by
a Dagster sensor while `mau ui` runs. Keeping the
outbox out of DuckDB means delivery never waits for, nor blocks, the single
warehouse writer. Each (alert, channel) pair is sent at most once: a pair is
claimed in a transaction before sending and marked delivered right after, and
failures are retried with a growing delay.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
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
# Alert fields added after the first outboxes were written: added to an older file on
# open, null for the alerts it already holds.
ADDED_ALERT_COLUMNS = {
    "mtd_mau": "integer",
    "projected_mau": "integer",
    "projected_mau_low": "integer",
    "projected_mau_high": "integer",
    "plan_name": "text",
    "billing_timezone": "text",
    "upgrade_plan_name": "text",
    "upgrade_plan_limit": "integer",
    "upgrade_plan_price_usd": "real",
    "billing_email": "text",
}
ALERT_FIELDS = tuple(f.name for f in fields(Alert))
MAX_ATTEMPTS = 12
# A claim older than this is from a process that died mid-send; it is retried.
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class DeliveryOutcome:
    """What one delivery pass did, per channel."""

    channels: list[str]
    delivered_by_channel: dict[str, int] = field(default_factory=dict)
    failed_by_channel: dict[str, int] = field(default_factory=dict)
    alerts_delivered: set[str] = field(default_factory=set)

    def count(self, channel: str, alert_id: str, *, delivered: bool) -> None:
        tally = self.delivered_by_channel if delivered else self.failed_by_channel
        tally[channel] = tally.get(channel, 0) + 1
        if delivered:
            self.alerts_delivered.add(alert_id)

    @property
    def delivered(self) -> int:
        return sum(self.delivered_by_channel.values())

    @property
    def failed(self) -> int:
        return sum(self.failed_by_channel.values())

    def summary(self) -> str:
        """One line for the end of a run, e.g. "alerts: 3 sent (webhook 3, email 3), 0 failed"."""
        if not self.channels:
            return (
                "alerts: none sent, no channel configured "
                "(set MAU_ALERT_WEBHOOK_URL or MAU_SMTP_HOST)"
            )

        def per_channel(tally: dict[str, int]) -> str:
            return ", ".join(f"{name} {tally.get(name, 0)}" for name in self.channels)

        line = (
            f"alerts: {len(self.alerts_delivered)} sent "
            f"({per_channel(self.delivered_by_channel)}), {self.failed} failed"
        )
        if self.failed:
            line += f" ({per_channel(self.failed_by_channel)}; retried later)"
        return line


def _now() -> datetime:
    return datetime.now(UTC)


class Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.executescript(SCHEMA)
            present = {row["name"] for row in con.execute("pragma table_info(alerts)")}
            for name, kind in ADDED_ALERT_COLUMNS.items():
                if name not in present:
                    con.execute(f"alter table alerts add column {name} {kind}")

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
                    f"insert or ignore into alerts ({', '.join(ALERT_FIELDS)}, created_at) "
                    f"values ({', '.join(':' + name for name in ALERT_FIELDS)}, :created_at)",
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
        return [Alert(**{name: row[name] for name in ALERT_FIELDS}) for row in rows]

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

    def deliver(self, channels: list[Channel]) -> DeliveryOutcome:
        """Send every due delivery once; count what was delivered and what failed."""
        outcome = DeliveryOutcome(channels=[channel.name for channel in channels])
        for channel in channels:
            for alert in self._claim(channel.name):
                attempts = self.attempts(alert.alert_id, channel.name)
                try:
                    channel.send(alert)
                except Exception as exc:  # any channel failure is retried later
                    self._finish(alert.alert_id, channel.name, f"{type(exc).__name__}: {exc}",
                                 attempts)  # fmt: skip
                    outcome.count(channel.name, alert.alert_id, delivered=False)
                else:
                    self._finish(alert.alert_id, channel.name, None, attempts)
                    outcome.count(channel.name, alert.alert_id, delivered=True)
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
