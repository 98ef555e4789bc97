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
# A month-to-date status lags the month's end; where it is heading has colours of its own.
OUTLOOK_COLOURS = {
    **STATUS_COLOURS,
    "projected_over": "#ad1457",
    "projected_approaching": "#ef6c00",
}
# Statuses as words, on every chart and table.
STATUS_WORDS = {
    "ok": "OK",
    "approaching": "Approaching",
    "over": "Over limit",
    "unlimited": "Unlimited",
    "no_plan": "No plan",
    "projected_over": "Projected over",
    "projected_approaching": "Projected to approach",
}
LIMIT_COLOUR = "#212121"
THRESHOLD_COLOUR = "#ef6c00"
PROJECTION_COLOUR = "#7e57c2"
SO_FAR_COLOUR = "#1565c0"


# Every day on a time axis or in a tooltip reads the same way: "6 Dec", "6 Dec 2026".
AXIS_DAY = "%-d %b"
TOOLTIP_DAY = "%-d %b %Y"


def _iso_dates(dates: pd.Series) -> pd.Series:
    # Dates travel to the browser as ISO text, which Vega-Lite reads as UTC midnight;
    # every time axis and unit below is UTC too, so no viewer's zone shifts a day.
    return dates.map(lambda day: day.isoformat())


def _limit_lines(limit: float, thresholds: list[float]) -> pd.DataFrame:
    """The limit and each alert threshold below it, with the words a legend shows.

    The 100 % threshold is the limit itself: one line, named for both, so two lines
    are never drawn on top of each other.
    """
    rows = [
        {
            "value": limit * threshold,
            "label": f"{threshold:.0%} alert: {limit * threshold:,.0f}",
            "kind": "threshold",
        }
        for threshold in thresholds
        if threshold < 1.0
    ]
    named = "Limit (100% alert)" if 1.0 in thresholds else "Limit"
    rows.append({"value": limit, "label": f"{named}: {limit:,.0f}", "kind": "limit"})
    return pd.DataFrame(rows)


def _line_colour(kind: str) -> str:
    return LIMIT_COLOUR if kind == "limit" else THRESHOLD_COLOUR


def limit_gauge(
    mau: int,
    mau_limit: float | None,
    thresholds: list[float],
    projection: tuple[int, int, int] | None,
) -> alt.LayerChart:
    """A bullet gauge: MAU so far, the projection and its likely range, limit and thresholds.

    `projection` is (projected, low, high) for an open month, None once it has ended.
    Every mark is named in one legend below the bars, so no axis label has to fit.
    """
    # "So far" only while the month runs: an ended month's MAU is its final figure.
    so_far = "MAU so far" if projection is not None else "MAU"
    bars = [{"what": f"{so_far}: {mau:,}", "value": mau, "colour": SO_FAR_COLOUR}]
    if projection is not None:
        projected, low, high = projection
        bars.insert(
            0,
            {
                "what": f"Projected at month end: {projected:,} (likely {low:,}–{high:,})",
                "value": projected,
                "colour": PROJECTION_COLOUR,
            },
        )
    frame = pd.DataFrame(bars)
    lines = _limit_lines(mau_limit, thresholds) if mau_limit else pd.DataFrame()
    legend_rows = [*bars] + [
        {"what": row.label, "colour": _line_colour(row.kind)} for row in lines.itertuples()
    ]
    colour = alt.Color(
        "what:N",
        title=None,
        scale=alt.Scale(
            domain=[row["what"] for row in legend_rows],
            range=[row["colour"] for row in legend_rows],
        ),
        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0),
    )
    widest = max(
        [mau, *(projection or ())] + ([mau_limit * max([*thresholds, 1.0])] if mau_limit else [])
    )
    x = alt.X("value:Q", title="MAU", scale=alt.Scale(domain=[0, max(widest * 1.08, 1)]))
    y = alt.Y("what:N", title=None, sort=None, axis=None)
    layers = [
        alt.Chart(frame)
        .mark_bar(size=18)
        .encode(x=x, y=y, color=colour, tooltip=[alt.Tooltip("what:N", title="")])
    ]
    if projection is not None:
        projected, low, high = projection
        layers.append(
            alt.Chart(pd.DataFrame({"what": [bars[0]["what"]], "low": [low], "high": [high]}))
            .mark_rule(color=LIMIT_COLOUR, size=2)
            .encode(x="low:Q", x2="high:Q", y=y)
        )
    if mau_limit:
        layers.append(
            alt.Chart(lines.rename(columns={"label": "what"}))
            .mark_rule(size=3)
            .encode(
                x="value:Q",
                color=colour,
                strokeDash=alt.condition(
                    "datum.kind == 'limit'", alt.value([1, 0]), alt.value([4, 3])
                ),
                tooltip=[alt.Tooltip("what:N", title="")],
            )
        )
    return alt.layer(*layers).properties(height=alt.Step(30))


def mtd_curve(
    days: pd.DataFrame,
    month_end: dt.date,
    mau_limit: float | None,
    thresholds: list[float],
    projected: bool,
) -> alt.LayerChart:
    """MAU by day, the projection to month end with its likely range, limit and thresholds.

    `projected` is False once the month has ended: its days then show no projection.
    """
    days = days.assign(activity_date=_iso_dates(days["activity_date"]))
    # A label expression, not `format`: Vega's default multi-format labels ("December",
    # "Sat 05", "Dec 13") win over a plain format on a UTC scale.
    day_axis = alt.Axis(labelExpr=f"utcFormat(datum.value, '{AXIS_DAY}')", title=None)
    # The projection layer ends on the month's last day, so the axis spans the month.
    x = alt.X("activity_date:T", axis=day_axis, scale=alt.Scale(type="utc"))
    day_tooltip = alt.Tooltip("activity_date:T", title="Day", format=TOOLTIP_DAY, formatType="utc")
    layers = [
        alt.Chart(days)
        .mark_line(point=True, color=SO_FAR_COLOUR)
        .encode(
            x=x,
            y=alt.Y("mtd_mau:Q", title="MAU"),
            tooltip=[day_tooltip, alt.Tooltip("mtd_mau:Q", title="MAU so far", format=",")],
        )
    ]
    if projected:
        last = days.iloc[-1]
        ahead = pd.DataFrame(
            {
                "activity_date": [last["activity_date"], month_end.isoformat()],
                "mau": [last["mtd_mau"], last["projected_mau"]],
                "low": [last["mtd_mau"], last["projected_mau_low"]],
                "high": [last["mtd_mau"], last["projected_mau_high"]],
            }
        )
        layers += [
            alt.Chart(ahead)
            .mark_area(color=PROJECTION_COLOUR, opacity=0.15)
            .encode(x=x, y="low:Q", y2="high:Q"),
            alt.Chart(ahead)
            .mark_line(strokeDash=[6, 4], color=PROJECTION_COLOUR)
            .encode(
                x=x,
                y="mau:Q",
                tooltip=[
                    alt.Tooltip("mau:Q", title="Projected", format=","),
                    alt.Tooltip("low:Q", title="Likely from", format=","),
                    alt.Tooltip("high:Q", title="Likely to", format=","),
                ],
            ),
        ]
    if mau_limit:
        lines = _limit_lines(mau_limit, thresholds).assign(
            activity_date=days["activity_date"].iloc[0],
            colour=lambda frame: frame["kind"].map(_line_colour),
        )
        layers += [
            alt.Chart(lines)
            .mark_rule(size=2)
            .encode(
                y="value:Q",
                color=alt.Color("colour:N", scale=None),
                strokeDash=alt.condition(
                    "datum.kind == 'limit'", alt.value([1, 0]), alt.value([4, 3])
                ),
                tooltip=[alt.Tooltip("label:N", title="")],
            ),
            # Each line says what it is at its left end: the limit above its line, a
            # threshold below it, so two lines close together keep their labels apart.
            alt.Chart(lines.query("kind == 'limit'"))
            .mark_text(align="left", baseline="bottom", dx=4, dy=-3, fontSize=12)
            .encode(x=x, y="value:Q", text="label:N", color=alt.value(LIMIT_COLOUR)),
            alt.Chart(lines.query("kind == 'threshold'"))
            .mark_text(align="left", baseline="top", dx=4, dy=3, fontSize=12)
            .encode(x=x, y="value:Q", text="label:N", color=alt.value(THRESHOLD_COLOUR)),
        ]
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


def outlook(status: str, projected_status: str | None) -> str:
    """A tenant-month's status, or where it is heading when its projection is worse (R13)."""
    if status == "over" or projected_status not in ("over", "approaching"):
        return status
    if projected_status == "approaching" and status == "approaching":
        return status
    return f"projected_{projected_status}"


def utilization_bars(usage: pd.DataFrame) -> alt.Chart:
    """Utilization per tenant, coloured by status or, when worse, by its projection."""
    # Two tenants may share a name: the bar is keyed on the id, labelled with both.
    usage = usage.assign(
        tenant=usage["tenant_name"] + " (" + usage["tenant_id"] + ")",
        outlook=[
            STATUS_WORDS[outlook(status, projected)]
            for status, projected in zip(usage["status"], usage["projected_status"], strict=True)
        ],
    )
    order = usage["tenant"].tolist()
    bars = (
        alt.Chart(usage)
        .mark_bar()
        .encode(
            x=alt.X(
                "utilization:Q", title="Utilization of plan limit", axis=alt.Axis(format=".0%")
            ),
            y=alt.Y("tenant:N", title=None, sort=order, axis=alt.Axis(labelLimit=300)),
            color=alt.Color(
                "outlook:N",
                title="Status",
                scale=alt.Scale(
                    domain=[STATUS_WORDS[status] for status in OUTLOOK_COLOURS],
                    range=list(OUTLOOK_COLOURS.values()),
                ),
                legend=alt.Legend(orient="top", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip("tenant_name:N", title="Tenant"),
                alt.Tooltip("plan_name:N", title="Plan"),
                alt.Tooltip("mau:Q", title="MAU", format=","),
                alt.Tooltip("mau_limit:Q", title="Limit", format=","),
                alt.Tooltip("utilization:Q", title="Utilization", format=".1%"),
                alt.Tooltip("projected_mau:Q", title="Projected", format=","),
                alt.Tooltip("outlook:N", title="Status"),
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
