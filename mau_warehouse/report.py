"""`mau report`: tenant × month usage from the published (read-only) marts."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError
from mau_warehouse.warehouse import connect_serving

# SPEC §5 keys, in order; each is a column of marts.fct_tenant_monthly_usage.
REPORT_COLUMNS = (
    "tenant_id",
    "month",
    "mau",
    "identified_mau",
    "anonymous_mau",
    "mobile_mau",
    "desktop_mau",
    "tablet_mau",
    "known_users",
    "active_rate",
    "plan_id",
    "mau_limit",
    "utilization",
    "status",
    "overage_mau",
    "is_trial",
    "amount_due_usd",
    "invoice_eligible",
)
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> date:
    match = MONTH_PATTERN.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise MauError(f"month must be YYYY-MM, got {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    return value


def monthly_usage(
    settings: Settings, month: date | None = None, tenant: str | None = None
) -> list[dict[str, object]]:
    """Rows of the usage mart for a month (all months when None), optionally one tenant."""
    con = connect_serving(settings)
    try:
        rows = con.execute(
            f"""
            select {", ".join(REPORT_COLUMNS)}
            from marts.fct_tenant_monthly_usage
            where ($month is null or month = $month)
              and ($tenant is null or tenant_id = $tenant)
            order by month, tenant_id
            """,
            {"month": month, "tenant": tenant},
        ).fetchall()
    finally:
        con.close()
    report = []
    for row in rows:
        record = {name: _plain(value) for name, value in zip(REPORT_COLUMNS, row, strict=True)}
        record["month"] = record["month"].strftime("%Y-%m")
        report.append(record)
    return report


def render(rows: list[dict[str, object]], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(rows, indent=2)
    if output_format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=REPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue().rstrip("\n")
    return render_table(rows)


TABLE_COLUMNS = (
    ("tenant_id", "tenant"),
    ("month", "month"),
    ("mau", "mau"),
    ("identified_mau", "identified"),
    ("anonymous_mau", "anonymous"),
    ("mobile_mau", "mobile"),
    ("known_users", "known"),
    ("plan_id", "plan"),
    ("mau_limit", "limit"),
    ("utilization", "use"),
    ("status", "status"),
    ("overage_mau", "overage"),
    ("amount_due_usd", "due_usd"),
)


def _cell(name: str, value: object) -> str:
    if value is None:
        return "-"
    if name == "utilization":
        return f"{float(value):.0%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def render_table(rows: list[dict[str, object]]) -> str:
    if not rows:
        return "no figures for that selection"
    header = [title for _, title in TABLE_COLUMNS]
    body = [[_cell(name, row[name]) for name, _ in TABLE_COLUMNS] for row in rows]
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.rjust(w) if i > 1 else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        for cells in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
