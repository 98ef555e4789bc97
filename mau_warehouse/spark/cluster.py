"""A Spark standalone cluster on this machine (SPEC §8): a master and its workers, each
its own JVM, started with the daemon script that ships inside PyPI's pyspark and bound
to 127.0.0.1. A driver reaches it at `spark://127.0.0.1:<port>`, as it would reach a
user's cluster; everything the daemons write lives under `$MAU_HOME/spark/`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
# A JVM takes a few seconds to start and a worker a few more to register.
START_TIMEOUT_SECONDS = 90.0
STOP_GRACE_SECONDS = 60.0
KILL_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Worker:
    """A worker as the master reports it."""

    worker_id: str
    ui_url: str
    state: str
    cores: int


def spark_home() -> Path:
    """Spark as pyspark's wheel ships it: jars, `bin/spark-class` and `sbin/`."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def require_java() -> None:
    """Spark needs a Java 17 runtime; say how to get one instead of a JVM stack trace."""
    if os.environ.get("JAVA_HOME") or shutil.which("java"):
        return
    raise MauError(
        "Spark needs Java 17 and none is installed: `make java` installs Debian's "
        "openjdk-17-jre-headless"
    )


def up(settings: Settings) -> list[Worker]:
    """Start the master and the workers, and wait until every worker has registered."""
    require_java()
    spark = settings.spark
    if _running_daemons(settings):
        raise MauError(
            f"a cluster is already running from {settings.spark_dir} "
            f"(master {spark.master_url}); `mau spark-cluster down` stops it"
        )
    _daemon(settings, "start", MASTER_CLASS, 1,
            "--host", "127.0.0.1",
            "--port", str(spark.master_port),
            "--webui-port", str(spark.ui_port))  # fmt: skip
    _wait_for(settings, lambda state: state is not None and state["status"] == "ALIVE", "master")
    for instance in range(1, spark.workers + 1):
        work_dir = settings.spark_dir / f"worker-{instance}"
        work_dir.mkdir(parents=True, exist_ok=True)
        _daemon(settings, "start", WORKER_CLASS, instance,
                "--host", "127.0.0.1",
                "--webui-port", str(spark.ui_port + instance),
                "--cores", str(spark.worker_cores),
                "--memory", spark.worker_memory,
                "--work-dir", str(work_dir),
                spark.master_url)  # fmt: skip
    _wait_for(
        settings,
        lambda state: state is not None and state["aliveworkers"] == spark.workers,
        f"{spark.workers} workers",
    )
    return workers(settings)


def down(settings: Settings) -> int:
    """Stop the workers, then the master, and wait until their JVMs have exited; return
    how many daemons were stopped."""
    running = _running_daemons(settings)
    for daemon_class, instance, _ in sorted(running, key=lambda item: item[0] == MASTER_CLASS):
        _daemon(settings, "stop", daemon_class, instance)
    # The script removes a pid file as soon as it signals the JVM, which takes a few
    # seconds more to exit and free its ports; on a busy machine its shutdown hooks
    # can take longer than that, and a JVM still there after the grace period is
    # killed: everything it ran has ended with the drivers that used it.
    if not _poll_until(lambda: _all_exited(running), STOP_GRACE_SECONDS):
        for daemon_class, _, pid in running:
            if _is_running(pid, daemon_class):
                os.kill(pid, signal.SIGKILL)
        if not _poll_until(lambda: _all_exited(running), KILL_WAIT_SECONDS):
            raise MauError(
                f"the cluster did not stop; see the logs in {settings.spark_dir / 'logs'}"
            )
    return len(running)


def workers(settings: Settings) -> list[Worker]:
    """The workers the master knows, alive or not; empty when no master answers."""
    state = master_state(settings)
    if state is None:
        return []
    return [
        Worker(
            worker_id=worker["id"],
            ui_url=worker["webuiaddress"].rstrip("/"),
            state=worker["state"],
            cores=int(worker["cores"]),
        )
        for worker in state["workers"]
    ]


def master_state(settings: Settings) -> dict | None:
    """The master's JSON status page, or None when nothing answers on its UI port."""
    try:
        with urllib.request.urlopen(f"{settings.spark.master_ui_url}/json/", timeout=5) as reply:
            return json.load(reply)
    except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
        return None


def _daemon_env(settings: Settings) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # Set at all, even empty, this makes the script run the daemon in the foreground.
        if key != "SPARK_NO_DAEMONIZE"
    }
    return env | {
        "SPARK_HOME": str(spark_home()),
        "SPARK_PID_DIR": str(settings.spark_dir / "pids"),
        "SPARK_LOG_DIR": str(settings.spark_dir / "logs"),
        "SPARK_IDENT_STRING": "mau",
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


def _daemon(settings: Settings, action: str, daemon_class: str, instance: int, *args: str) -> None:
    script = spark_home() / "sbin" / "spark-daemon.sh"
    result = subprocess.run(
        ["bash", str(script), action, daemon_class, str(instance), *args],
        env=_daemon_env(settings),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        raise MauError(f"spark-daemon.sh {action} {daemon_class} failed: {lines[-1]}")


def _running_daemons(settings: Settings) -> list[tuple[str, int, int]]:
    """(class, instance, pid) of every daemon whose pid file names a running process."""
    running = []
    for pid_file in sorted((settings.spark_dir / "pids").glob("spark-mau-*.pid")):
        daemon_class, _, instance = pid_file.stem.removeprefix("spark-mau-").rpartition("-")
        try:
            pid = int(pid_file.read_text())
        except (OSError, ValueError):
            continue
        if _is_running(pid, daemon_class):
            running.append((daemon_class, int(instance), pid))
    return running


def _is_running(pid: int, daemon_class: str) -> bool:
    """The process runs that class (a zombie's command line is empty; a reused pid's
    names something else)."""
    try:
        return daemon_class.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _all_exited(daemons: list[tuple[str, int, int]]) -> bool:
    return not any(_is_running(pid, daemon_class) for daemon_class, _, pid in daemons)


def _wait_for(settings: Settings, ready: Callable[[dict | None], bool], what: str) -> None:
    if not _poll_until(lambda: ready(master_state(settings)), START_TIMEOUT_SECONDS):
        raise MauError(
            f"the Spark {what} did not come up within {START_TIMEOUT_SECONDS:.0f} s; "
            f"see the logs in {settings.spark_dir / 'logs'}"
        )


def _poll_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Whether `condition` held within `seconds`, asked twice a second."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True
