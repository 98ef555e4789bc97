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
                "checked_at": pd.Timestamp(outcome["checked_at"]),
                "expectations": outcome["evaluated"],
                "failures": "; ".join(
                    str(failure.get("description") or failure.get("expectation"))
                    for failure in outcome["failures"]
                ),
            }
            for suite, outcome in sorted(status.items())
        ]
    )
    widgets.table(
        checks,
        suite=st.column_config.TextColumn("Suite"),
        passed=st.column_config.CheckboxColumn("Passed"),
        checked_at=st.column_config.DatetimeColumn(
            "Checked (UTC)", format=widgets.DATETIME_FORMAT, timezone="UTC"
        ),
        expectations=widgets.number("Expectations"),
        failures=st.column_config.TextColumn("Failures"),
    )

if data.serving_version() is None:
    st.info(widgets.NOT_PUBLISHED)
    st.stop()

st.subheader("Freshness")
fresh = data.freshness()
if fresh is None or pd.isna(fresh["newest_received_at"]):
    st.caption("No events loaded yet.")
else:
    # Two by two: a date and time must fit its column whole, on a laptop as on a phone.
    lag_column, events_column = st.columns(2)
    lag_column.metric("Hours since newest event", f"{fresh['hours_since_newest_received_at']:.1f}")
    events_column.metric("Events counted", f"{int(fresh['event_count']):,}")
    received_column, loaded_column = st.columns(2)
    received_column.metric(
        "Newest event received (UTC)", fresh["newest_received_at"].strftime(widgets.TIME_TEXT)
    )
    loaded_column.metric("Last load (UTC)", fresh["newest_loaded_at"].strftime(widgets.TIME_TEXT))
    widgets.freshness_caption()

st.subheader("Files loaded")
widgets.table(
    data.file_loads(viewer),
    file_kind=st.column_config.TextColumn("Kind"),
    load_status=st.column_config.TextColumn("Load"),
    files=widgets.number("Files"),
    lines=widgets.number("Lines"),
    accepted=widgets.number("Accepted"),
    duplicates=widgets.number("Duplicates"),
    quarantined=widgets.number("Quarantined"),
    unbalanced_files=widgets.number(
        "Unbalanced files",
        help="Event files whose lines do not add up to accepted + duplicates + quarantined. "
        "Account exports have no such split and are never counted here.",
    ),
)
failed_loads = data.failed_loads(viewer)
if not failed_loads.empty:
    st.warning(f"{len(failed_loads)} file(s) could not be read")
    widgets.table(
        failed_loads,
        file_path=st.column_config.TextColumn("File"),
        load_error=st.column_config.TextColumn("Error"),
    )

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
        widgets.table(
            quarantine,
            quarantine_reason=st.column_config.TextColumn("Reason"),
            lines=widgets.number("Lines"),
            files=widgets.number("Files"),
        )
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
    widgets.table(
        duplicates,
        duplicate_copies=widgets.number("Duplicate copies"),
        conflicting_copies=widgets.number("Conflicting copies"),
    )

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
        widgets.table(
            excluded,
            excluded_reason=st.column_config.TextColumn("Reason"),
            events=widgets.number("Events"),
            persons=widgets.number("People"),
            tenants=widgets.number("Tenants"),
        )

st.subheader("Unattributed tenants")
st.caption("Tenant ids that send events but are missing from the tenants export (R18).")
unattributed = data.unattributed_usage(viewer)
if unattributed.empty:
    st.caption("None.")
else:
    widgets.table(
        unattributed,
        utc_month=st.column_config.DateColumn("Month (UTC)", format="MMM YYYY"),
        event_count=widgets.number("Events"),
        mau=widgets.number("MAU", help="Counted once the tenant is in the tenants export"),
        first_event_time=st.column_config.DatetimeColumn(
            "First event (UTC)", format=widgets.DATETIME_FORMAT
        ),
        last_event_time=st.column_config.DatetimeColumn(
            "Last event (UTC)", format=widgets.DATETIME_FORMAT
        ),
    )
