"""Fleet limits (staff): every tenant by utilization, the alert feed and upgrade outreach.

Nothing is ever cut off (P5): tenants over their limit are contacted at their next
billing date with the cheapest plan that covers them (R14).
"""

from __future__ import annotations

import streamlit as st

from dashboards import charts, data, widgets
from dashboards.sign_in import signed_in_viewer

# The chart stays readable with 1,000 tenants; the table below holds every one.
CHART_TENANTS = 40

viewer = signed_in_viewer(staff_only=True)
st.title("Fleet limits")
widgets.freshness_caption()

months = data.fleet_months(viewer)
if not months:
    st.info("The published figures have no tenant months yet.")
    st.stop()

month_column, status_column, trial_column = st.columns([1, 2, 1])
with month_column:
    month = widgets.month_picker(months, key="fleet_month")
statuses = status_column.multiselect(
    "Status",
    list(charts.STATUS_COLOURS),
    placeholder="Every status",
    key="fleet_statuses",
)
trials_only = trial_column.toggle("Trials only", key="fleet_trials_only")

usage = data.fleet_usage(viewer, month)
if statuses:
    usage = usage[usage["status"].isin(statuses)]
if trials_only:
    usage = usage[usage["is_trial"]]

tenants_column, mau_column, over_column, approaching_column = st.columns(4)
tenants_column.metric("Tenants", f"{len(usage):,}")
mau_column.metric("Total MAU", f"{int(usage['mau'].sum()):,}")
over_column.metric("Over limit", f"{int((usage['status'] == 'over').sum()):,}")
approaching_column.metric("Approaching limit", f"{int((usage['status'] == 'approaching').sum()):,}")

if usage.empty:
    st.info(f"No tenant matches these filters in {widgets.month_label(month)}.")
else:
    limited = usage.dropna(subset=["utilization"]).head(CHART_TENANTS)
    if not limited.empty:
        st.subheader(f"Utilization, {widgets.month_label(month)}")
        st.caption(f"The {len(limited)} most utilized tenants with a limited plan.")
        st.altair_chart(charts.utilization_bars(limited), width="stretch")
    st.subheader("Every tenant")
    table = usage[
        [
            "tenant_id",
            "tenant_name",
            "plan_name",
            "is_trial",
            "mau",
            "mau_limit",
            "utilization",
            "status",
            "projected_mau",
            "overage_mau",
        ]
    ]
    widgets.table(table)
    widgets.csv_download(table, "Download tenants (CSV)", f"tenants-{month:%Y-%m}.csv", "fleet_csv")

st.subheader("Upgrade outreach")
st.caption("Over the limit or projected over it: contact at the next billing date (R14).")
outreach = data.upgrade_outreach(viewer, month)
if outreach.empty:
    st.caption("No tenant to contact for this month.")
else:
    widgets.table(outreach)
    widgets.csv_download(
        outreach, "Download outreach list (CSV)", f"outreach-{month:%Y-%m}.csv", "outreach_csv"
    )

st.subheader("Alert feed")
alerts = data.fleet_alerts(viewer, month)
if alerts.empty:
    st.caption("No alert fired this month.")
else:
    widgets.table(alerts, projected_mau=widgets.number("Projected that day"))
