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
    "projected_mau",
    "recommended_plan_id",
    "is_trial",
    "amount_due_usd",
    "invoice_eligible",
    "is_closed",
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
    """Tenant-months for a month (all months when None), optionally one tenant.

    Closed months come from the billing snapshot, frozen at close (R16); open
    months from the usage mart of the last published run.
    """
    live_columns = ", ".join(f"usage.{name}" for name in REPORT_COLUMNS if name != "is_closed")
    con = connect_serving(settings)
    try:
        frozen = con.execute(
            """
            select figures from billing.monthly_usage_snapshot
            where ($month is null or month = $month) and ($tenant is null or tenant_id = $tenant)
            """,
            {"month": month, "tenant": tenant},
        ).fetchall()
        live = con.execute(
            f"""
            select {live_columns}, false as is_closed
            from marts.fct_tenant_monthly_usage as usage
            where ($month is null or usage.month = $month)
              and ($tenant is null or usage.tenant_id = $tenant)
              and not exists (
                  select 1 from billing.monthly_usage_snapshot as frozen
                  where frozen.tenant_id = usage.tenant_id and frozen.month = usage.month
              )
            """,
            {"month": month, "tenant": tenant},
        ).fetchall()
    finally:
        con.close()
    report = [_from_snapshot(json.loads(figures)) for (figures,) in frozen]
    for row in live:
        record = {name: _plain(value) for name, value in zip(REPORT_COLUMNS, row, strict=True)}
        record["month"] = record["month"].strftime("%Y-%m")
        report.append(record)
    return sorted(report, key=lambda r: (r["month"], r["tenant_id"]))


def _from_snapshot(figures: dict[str, object]) -> dict[str, object]:
    record = {name: figures.get(name) for name in REPORT_COLUMNS}
    record["month"] = str(figures["month"])[:7]
    record["is_closed"] = True
    for name in ("utilization", "active_rate", "amount_due_usd"):
        if record[name] is not None:
            record[name] = float(record[name])
    return record


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
