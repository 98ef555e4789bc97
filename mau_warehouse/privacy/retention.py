"""R17 retention: raw events and quarantine rows older than the retention period go.

The period is MAU_RETENTION_MONTHS whole UTC months (default 13) before the current
month: on 2026-12-02 with 13 months, events that occurred before 2025-11-01 are
purged, and quarantine rows loaded before it (a quarantined line has no trusted event
time). Each purged line is recorded in raw.line_removals, so every file's lines still
add up (R1), and the next dbt build is a full refresh from what is left. Billing
snapshots are kept: a closed month's invoice figures outlive its events (R16).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

# Which rows of each raw table are due, given the cutoff instant.
DUE = {
    "raw.event_lines": ("event", "occurred_at < $cutoff"),
    "raw.quarantine": ("quarantine", "loaded_at < $cutoff"),
}


@dataclass(frozen=True)
class Purge:
    cutoff: datetime
    removed: dict[str, int]  # rows purged per raw table


def retention_cutoff(today: date, months: int) -> datetime:
    """The first instant kept: the start of the UTC month `months` before this one."""
    index = today.year * 12 + today.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def purge_expired(con: duckdb.DuckDBPyConnection, cutoff: datetime) -> Purge:
    """Purge the due rows in one transaction; a no-op (and cheap) when nothing is due."""
    now = datetime.now(UTC)
    removed: dict[str, int] = {}
    con.begin()
    try:
        for table, (kind, condition) in DUE.items():
            con.execute(
                f"""
                insert into raw.line_removals
                select load_id, line_number, '{kind}', 'retention', null, $now
                from {table} where {condition}
                """,
                {"cutoff": cutoff, "now": now},
            )
            [(count,)] = con.execute(
                f"delete from {table} where {condition}", {"cutoff": cutoff}
            ).fetchall()
            removed[table] = count
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return Purge(cutoff, removed)
