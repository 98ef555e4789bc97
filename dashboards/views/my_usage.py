"""My usage: one tenant's month against its limit, as the customer sees it (P3, P4, P9).

Staff pick any tenant (``?tenant=ID`` links straight to one); a tenant user always
sees their own tenant, and a link to another tenant shows nothing of it (SPEC §7).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import charts, data, widgets
from dashboards.sign_in import signed_in_viewer

viewer = signed_in_viewer()
st.title("My usage")
widgets.freshness_caption()

requested = st.query_params.get("tenant")
if viewer.is_staff:
    tenants = data.visible_tenants(viewer)
    if tenants.empty:
        st.info("The published figures have no tenants yet.")
        st.stop()
    names = dict(zip(tenants["tenant_id"], tenants["tenant_name"], strict=True))
    ids = list(names)
    tenant_id = st.selectbox(
        "Tenant",
        ids,
        index=ids.index(requested) if requested in names else 0,
        format_func=lambda tenant: f"{names[tenant]} ({tenant})",
        key="my_usage_tenant",
    )
    st.query_params["tenant"] = tenant_id
else:
    if requested is not None and requested != viewer.tenant_id:
        st.error("You can only see your own workspace's usage.")
        st.stop()
    tenant_id = viewer.tenant_id

months = data.tenant_months(viewer, tenant_id)
if months.empty:
    st.info("No usage has been counted for this workspace yet.")
    st.stop()

month = widgets.month_picker(list(months["month"]), key="my_usage_month")
row = months[months["month"] == month].iloc[0]
thresholds = data.alert_thresholds()
limit = None if pd.isna(row["mau_limit"]) else float(row["mau_limit"])
# A closed or ended month is final: no projection, no "month to date" (it has ended).
is_open = widgets.is_open(row)
month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()

st.subheader(f"{row['tenant_name']} · {widgets.month_label(month)}")
plan = row["plan_name"] if isinstance(row["plan_name"], str) else "no plan"
st.caption(f"Plan: {plan}{' (trial)' if row['is_trial'] else ''} · {widgets.month_state(row)}")
st.caption(widgets.time_zone(row["billing_timezone"], month_end, is_open))

if is_open and row["projected_status"] in ("approaching", "over"):
    banner = st.error if row["projected_status"] == "over" else st.warning
    banner(widgets.projection_banner(row, month_end), icon=":material/trending_up:")
if row["status"] == "over":
    st.info(widgets.over_limit(row, month_end), icon=":material/info:")

figures = st.columns(4 if is_open else 3)
figures[0].metric("MAU", f"{int(row['mau']):,}", help="Distinct people active in the month")
figures[1].metric("Limit", widgets.limit_words(months.loc[[row.name]]).iloc[0])
figures[2].metric(
    "Utilization", "–" if pd.isna(row["utilization"]) else f"{row['utilization']:.1%}"
)
if is_open:
    figures[3].metric(
        "Projected at month end",
        f"{int(row['projected_mau']):,}",
        help=(
            f"Likely between {int(row['projected_mau_low']):,} and "
            f"{int(row['projected_mau_high']):,}, from how this workspace's months usually grow"
        ),
    )
price_column, due_column, active_column = st.columns(3)
price_column.metric(
    "Plan price",
    "–" if pd.isna(row["plan_price_usd"]) else f"${row['plan_price_usd']:,.2f}",
    help="Per month",
)
due_column.metric(
    "Amount due",
    f"${row['amount_due_usd']:,.2f}",
    help="The plan price for the month (nothing for a trial month); overage is not billed",
)
active_column.metric(
    "Active rate",
    "–" if pd.isna(row["active_rate"]) else f"{row['active_rate']:.1%}",
    help="People active this month among every user the workspace has ever had",
)
projection = (
    (int(row["projected_mau"]), int(row["projected_mau_low"]), int(row["projected_mau_high"]))
    if is_open
    else None
)
st.altair_chart(charts.limit_gauge(int(row["mau"]), limit, thresholds, projection), width="stretch")

st.subheader("Month to date" if is_open else "Day by day")
days = data.tenant_days(viewer, tenant_id, month)
if days.empty:
    st.info("No active day in this month yet.")
else:
    st.caption(
        "Solid blue: MAU from the 1st to each day. "
        + (
            "Dashed purple: projection to month end, the shaded band its likely range. "
            if is_open
            else ""
        )
        + "Orange dashes: alert thresholds; black: the plan limit."
    )
    st.altair_chart(
        charts.mtd_curve(days, month_end, limit, thresholds, projected=is_open), width="stretch"
    )

history_column, devices_column = st.columns([2, 1])
with history_column:
    st.subheader("Last 12 months")
    history = months[months["month"] <= month].head(12)
    st.altair_chart(charts.monthly_history(history), width="stretch")
with devices_column:
    st.subheader("Devices")
    st.caption("A person active on phone and desktop counts in both.")
    st.altair_chart(charts.device_segments(row), width="stretch")
    identified, anonymous = st.columns(2)
    identified.metric("Identified", f"{int(row['identified_mau']):,}")
    anonymous.metric("Anonymous", f"{int(row['anonymous_mau']):,}")

st.subheader("Alerts")
alerts = data.tenant_alerts(viewer, tenant_id)
if alerts.empty:
    st.caption("No usage alert so far.")
else:
    widgets.alerts_table(alerts)

st.subheader("Download")
months_column, days_column = st.columns(2)
with months_column:
    widgets.csv_download(
        months, "Every month (CSV)", f"usage-{tenant_id}-months.csv", "my_usage_months_csv"
    )
with days_column:
    widgets.csv_download(
        days,
        f"Days of {widgets.month_label(month)} (CSV)",
        f"usage-{tenant_id}-{month:%Y-%m}-days.csv",
        "my_usage_days_csv",
    )
