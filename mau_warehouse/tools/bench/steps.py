"""The steps `mau bench` times (SPEC §6), each a process of its own, run after run.

- generate: `mau generate` writing the workload (when it is not cached yet);
- limit_query: the reference (mau_warehouse.tools.bench.limit_query) on the same files;
- pipeline: `mau run` from the landing files to every mart, on an empty warehouse;
- new_day_1_month / new_day_12_months: `mau run` after one new day of files lands on
  a warehouse already built from the month (or the twelve months) before that day;
- page: <title>: a dashboard page on 1,000 tenants × 24 months (cold, then warm).
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from mau_warehouse.tools.bench import homes
from mau_warehouse.tools.bench.measure import Measurement, run_measured
from mau_warehouse.tools.bench.shares import PARTS, run_shares
from mau_warehouse.tools.bench.workloads import Workload, ensure_workload

Progress = Callable[[str], None]
HISTORIES = {"new_day_1_month": 1, "new_day_12_months": 12}


@dataclass
class StepResult:
    workload: str
    step: str
    runs: list[Measurement] = field(default_factory=list)
    detail: str = ""
    # seconds per part of each timed `mau run` (mau_warehouse/tools/bench/shares.py)
    run_parts: list[dict[str, float]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def parts(self) -> dict[str, float]:
        """The median seconds of each part over the repetitions."""
        if not self.run_parts:
            return {}
        return {
            part: statistics.median(parts.get(part, 0.0) for parts in self.run_parts)
            for part in PARTS
        }

    @property
    def peak_rss_mb(self) -> float:
        # the worst repetition: memory is a ceiling, not an average
        return max(run.peak_rss_mb for run in self.runs)


@dataclass(frozen=True)
class Bench:
    """Where the bench works and how it starts the project's commands."""

    cache: Path
    env: dict[str, str]
    repetitions: int
    say: Progress

    @property
    def mau(self) -> str:
        return str(Path(sys.executable).parent / "mau")

    def home_env(self, home: Path) -> dict[str, str]:
        return {**self.env, "MAU_HOME": str(home)}

    def repeat(self, result: StepResult, run: Callable[[], Measurement]) -> StepResult:
        for repetition in range(1, self.repetitions + 1):
            self.say(f"{result.workload} {result.step}: run {repetition}/{self.repetitions}")
            result.runs.append(run())
        self.say(
            f"{result.workload} {result.step}: {result.seconds:.2f} s, "
            f"{result.peak_rss_mb:.0f} MB peak"
        )
        return result


def limit_query(bench: Bench, workload: Workload, landing: Path) -> StepResult:
    command = [
        sys.executable,
        "-m",
        "mau_warehouse.tools.bench.limit_query",
        str(landing / "events"),
    ]
    result = StepResult(workload.name, "limit_query")
    return bench.repeat(result, lambda: run_measured(command, bench.env))


def timed_run(bench: Bench, home: Path, result: StepResult) -> Measurement:
    """`mau run` in `home`, with the time of each of its parts kept in `result`."""
    measurement = run_measured([bench.mau, "run"], bench.home_env(home))
    result.run_parts.append(run_shares(home, measurement.seconds))
    return measurement


def pipeline(bench: Bench, workload: Workload, landing: Path) -> tuple[StepResult, Path]:
    """Files to every mart on an empty warehouse; returns the last run's home too."""
    home = bench.cache / "homes" / f"{workload.name}-pipeline"
    result = StepResult(workload.name, "pipeline")

    def run() -> Measurement:
        homes.fresh_home(home)
        homes.link_landing(landing, home, homes.day_folders(landing))
        return timed_run(bench, home, result)

    return bench.repeat(result, run), home


def new_day(bench: Bench, workload: Workload, landing: Path, step: str) -> StepResult:
    """One day of files more, on a warehouse built from the months of history before it.

    The new day is the workload's last complete day (its very last one ends when it was
    generated); the history is every day of the `months` months before it.
    """
    months = HISTORIES[step]
    days = homes.day_folders(landing)[:-1]
    new, history = days[-1], days[:-1]
    first = homes.day_of(new)
    start_month = (first.year * 12 + first.month - 1) - months
    start = first.replace(year=start_month // 12, month=start_month % 12 + 1)
    history = [folder for folder in history if homes.day_of(folder) >= start]
    prepared = bench.cache / "homes" / f"{workload.name}-{step}-prepared"
    marker = prepared / "prepared.txt"
    home = bench.cache / "homes" / f"{workload.name}-{step}"
    if not marker.exists() or marker.read_text() != str(new):
        bench.say(f"{workload.name} {step}: building {len(history)} days of history (not timed)")
        # Built where the timed runs run, then kept aside: what a home's runs keep
        # for the next one (dbt's parse) is made for that home's paths (SPEC §6: a
        # new day as the hourly pipeline of one home sees it).
        homes.fresh_home(home)
        homes.link_landing(landing, home, history)
        run_measured([bench.mau, "run"], bench.home_env(home))
        homes.restore(home, prepared)
        marker.write_text(str(new))
    result = StepResult(workload.name, step, detail=f"{len(history)} days before {first}")

    def run() -> Measurement:
        homes.restore(prepared, home)
        homes.link_landing(landing, home, [new])
        return timed_run(bench, home, result)

    return bench.repeat(result, run)


def dashboard_pages(bench: Bench, template: Path) -> list[StepResult]:
    """Every page on 1,000 tenants × 24 months scaled out from `template` (a serving file)."""
    home = homes.fresh_home(bench.cache / "homes" / "dashboards")
    command = [sys.executable, "-m", "mau_warehouse.tools.bench.dashboards", str(template),
               str(home), str(bench.repetitions)]  # fmt: skip
    bench.say("dashboards: scaling the published figures out to 1,000 tenants × 24 months")
    measurement = run_measured(command, bench.home_env(home))
    lines = [json.loads(line) for line in measurement.stdout.splitlines() if line.strip()]
    shape = "1000 tenants x 24 months"
    results = []
    for line in lines:
        if "page" not in line:
            continue
        for kind in ("cold", "warm"):
            seconds = line[f"{kind}_seconds"]
            run = Measurement(seconds, measurement.peak_rss_mb, "", "")
            results.append(StepResult(shape, f"page: {line['page']} ({kind})", [run]))
    return results


def run_workload(bench: Bench, workload: Workload, seed: int, steps: list[str]) -> list[StepResult]:
    """Every asked step on one workload, the limit query first."""
    bench.say(f"{workload.name}: {workload.events:,} events, {workload.tenants} tenants")
    generated = ensure_workload(bench.cache / "workloads", workload, seed, bench.mau, bench.env)
    results: list[StepResult] = []
    if generated.measurement is not None:
        rate = generated.events / generated.measurement.seconds
        results.append(
            StepResult(workload.name, "generate", [generated.measurement], f"{rate:,.0f} events/s")
        )
    results.append(limit_query(bench, workload, generated.landing))
    if "pipeline" in steps:
        result, _ = pipeline(bench, workload, generated.landing)
        results.append(result)
    for step in HISTORIES:
        if step in steps:
            results.append(new_day(bench, workload, generated.landing, step))
    return results
