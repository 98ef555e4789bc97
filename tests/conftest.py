"""Shared fixtures: a real MAU_HOME with generated data and a real pipeline run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

MAU = str(Path(sys.executable).parent / "mau")

# Under pytest-xdist each worker gets its own dbt target folder: two dbt runs in the
# same project must not write each other's manifest and compiled SQL.
if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault(
        "DBT_TARGET_PATH",
        str(Path(__file__).resolve().parent.parent / "dbt_project" / "target" / worker),
    )


def pytest_configure(config: pytest.Config) -> None:
    """Parse the dbt project once, before any worker loads the Dagster definitions."""
    if not hasattr(config, "workerinput"):
        from orchestration.dbt_project import ensure_manifest

        ensure_manifest()


TEST_KEY = "test-pseudonymization-key"

RunMau = Callable[..., subprocess.CompletedProcess[str]]


def mau_env(home: Path, key: str = TEST_KEY) -> dict[str, str]:
    return {**os.environ, "MAU_HOME": str(home), "MAU_PSEUDONYM_KEY": key}


def run_mau(
    home: Path, *args: str, check: bool = True, stdin: str | None = None, key: str = TEST_KEY
) -> subprocess.CompletedProcess[str]:
    """Run the installed `mau` command, as a user would, against one MAU_HOME."""
    done = subprocess.run(
        [MAU, *args],
        env=mau_env(home, key),
        capture_output=True,
        text=True,
        timeout=900,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"mau {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr[-4000:]}"
        )
    return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, server: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def mau_home(tmp_path: Path) -> Path:
    """An empty MAU_HOME for one test."""
    home = tmp_path / "mau_home"
    home.mkdir()
    return home


def built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """A folder built by the first pytest-xdist worker that needs it and shared by all.

    The workers' temporary folders share a parent that is new for every test session;
    a file lock makes the others wait for the first build instead of each paying for a
    pipeline run of its own. Without workers the session's own folder is used.
    """
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, ready = root / name, root / f"{name}.ready"
    with FileLock(str(root / f"{name}.lock")):
        if not ready.exists():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            ready.touch()
    return folder


def _publish_sample(home: Path) -> None:
    run_mau(home, "generate", "--seed", "7", "--tenants", "6", "--months", "2",
            "--events", "20000", "--start-month", "2026-09")  # fmt: skip
    run_mau(home, "run")


@pytest.fixture(scope="session")
def published_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MAU_HOME with a small generated data set, ingested, built, checked and published.

    Shared read-only by every test that takes it; tests that change a home copy it.
    """
    return built_once(tmp_path_factory, "published_home", _publish_sample)


STAFF = ("ops@example.com", "staff-password-1")


def _add_dashboard_users(home: Path) -> None:
    import duckdb

    run_mau(home, "user", "add", STAFF[0], "--role", "staff", "--password-stdin",
            stdin=STAFF[1] + "\n")  # fmt: skip
    serving = home / "warehouse" / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        tenant_ids = [
            row[0] for row in con.execute("select tenant_id from marts.dim_tenants").fetchall()
        ]
    for tenant_id in tenant_ids:
        username, password = tenant_user(tenant_id)
        run_mau(home, "user", "add", username, "--role", "tenant",
                "--tenant", tenant_id, "--password-stdin", stdin=password + "\n")  # fmt: skip


@pytest.fixture(scope="session")
def dashboard_home(tmp_path_factory: pytest.TempPathFactory, published_home: Path) -> Path:
    """A copy of the published home with a staff user and a user per tenant (`mau user add`).

    A copy, so that writing the users file never races a test copying published_home.
    """

    def build(home: Path) -> None:
        shutil.copytree(
            published_home, home, dirs_exist_ok=True, ignore=shutil.ignore_patterns("dagster")
        )
        _add_dashboard_users(home)

    return built_once(tmp_path_factory, "dashboard_home", build)


def tenant_user(tenant_id: str) -> tuple[str, str]:
    """Username and password of the test user of one tenant."""
    return f"admin@{tenant_id}.example", f"password-of-{tenant_id}"


def build_usage_mart(home: Path) -> list[tuple[object, ...]]:
    """Build the usage mart and its upstream models with dbt in this process; return its rows.

    The whole Dagster job costs a minute; the equivalence tests only need the models,
    so they run dbt's own runner (no tests) and read the mart back, ordered.
    """
    from dbt.cli.main import dbtRunner

    from mau_warehouse.config import DBT_PROJECT_DIR, load_settings

    settings = load_settings(home)
    os.environ.update(settings.dbt_env())
    result = dbtRunner().invoke(
        [
            "build",
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--select", "+fct_tenant_monthly_usage",
            "--resource-type", "model", "--resource-type", "seed",
            "--quiet",
        ]
    )  # fmt: skip
    assert result.success, result.exception
    import duckdb

    with duckdb.connect(str(settings.warehouse_path)) as con:
        return con.execute(
            "select * exclude (tenant_name) from marts.fct_tenant_monthly_usage order by all"
        ).fetchall()
