"""All data access of the dashboards: cached, parameterized reads of the serving database.

Only the published ``serving.duckdb`` is read, never the writer's warehouse (SPEC §7):
the pipeline replaces it atomically after each successful run. Every query opens its
own short-lived read-only connection so that a newly swapped-in file is picked up, and
every cached result is keyed on the file's path and modification time as well as the
query parameters, so a new publish (or another MAU_HOME) never serves stale figures.

Access is enforced here, not only by which pages are shown (SPEC §7, P11): every
function takes the signed-in viewer; tenant figures are filtered to the viewer's own
tenant in SQL, and fleet-wide figures refuse a tenant user outright.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st

from mau_warehouse.config import load_settings
from mau_warehouse.users import Viewer
from mau_warehouse.warehouse import open_database

# Short enough that an unchanged file is re-checked often; the mtime key does the rest.
CACHE_TTL_SECONDS = 60


class AccessDenied(Exception):
    """A viewer asked for figures outside their tenant."""


def serving_version() -> int | None:
    """Modification time of the published file (part of every cache key); None before one."""
    try:
        return load_settings().serving_path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _connect(path: str) -> duckdb.DuckDBPyConnection:
    # Decrypted with the warehouse key when the files are encrypted at rest (SPEC §7).
    con = open_database(Path(path), load_settings(), read_only=True)
    # Timestamps are shown in UTC whatever the machine's zone.
    con.execute("set TimeZone = 'UTC'")
    return con


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=512)
def _cached(path: str, version: int | None, sql: str, params: tuple[tuple[str, Any], ...]):
    with _connect(path) as con:
        table = con.execute(sql, dict(params)).to_arrow_table()
    # Money is DECIMAL in the marts; charts and tables want plain numbers (cents survive).
    for index, field in enumerate(table.schema):
        if pa.types.is_decimal(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.float64()))
    return table.to_pandas()


def _query(sql: str, **params: Any) -> pd.DataFrame:
    frame = _cached(
        str(load_settings().serving_path), serving_version(), sql, tuple(sorted(params.items()))
    )
    # Callers may add columns for display; the cached frame must stay as it was.
    return frame.copy()


def _tenant_scope(viewer: Viewer, tenant_id: str) -> str:
    if not viewer.may_see(tenant_id):
        raise AccessDenied(tenant_id)
    return tenant_id


def _staff_only(viewer: Viewer) -> None:
    if not viewer.is_staff:
        raise AccessDenied("fleet-wide figures are for staff")


# ---------------------------------------------------------------- one tenant (P3, P4)


def visible_tenants(viewer: Viewer) -> pd.DataFrame:
    """tenant_id, tenant_name of every tenant the viewer may see, sorted by name."""
    # A tenant's name can change between exports: show the one of its latest month.
    sql = """
        select tenant_id, arg_max(tenant_name, month) as tenant_name
        from marts.fct_tenant_monthly_usage
        {where}
        group by tenant_id
        order by tenant_name, tenant_id
    """
    if viewer.is_staff:
        return _query(sql.format(where=""))
    return _query(
        sql.format(where="where tenant_id = $tenant_id"),
        tenant_id=_tenant_scope(viewer, viewer.tenant_id or ""),
    )


def _from_first_active_month(mau: str = "mau") -> str:
    """A QUALIFY clause keeping the months from the first one whose `mau` is above 0.

    Subscriptions often start long before the first event: a month before the first
    one with activity has nothing to show. Without any activity yet, the latest month
    still shows, so a new tenant sees its open month.
    """
    return f"""
        qualify month >= coalesce(
            min(month) filter (where {mau} > 0) over (), max(month) over ()
        )
    """


def tenant_months(viewer: Viewer, tenant_id: str) -> pd.DataFrame:
    """One tenant's months (fct_tenant_monthly_usage) from its first active one, latest first.

    With the plan's price, and the recommended plan's name, limit and price (R14, R15).
    """
    return _query(
        f"""
        select usage.*,
            plans.monthly_price_usd as plan_price_usd,
            recommended.plan_name as recommended_plan_name,
            recommended.mau_limit as recommended_plan_limit,
            recommended.monthly_price_usd as recommended_plan_price_usd
        from marts.fct_tenant_monthly_usage as usage
        left join marts.dim_plans as plans on usage.plan_id = plans.plan_id
        left join marts.dim_plans as recommended
            on usage.recommended_plan_id = recommended.plan_id
        where usage.tenant_id = $tenant_id
        {_from_first_active_month()}
        order by month desc
        """,
        tenant_id=_tenant_scope(viewer, tenant_id),
    )


def tenant_days(viewer: Viewer, tenant_id: str, month: dt.date) -> pd.DataFrame:
    """One tenant's month-to-date curve (fct_tenant_daily_usage), by day."""
    return _query(
        """
        select activity_date, day_of_month, days_in_month, daily_active_persons, new_persons,
            mtd_mau, mau_limit, utilization, status, projected_mau, projected_mau_low,
            projected_mau_high, projected_status, projection_method
        from marts.fct_tenant_daily_usage
        where tenant_id = $tenant_id and month = $month
        order by activity_date
        """,
        tenant_id=_tenant_scope(viewer, tenant_id),
        month=month,
    )


def tenant_alerts(viewer: Viewer, tenant_id: str) -> pd.DataFrame:
    """One tenant's usage alerts (R12, R13), newest first."""
    return _query(
        """
        select month, alert_date, alert_kind, threshold, value, mtd_mau, projected_mau,
            projected_mau_low, projected_mau_high, mau_limit
        from marts.fct_usage_alerts
        where tenant_id = $tenant_id
        order by alert_date desc, threshold desc, alert_kind
        """,
        tenant_id=_tenant_scope(viewer, tenant_id),
    )


def alert_thresholds() -> list[float]:
    """The configured alert thresholds (fractions of the limit), as alerts fire on them."""
    return _query("select threshold from marts.dim_alert_thresholds order by threshold")[
        "threshold"
    ].tolist()


def freshness() -> dict[str, Any] | None:
    """Pipeline freshness (fct_freshness): newest event received and when figures were made."""
    frame = _query("select * from marts.fct_freshness")
    return None if frame.empty else frame.iloc[0].to_dict()


# ---------------------------------------------------------------- the fleet (P4, P5)


def fleet_months(viewer: Viewer) -> list[dt.date]:
    """Months from the fleet's first month with activity on, latest first."""
    _staff_only(viewer)
    frame = _query(
        f"""
        select month from marts.fct_tenant_monthly_usage
        group by month
        {_from_first_active_month("sum(mau)")}
        order by month desc
        """
    )
    return list(frame["month"])


def fleet_usage(viewer: Viewer, month: dt.date) -> pd.DataFrame:
    """Every tenant's row of `month`, highest utilization first (unlimited/no plan last)."""
    _staff_only(viewer)
    return _query(
        """
        select * from marts.fct_tenant_monthly_usage
        where month = $month
        order by utilization desc nulls last, mau desc, tenant_name, tenant_id
        """,
        month=month,
    )


def fleet_alerts(viewer: Viewer, month: dt.date) -> pd.DataFrame:
    """The alert feed of `month`, newest first."""
    _staff_only(viewer)
    return _query(
        """
        select alert_date, tenant_id, tenant_name, alert_kind, threshold, value,
            mtd_mau, projected_mau, projected_mau_low, projected_mau_high, mau_limit, plan_id
        from marts.fct_usage_alerts
        where month = $month
        order by alert_date desc, threshold desc, tenant_name
        """,
        month=month,
    )


def upgrade_outreach(viewer: Viewer, month: dt.date) -> pd.DataFrame:
    """Tenants to contact about an upgrade at their next billing date (R14)."""
    _staff_only(viewer)
    return _query(
        """
        select
            outreach.tenant_id, outreach.tenant_name, outreach.reason, outreach.mau,
            outreach.projected_mau, outreach.projected_mau_low, outreach.projected_mau_high,
            outreach.projected_status, outreach.mau_limit, outreach.overage_mau,
            outreach.plan_id, outreach.is_trial, outreach.next_billing_date,
            outreach.recommended_plan_id, plans.plan_name as recommended_plan_name,
            plans.monthly_price_usd as recommended_plan_price_usd
        from marts.fct_upgrade_outreach as outreach
        left join marts.dim_plans as plans on outreach.recommended_plan_id = plans.plan_id
        where outreach.month = $month
        order by outreach.reason, outreach.overage_mau desc, outreach.projected_mau desc
        """,
        month=month,
    )


# ---------------------------------------------------------------- billing (P6, P10, R15, R16)


def billing_by_month(viewer: Viewer) -> pd.DataFrame:
    """Per month from the first with activity: tenants, amount due, invoice-eligible,
    trial and closed tenants."""
    _staff_only(viewer)
    return _query(
        f"""
        select
            month,
            count(*) as tenants,
            sum(amount_due_usd) as amount_due_usd,
            count(*) filter (where invoice_eligible) as invoice_eligible_tenants,
            count(*) filter (where is_trial) as trial_tenants,
            count(*) filter (where is_closed) as closed_tenants
        from marts.fct_tenant_monthly_usage
        group by month
        {_from_first_active_month("sum(mau)")}
        order by month desc
        """
    )


def billing_month(viewer: Viewer, month: dt.date) -> pd.DataFrame:
    """Every tenant's bill for `month`: amount due and payment-method eligibility."""
    _staff_only(viewer)
    return _query(
        """
        select tenant_id, tenant_name, plan_id, plan_name, is_trial, mau, mau_limit,
            overage_mau, amount_due_usd, invoice_eligible, is_closed, closes_at
        from marts.fct_tenant_monthly_usage
        where month = $month
        order by amount_due_usd desc, tenant_name
        """,
        month=month,
    )


def trials(viewer: Viewer) -> pd.DataFrame:
    """Every trial and its outcome (fct_trial_conversions), ending soonest first."""
    _staff_only(viewer)
    return _query(
        """
        select * from marts.fct_trial_conversions
        order by trial_status = 'in_trial' desc, days_left nulls last, ended_on desc
        """
    )


def month_closes(viewer: Viewer) -> pd.DataFrame:
    """Closed months (R16): how many tenants closed, how, and when."""
    _staff_only(viewer)
    return _query(
        """
        select month, close_kind, count(*) as tenants,
            min(closed_at) as first_closed_at, max(closed_at) as last_closed_at
        from billing.month_closes
        -- The months a picker offers: a close of a month before any activity says nothing.
        where month >= (
            select coalesce(min(month) filter (where mau > 0), max(month))
            from marts.fct_tenant_monthly_usage
        )
        group by month, close_kind
        order by month desc, close_kind
        """
    )


def late_adjustments(viewer: Viewer) -> pd.DataFrame:
    """Events that arrived after their month closed (R16), reported, never restated."""
    _staff_only(viewer)
    return _query(
        """
        select adjustments.month, adjustments.tenant_id, tenants.tenant_name,
            adjustments.close_kind, adjustments.closed_at, adjustments.late_event_count,
            adjustments.late_person_count, adjustments.first_late_loaded_at
        from marts.fct_late_adjustments as adjustments
        left join marts.dim_tenants as tenants using (tenant_id)
        order by adjustments.month desc, adjustments.late_person_count desc
        """
    )


# ---------------------------------------------------------------- data health (R1, R2, R6, R18)


def file_loads(viewer: Viewer) -> pd.DataFrame:
    """Loads by status and kind: files, lines, accepted, duplicates, quarantined."""
    _staff_only(viewer)
    return _query(
        """
        select file_kind, load_status, count(*) as files,
            sum(line_count) as lines, sum(accepted_count) as accepted,
            sum(duplicate_count) as duplicates, sum(quarantined_count) as quarantined,
            -- Only event files split their lines into accepted, duplicate and quarantined
            -- (R1); an account export has no such split, so it cannot be unbalanced.
            count(*) filter (where file_kind = 'events' and not is_balanced) as unbalanced_files,
            max(loaded_at) as last_loaded_at
        from marts.fct_file_loads
        group by file_kind, load_status
        order by file_kind, load_status
        """
    )


def failed_loads(viewer: Viewer) -> pd.DataFrame:
    """Files that could not be read at all, with the loader's error."""
    _staff_only(viewer)
    return _query(
        """
        select file_path, load_error, loaded_at from marts.fct_file_loads
        where load_status <> 'loaded'
        order by loaded_at desc
        """
    )


def quarantine_by_reason(viewer: Viewer) -> pd.DataFrame:
    """Quarantined lines per R1 reason, over every load."""
    _staff_only(viewer)
    return _query(
        """
        select quarantine_reason, sum(quarantined_line_count) as lines, count(*) as files,
            max(loaded_at) as last_loaded_at
        from marts.fct_quarantine_by_reason
        group by quarantine_reason
        order by lines desc
        """
    )


def duplicates(viewer: Viewer) -> pd.DataFrame:
    """R2 duplicate copies per tenant: identical retries and conflicting ones."""
    _staff_only(viewer)
    return _query(
        """
        select tenant_id,
            count(*) filter (where copy_rank > 1) as duplicate_copies,
            count(*) filter (where copy_rank > 1 and is_conflict) as conflicting_copies
        from marts.fct_duplicate_events
        group by tenant_id
        order by duplicate_copies desc, tenant_id
        """
    )


def excluded_traffic(viewer: Viewer, month: dt.date) -> pd.DataFrame:
    """R6 excluded events (bots, previews, internal) of `month`, by reason."""
    _staff_only(viewer)
    return _query(
        """
        select excluded_reason, sum(excluded_event_count) as events,
            sum(excluded_person_count) as persons, count(distinct tenant_id) as tenants
        from marts.fct_excluded_traffic
        where month = $month
        group by excluded_reason
        order by events desc
        """,
        month=month,
    )


def unattributed_usage(viewer: Viewer) -> pd.DataFrame:
    """R18: tenant ids sending events but missing from the tenants export."""
    _staff_only(viewer)
    return _query(
        """
        select tenant_id, utc_month, event_count, mau, first_event_time, last_event_time
        from marts.fct_unattributed_usage
        order by utc_month desc, event_count desc
        """
    )


def check_status(viewer: Viewer) -> dict[str, dict[str, Any]]:
    """The latest outcome of every data-quality suite, written by the last run's checks.

    Read from its own file, not the serving copy: when a blocking check fails nothing
    is published, and this is where the page can still say why.
    """
    _staff_only(viewer)
    try:
        return json.loads(load_settings().check_status_path.read_text())
    except FileNotFoundError:
        return {}
