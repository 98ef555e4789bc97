"""Altair charts shared by the pages. Pure functions of data frames: no queries here."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

# Fixed colours so a status looks the same in every month and on every page.
STATUS_COLOURS = {
    "ok": "#2e7d32",
    "approaching": "#f9a825",
    "over": "#c62828",
    "unlimited": "#1565c0",
    "no_plan": "#9e9e9e",
}
LIMIT_COLOUR = "#212121"
THRESHOLD_COLOUR = "#ef6c00"
PROJECTION_COLOUR = "#7e57c2"


def _iso_dates(dates: pd.Series) -> pd.Series:
    # Dates travel to the browser as ISO text, which Vega-Lite reads as UTC midnight;
    # every time axis and unit below is UTC too, so no viewer's zone shifts a day.
    return dates.map(lambda day: day.isoformat())


def _threshold_lines(limit: float, thresholds: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "value": [limit * threshold for threshold in thresholds],
            "label": [f"{threshold:.0%} of limit" for threshold in thresholds],
        }
    )


def limit_gauge(
    mau: int, projected_mau: int, mau_limit: float | None, thresholds: list[float]
) -> alt.LayerChart:
    """A bullet gauge: MAU so far, the projection behind it, the limit and the thresholds."""
    bars = pd.DataFrame(
        {
            "figure": ["Projected at month end", "MAU so far"],
            "value": [projected_mau, mau],
            "colour": [PROJECTION_COLOUR, "#1565c0"],
        }
    )
    scale_end = max(projected_mau, mau, (mau_limit or 0) * max([*thresholds, 1.0])) * 1.08
    x = alt.X("value:Q", title="MAU", scale=alt.Scale(domain=[0, max(scale_end, 1)]))
    layers = [
        alt.Chart(bars)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("figure:N", title=None, sort=None),
            color=alt.Color("colour:N", scale=None),
            tooltip=[alt.Tooltip("figure:N"), alt.Tooltip("value:Q", format=",")],
        )
    ]
    if mau_limit:
        lines = _threshold_lines(mau_limit, thresholds)
        layers.append(
            alt.Chart(lines)
            .mark_rule(strokeDash=[4, 3], color=THRESHOLD_COLOUR, size=2)
            .encode(x="value:Q", tooltip=["label:N", alt.Tooltip("value:Q", format=",.0f")])
        )
        layers.append(
            alt.Chart(pd.DataFrame({"value": [mau_limit], "label": ["plan limit"]}))
            .mark_rule(color=LIMIT_COLOUR, size=3)
            .encode(x="value:Q", tooltip=["label:N", alt.Tooltip("value:Q", format=",")])
        )
    return alt.layer(*layers).properties(height=alt.Step(30))


def mtd_curve(
    days: pd.DataFrame, month_end: dt.date, mau_limit: float | None, thresholds: list[float]
) -> alt.LayerChart:
    """Month-to-date MAU by day, the projection to month end, and the threshold lines."""
    days = days.assign(activity_date=_iso_dates(days["activity_date"]))
    last = days.iloc[-1]
    projection = pd.DataFrame(
        {
            "activity_date": [last["activity_date"], month_end.isoformat()],
            "mau": [last["mtd_mau"], last["projected_mau"]],
        }
    )
    # The projection layer ends on the month's last day, so the axis spans the month.
    x = alt.X("activity_date:T", title=None, scale=alt.Scale(type="utc"))
    layers = [
        alt.Chart(days)
        .mark_line(point=True, color="#1565c0")
        .encode(
            x=x,
            y=alt.Y("mtd_mau:Q", title="Month-to-date MAU"),
            tooltip=[
                alt.Tooltip("activity_date:T", title="Day", timeUnit="utcyearmonthdate"),
                alt.Tooltip("mtd_mau:Q", title="MAU so far", format=","),
                alt.Tooltip("projected_mau:Q", title="Projected", format=","),
            ],
        ),
        alt.Chart(projection)
        .mark_line(strokeDash=[6, 4], color=PROJECTION_COLOUR)
        .encode(x=x, y="mau:Q", tooltip=[alt.Tooltip("mau:Q", title="Projection", format=",")]),
    ]
    if mau_limit:
        lines = _threshold_lines(mau_limit, thresholds)
        layers.append(
            alt.Chart(lines)
            .mark_rule(strokeDash=[4, 3], color=THRESHOLD_COLOUR)
            .encode(y="value:Q", tooltip=["label:N", alt.Tooltip("value:Q", format=",.0f")])
        )
    return alt.layer(*layers).properties(height=320)


def monthly_history(months: pd.DataFrame) -> alt.Chart:
    """Identified and anonymous MAU per month, stacked, with the month's limit as a tick."""
    frame = months.assign(month=_iso_dates(months["month"]))
    long = frame.melt(
        id_vars=["month"],
        value_vars=["identified_mau", "anonymous_mau"],
        var_name="kind",
        value_name="persons",
    ).replace({"kind": {"identified_mau": "identified", "anonymous_mau": "anonymous"}})
    x = alt.X("utcyearmonth(month):O", title=None)
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("persons:Q", title="MAU", stack=True),
            color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("utcyearmonth(month):O", title="Month"),
                alt.Tooltip("kind:N"),
                alt.Tooltip("persons:Q", format=","),
            ],
        )
    )
    limits = (
        alt.Chart(frame)
        .transform_filter("isValid(datum.mau_limit)")
        .mark_tick(color=LIMIT_COLOUR, thickness=3)
        .encode(x=x, y="mau_limit:Q", tooltip=[alt.Tooltip("mau_limit:Q", title="Limit")])
    )
    return (bars + limits).properties(height=280)


def device_segments(row: pd.Series) -> alt.Chart:
    """Persons active on each device class in the month (R9; a person may use several)."""
    frame = pd.DataFrame(
        {
            "device": ["mobile", "desktop", "tablet"],
            "persons": [row["mobile_mau"], row["desktop_mau"], row["tablet_mau"]],
        }
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("persons:Q", title="Persons"),
            y=alt.Y("device:N", title=None, sort=None),
            tooltip=["device:N", alt.Tooltip("persons:Q", format=",")],
        )
        .properties(height=140)
    )


def utilization_bars(usage: pd.DataFrame) -> alt.Chart:
    """Utilization per tenant, coloured by status, with the 100 % line."""
    # Two tenants may share a name: the bar is keyed on the id, labelled with both.
    usage = usage.assign(tenant=usage["tenant_name"] + " (" + usage["tenant_id"] + ")")
    order = usage["tenant"].tolist()
    bars = (
        alt.Chart(usage)
        .mark_bar()
        .encode(
            x=alt.X("utilization:Q", title="Utilization of plan limit", axis=alt.Axis(format="%")),
            y=alt.Y("tenant:N", title=None, sort=order, axis=alt.Axis(labelLimit=300)),
            color=alt.Color(
                "status:N",
                title="Status",
                scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("tenant_name:N", title="Tenant"),
                alt.Tooltip("plan_name:N", title="Plan"),
                alt.Tooltip("mau:Q", title="MAU", format=","),
                alt.Tooltip("mau_limit:Q", title="Limit", format=","),
                alt.Tooltip("utilization:Q", title="Utilization", format=".1%"),
                alt.Tooltip("status:N", title="Status"),
            ],
        )
    )
    full = (
        alt.Chart(pd.DataFrame({"value": [1.0]})).mark_rule(color=LIMIT_COLOUR).encode(x="value:Q")
    )
    # A fixed step per tenant keeps every name on the axis however many are shown.
    return (bars + full).properties(height=alt.Step(22))


def amounts_by_month(billing: pd.DataFrame) -> alt.Chart:
    """Amount due per month."""
    frame = billing.assign(month=_iso_dates(billing["month"]))
    return (
        alt.Chart(frame)
        .mark_bar(color="#2e7d32")
        .encode(
            x=alt.X("utcyearmonth(month):O", title=None),
            y=alt.Y("amount_due_usd:Q", title="Amount due (USD)"),
            tooltip=[
                alt.Tooltip("utcyearmonth(month):O", title="Month"),
                alt.Tooltip("amount_due_usd:Q", title="Amount due", format="$,.2f"),
                alt.Tooltip("invoice_eligible_tenants:Q", title="Invoice-eligible tenants"),
            ],
        )
        .properties(height=260)
    )


def counts_by(frame: pd.DataFrame, category: str, value: str, title: str) -> alt.Chart:
    """A horizontal bar per category (quarantine reasons, excluded-traffic reasons)."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X(f"{value}:Q", title=title),
            y=alt.Y(f"{category}:N", title=None, sort="-x"),
            tooltip=[f"{category}:N", alt.Tooltip(f"{value}:Q", format=",")],
        )
        .properties(height=alt.Step(28))
    )
