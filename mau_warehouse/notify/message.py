"""The words of a usage alert (P4, R12–R14): what a customer needs to act on.

A projection is dated: it was made on the alert's day with that day's data, so the text
says "as of" that day and never reads as a current figure. Every figure comes from the
alert row as queued; the dashboard link is the only thing read at send time.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from mau_warehouse.notify.channels import Alert

DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8501"


def dashboard_link(base_url: str, tenant_id: str) -> str:
    """The tenant's My usage page (the dashboard asks for a sign-in first)."""
    return f"{base_url.rstrip('/')}/my_usage?tenant={quote(tenant_id)}"


def headline(alert: Alert) -> str:
    share = f"{alert.threshold:.0%}"
    if alert.alert_kind == "projected_to_exceed":
        return (
            f"{alert.tenant_name} is projected to pass {share} of its {alert.mau_limit:,} MAU "
            f"limit in {alert.month} (projection of {alert.alert_date}: {alert.value:,} MAU)"
        )
    return (
        f"{alert.tenant_name} reached {share} of its {alert.mau_limit:,} MAU limit in "
        f"{alert.month}: {alert.value:,} MAU on {alert.alert_date}"
    )


def _next_month_start(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _projection_line(alert: Alert, day: date) -> str | None:
    if alert.projected_mau is None:
        return None
    line = f"- Projected end-of-month MAU: {alert.projected_mau:,}"
    if alert.projected_mau_low is not None and alert.projected_mau_high is not None:
        line += f" (likely between {alert.projected_mau_low:,} and {alert.projected_mau_high:,})"
    return (
        f"{line}, {alert.projected_mau / alert.mau_limit:.0%} of the limit. This is a "
        f"projection made on {day.isoformat()} from the month so far; the dashboard shows "
        "today's figures."
    )


def _upgrade_sentence(alert: Alert, resets_on: date) -> str:
    # R14: nothing is ever cut off; sales reach out at the next billing cycle.
    sentence = (
        "If you go over the limit, nothing is cut off: every user keeps being served and counted."
    )
    if alert.upgrade_plan_name is None:
        return sentence + " We will reach out about an upgrade at the next billing cycle."
    size = (
        "unlimited MAU"
        if alert.upgrade_plan_limit is None
        else f"up to {alert.upgrade_plan_limit:,} MAU"
    )
    price = (
        ""
        if alert.upgrade_plan_price_usd is None
        else f", {alert.upgrade_plan_price_usd:,.2f} USD a month"
    )
    return (
        f"{sentence} We recommend upgrading to {alert.upgrade_plan_name} ({size}{price}) "
        f"from the next billing cycle on {resets_on.isoformat()}."
    )


def message_text(alert: Alert, dashboard_url: str) -> str:
    """Plain text for an e-mail body or a chat message; the headline comes first."""
    day = date.fromisoformat(alert.alert_date)
    days_in_month = calendar.monthrange(day.year, day.month)[1]
    zone = alert.billing_timezone or "UTC"
    resets_on = _next_month_start(day)
    mtd_mau = alert.value if alert.mtd_mau is None else alert.mtd_mau
    plan = f", {alert.plan_name} plan" if alert.plan_name else ""
    lines = [
        headline(alert),
        "",
        f"As of {day.isoformat()} (day {day.day} of {days_in_month}, {zone} time):",
        f"- Month-to-date MAU: {mtd_mau:,} of your {alert.mau_limit:,} MAU limit "
        f"({mtd_mau / alert.mau_limit:.0%}{plan}).",
    ]
    if projection := _projection_line(alert, day):
        lines.append(projection)
    lines += [
        f"- The count starts again from zero on {resets_on.isoformat()} at 00:00 ({zone}).",
        "",
        _upgrade_sentence(alert, resets_on),
        "",
        f"Your usage: {dashboard_link(dashboard_url, alert.tenant_id)}",
    ]
    return "\n".join(lines)
