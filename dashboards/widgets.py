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


def csv_download(frame: pd.DataFrame, label: str, file_name: str, key: str) -> None:
    st.download_button(
        label,
        frame.to_csv(index=False).encode(),
        file_name=file_name,
        mime="text/csv",
        key=key,
        icon=":material/download:",
    )
