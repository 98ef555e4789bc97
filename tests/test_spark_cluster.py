"""The standalone Spark cluster of `mau spark-cluster` (SPEC §8): a master and two
workers, each its own JVM on 127.0.0.1, that really run a driver's tasks."""

from __future__ import annotations

import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import MAU, free_port, mau_env


def _mau(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MAU, "spark-cluster", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def _daemon_pids(home: Path) -> dict[str, int]:
    return {
        pid_file.stem: int(pid_file.read_text())
        for pid_file in (home / "spark" / "pids").glob("*.pid")
    }


def _alive(pid: int) -> bool:
    """Running, not a zombie: a stopped daemon may wait on a parent that never reaps it."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.slow
def test_cluster_of_a_master_and_two_workers_runs_tasks_on_both(tmp_path: Path) -> None:
    ui_port = free_port()
    env = mau_env(tmp_path) | {
        "MAU_SPARK_MASTER_PORT": str(free_port()),
        "MAU_SPARK_UI_PORT": str(ui_port),
        "MAU_SPARK_WORKERS": "2",
    }
    started = _mau(env, "up")
    assert started.returncode == 0, started.stderr
    try:
        assert "with 2 workers" in started.stderr
        # Three daemons, each its own JVM.
        pids = _daemon_pids(tmp_path)
        assert len(pids) == 3 and len(set(pids.values())) == 3
        for pid in pids.values():
            assert b"java" in Path(f"/proc/{pid}/cmdline").read_bytes()

        status = _mau(env, "status")
        assert status.returncode == 0, status.stderr
        rows = [line.split("\t") for line in status.stdout.splitlines()]
        assert [row[1] for row in rows] == ["ALIVE", "ALIVE"]
        assert all(row[3].startswith("http://127.0.0.1:") for row in rows)

        again = _mau(env, "up")
        assert again.returncode == 1
        assert again.stderr.count("\n") == 1 and "already running" in again.stderr

        # The master's own view of the workers' task counts is not kept, so the check
        # reads the driver's REST API and maps each executor to its worker.
        checked = _mau(env, "check")
        assert checked.returncode == 0, checked.stderr[-2000:]
        tasks = {
            worker: int(count.split()[0])
            for worker, count in (line.split("\t") for line in checked.stdout.splitlines())
        }
        assert set(tasks) == {row[0] for row in rows}
        assert all(count > 0 for count in tasks.values()), tasks
        assert sum(tasks.values()) >= 8
    finally:
        stopped = _mau(env, "down")
    assert stopped.returncode == 0, stopped.stderr
    assert "stopped 3 Spark daemons" in stopped.stderr
    assert not any(_alive(pid) for pid in pids.values())
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{ui_port}/json/", timeout=5)
    assert _mau(env, "status").returncode == 1
