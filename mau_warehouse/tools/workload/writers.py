"""Files written whole: accounts CSVs and day files of JSON lines or Parquet.

Every file is written under a name that no loader pattern matches, then renamed, so a
loader never sees half a file. gzip is ISA-L at level 1 (isal), about five times zlib's
speed, and still the largest cost of generation.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from isal import isal_zlib

from mau_warehouse.tools.workload.bad_lines import malformed_lines
from mau_warehouse.tools.workload.encoding import PARQUET_SCHEMA
from mau_warehouse.tools.workload.scenario import World
from mau_warehouse.tools.workload.vocabulary import PLANS

# Few distinct values: dictionary encoding pays. Ids and clocks would only fill dictionaries.
DICTIONARY_COLUMNS = [
    "tenant_id",
    "event_type",
    "device_type",
    "user_agent",
    "page_url",
    "properties",
]


@dataclass(frozen=True)
class DayJob:
    """One event file: a UTC day of receipt, its format and what goes in it."""

    day: int  # day index from the first day
    path: Path
    fmt: str
    rows: int  # events received that day
    malformed: tuple[int, ...]  # kind of each broken line (index in MALFORMED_KINDS)


def write_accounts(folder: Path, world: World) -> None:
    """The billing exports: plans, tenants (all but the last one, R18), subscriptions."""
    folder.mkdir(parents=True, exist_ok=True)
    plans = [
        (pid, name, "" if limit is None else limit, price) for pid, name, limit, price in PLANS
    ]
    header = ("plan_id", "plan_name", "mau_limit", "monthly_price_usd")
    _write_atomic(folder / "plans.csv", _csv(header, plans))
    listed = len(world.tenant_ids) - 1
    tenants = [
        (
            world.tenant_ids[i],
            world.names[i],
            world.timezones[i],
            f"{world.created[i]:%Y-%m-%dT%H:%M:%SZ}",
            f"billing@{world.slugs[i]}.example",  # usage alerts go to the tenant's contact
        )
        for i in range(listed)
    ]
    header = ("tenant_id", "tenant_name", "billing_timezone", "created_at", "billing_email")
    _write_atomic(folder / "tenants.csv", _csv(header, tenants))
    rows = [
        (t, p, f"{s:%Y-%m-%d}", "" if e is None else f"{e:%Y-%m-%d}", "true" if trial else "false")
        for t, p, s, e, trial in world.subscriptions
    ]
    header = ("tenant_id", "plan_id", "started_on", "ended_on", "is_trial")
    _write_atomic(folder / "subscriptions.csv", _csv(header, rows))


def _csv(header: tuple[str, ...], rows: list[tuple[object, ...]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return text.getvalue().encode()


def temporary_path(path: Path) -> Path:
    """A name beside `path` that no loader pattern matches: files appear whole, by rename."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = temporary_path(path)
    temporary.write_bytes(data)
    os.replace(temporary, path)


def write_lines(
    world: World, job: DayJob, temporary: Path, parts: Iterator[pa.StringArray]
) -> None:
    """JSON lines as they come, gzipped or not; the day's broken lines go in at random rows."""
    bad, where = malformed_lines(world, job.day, job.rows, job.malformed)
    # Level 1: compression is the main cost of generation, and the ratio barely matters.
    gzipped = job.fmt.endswith(".gz")
    packer = isal_zlib.compressobj(1, isal_zlib.DEFLATED, 31) if gzipped else None
    with open(temporary, "wb") as handle:

        def write(data: bytes | memoryview) -> None:
            handle.write(data if packer is None else packer.compress(data))

        row, taken = 0, 0
        for lines in parts:
            data, offsets = _line_bytes(lines)
            cursor = int(offsets[0])
            while taken < len(bad) and where[taken] <= row + len(lines):
                cut = int(offsets[where[taken] - row])
                write(data[cursor:cut])
                write(bad[taken])
                cursor, taken = cut, taken + 1
            write(data[cursor : int(offsets[-1])])
            row += len(lines)
        for line in bad[taken:]:  # a day without events: its broken lines only
            write(line)
        if packer is not None:
            handle.write(packer.flush())


def _line_bytes(lines: pa.StringArray) -> tuple[memoryview, np.ndarray]:
    """The bytes under a (sliced) string array, and where each line starts, plus the end."""
    start = lines.offset
    offsets = np.frombuffer(lines.buffers()[1], np.int32)[start : start + len(lines) + 1]
    return memoryview(lines.buffers()[2]), offsets.astype(np.int64)


def write_parquet(temporary: Path, parts: Iterator[pa.Table]) -> None:
    """One row group per rendered chunk; an empty day is a valid file without rows."""
    with pq.ParquetWriter(temporary, PARQUET_SCHEMA, use_dictionary=DICTIONARY_COLUMNS) as writer:
        for table in parts:
            writer.write_table(table)
