"""All data access of the dashboards: cached, parameterized reads of the serving database.

Only the published ``serving.duckdb`` is read, never the writer's warehouse (SPEC §7):
the pipeline replaces it atomically after each successful run. Every query opens its
own short-lived read-only connection so that a newly swapped-in file is picked up, and
every cached result is keyed on the file's path and modification time as well as the
query parameters, so a new publish (or another MAU_HOME) never serves stale figures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from mau_warehouse.config import load_settings

# Short enough that an unchanged file is re-checked often; the mtime key does the rest.
CACHE_TTL_SECONDS = 60


def serving_path() -> str:
    """Where the published figures of the current MAU_HOME live."""
    return str(load_settings().serving_path)


def serving_version() -> int | None:
    """Modification time of the published file (part of every cache key); None before one."""
    try:
        return load_settings().serving_path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def _connect(path: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path, read_only=True)
    # Timestamps are shown in UTC whatever the machine's zone.
    con.execute("set TimeZone = 'UTC'")
    return con


def _query(path: str, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    with _connect(path) as con:
        return con.execute(sql, params or {}).df()


def _cache_key() -> tuple[str, int | None]:
    return serving_path(), serving_version()


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _months(path: str, version: int | None) -> list[dt.date]:
    frame = _query(
        path, "select distinct month from marts.fct_tenant_monthly_usage order by month desc"
    )
    return [month.date() for month in frame["month"]]


def available_months() -> list[dt.date]:
    """Months present in the usage mart, latest first."""
    return _months(*_cache_key())


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _tenants(path: str, version: int | None) -> pd.DataFrame:
    # A tenant's name can change between exports: show the one of its latest month.
    return _query(
        path,
        """
        select tenant_id, arg_max(tenant_name, month) as tenant_name
        from marts.fct_tenant_monthly_usage
        group by tenant_id
        order by tenant_name, tenant_id
        """,
    )


def tenants() -> pd.DataFrame:
    """Every tenant with a row in the usage mart: tenant_id, tenant_name (sorted by name)."""
    return _tenants(*_cache_key())


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _monthly_usage(
    path: str, version: int | None, month: dt.date, tenant_ids: tuple[str, ...]
) -> pd.DataFrame:
    return _query(
        path,
        """
        select
            tenant_id, tenant_name, plan_id, plan_name, is_trial, mau, mau_limit,
            utilization, status, identified_mau, anonymous_mau,
            mobile_mau, desktop_mau, tablet_mau, overage_mau
        from marts.fct_tenant_monthly_usage
        where month = $month
          and (len($tenant_ids) = 0 or list_contains($tenant_ids, tenant_id))
        order by mau desc, tenant_name, tenant_id
        """,
        {"month": month, "tenant_ids": list(tenant_ids)},
    )


def monthly_usage(month: dt.date, tenant_ids: tuple[str, ...] = ()) -> pd.DataFrame:
    """One row per tenant for `month` (all tenants when `tenant_ids` is empty), largest first."""
    return _monthly_usage(*_cache_key(), month, tuple(sorted(tenant_ids)))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _freshness(path: str, version: int | None) -> dict[str, dt.datetime | None] | None:
    # Fetched as Python values: DuckDB's pandas conversion of time-zoned timestamps warns.
    with _connect(path) as con:
        cursor = con.execute(
            "select measured_at, newest_received_at, newest_event_time from marts.fct_freshness"
        )
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    return None if row is None else dict(zip(names, row, strict=True))


def freshness() -> dict[str, dt.datetime | None] | None:
    """measured_at, newest_received_at, newest_event_time (UTC datetimes or None)."""
    return _freshness(*_cache_key())
