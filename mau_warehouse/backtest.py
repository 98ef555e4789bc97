"""`mau backtest`: how far the R13 projection and its alerts can be trusted (SPEC §6).

Reads two marts of the last published run:

- ``marts.fct_projection_alert_backtest``: per alert threshold, the precision, recall
  and median lead time of the "projected to exceed" alerts over every ended
  tenant-month (the bounds behind each alert were drawn from earlier months only);
- ``marts.fct_projection_error_by_day``: per projection method and day of the month,
  the median error of the projection and the ratios its bounds are drawn from.

JSON is ``{"alerts": [...], "error_by_day": [...]}``; docs/projection.md shows how to
read both and the figures measured on a generated fleet.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError
from mau_warehouse.warehouse import connect_serving

Row = dict[str, Any]

ALERT_COLUMNS = (
    "threshold",
    "tenant_months",
    "first_month",
    "last_month",
    "projected_alerts",
    "correct_alerts",
    "alert_precision",
    "ended_over_tenant_months",
    "warned_tenant_months",
    "alert_recall",
    "median_lead_days",
)
ERROR_COLUMNS = (
    "projection_method",
    "day_of_month",
    "tenant_months",
    "median_absolute_percentage_error",
    "low_ratio",
    "median_ratio",
    "high_ratio",
)
# SPEC §6, for the 100 % threshold.
TARGETS = {"alert_precision": 0.90, "alert_recall": 0.75, "median_lead_days": 5.0}


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    return value.strftime("%Y-%m") if isinstance(value, date) else value


def backtest(settings: Settings) -> Row:
    """Both marts as lists of plain records (months as "YYYY-MM")."""
    con = connect_serving(settings)
    try:
        present = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        missing = {"fct_projection_alert_backtest", "fct_projection_error_by_day"} - present
        if missing:
            raise MauError(
                f"the published figures have no {', '.join(sorted(missing))}: run `mau run` first"
            )
        alerts = con.execute(
            f"select {', '.join(ALERT_COLUMNS)} from marts.fct_projection_alert_backtest "
            "order by threshold"
        ).fetchall()
        errors = con.execute(
            f"select {', '.join(ERROR_COLUMNS)} from marts.fct_projection_error_by_day "
            "where tenant_months > 0 order by projection_method desc, day_of_month"
        ).fetchall()
    finally:
        con.close()
    return {
        "alerts": [
            {k: _plain(v) for k, v in zip(ALERT_COLUMNS, row, strict=True)} for row in alerts
        ],
        "error_by_day": [
            {k: _plain(v) for k, v in zip(ERROR_COLUMNS, row, strict=True)} for row in errors
        ],
    }


def _percent(value: object) -> str:
    return "-" if value is None else f"{float(value):.1%}"


def _meets(row: Row) -> str:
    if row["threshold"] != 1.0:
        return ""
    checks = [
        row[name] is not None and float(row[name]) >= target for name, target in TARGETS.items()
    ]
    return "meets SPEC §6" if all(checks) else "misses SPEC §6"


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    widths = [max(len(cells[i]) for cells in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))
        for cells in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def render(result: Row, output_format: str) -> str:
    if output_format == "json":
        return json.dumps(result, indent=2)
    if not result["alerts"] or not any(row["tenant_months"] for row in result["alerts"]):
        return "no ended tenant-month with a limit to backtest yet"
    alert_rows = [
        [
            f"{float(row['threshold']):.0%}",
            f"{row['first_month']}..{row['last_month']}",
            f"{row['tenant_months']:,}",
            f"{row['projected_alerts']:,}",
            _percent(row["alert_precision"]),
            f"{row['ended_over_tenant_months']:,}",
            _percent(row["alert_recall"]),
            "-" if row["median_lead_days"] is None else f"{float(row['median_lead_days']):g}",
            _meets(row),
        ]
        for row in result["alerts"]
    ]
    lines = [
        "projected-to-exceed alerts (R13) over ended tenant-months",
        *_table(
            [
                "threshold",
                "months",
                "tenant_months",
                "alerts",
                "precision",
                "ended_over",
                "recall",
                "median_lead_days",
                "",
            ],
            alert_rows,
        ),
        "",
        "median projection error by day of the month (|projected - final| / final)",
    ]
    by_day: dict[int, dict[str, str]] = {}
    for row in result["error_by_day"]:
        by_day.setdefault(row["day_of_month"], {})[row["projection_method"]] = _percent(
            row["median_absolute_percentage_error"]
        )
    lines += _table(
        ["day", "tenant_curve", "linear"],
        [
            [str(day), methods.get("tenant_curve", "-"), methods.get("linear", "-")]
            for day, methods in sorted(by_day.items())
        ],
    )
    return "\n".join(lines)
