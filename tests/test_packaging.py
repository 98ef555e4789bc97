"""The project as a user installs it: `pip install .` (not editable) into a fresh virtual
environment, then `mau demo` from a folder that is not the checkout.

The installed `mau` must find the dbt project, the SQL it runs and the dashboards inside
the installed distribution, never in the repository it was built from.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# What a checkout holds that is not source: a copy without it is what `pip install .` sees.
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    "*.egg-info",
    "target",
    "logs",
    "node_modules",
    "test-artifacts",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    ".user.yml",
)


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    output = f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
    assert done.returncode == 0, f"{command[:3]} failed:\n{output}"
    return done.stdout


@pytest.mark.slow
def test_a_plain_install_runs_the_demo(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(REPO_ROOT, source, ignore=NOT_SOURCE)
    venv = tmp_path / "venv"
    # The interpreter that runs the tests is the checkout's venv; its base interpreter
    # makes a venv that shares nothing with it.
    _run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    # The same steps and locked versions as `make setup` (from pip's cache on this machine).
    _run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip>=24"], cwd=tmp_path)
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--require-hashes", "-r",
         str(source / "requirements.lock")],
        cwd=tmp_path,
    )  # fmt: skip
    # Not editable: the distribution is built from the copy and installed into the venv.
    _run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(source)],
        cwd=tmp_path,
    )  # fmt: skip
    shutil.rmtree(source)  # nothing may be read from the tree it was built from

    installed = _run(
        [str(python), "-c", "import dbt_project, mau_warehouse; "
         "print(dbt_project.__file__); print(mau_warehouse.__file__)"],
        cwd=tmp_path,
    ).split()  # fmt: skip
    assert all(Path(path).is_relative_to(venv) for path in installed), installed

    home = tmp_path / "home"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MAU_", "DBT_", "DAGSTER_")) and key != "VIRTUAL_ENV"
    }
    env |= {"MAU_HOME": str(home), "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"}
    out = _run(
        [str(venv / "bin" / "mau"), "demo", "--tenants", "4", "--months", "2",
         "--events", "20000", "--start-month", "2026-09"],
        cwd=tmp_path,
        env=env,
    )  # fmt: skip
    # The demo ends with the two latest months' digests, from the published marts.
    assert re.search(r"^2026-09: \d+ tenants, [\d,]+ MAU", out, re.MULTILINE), out
    assert re.search(r"^2026-10: \d+ tenants, [\d,]+ MAU", out, re.MULTILINE), out
    assert (home / "warehouse" / "serving.duckdb").is_file()
