"""Wall time and peak memory of a command, the way `mau bench` reports them (SPEC §6).

Each measured step runs as its own process tree. Peak memory is the larger of two
readings: the kernel's high-water mark of the largest single process (wait4), and
the highest sum of resident memory over the whole tree sampled every 50 ms, since a
step may run the loader, dbt and DuckDB in several processes at once.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mau_warehouse.errors import MauError

SAMPLE_SECONDS = 0.05
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def _resident_kb(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * PAGE_KB


def _tree_resident_kb(root: int) -> int:
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _resident_kb(pid)
        pending.extend(_children(pid))
    return total


def run_measured(
    command: Sequence[str], env: Mapping[str, str], cwd: Path | None = None
) -> Measurement:
    """Run `command`; raise a one-line MauError with its last output line when it fails."""
    started = time.perf_counter()
    process = subprocess.Popen(
        list(command),
        env=dict(env),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    peak_kb = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_kb
        while not done.wait(SAMPLE_SECONDS):
            peak_kb = max(peak_kb, _tree_resident_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # Read both pipes while the process runs: a full pipe would stall it.
    output: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, s=stream: output.__setitem__(n, s.read()))
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    for reader in readers:
        reader.join()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        last = (output.get("err") or output.get("out") or "").strip().splitlines()[-1:]
        raise MauError(
            f"{' '.join(command[:3])}… failed ({process.returncode}): "
            + (last[0] if last else "no output")
        )
    peak_mb = max(peak_kb, usage.ru_maxrss) / 1024
    return Measurement(seconds, peak_mb, output.get("out", ""), output.get("err", ""))
