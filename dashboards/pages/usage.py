"""MAU by tenant: one month's usage against plan limits (SPEC R8–R12)."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from dashboards import data

# Fixed colours so a status looks the same in every month and on every page.
STATUS_COLOURS = {
    "ok": "#2e7d32",
    "approaching": "#f9a825",
    "over": "#c62828",
    "unlimited": "#1565c0",
    "no_plan": "#9e9e9e",
}


def month_label(month: dt.date) -> str:
    return month.strftime("%B %Y")


def freshness_caption() -> str:
    fresh = data.freshness()
    if fresh is None or fresh["newest_received_at"] is None:
        return "Data as of: no events loaded yet"
    as_of = fresh["newest_received_at"].strftime("%Y-%m-%d %H:%M UTC")
    computed = fresh["measured_at"].strftime("%Y-%m-%d %H:%M UTC")
    return f"Data as of {as_of} (newest event received) · figures computed {computed}"


def usage_chart(usage: pd.DataFrame) -> alt.LayerChart:
    """Horizontal MAU bars per tenant, coloured by status, with the plan limit as a tick."""
    order = usage["tenant_name"].tolist()
    tenant_axis = alt.Y("tenant_name:N", title=None, sort=order, axis=alt.Axis(labelLimit=260))
    tooltip = [
        alt.Tooltip("tenant_name:N", title="Tenant"),
        alt.Tooltip("plan_name:N", title="Plan"),
        alt.Tooltip("mau:Q", title="MAU", format=","),
        alt.Tooltip("mau_limit:Q", title="Limit", format=","),
        alt.Tooltip("utilization:Q", title="Utilization", format=".1%"),
        alt.Tooltip("status:N", title="Status"),
    ]
    base = alt.Chart(usage)
    bars = base.mark_bar().encode(
        x=alt.X("mau:Q", title="MAU"),
        y=tenant_axis,
        color=alt.Color(
            "status:N",
            title="Status",
            scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
            legend=alt.Legend(orient="top"),
        ),
        tooltip=tooltip,
    )
    # Tenants without a plan or with an unlimited one have no limit to draw.
    limits = (
        base.transform_filter("isValid(datum.mau_limit)")
        .mark_tick(color="#212121", thickness=3, size=28)
        .encode(x=alt.X("mau_limit:Q"), y=tenant_axis, tooltip=tooltip)
    )
    # A fixed step per tenant keeps every name on the axis however many are shown.
    return (bars + limits).properties(height=alt.Step(34))


def usage_table(usage: pd.DataFrame) -> None:
    st.dataframe(
        usage[
            [
                "tenant_name",
                "plan_name",
                "is_trial",
                "mau",
                "mau_limit",
                "utilization",
                "status",
                "identified_mau",
                "anonymous_mau",
                "mobile_mau",
                "desktop_mau",
                "tablet_mau",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "tenant_name": st.column_config.TextColumn("Tenant"),
            "plan_name": st.column_config.TextColumn("Plan"),
            "is_trial": st.column_config.CheckboxColumn("Trial"),
            "mau": st.column_config.NumberColumn("MAU", format="localized"),
            "mau_limit": st.column_config.NumberColumn(
                "Limit", format="localized", help="None: unlimited plan or no plan"
            ),
            "utilization": st.column_config.NumberColumn("Utilization", format="percent"),
            "status": st.column_config.TextColumn("Status"),
            "identified_mau": st.column_config.NumberColumn("Identified", format="localized"),
            "anonymous_mau": st.column_config.NumberColumn("Anonymous", format="localized"),
            "mobile_mau": st.column_config.NumberColumn("Mobile", format="localized"),
            "desktop_mau": st.column_config.NumberColumn("Desktop", format="localized"),
            "tablet_mau": st.column_config.NumberColumn("Tablet", format="localized"),
        },
    )


st.title("MAU by tenant")
st.caption(freshness_caption())

months = data.available_months()
if not months:
    st.info("The published figures have no tenant months yet.")
    st.stop()

all_tenants = data.tenants()
tenant_names = dict(zip(all_tenants["tenant_id"], all_tenants["tenant_name"], strict=True))
month_column, tenant_column = st.columns([1, 3])
month = month_column.selectbox("Month", months, format_func=month_label, key="usage_month")
chosen_tenants = tenant_column.multiselect(
    "Tenants",
    list(tenant_names),
    format_func=lambda tenant_id: f"{tenant_names[tenant_id]} ({tenant_id})",
    placeholder="All tenants",
    key="usage_tenants",
)

usage = data.monthly_usage(month, tuple(chosen_tenants))
if usage.empty:
    st.info(f"No usage for the chosen tenants in {month_label(month)}.")
    st.stop()

tenants_column, mau_column, over_column, approaching_column = st.columns(4)
tenants_column.metric("Tenants", f"{len(usage):,}")
mau_column.metric("Total MAU", f"{int(usage['mau'].sum()):,}")
over_column.metric("Over limit", f"{int((usage['status'] == 'over').sum()):,}")
approaching_column.metric("Approaching limit", f"{int((usage['status'] == 'approaching').sum()):,}")

st.subheader(f"MAU and plan limit, {month_label(month)}")
st.caption("Bars: MAU, coloured by status. Black tick: the plan's MAU limit.")
st.altair_chart(usage_chart(usage), width="stretch")

st.subheader("Figures")
usage_table(usage)
