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
from mau_warehouse.warehouse import connect_serving, require_published_tenant

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
    # R13: the projection's bounds and, for open months only, R12's bands on its low bound
    "projected_mau_low",
    "projected_mau_high",
    "projected_status",
    "recommended_plan_id",
    "is_trial",
    "amount_due_usd",
    "invoice_eligible",
    "is_month_to_date",
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
        if tenant is not None:
            require_published_tenant(con, tenant)
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
    # Months frozen before the bounds existed: a closed month's bounds are its MAU (R13).
    for name in ("projected_mau_low", "projected_mau_high"):
        if record[name] is None:
            record[name] = record["mau"]
    record["projected_status"] = None  # R13: only open months carry one
    record["is_month_to_date"] = False  # a month closes only once it has ended
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
    ("month_shown", "month"),
    ("mau", "mau"),
    ("identified_mau", "identified"),
    ("anonymous_mau", "anonymous"),
    ("mobile_mau", "mobile"),
    ("known_users", "known"),
    ("plan_id", "plan"),
    ("mau_limit", "limit"),
    ("utilization", "use"),
    ("status", "status"),
    ("projected_mau", "projected"),
    ("projected_status", "proj_status"),
    ("overage_mau", "overage"),
    ("amount_due_usd", "due_usd"),
)


def _cell(name: str, value: object) -> str:
    if value is None:
        return "-"
    if name == "month_shown":
        month, to_date = value
        return f"{month} (to date)" if to_date else str(month)
    if name == "utilization":
        return f"{float(value):.0%}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _table_value(name: str, row: dict[str, object]) -> object:
    # A month not yet ended in the tenant's zone says so: its figures will still grow.
    if name == "month_shown":
        return row["month"], row["is_month_to_date"]
    return row[name]


# The few columns a glance needs (`mau demo`): usage against the limit and where it heads.
SUMMARY_NAMES = {
    "tenant_id",
    "mau",
    "mau_limit",
    "utilization",
    "status",
    "projected_mau",
    "projected_status",
}
SUMMARY_COLUMNS = tuple(column for column in TABLE_COLUMNS if column[0] in SUMMARY_NAMES)


def render_table(
    rows: list[dict[str, object]], columns: tuple[tuple[str, str], ...] = TABLE_COLUMNS
) -> str:
    if not rows:
        return "no figures for that selection"
    header = [title for _, title in columns]
    body = [[_cell(name, _table_value(name, row)) for name, _ in columns] for row in rows]
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]
    # names read left to right; figures line up on their last digit
    left = [name in {"tenant_id", "month_shown"} for name, _ in columns]
    lines = [
        "  ".join(
            c.ljust(w) if is_left else c.rjust(w)
            for c, w, is_left in zip(cells, widths, left, strict=True)
        )
        for cells in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def latest_month(settings: Settings) -> date:
    """The latest month of the published figures: `mau report`'s default."""
    [month] = months_with_data(settings)[-1:] or [None]
    if month is None:
        raise MauError("the published figures hold no month yet: run `mau run` on some data")
    return parse_month(str(month["month"]))


def months_with_data(settings: Settings) -> list[dict[str, object]]:
    """One row per month of the published figures, oldest first: tenants, MAU, how many
    tenant-months are closed (R16) and whether the month is still running somewhere."""
    con = connect_serving(settings)
    try:
        rows = con.execute(
            """
            select
                strftime(usage.month, '%Y-%m') as month,
                count(*) as tenants,
                sum(usage.mau) as mau,
                -- closed by the run that built the mart, or after it (R16)
                count(*) filter (where frozen.tenant_id is not null) as closed_tenants,
                bool_or(usage.is_month_to_date) as is_month_to_date
            from marts.fct_tenant_monthly_usage as usage
            left join billing.monthly_usage_snapshot as frozen
                on usage.tenant_id = frozen.tenant_id and usage.month = frozen.month
            group by usage.month
            order by usage.month
            """
        ).fetchall()
    finally:
        con.close()
    keys = ("month", "tenants", "mau", "closed_tenants", "is_month_to_date")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def render_months(rows: list[dict[str, object]], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(rows, indent=2)
    if not rows:
        return "no months published yet"
    lines = [f"{'month':<18}{'tenants':>8}{'mau':>12}  state"]
    for row in rows:
        if row["is_month_to_date"]:
            state = "month to date"
        elif row["closed_tenants"] == row["tenants"]:
            state = "closed"
        else:
            state = f"ended, {row['closed_tenants']} of {row['tenants']} closed"
        lines.append(f"{row['month']:<18}{row['tenants']:>8,}{row['mau']:>12,}  {state}")
    return "\n".join(lines)
