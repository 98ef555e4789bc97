"""Billing (staff): amounts due, invoice eligibility, trials, closes and late data.

Amounts come from the usage mart (R15): a paid month owes its plan's price, a trial
month nothing; totals above the invoice threshold may be paid by invoice or bank
transfer (P10). Closed months are frozen (R16); later events are reported as late
adjustments, never restated.
"""

from __future__ import annotations

import streamlit as st

from dashboards import charts, data, widgets
from dashboards.sign_in import signed_in_viewer

viewer = signed_in_viewer(staff_only=True)
st.title("Billing")
widgets.freshness_caption()

by_month = data.billing_by_month(viewer)
if by_month.empty:
    st.info("The published figures have no tenant months yet.")
    st.stop()

st.subheader("Amount due by month")
st.altair_chart(charts.amounts_by_month(by_month), width="stretch")

month = widgets.month_picker(list(by_month["month"]), key="billing_month")
summary = by_month[by_month["month"] == month].iloc[0]
due_column, eligible_column, trial_column, closed_column = st.columns(4)
due_column.metric("Amount due", f"${summary['amount_due_usd']:,.2f}")
eligible_column.metric("Invoice-eligible tenants", f"{int(summary['invoice_eligible_tenants']):,}")
trial_column.metric("Tenants on trial", f"{int(summary['trial_tenants']):,}")
closed_column.metric(
    "Closed tenants", f"{int(summary['closed_tenants']):,} of {int(summary['tenants']):,}"
)

bills = data.billing_month(viewer, month)
if st.toggle("Invoice-eligible only", key="billing_invoice_only"):
    bills = bills[bills["invoice_eligible"]]
widgets.table(bills, plan_id=None)
widgets.csv_download(bills, "Download bills (CSV)", f"bills-{month:%Y-%m}.csv", "bills_csv")

st.subheader("Trials ending and converting")
trials = data.trials(viewer)
if trials.empty:
    st.caption("No trial in the subscriptions export.")
else:
    counts = trials["trial_status"].value_counts()
    columns = st.columns(4)
    for column, status in zip(
        columns, ["in_trial", "converting", "converted", "lapsed"], strict=True
    ):
        column.metric(status.replace("_", " ").capitalize(), f"{int(counts.get(status, 0)):,}")
    widgets.trials_table(trials)

st.subheader("Closed months")
closes = data.month_closes(viewer)
if closes.empty:
    st.caption("No month has closed yet.")
else:
    widgets.table(closes)

st.subheader("Late adjustments")
late = data.late_adjustments(viewer)
if late.empty:
    st.caption("No event arrived after its month closed.")
else:
    widgets.table(
        late,
        late_event_count=widgets.number(
            "Late events", help="Events of the month loaded after it closed"
        ),
        late_person_count=widgets.number(
            "People it would add", help="Reported, never added: the closed bill stands"
        ),
        first_late_loaded_at=st.column_config.DatetimeColumn(
            "First late load (UTC)", format=widgets.DATETIME_FORMAT
        ),
    )
