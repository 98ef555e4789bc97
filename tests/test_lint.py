"""House style is enforced, not hoped for: ruff for Python, sqlfluff for the dbt models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=600)


def test_python_passes_ruff_lint_and_format() -> None:
    lint = run(str(BIN / "ruff"), "check", ".")
    assert lint.returncode == 0, lint.stdout
    formatting = run(str(BIN / "ruff"), "format", "--check", ".")
    assert formatting.returncode == 0, formatting.stdout


def test_dbt_models_pass_sqlfluff() -> None:
    done = run(str(BIN / "sqlfluff"), "lint", "models", cwd=REPO / "dbt_project")
    assert done.returncode == 0, done.stdout[-4000:]
