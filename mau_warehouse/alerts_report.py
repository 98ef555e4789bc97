"""`mau alerts`: a month's usage alerts (R12, R13) from the published (read-only) marts.

JSON keys follow SPEC §5: tenant_id, month ("YYYY-MM"), kind, threshold (a fraction),
alert_date ("YYYY-MM-DD", the tenant's local day), mtd_mau, projected_mau, mau_limit,
and the projection's range (projected_mau_low, projected_mau_high).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from mau_warehouse.config import Settings
from mau_warehouse.warehouse import connect_serving, require_published_tenant

# (key, SQL over marts.fct_usage_alerts as alerts), in output order.
COLUMNS = (
    ("alert_id", "alerts.alert_id"),
    ("tenant_id", "alerts.tenant_id"),
    ("tenant_name", "alerts.tenant_name"),
    ("month", "strftime(alerts.month, '%Y-%m')"),
    ("kind", "alerts.alert_kind"),
    ("threshold", "alerts.threshold"),
    ("alert_date", "strftime(alerts.alert_date, '%Y-%m-%d')"),
    ("mtd_mau", "alerts.mtd_mau"),
    ("projected_mau", "alerts.projected_mau"),
    # R13: the projection's range, from the error the backtest measured
    ("projected_mau_low", "alerts.projected_mau_low"),
    ("projected_mau_high", "alerts.projected_mau_high"),
    ("mau_limit", "alerts.mau_limit"),
    ("plan_id", "alerts.plan_id"),
)
Row = dict[str, Any]


def month_alerts(settings: Settings, month: date, tenant: str | None = None) -> list[Row]:
    """The month's alerts, by local day, then tenant, kind and threshold."""
    con = connect_serving(settings)
    try:
        if tenant is not None:
            require_published_tenant(con, tenant)
        columns = COLUMNS
        rows = con.execute(
            f"""
            select {", ".join(sql for _, sql in columns)}
            from marts.fct_usage_alerts as alerts
            where alerts.month = $month and ($tenant is null or alerts.tenant_id = $tenant)
            order by alerts.alert_date, alerts.tenant_id, alerts.alert_kind, alerts.threshold
            """,
            {"month": month, "tenant": tenant},
        ).fetchall()
    finally:
        con.close()
    return [dict(zip((key for key, _ in columns), row, strict=True)) for row in rows]


TABLE_COLUMNS = (
    ("alert_date", "date"),
    ("tenant_id", "tenant"),
    ("kind", "kind"),
    ("threshold", "threshold"),
    ("mtd_mau", "mtd_mau"),
    ("projected_mau", "projected"),
    ("mau_limit", "limit"),
)


def _cell(name: str, row: Row) -> str:
    value = row[name]
    if value is None:
        return "-"
    if name == "threshold":
        return f"{value:.0%}"
    if name == "projected_mau" and row.get("projected_mau_low") is not None:
        return f"{value:,} ({row['projected_mau_low']:,}–{row['projected_mau_high']:,})"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def render(rows: list[Row], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(rows, indent=2)
    header = [title for _, title in TABLE_COLUMNS]
    body = [[_cell(name, row) for name, _ in TABLE_COLUMNS] for row in rows]
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(
            cell.ljust(width) if i < 3 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        for cells in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
