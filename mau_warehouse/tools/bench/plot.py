"""An SVG of how cost grows, for docs/benchmarks.md (`mau bench --plot FILE`).

Left: seconds against events, log-log, for the limit query, the whole pipeline and a
new day on the longest history, one point per workload (labelled with its tenants).
Right: a new day's seconds on one month and on twelve months of history, per
workload. Plain SVG, so the figure needs nothing beyond the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from mau_warehouse.tools.bench.workloads import WORKLOADS

WIDTH, HEIGHT, MARGIN = 920, 380, 56
SERIES = {
    "limit_query": ("#4c78a8", "limit query"),
    "pipeline": ("#e45756", "pipeline, files to every mart"),
    "new_day_12_months": ("#54a24b", "one new day on 12 months"),
}
HISTORY_BARS = {"new_day_1_month": "#9ecae9", "new_day_12_months": "#54a24b"}


def _text(x: float, y: float, text: str, size: int = 11, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="sans-serif">{text}</text>'
    )


def _log_scale(values: Sequence[float], low: float, high: float) -> Callable[[float], float]:
    lo, hi = math.log10(min(values)), math.log10(max(values))
    span = (hi - lo) or 1.0
    return lambda value: low + (math.log10(value) - lo) / span * (high - low)


def _growth_panel(rows: list[dict[str, object]], left: float, right: float) -> list[str]:
    points = {
        (row["workload"], row["step"]): float(row["seconds"])
        for row in rows
        if row["step"] in SERIES and row["workload"] in WORKLOADS
    }
    names = [name for name in WORKLOADS if (name, "limit_query") in points]
    if not names:
        return []
    events = [WORKLOADS[name].events for name in names]
    x = _log_scale(events, left + MARGIN, right - 10)
    y = _log_scale(list(points.values()), HEIGHT - MARGIN, 30)
    parts = [_text((left + right) / 2, 18, "seconds against events (log-log)", 13)]
    for step, (color, label) in SERIES.items():
        line = [(x(WORKLOADS[n].events), y(points[n, step])) for n in names if (n, step) in points]
        if not line:
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in line)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts += [f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{color}"/>' for px, py in line]
        legend_y = 40 + 16 * list(SERIES).index(step)
        parts.append(
            f'<rect x="{left + MARGIN + 8}" y="{legend_y - 9}" width="10" height="10" '
            f'fill="{color}"/>'
        )
        parts.append(_text(left + MARGIN + 24, legend_y, label, anchor="start"))
    for name in names:
        workload = WORKLOADS[name]
        parts.append(
            _text(
                x(workload.events),
                HEIGHT - MARGIN + 16,
                f"{name}: {workload.events:,} events, {workload.tenants} tenants",
                10,
            )
        )
    for seconds in (1, 10, 100, 1000, 10000):
        if min(points.values()) <= seconds <= max(points.values()):
            parts.append(_text(left + MARGIN - 6, y(seconds) + 4, f"{seconds} s", 10, "end"))
    return parts


def _history_panel(rows: list[dict[str, object]], left: float, right: float) -> list[str]:
    bars = [row for row in rows if row["step"] in HISTORY_BARS]
    if not bars:
        return []
    seconds_of = {(row["workload"], row["step"]): float(row["seconds"]) for row in bars}
    top = max(seconds_of.values())
    names = list(dict.fromkeys(str(row["workload"]) for row in bars))
    slot = (right - left - MARGIN) / len(names)
    parts = [_text((left + right) / 2, 18, "one new day: 1 month vs 12 months of history", 13)]
    for i, name in enumerate(names):
        for j, (step, color) in enumerate(HISTORY_BARS.items()):
            if (name, step) not in seconds_of:
                continue
            seconds = seconds_of[name, step]
            height = seconds / top * (HEIGHT - MARGIN - 40)
            x = left + MARGIN + i * slot + slot * (0.15 + 0.35 * j)
            parts.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - MARGIN - height:.1f}" '
                f'width="{slot * 0.3:.1f}" height="{height:.1f}" fill="{color}"/>'
            )
            parts.append(
                _text(x + slot * 0.15, HEIGHT - MARGIN - height - 4, f"{seconds:.1f} s", 10)
            )
        parts.append(_text(left + MARGIN + (i + 0.5) * slot, HEIGHT - MARGIN + 16, name))
    parts.append(_text(left + MARGIN, HEIGHT - 12, "light: 1 month · dark: 12 months", 10, "start"))
    return parts


def svg(rows: list[dict[str, object]]) -> str:
    half = WIDTH / 2
    body = _growth_panel(rows, 0, half) + _history_panel(rows, half, WIDTH)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}"><rect width="100%" height="100%" fill="white"/>'
        + "".join(body)
        + "</svg>\n"
    )
