"""The rows `mau bench` reports: a table, or JSON with the fields SPEC §6 names."""

from __future__ import annotations

import json

from mau_warehouse.tools.bench.shares import describe
from mau_warehouse.tools.bench.steps import StepResult


def rows(results: list[StepResult]) -> list[dict[str, object]]:
    limits = {r.workload: r.seconds for r in results if r.step == "limit_query"}
    return [
        {
            "workload": result.workload,
            "step": result.step,
            "seconds": round(result.seconds, 3),
            "peak_rss_mb": round(result.peak_rss_mb, 1),
            "ratio_to_limit": (
                round(result.seconds / limits[result.workload], 2)
                if result.workload in limits and result.step != "generate"
                else None
            ),
            "repetitions": len(result.runs),
            "detail": result.detail,
            # median seconds of start-up, loader, dbt, checks, close and publish
            "parts": {part: round(seconds, 2) for part, seconds in result.parts.items()},
        }
        for result in results
    ]


def _cell(value: object) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _detail(row: dict[str, object]) -> str:
    parts = row.get("parts") or {}
    return "; ".join(text for text in (str(row["detail"]), describe(parts)) if text)


def render(table_rows: list[dict[str, object]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(table_rows, indent=2)
    headers = ("workload", "step", "seconds", "peak_rss_mb", "ratio_to_limit", "detail")
    shown = [row | {"detail": _detail(row)} for row in table_rows]
    cells = [[_cell(row[h]) for h in headers] for row in shown]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    return "\n".join(lines)
