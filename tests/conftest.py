"""Shared fixtures: a real MAU_HOME with generated data and a real pipeline run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

MAU = str(Path(sys.executable).parent / "mau")
TEST_KEY = "test-pseudonymization-key"

RunMau = Callable[..., subprocess.CompletedProcess[str]]


def mau_env(home: Path) -> dict[str, str]:
    return {**os.environ, "MAU_HOME": str(home), "MAU_PSEUDONYM_KEY": TEST_KEY}


def run_mau(
    home: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `mau` command, as a user would, against one MAU_HOME."""
    done = subprocess.run(
        [MAU, *args],
        env=mau_env(home),
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


@pytest.fixture
def mau_home(tmp_path: Path) -> Path:
    """An empty MAU_HOME for one test."""
    home = tmp_path / "mau_home"
    home.mkdir()
    return home


@pytest.fixture(scope="session")
def published_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A MAU_HOME with a small generated data set, ingested, built, checked and published."""
    home = tmp_path_factory.mktemp("published_home")
    run_mau(
        home,
        "generate",
        "--seed",
        "7",
        "--tenants",
        "6",
        "--months",
        "2",
        "--events",
        "20000",
        "--start-month",
        "2026-09",
    )
    run_mau(home, "run")
    return home


STAFF = ("ops@example.com", "staff-password-1")


@pytest.fixture(scope="session")
def dashboard_home(published_home: Path) -> Path:
    """The published home with a staff user and one tenant user per tenant (`mau user add`)."""
    import duckdb

    run_mau(published_home, "user", "add", STAFF[0], "--role", "staff", "--password-stdin",
            stdin=STAFF[1] + "\n")  # fmt: skip
    serving = published_home / "warehouse" / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        tenant_ids = [
            row[0] for row in con.execute("select tenant_id from marts.dim_tenants").fetchall()
        ]
    for tenant_id in tenant_ids:
        username, password = tenant_user(tenant_id)
        run_mau(published_home, "user", "add", username, "--role", "tenant",
                "--tenant", tenant_id, "--password-stdin", stdin=password + "\n")  # fmt: skip
    return published_home


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
