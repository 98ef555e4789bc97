"""The dbt command line on a warehouse file, for the tests of the dbt project on its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mau_warehouse.config import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).parent / "dbt")


def run_dbt(
    warehouse: Path,
    *args: str,
    target: Path | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` on `warehouse`; `target` keeps its artifacts apart from other runs';
    `env` adds variables (another profile target's)."""
    env = {**os.environ, "MAU_WAREHOUSE_PATH": str(warehouse), **(env or {})}
    if target is not None:
        env["DBT_TARGET_PATH"] = str(target)
    return subprocess.run(
        [DBT, *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
