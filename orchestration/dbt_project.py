"""The dbt project as Dagster sees it; its manifest is parsed again when a model changes."""

from __future__ import annotations

import functools
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, OpExecutionContext
from dagster._utils import pushd
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, DbtProject
from dagster_dbt.asset_utils import (
    DBT_INDIRECT_SELECTION_ENV,
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.dagster_dbt_translator import validate_opt_translator
from dagster_dbt.dbt_manifest import DbtManifestParam, validate_manifest

from mau_warehouse.config import DBT_EXECUTABLE, DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Parsing never connects to the warehouse, but profiles.yml needs a path to render.
PARSE_ENV = {"MAU_WAREHOUSE_PATH": "unused-at-parse-time.duckdb"}
PARTIAL_PARSE = "partial_parse.msgpack"


class WarehouseDbtCli(DbtCliResource):
    """A DbtCliResource whose `cli` takes the environment of the dbt process it starts,
    and the parse a previous run of the same environment saved (`keep_parse`).

    profiles.yml reads the warehouse path, DuckDB's limits and the encryption key from
    dbt's environment (`Settings.dbt_env`), and DbtCliResource.cli of dagster-dbt 0.29
    gives dbt a copy of this process's environment with no way to add to it: setting
    them here would change the environment of the whole process, for every later run
    and every thread. This `cli` starts dbt as that one does, with `env` added to the
    copy. It opens no dbt adapter in this process: the adapter only serves column
    metadata and row counts, which no asset asks for, and it would need the same
    variables in this process's environment.
    """

    def cli(
        self,
        args: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        raise_on_error: bool = True,
        manifest: DbtManifestParam | None = None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context: OpExecutionContext | AssetExecutionContext | None = None,
        target_path: Path | None = None,
        saved_parse: Path | None = None,
    ) -> DbtCliInvocation:
        translator = validate_opt_translator(dagster_dbt_translator) or DagsterDbtTranslator()
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest=validate_manifest(manifest) if manifest else {},
            dagster_dbt_translator=translator,
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        target_path = target_path or self._get_unique_target_path(context=context)
        project_dir = Path(
            params.dbt_project.project_dir if params.dbt_project else self.project_dir
        )
        dbt_env = {
            **os.environ,
            **(env or {}),
            "DAGSTER_DBT_CLI": "true",
            "PYTHONUNBUFFERED": "1",
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # The structured log lines that the invocation turns into Dagster events.
            "DBT_LOG_FORMAT": "json",
            # Each invocation keeps its artifacts and logs in its own target folder.
            "DBT_TARGET_PATH": os.fspath(target_path),
            "DBT_LOG_PATH": os.fspath(target_path),
            **({"DBT_PROFILES_DIR": self.profiles_dir} if self.profiles_dir else {}),
            "DBT_PROJECT_DIR": str(project_dir),
        }
        if params.indirect_selection:
            dbt_env[DBT_INDIRECT_SELECTION_ENV] = params.indirect_selection
        absolute_target = target_path if target_path.is_absolute() else project_dir / target_path
        if saved_parse is not None and saved_parse.exists():
            # dbt throws a saved parse away when the environment its profile reads
            # differs from the one it was made with, and the project's own parse (`dbt
            # parse`, PARSE_ENV) never matches a run's: without this, every run parsed
            # the whole project again (about 7 s on two cores). dagster-dbt copies the
            # project's parse only where the target folder has none.
            absolute_target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(saved_parse, absolute_target / PARTIAL_PARSE)
        profile_args = [
            *(["--profile", self.profile] if self.profile else []),
            *(["--target", self.target] if self.target else []),
        ]
        with pushd(str(project_dir)):
            return DbtCliInvocation.run(
                args=[
                    self.dbt_executable,
                    *self.global_config_flags,
                    *cleaned_args,
                    *profile_args,
                    *params.selection_args,
                ],
                env=dbt_env,
                manifest=params.manifest,
                dagster_dbt_translator=params.dagster_dbt_translator,
                project_dir=project_dir,
                target_path=absolute_target,
                raise_on_error=raise_on_error,
                context=context,
                adapter=None,
                cli_version=self._cli_version,
                dbt_project=params.dbt_project,
            )


def dbt_cli() -> WarehouseDbtCli:
    return WarehouseDbtCli(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.project_dir),
        dbt_executable=DBT_EXECUTABLE,
    )


WATCHED = (
    "models",
    "macros",
    "seeds",
    "tests",
    "docs",
    "vendor",
    "dbt_project.yml",
    "profiles.yml",
)


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


@functools.cache
def ensure_manifest() -> Path:
    """Run `dbt parse` when the manifest is missing or older than the project's files.

    Checked once per process: the definitions' modules each need the manifest, and
    every check walks the project's files (vendored packages included)."""
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_change(
        dbt_project.project_dir
    ):
        dbt_cli().cli(
            ["parse", "--quiet"], env=PARSE_ENV, target_path=dbt_project.target_path
        ).wait()
    return manifest


def keep_parse(invocation: DbtCliInvocation, saved_parse: Path) -> None:
    """Save a finished run's parse for the next run of the same home (`cli(saved_parse=)`).

    The copy is swapped in whole: a run starting meanwhile reads the old file or the
    new one, never half of one.
    """
    source = invocation.target_path / PARTIAL_PARSE
    if not source.exists():
        return
    saved_parse.parent.mkdir(parents=True, exist_ok=True)
    staged = saved_parse.with_name(f"{saved_parse.name}.{os.getpid()}")
    shutil.copyfile(source, staged)
    os.replace(staged, saved_parse)


@functools.cache
def parsed_manifest() -> dict[str, Any]:
    """The current manifest, parsed once per process (about 2 MB of JSON)."""
    return json.loads(ensure_manifest().read_text())
