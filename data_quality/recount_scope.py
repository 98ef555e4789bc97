"""What the independent recount covers in a run: what changed, or everything open.

The recount (data_quality/suites.py, `usage_reconciliation`) re-derives MAU from the
staged lines without any dbt model. Recounting every open tenant-month on every run
made a new day cost as much as the history (SPEC §6), so a run recounts the
tenant-months its new lines can change, and every month it is about to close (R16).
Everything open is recounted instead when:

- no recount has passed on this warehouse yet (or the warehouse was rebuilt),
- raw lines were removed since the last passing recount (erasure, retention: R17),
- the tenants export or the bot list changed since then (R18, R4),
- or it is asked for: `mau run --full-recount`, `--full-refresh`, `MAU_FULL_RECOUNT=1`.

The plan of a run is a row of `quality.recount_plans` that the recount query reads
(`since_load_id`: lines of later loads are new; null recounts everything open); a
passing recount marks its plan, and the next run starts from the loads it covered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from mau_warehouse.config import Settings
from mau_warehouse.warehouse import connect_writer

# The tenants' zones and billing status, and the bot patterns: what a line's month and
# whether it counts depend on besides the line itself (R4, R5, R18).
CONTEXT_FINGERPRINT = """
select md5(
    coalesce((
        select string_agg(
            tenant_id || '|' || coalesce(billing_timezone, ''), ',' order by tenant_id
        )
        from staging.stg_billing_system__tenants
    ), '')
    || '#'
    || coalesce((
        select string_agg(pattern, ',' order by pattern)
        from reference.bot_user_agent_patterns
    ), '')
)
"""


@dataclass(frozen=True)
class RecountPlan:
    planned_at: datetime
    since_load_id: int | None
    through_load_id: int
    reason: str

    @property
    def is_full(self) -> bool:
        return self.since_load_id is None

    def describe(self) -> str:
        if self.is_full:
            return f"every open tenant-month ({self.reason})"
        return (
            f"tenant-months of loads {self.since_load_id + 1}–{self.through_load_id} "
            "and months due to close"
        )


def _full_reason(con: duckdb.DuckDBPyConnection, fingerprint: str, asked: bool) -> str | None:
    """Why this run must recount everything open, or None when what changed suffices."""
    if asked:
        return "asked for"
    last = con.execute(
        """
        select plans.planned_at, plans.through_load_id, plans.context_fingerprint,
            ledger.loaded_at is not distinct from plans.through_loaded_at as same_warehouse
        from quality.recount_plans as plans
        left join raw.load_ledger as ledger on ledger.load_id = plans.through_load_id
        where plans.passed
        order by plans.planned_at desc
        limit 1
        """
    ).fetchall()
    if not last:
        return "no recount has passed yet"
    planned_at, _, last_fingerprint, same_warehouse = last[0]
    if not same_warehouse:
        return "the loads differ from the last recount's"
    if last_fingerprint != fingerprint:
        return "the tenants export or the bot list changed"
    [(removed,)] = con.execute(
        """
        select exists (
            select 1 from raw.line_removals
            where cause in ('erasure', 'retention') and removed_at >= $since
        )
        """,
        {"since": planned_at},
    ).fetchall()
    if removed:
        return "lines were removed (R17)"
    return None


def plan_recount(settings: Settings, *, full: bool) -> RecountPlan:
    """Decide and record this run's scope; the recount query reads the latest plan."""
    con = connect_writer(settings)
    try:
        [(fingerprint,)] = con.execute(CONTEXT_FINGERPRINT).fetchall()
        [(through, through_loaded_at)] = con.execute(
            """
            select coalesce(max(load_id), 0), arg_max(loaded_at, load_id)
            from raw.load_ledger
            """
        ).fetchall()
        reason = _full_reason(con, fingerprint, full)
        since = None
        if reason is None:
            [(since,)] = con.execute(
                "select through_load_id from quality.recount_plans where passed "
                "order by planned_at desc limit 1"
            ).fetchall()
        plan = RecountPlan(datetime.now(UTC), since, through, reason or "changed")
        con.execute(
            "insert into quality.recount_plans values ($at, $since, $through, $loaded, $fp, null)",
            {
                "at": plan.planned_at,
                "since": since,
                "through": through,
                "loaded": through_loaded_at,
                "fp": fingerprint,
            },
        )
        return plan
    finally:
        con.close()


def record_recount(settings: Settings, plan: RecountPlan, *, passed: bool) -> None:
    """Mark the plan passed (the next run starts after its loads) or failed."""
    con = connect_writer(settings)
    try:
        con.execute(
            "update quality.recount_plans set passed = $passed where planned_at = $at",
            {"passed": passed, "at": plan.planned_at},
        )
    finally:
        con.close()
