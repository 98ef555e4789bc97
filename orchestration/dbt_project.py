"""The dbt project as Dagster sees it; its manifest is parsed again when a model changes."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from mau_warehouse.config import DBT_EXECUTABLE, DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def dbt_cli() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.project_dir),
        dbt_executable=DBT_EXECUTABLE,
    )


WATCHED = ("models", "macros", "seeds", "tests", "docs", "dbt_project.yml", "profiles.yml")


def _newest_source_change(project_dir: Path) -> float:
    stamps = [
        path.stat().st_mtime
        for name in WATCHED
        for path in (
            [project_dir / name]
            if (project_dir / name).is_file()
            else (project_dir / name).rglob("*")
        )
        if path.is_file()
    ]
    return max(stamps, default=0.0)


def ensure_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project's files."""
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_change(
        dbt_project.project_dir
    ):
        # Parsing never connects to the warehouse; the path only has to be set.
        os.environ.setdefault("MAU_WAREHOUSE_PATH", "unused-at-parse-time.duckdb")
        dbt_cli().cli(["parse", "--quiet"], target_path=dbt_project.target_path).wait()
    return manifest
