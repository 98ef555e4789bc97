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

st.subheader(f"{row['tenant_name']} · {widgets.month_label(month)}")
plan = row["plan_name"] if isinstance(row["plan_name"], str) else "no plan"
st.caption(f"Plan: {plan}{' (trial)' if row['is_trial'] else ''} · {widgets.month_state(row)}")
mau_column, limit_column, utilization_column, projected_column, active_column = st.columns(5)
mau_column.metric("MAU", f"{int(row['mau']):,}")
limit_column.metric("Limit", "unlimited" if limit is None else f"{int(limit):,}")
utilization_column.metric(
    "Utilization", "–" if pd.isna(row["utilization"]) else f"{row['utilization']:.1%}"
)
projected_column.metric("Projected at month end", f"{int(row['projected_mau']):,}")
active_column.metric(
    "Active rate",
    "–" if pd.isna(row["active_rate"]) else f"{row['active_rate']:.1%}",
    help="MAU among the workspace's known users (R10)",
)
st.altair_chart(
    charts.limit_gauge(int(row["mau"]), int(row["projected_mau"]), limit, thresholds),
    width="stretch",
)

st.subheader("Month to date")
days = data.tenant_days(viewer, tenant_id, month)
if days.empty:
    st.info("No active day in this month yet.")
else:
    month_end = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    st.caption(
        "Solid: MAU so far. Dashed purple: projection to month end (R13). "
        "Dashed orange: alert thresholds."
    )
    st.altair_chart(charts.mtd_curve(days, month_end, limit, thresholds), width="stretch")

history_column, devices_column = st.columns([2, 1])
with history_column:
    st.subheader("Last 12 months")
    history = months[months["month"] <= month].head(12)
    st.altair_chart(charts.monthly_history(history), width="stretch")
with devices_column:
    st.subheader("Devices")
    st.caption("A person active on phone and desktop counts in both (R9).")
    st.altair_chart(charts.device_segments(row), width="stretch")
    identified, anonymous = st.columns(2)
    identified.metric("Identified", f"{int(row['identified_mau']):,}")
    anonymous.metric("Anonymous", f"{int(row['anonymous_mau']):,}")

st.subheader("Alerts")
alerts = data.tenant_alerts(viewer, tenant_id)
if alerts.empty:
    st.caption("No usage alert so far.")
else:
    widgets.table(alerts, projected_mau=widgets.number("Projected that day"))
