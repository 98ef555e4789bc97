"""A run of `mau generate`: the accounts, then months drawn while earlier ones are written.

The main thread draws a month of events and sorts it by receipt while two worker threads
write the previous month's days; NumPy, Arrow and ISA-L release the GIL, so the threads
run in parallel, and each file depends only on its own rows, so the bytes are stable.
`__all__` is the API the package exports.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from mau_warehouse.tools.workload.bad_lines import MALFORMED_CYCLE, MALFORMED_KINDS
from mau_warehouse.tools.workload.dictionaries import Dictionaries
from mau_warehouse.tools.workload.encoding import EVENT_COLUMNS, json_lines, parquet_columns
from mau_warehouse.tools.workload.fields import event_fields
from mau_warehouse.tools.workload.scenario import GenerateOptions, Plan, World, validate
from mau_warehouse.tools.workload.timelines import Frame, month_rows, received_by_day, take_rows
from mau_warehouse.tools.workload.writers import (
    DayJob,
    temporary_path,
    write_accounts,
    write_lines,
    write_parquet,
)

__all__ = ["EVENT_COLUMNS", "MALFORMED_KINDS", "GenerateOptions", "GenerateSummary", "generate"]


CHUNK_ROWS = 32_000  # rows rendered at once: big enough to amortise calls, small for caches
FORMATS = ("jsonl.gz", "jsonl", "ndjson", "ndjson.gz", "parquet")
WORKERS = 2  # SPEC §6 measures on two cores
BATCH_ROWS = 100_000  # days rendered together: per-call costs vanish, two workers stay busy
IN_FLIGHT = 1  # months queued while the next is drawn: 3 months in memory at most


@dataclass(frozen=True)
class GenerateSummary:
    files: int  # every file written: accounts CSVs and event files
    events: int  # well-formed event lines, retried copies included
    lines: int  # every event line: well-formed and malformed
    tenants: int  # tenants in tenants.csv
    months: int
    seconds: float


def generate(
    landing_dir: Path,
    options: GenerateOptions,
    progress: Callable[[int, int], None] | None = None,
) -> GenerateSummary:
    """Write accounts and events under `landing_dir`; progress(done, total) counts events."""
    began = time.perf_counter()
    now = _utc_now()
    plan = Plan.build(options, validate(options, now), now)
    rng = np.random.default_rng(np.random.PCG64(np.random.SeedSequence([options.seed, 1])))
    world = World.build(plan, rng)
    write_accounts(landing_dir / "accounts", world)
    written = _write_events(landing_dir / "events", world, rng, progress)
    return GenerateSummary(
        files=3 + written.files,
        events=written.events,
        lines=written.events + written.malformed,
        tenants=options.tenants,
        months=options.months,
        seconds=time.perf_counter() - began,
    )


def _utc_now() -> datetime:
    """The clock that bounds the open month; a separate function so tests can pin it."""
    return datetime.now(UTC)


@dataclass
class _Written:
    files: int = 0
    events: int = 0
    malformed: int = 0

    def add(self, other: _Written) -> None:
        self.files += other.files
        self.events += other.events
        self.malformed += other.malformed


@dataclass(frozen=True)
class _Batch:
    """Consecutive days of one kind (JSON lines or Parquet) and their events in order."""

    frame: Frame
    jobs: list[DayJob]


def _write_events(
    folder: Path,
    world: World,
    rng: np.random.Generator,
    progress: Callable[[int, int], None] | None,
) -> _Written:
    """One file per UTC day of receipt; months are drawn while earlier ones are written."""
    plan = world.plan
    written = _Written()
    if plan.options.events == 0:
        return written
    formats = _day_formats(rng, plan.days)
    dicts = Dictionaries(world)
    salt = np.uint64(rng.integers(0, 2**63))
    # Progress counts well-formed events against the target; the real count differs a little.
    target = plan.options.events
    report = progress or (lambda done, total: None)
    report(0, target)
    carry: Frame | None = None
    first_key, cycle = 0, 0
    with ThreadPoolExecutor(max_workers=WORKERS) as workers:
        pending: deque[list[Future[_Written]]] = deque()
        for month in range(plan.options.months):
            days = plan.month_days(month)
            if not len(days):
                break
            rows, first_key = month_rows(world, month, rng, first_key, carry)
            frame, cuts, carry = received_by_day(plan, rows, days)
            jobs, cycle = _day_jobs(folder, plan, formats, days, np.diff(cuts), rng, cycle)
            batches = _batches(frame, cuts, jobs)
            pending.append([workers.submit(_write_batch, world, dicts, b, salt) for b in batches])
            while len(pending) > IN_FLIGHT:
                _collect(pending.popleft(), written, report, target)
        while pending:
            _collect(pending.popleft(), written, report, target)
    report(target, target)
    return written


def _day_jobs(
    folder: Path,
    plan: Plan,
    formats: np.ndarray,
    days: np.ndarray,
    rows: np.ndarray,
    rng: np.random.Generator,
    cycle: int,
) -> tuple[list[DayJob], int]:
    """One job per day; broken lines go to JSON days, their kinds taken round-robin."""
    jobs = []
    for day, count in zip(days.tolist(), rows.tolist(), strict=True):
        fmt = FORMATS[formats[day]]
        rate = 0.0 if fmt == "parquet" else plan.options.malformed_rate
        bad = rng.binomial(count, rate)
        kinds = tuple(MALFORMED_CYCLE[(cycle + j) % len(MALFORMED_CYCLE)] for j in range(bad))
        cycle += bad
        jobs.append(DayJob(day, _day_path(folder, plan, day, fmt), fmt, count, kinds))
    return jobs, cycle


def _batches(frame: Frame, cuts: np.ndarray, jobs: list[DayJob]) -> list[_Batch]:
    """Runs of JSON days closed once they hold BATCH_ROWS events; each Parquet day alone."""
    batches, first = [], 0
    for i, job in enumerate(jobs):
        kind_ends = i + 1 == len(jobs) or "parquet" in (job.fmt, jobs[i + 1].fmt)
        if kind_ends or cuts[i + 1] - cuts[first] >= BATCH_ROWS:
            rows = slice(int(cuts[first]), int(cuts[i + 1]))
            batches.append(_Batch(take_rows(frame, rows), jobs[first : i + 1]))
            first = i + 1
    return batches


def _collect(
    futures: list[Future[_Written]],
    written: _Written,
    report: Callable[[int, int], None],
    total: int,
) -> None:
    for future in futures:
        written.add(future.result())
        report(min(written.events, total), total)


def _day_formats(rng: np.random.Generator, days: int) -> np.ndarray:
    """Mostly gzipped JSON lines; every other format on at least one day when there are five."""
    formats = rng.choice(len(FORMATS), size=days, p=[0.8, 0.05, 0.05, 0.05, 0.05])
    if days >= len(FORMATS):
        formats[rng.choice(days, len(FORMATS) - 1, replace=False)] = np.arange(1, len(FORMATS))
    return formats


def _day_path(folder: Path, plan: Plan, day: int, fmt: str) -> Path:
    when = plan.start + timedelta(days=day)
    return folder / f"{when:%Y/%m/%d}" / f"events-{when:%Y-%m-%d}.{fmt}"


def _write_batch(world: World, dicts: Dictionaries, batch: _Batch, salt: np.uint64) -> _Written:
    """Render a batch chunk by chunk and hand each day file its rows, in order."""
    parquet = batch.jobs[0].fmt == "parquet"
    stream = _Stream(_rendered(world, dicts, batch.frame, salt, parquet))
    for job in batch.jobs:
        job.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = temporary_path(job.path)
        if parquet:
            write_parquet(temporary, stream.take(job.rows))
        else:
            write_lines(world, job, temporary, stream.take(job.rows))
        os.replace(temporary, job.path)
    events = sum(job.rows for job in batch.jobs)
    malformed = sum(len(job.malformed) for job in batch.jobs)
    return _Written(len(batch.jobs), events, malformed)


def _rendered(
    world: World, dicts: Dictionaries, frame: Frame, salt: np.uint64, parquet: bool
) -> Iterator[pa.StringArray | pa.Table]:
    """The events rendered CHUNK_ROWS at a time: JSON lines, or Parquet columns."""
    for start in range(0, len(frame["key"]), CHUNK_ROWS):
        chunk = take_rows(frame, slice(start, start + CHUNK_ROWS))
        fields = event_fields(world, dicts, chunk, salt)
        yield parquet_columns(dicts, fields) if parquet else json_lines(dicts, fields)


class _Stream:
    """Rendered chunks handed out as runs of rows, wherever the chunks end."""

    def __init__(self, chunks: Iterator[pa.StringArray | pa.Table]) -> None:
        self._chunks = chunks
        self._rest: pa.StringArray | pa.Table | None = None  # rows not handed out yet

    def take(self, count: int) -> Iterator[pa.StringArray | pa.Table]:
        while count:
            if self._rest is None or not len(self._rest):
                self._rest = next(self._chunks)
            part = self._rest.slice(0, count)
            self._rest = self._rest.slice(len(part))
            count -= len(part)
            yield part
