"""Generated workloads for `mau bench` (SPEC §6), cached by size, seed and day.

A workload is a landing folder written by `mau generate`. Its data ends at the
moment it was generated, and the new-day steps need that day to lie in a month
still open, so a cached workload serves on the day it was generated only.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from mau_warehouse.errors import MauError
from mau_warehouse.tools.bench.measure import Measurement, run_measured


@dataclass(frozen=True)
class Workload:
    name: str
    events: int
    tenants: int
    months: int


WORKLOADS = {
    workload.name: workload
    for workload in (
        Workload("tiny", 20_000, 5, 3),  # CI and the dashboards' template
        Workload("S", 1_000_000, 50, 12),
        Workload("M", 10_000_000, 200, 12),
        Workload("L", 100_000_000, 1_000, 12),  # opt-in: hours, and tens of GB on disk
    )
}
SUMMARY = re.compile(r"wrote ([\d,]+) events \(([\d,]+) lines\)")


@dataclass(frozen=True)
class Generated:
    landing: Path
    events: int
    measurement: Measurement | None  # None when the cached copy was reused


def _generate(
    folder: Path, workload: Workload, seed: int, mau: str, env: dict[str, str]
) -> tuple[int, Measurement]:
    """Run `mau generate` into `folder`; the events it wrote and how long it took."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    command = [mau, "generate", "--seed", str(seed), "--tenants", str(workload.tenants),
               "--months", str(workload.months), "--events", str(workload.events)]  # fmt: skip
    measurement = run_measured(command, {**env, "MAU_HOME": str(folder)})
    match = SUMMARY.search(measurement.stderr)
    if not match:
        raise MauError("mau generate did not report what it wrote")
    return int(match.group(1).replace(",", "")), measurement


def ensure_workload(
    cache: Path, workload: Workload, seed: int, mau: str, env: dict[str, str]
) -> Generated:
    """The workload's landing folder, generated today (timed) or reused from today's cache."""
    day = datetime.now(UTC).strftime("%Y%m%d")
    folder = cache / f"{workload.name}-seed{seed}-{day}"
    ready = folder / "generated.txt"
    if ready.exists():
        events = int(ready.read_text().split()[0])
        return Generated(folder / "landing", events, None)
    for stale in cache.glob(f"{workload.name}-seed{seed}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    events, measurement = _generate(folder, workload, seed, mau, env)
    ready.write_text(f"{events} events\n")
    return Generated(folder / "landing", events, measurement)
