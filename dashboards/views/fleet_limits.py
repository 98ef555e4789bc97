"""Fleet limits (staff): every tenant by utilization, the alert feed and upgrade outreach.

Nothing is ever cut off (P5): tenants over their limit, or whose open month is projected
over it (R13: the projection's low bound), are contacted at their next billing date with
the cheapest plan that covers them (R14).
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
    format_func=charts.STATUS_WORDS.__getitem__,
    placeholder="Every status",
    key="fleet_statuses",
)
trials_only = trial_column.toggle("Trials only", key="fleet_trials_only")

usage = data.fleet_usage(viewer, month)
if statuses:
    usage = usage[usage["status"].isin(statuses)]
if trials_only:
    usage = usage[usage["is_trial"]]


def count(column: str, status: str) -> str:
    return f"{int((usage[column] == status).sum()):,}"


# Where each tenant stands so far, and under it where the open month is heading (R13:
# judged on the projection's low bound, so a day-1 guess does not count).
tenants_column, mau_column, over_column, approaching_column = st.columns(4)
tenants_column.metric("Tenants", f"{len(usage):,}")
mau_column.metric("Total MAU", f"{int(usage['mau'].sum()):,}")
over_column.metric("Over limit", count("status", "over"))
approaching_column.metric("Approaching limit", count("status", "approaching"))
_, _, projected_over_column, projected_approaching_column = st.columns(4)
projected_over_column.metric(
    "Projected over",
    count("projected_status", "over"),
    help="Open months whose projection, even at its low end, passes the limit",
)
projected_approaching_column.metric(
    "Projected to approach",
    count("projected_status", "approaching"),
    help="Open months whose projection, even at its low end, reaches 80 % of the limit",
)

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
            "plan_id",
            "plan_name",
            "is_trial",
            "mau",
            "mau_limit",
            "utilization",
            "status",
            "projected_status",
            "projected_mau",
            "overage_mau",
        ]
    ]
    # The projection with its range: a point figure alone reads as a promise on day 2.
    widgets.table(
        table.assign(projected_mau=widgets.projected_range(usage, likely="")),
        plan_id=None,
        projected_mau=st.column_config.TextColumn("Projected", help=widgets.PROJECTED_HELP),
    )
    widgets.csv_download(table, "Download tenants (CSV)", f"tenants-{month:%Y-%m}.csv", "fleet_csv")

st.subheader("Upgrade outreach")
st.caption(
    "Over the limit, or projected over it (the same rule as the projected count above): "
    "contact at the next billing date (R14)."
)
outreach = data.upgrade_outreach(viewer, month)
if outreach.empty:
    st.caption("No tenant to contact for this month.")
else:
    widgets.table(
        outreach.assign(
            reason=outreach["reason"].map(widgets.REASON_WORDS),
            projected_mau=widgets.projected_range(outreach, likely=""),
        ).drop(columns=["projected_mau_low", "projected_mau_high"]),
        projected_mau=st.column_config.TextColumn("Projected", help=widgets.PROJECTED_HELP),
        # The names say it; ids would push the table wider than the page.
        plan_id=None,
        recommended_plan_id=None,
    )
    widgets.csv_download(
        outreach, "Download outreach list (CSV)", f"outreach-{month:%Y-%m}.csv", "outreach_csv"
    )

st.subheader("Alert feed")
alerts = data.fleet_alerts(viewer, month)
if alerts.empty:
    st.caption("No alert fired this month.")
else:
    widgets.table(
        alerts.assign(
            alert_kind=alerts["alert_kind"].map(widgets.ALERT_WORDS),
            projected_mau=widgets.projected_range(alerts, likely=""),
        ).drop(columns=["projected_mau_low", "projected_mau_high"]),
        projected_mau=st.column_config.TextColumn(
            "Projected that day", help=widgets.PROJECTED_HELP
        ),
        plan_id=None,
    )
