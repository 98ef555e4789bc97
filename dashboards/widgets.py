"""Small UI pieces every page uses: month labels, freshness, column formats, CSV export."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboards import charts, data

MAU_FORMAT = "localized"
NOT_PUBLISHED = "No published figures yet: run `mau run` or `mau demo`"
# One style for every date and time a page shows, in tables as in text.
DATE_FORMAT = "D MMM YYYY"
DATETIME_FORMAT = "D MMM YYYY, HH:mm"
TIME_TEXT = "%-d %b %Y, %H:%M"

ALERT_WORDS = {
    "threshold_reached": "Reached",
    "projected_to_exceed": "On track to exceed",
}
REASON_WORDS = {
    "over_limit": "Over limit",
    "projected_over_limit": "Projected over",
}
PROJECTED_HELP = "MAU expected at month end; in brackets, its likely range while the month is open"


def month_label(month: dt.date) -> str:
    return month.strftime("%B %Y")


def day_label(day: dt.date) -> str:
    """A day in a sentence: "1 January 2027"."""
    return f"{day.day} {day:%B %Y}"


def day_cell(day: object) -> str:
    """A day in a table, as DATE_FORMAT writes it ("1 Jan 2027"); a dash for none."""
    return "–" if pd.isna(day) else f"{day.day} {day:%b %Y}"


def freshness_caption() -> None:
    """ "Data as of": when the newest event arrived and when the figures were computed (P3)."""
    fresh = data.freshness()
    if fresh is None or pd.isna(fresh["newest_received_at"]):
        st.caption("Data as of: no events loaded yet")
        return
    as_of = fresh["newest_received_at"].strftime(TIME_TEXT)
    computed = fresh["measured_at"].strftime(TIME_TEXT)
    st.caption(f"Data as of {as_of} UTC (newest event received) · figures computed {computed} UTC")


def is_open(row: pd.Series) -> bool:
    """The month has not ended in the tenant's zone: the mart projects only such months."""
    return not row["is_closed"] and pd.notna(row["projected_status"])


def month_state(row: pd.Series) -> str:
    """Where a tenant-month stands in its close (R16), from its usage-mart row."""
    if row["is_closed"]:
        return "closed, figures final"
    if is_open(row):
        return "open, month to date"
    if pd.Timestamp.now(tz="UTC") < row["closes_at"]:
        return f"ended, closes {row['closes_at'].strftime(TIME_TEXT)} UTC"
    return "ended, closes at the next run"


def month_picker(months: list[dt.date], key: str) -> dt.date:
    return st.selectbox("Month", months, format_func=month_label, key=key)


def number(label: str, help: str | None = None) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format=MAU_FORMAT, help=help)


def money(label: str, help: str | None = None) -> st.column_config.NumberColumn:
    return st.column_config.NumberColumn(label, format="dollar", help=help)


def percent_text(value: float) -> str:
    """A share as every page writes it, "85.1%" (a dash when there is no limit to share)."""
    return "–" if pd.isna(value) else f"{value:.1%}"


def limit_words(frame: pd.DataFrame) -> pd.Series:
    """The plan limit as words: a number, "Unlimited" for a plan without one, "No plan"."""
    plans = frame["plan_id"] if "plan_id" in frame else pd.Series("plan", index=frame.index)
    return pd.Series(
        [
            f"{int(limit):,}" if pd.notna(limit) else ("Unlimited" if pd.notna(plan) else "No plan")
            for limit, plan in zip(frame["mau_limit"], plans, strict=True)
        ],
        index=frame.index,
        dtype="object",
    )


def status_labels(frame: pd.DataFrame) -> pd.Series:
    """Each row's status, and where its projection is heading when that is worse (R13)."""
    projected = frame.get("projected_status", pd.Series(None, index=frame.index))
    labels = []
    for status, heading in zip(frame["status"], projected, strict=True):
        worse = charts.outlook(status, heading)
        labels.append([status] if worse == status else [status, worse])
    return pd.Series(labels, index=frame.index, dtype="object")


def projected_range(frame: pd.DataFrame, likely: str = "likely ") -> pd.Series:
    """The projection with its likely range ("5,441 (likely 4,900–6,100)"); once a month
    has ended its three figures are its MAU, shown once. Staff tables, where width is
    short, pass `likely=""` and say it in the column's help."""

    def text(mau: int, low: int, high: int) -> str:
        if low == high:
            return f"{mau:,}"
        return f"{mau:,} ({likely}{low:,}–{high:,})"

    return pd.Series(
        [
            text(int(mau), int(low), int(high))
            for mau, low, high in zip(
                frame["projected_mau"],
                frame["projected_mau_low"],
                frame["projected_mau_high"],
                strict=True,
            )
        ],
        index=frame.index,
        dtype="object",
    )


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as people read it: percentages, limits and statuses in words.

    Streamlit writes "None" in an empty cell, so a missing limit says why instead and a
    missing share is a dash; shares are written as in metrics and charts ("85.1%"); a
    status carries its projection as a second coloured label. CSV exports keep the
    mart's own values.
    """
    frame = frame.copy()
    for column in ("utilization", "threshold"):
        if column in frame:
            frame[column] = frame[column].map(percent_text)
    if "mau_limit" in frame:
        frame["mau_limit"] = limit_words(frame)
    if "status" in frame:
        frame["status"] = status_labels(frame)
    return frame.drop(columns=["projected_status"], errors="ignore")


def status_column(label: str = "Status", help: str | None = None) -> object:
    return st.column_config.MultiselectColumn(
        label,
        options=list(charts.STATUS_WORDS),
        color=[charts.OUTLOOK_COLOURS[status] for status in charts.STATUS_WORDS],
        format_func=charts.STATUS_WORDS.__getitem__,
        help=help,
        # Wide enough for two labels side by side, "OK" and "Projected over".
        width=160,
    )


def _columns() -> dict[str, object]:
    """How every mart column that appears in more than one table is shown, in one place."""
    text, date, flag, when = (
        st.column_config.TextColumn,
        st.column_config.DateColumn,
        st.column_config.CheckboxColumn,
        st.column_config.DatetimeColumn,
    )
    return {
        "tenant_id": text("Tenant id"),
        "tenant_name": text("Tenant"),
        "plan_id": text("Plan id"),
        "plan_name": text("Plan"),
        "is_trial": flag("Trial"),
        "is_closed": flag("Closed", help="Closed months are final: their figures never change"),
        "month": date("Month", format="MMM YYYY"),
        "mau": number("MAU", help="Distinct people active in the month"),
        "mau_limit": text("Limit", help="MAU included in the plan", alignment="right"),
        # Shares and limits are text (see `shown`), aligned as the numbers they are.
        "utilization": text(
            "Utilization", help="MAU as a share of the plan limit", alignment="right"
        ),
        "status": status_column(help="Against the limit so far, and where the month is heading"),
        "projected_mau": number("Projected", help="Projected MAU at the end of the month"),
        "overage_mau": number("Overage", help="MAU above the limit; never cut off"),
        "amount_due_usd": money("Amount due", help="The plan price; 0 for a trial month"),
        "invoice_eligible": flag("Invoice / transfer", help="Amount due over 1,000 USD"),
        "closes_at": when("Closes at (UTC)", format=DATETIME_FORMAT),
        "alert_date": date("Day", format=DATE_FORMAT),
        "alert_kind": text("Kind"),
        "threshold": text(
            "Threshold", help="The share of the plan limit the alert is about", alignment="right"
        ),
        "value": number("Figure"),
        "mtd_mau": number("MAU that day"),
        "reason": text("Reason", help="Over the limit now, or projected over it"),
        "next_billing_date": date("Next billing date", format=DATE_FORMAT),
        "recommended_plan_id": text("Recommended plan id"),
        "recommended_plan_name": text("Recommended plan"),
        "recommended_plan_price_usd": money("Its price"),
        "trial_plan_id": text("Trial plan"),
        "started_on": date("Started", format=DATE_FORMAT),
        "ended_on": date("Ends / ended", format=DATE_FORMAT),
        "trial_status": text("Status"),
        "converted_plan_id": text("Paid plan"),
        "converted_on": date("Paid from", format=DATE_FORMAT),
        "close_kind": text("How"),
        "closed_at": when("Closed (UTC)", format=DATETIME_FORMAT),
        "tenants": number("Tenants"),
        "first_closed_at": when("First closed (UTC)", format=DATETIME_FORMAT),
        "last_closed_at": when("Last closed (UTC)", format=DATETIME_FORMAT),
        "loaded_at": when("Loaded (UTC)", format=DATETIME_FORMAT),
        "last_loaded_at": when("Last loaded (UTC)", format=DATETIME_FORMAT),
    }


def table(frame: pd.DataFrame, **labels: object) -> None:
    """A full-width table with the shared column formats; `labels` override per table."""
    config = {**_columns(), **labels}
    frame = shown(frame)
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


def trials_table(trials: pd.DataFrame) -> None:
    """Every trial, with a dash where a figure does not apply (Streamlit would say None)."""

    def days_left(value: object) -> str:
        if pd.isna(value):
            return "–"
        return "last day" if value == 0 else f"{int(value)} day{'s' if value != 1 else ''}"

    table(
        pd.DataFrame(
            {
                "tenant_id": trials["tenant_id"],
                "tenant_name": trials["tenant_name"].fillna("(not in the tenants export)"),
                "trial_plan_id": trials["trial_plan_id"],
                "started_on": trials["started_on"].map(day_cell),
                "ended_on": trials["ended_on"].map(
                    lambda value: "open-ended" if pd.isna(value) else day_cell(value)
                ),
                "trial_status": trials["trial_status"].str.replace("_", " ").str.capitalize(),
                "days_left": trials["days_left"].map(days_left),
                "converted_plan_id": trials["converted_plan_id"].fillna("–"),
                "converted_on": trials["converted_on"].map(day_cell),
            }
        ),
        started_on=st.column_config.TextColumn("Started"),
        ended_on=st.column_config.TextColumn("Ends / ended"),
        days_left=st.column_config.TextColumn("Days left", help="For a trial still running"),
        converted_on=st.column_config.TextColumn("Paid from"),
    )


# ---------------------------------------------------------------- My usage, in words


def _plan_offer(name: str, limit: float | None, price: float) -> str:
    covers = "unlimited MAU" if pd.isna(limit) else f"{int(limit):,} MAU"
    return f"the {name} plan ({covers}, ${price:,.2f} a month)"


def time_zone(zone: str, month_end: dt.date, is_open: bool) -> str:
    """Which clock the month follows, and when the next period starts."""
    text = f"Billing time zone: {zone}. Each period starts on the 1st at 00:00 in that zone"
    if is_open:
        next_start = month_end + dt.timedelta(days=1)
        return f"{text}; the next one starts on {day_label(next_start)}."
    return f"{text}."


def projection_banner(row: pd.Series, month_end: dt.date) -> str:
    """What an open month's projection means for its limit (R13), in the customer's words."""
    verb = "pass" if row["projected_status"] == "over" else "come close to"
    text = (
        f"At this pace you are likely to {verb} your {int(row['mau_limit']):,} MAU limit "
        f"this month: projected {int(row['projected_mau_low']):,}–"
        f"{int(row['projected_mau_high']):,} MAU by {month_end.day} {month_end:%B}."
    )
    if row["projected_status"] == "over" and isinstance(row["recommended_plan_name"], str):
        offer = _plan_offer(
            row["recommended_plan_name"],
            row["recommended_plan_limit"],
            row["recommended_plan_price_usd"],
        )
        text += f" Nothing is cut off if you do; {offer} would cover it."
    return text


def over_limit(row: pd.Series, month_end: dt.date) -> str:
    """What an over-limit month means (R14, R15): nothing cut off, overage not billed."""
    if row["is_trial"]:
        owed = "nothing, as this is a trial month"
    else:
        owed = f"${row['amount_due_usd']:,.2f}, the {row['plan_name']} plan's price"
    text = (
        f"This month went over the plan limit: {int(row['mau']):,} MAU against "
        f"{int(row['mau_limit']):,} included, an overage of {int(row['overage_mau']):,} MAU. "
        "Nothing is cut off: every user keeps being counted and served. "
        f"The overage is not billed: the amount due for the month stays {owed}."
    )
    if isinstance(row["recommended_plan_name"], str):
        offer = _plan_offer(
            row["recommended_plan_name"],
            row["recommended_plan_limit"],
            row["recommended_plan_price_usd"],
        )
        next_cycle = month_end + dt.timedelta(days=1)
        text += (
            f" We recommend {offer}, which covers this usage, "
            f"from the next billing cycle on {day_label(next_cycle)}."
        )
    return text


def alerts_table(alerts: pd.DataFrame) -> None:
    """A tenant's alerts in words, each column explained where it is shown."""
    shown_alerts = pd.DataFrame(
        {
            "alert_date": alerts["alert_date"],
            "alert": alerts["alert_kind"].map(ALERT_WORDS),
            "threshold": alerts["threshold"],
            "mtd_mau": alerts["mtd_mau"],
            "projected": projected_range(alerts),
            "mau_limit": alerts["mau_limit"],
        }
    )
    table(
        shown_alerts,
        alert=st.column_config.TextColumn(
            "Alert",
            help="Reached: MAU so far reached the threshold that day. On track to exceed: "
            "that day's projection, even at its low end, crossed the threshold",
        ),
        alert_date=st.column_config.DateColumn(
            "Day", format=DATE_FORMAT, help="The day the alert fired, in your billing time zone"
        ),
        mtd_mau=number("MAU that day", help="Distinct people active from the 1st to that day"),
        projected=st.column_config.TextColumn(
            "Projected that day", help="MAU expected at month end as of that day, and its range"
        ),
    )
