"""Data health (staff): is the pipeline fresh, is every line accounted for, did checks pass?

Covers freshness, R1 quarantine, R2 duplicates and conflicts, R6 excluded traffic,
R18 unattributed tenants and the last run's data-quality checks (SPEC §7).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, data, widgets
from dashboards.sign_in import signed_in_viewer

viewer = signed_in_viewer(staff_only=True)
st.title("Data health")

st.subheader("Last run's checks")
status = data.check_status(viewer)
if not status:
    st.caption("No data-quality check has run yet.")
else:
    failed = sorted(suite for suite, outcome in status.items() if not outcome["passed"])
    if failed:
        st.error(
            f"{len(failed)} blocking check(s) failed: {', '.join(failed)}. "
            "Nothing was published; the figures below are the previous run's."
        )
    else:
        st.success(f"All {len(status)} data-quality suites passed.")
    checks = pd.DataFrame(
        [
            {
                "suite": suite,
                "passed": outcome["passed"],
                "checked_at": outcome["checked_at"],
                "expectations": outcome["evaluated"],
                "failures": "; ".join(
                    str(failure.get("description") or failure.get("expectation"))
                    for failure in outcome["failures"]
                ),
            }
            for suite, outcome in sorted(status.items())
        ]
    )
    st.dataframe(checks, hide_index=True, width="stretch")

if data.serving_version() is None:
    st.info(widgets.NOT_PUBLISHED)
    st.stop()

st.subheader("Freshness")
fresh = data.freshness()
if fresh is None or pd.isna(fresh["newest_received_at"]):
    st.caption("No events loaded yet.")
else:
    lag_column, received_column, loaded_column, events_column = st.columns(4)
    lag_column.metric("Hours since newest event", f"{fresh['hours_since_newest_received_at']:.1f}")
    received_column.metric("Newest event received", f"{fresh['newest_received_at']:%Y-%m-%d %H:%M}")
    loaded_column.metric("Last load", f"{fresh['newest_loaded_at']:%Y-%m-%d %H:%M}")
    events_column.metric("Events counted", f"{int(fresh['event_count']):,}")
    widgets.freshness_caption()

st.subheader("Files loaded")
st.dataframe(data.file_loads(viewer), hide_index=True, width="stretch")
failed_loads = data.failed_loads(viewer)
if not failed_loads.empty:
    st.warning(f"{len(failed_loads)} file(s) could not be read")
    st.dataframe(failed_loads, hide_index=True, width="stretch")

quarantine_column, duplicates_column = st.columns(2)
with quarantine_column:
    st.subheader("Quarantine by reason")
    quarantine = data.quarantine_by_reason(viewer)
    if quarantine.empty:
        st.caption("No line quarantined.")
    else:
        st.altair_chart(
            charts.counts_by(quarantine, "quarantine_reason", "lines", "Lines"), width="stretch"
        )
        st.dataframe(quarantine, hide_index=True, width="stretch")
with duplicates_column:
    st.subheader("Duplicates and conflicts")
    duplicates = data.duplicates(viewer)
    copies_column, conflicts_column = st.columns(2)
    copies_column.metric("Duplicate copies", f"{int(duplicates['duplicate_copies'].sum()):,}")
    conflicts_column.metric(
        "Conflicting copies",
        f"{int(duplicates['conflicting_copies'].sum()):,}",
        help="Same event id, different content: the earliest received copy counts (R2)",
    )
    st.dataframe(duplicates, hide_index=True, width="stretch")

st.subheader("Excluded traffic")
months = data.fleet_months(viewer)
if months:
    month = widgets.month_picker(months, key="health_month")
    excluded = data.excluded_traffic(viewer, month)
    if excluded.empty:
        st.caption("No event excluded this month.")
    else:
        st.altair_chart(
            charts.counts_by(excluded, "excluded_reason", "events", "Events"), width="stretch"
        )
        st.dataframe(excluded, hide_index=True, width="stretch")

st.subheader("Unattributed tenants")
st.caption("Tenant ids that send events but are missing from the tenants export (R18).")
unattributed = data.unattributed_usage(viewer)
if unattributed.empty:
    st.caption("None.")
else:
    st.dataframe(unattributed, hide_index=True, width="stretch")
