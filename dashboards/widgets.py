"""Small UI pieces every page uses: month labels, freshness, column formats, CSV export."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboards import data

MAU_FORMAT = "localized"
NOT_PUBLISHED = "No published figures yet: run `mau run` or `mau demo`"


def month_label(month: dt.date) -> str:
    return month.strftime("%B %Y")


def freshness_caption() -> None:
    """ "Data as of": when the newest event arrived and when the figures were computed (P3)."""
    fresh = data.freshness()
    if fresh is None or pd.isna(fresh["newest_received_at"]):
        st.caption("Data as of: no events loaded yet")
        return
    as_of = fresh["newest_received_at"].strftime("%Y-%m-%d %H:%M UTC")
    computed = fresh["measured_at"].strftime("%Y-%m-%d %H:%M UTC")
    st.caption(f"Data as of {as_of} (newest event received) · figures computed {computed}")


def month_state(row: pd.Series) -> str:
    """Where a tenant-month stands in its close (R16), from its usage-mart row."""
    if row["is_closed"]:
        return "closed, figures final"
    now = pd.Timestamp.now(tz="UTC")
    # The UTC month edge is close enough for a label; closes_at has the tenant's zone.
    if now < pd.Timestamp(row["month"], tz="UTC") + pd.offsets.MonthBegin(1):
        return "open, month to date"
    if now < row["closes_at"]:
        return f"ended, closes {row['closes_at']:%Y-%m-%d %H:%M} UTC"
    return "ended, closes at the next run"


def month_picker(months: list[dt.date], key: str) -> dt.date:
    return st.selectbox("Month", months, format_func=month_label, key=key)


def number(label: str, help: str | None = None) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format=MAU_FORMAT, help=help)


def money(label: str) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format="dollar")


def _columns() -> dict[str, object]:
    """How every mart column that appears in more than one table is shown, in one place."""
    text, date, flag = (
        st.column_config.TextColumn,
        st.column_config.DateColumn,
        st.column_config.CheckboxColumn,
    )
    return {
        "tenant_id": text("Tenant id"),
        "tenant_name": text("Tenant"),
        "plan_id": text("Plan id"),
        "plan_name": text("Plan"),
        "is_trial": flag("Trial"),
        "is_closed": flag("Closed"),
        "month": date("Month", format="MMM YYYY"),
        "mau": number("MAU"),
        "mau_limit": number("Limit", help="None: unlimited plan or no plan"),
        "utilization": st.column_config.NumberColumn("Utilization", format="percent"),
        "status": text("Status"),
        "projected_mau": number("Projected"),
        "overage_mau": number("Overage"),
        "amount_due_usd": money("Amount due"),
        "invoice_eligible": flag("Invoice / transfer"),
        "closes_at": st.column_config.DatetimeColumn("Closes at (UTC)"),
        "alert_date": date("Day"),
        "alert_kind": text("Kind"),
        "threshold": st.column_config.NumberColumn("Threshold", format="percent"),
        "value": number("Figure"),
        "mtd_mau": number("MAU that day"),
        "reason": text("Reason"),
        "next_billing_date": date("Next billing date"),
        "recommended_plan_id": text("Recommended plan id"),
        "recommended_plan_name": text("Recommended plan"),
        "recommended_plan_price_usd": money("Its price"),
        "trial_plan_id": text("Trial plan"),
        "started_on": date("Started"),
        "ended_on": date("Ends / ended"),
        "trial_status": text("Status"),
        "days_left": st.column_config.NumberColumn("Days left"),
        "converted_plan_id": text("Paid plan"),
        "converted_on": date("Paid from"),
        "close_kind": text("How"),
        "tenants": number("Tenants"),
        "first_closed_at": st.column_config.DatetimeColumn("First closed (UTC)"),
        "last_closed_at": st.column_config.DatetimeColumn("Last closed (UTC)"),
    }


def table(frame: pd.DataFrame, **labels: object) -> None:
    """A full-width table with the shared column formats; `labels` override per table."""
    config = {**_columns(), **labels}
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={name: config[name] for name in frame.columns if name in config},
    )


def csv_download(frame: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    st.download_button(
        label,
        frame.to_csv(index=False).encode(),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )
