"""dbt-project-evaluator: the project follows dbt Labs' best practices, or says why not.

The evaluator (vendored in dbt_project/vendor/) reads only dbt's graph, so it is built
on a throwaway DuckDB file. It is enabled by the var run_project_evaluator alone: a
production build neither builds nor tests it, and Dagster does not see it.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.dbt_helpers import run_dbt

# Measurements, one row each, tested against their targets instead of for emptiness.
COVERAGE = {
    "fct_documentation_coverage": "documentation_coverage_pct",
    "fct_test_coverage": "test_coverage_pct",
}


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The evaluator's models, its exceptions seed and its tests, built on an empty file."""
    folder = tmp_path_factory.mktemp("evaluator")
    warehouse = folder / "evaluator.duckdb"
    done = run_dbt(
        warehouse,
        "build",
        "--select",
        "package:dbt_project_evaluator",
        "dbt_project_evaluator_exceptions",
        "--vars",
        "{run_project_evaluator: true}",
        target=folder / "target",
    )
    assert "PASS=" in done.stdout, done.stdout[-4000:] + done.stderr[-2000:]
    return warehouse, done.stdout


@pytest.mark.slow
def test_evaluator_finds_nothing(evaluated) -> None:
    warehouse, stdout = evaluated
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables"
                " where table_schema = 'project_evaluator' and table_name like 'fct_%'"
                " order by table_name"
            ).fetchall()
        ]
        findings = {
            name: con.execute(f'select * from project_evaluator."{name}"').fetchall()
            for name in tables
            if name not in COVERAGE
        }
        coverage = {
            name: con.execute(f'select {column} from project_evaluator."{name}"').fetchall()
            for name, column in COVERAGE.items()
        }
    assert len(tables) >= 25, tables
    assert {name: rows for name, rows in findings.items() if rows} == {}
    assert coverage == {name: [(100.0,)] for name in COVERAGE}
    assert " ERROR=0 " in stdout, stdout[-4000:]


def test_evaluator_is_not_part_of_production_builds(tmp_path: Path) -> None:
    # Without the var (as the pipeline runs dbt), the manifest Dagster reads its assets
    # from holds none of the evaluator's models, tests or seeds.
    done = run_dbt(tmp_path / "unused.duckdb", "parse", "--quiet", target=tmp_path / "target")
    assert done.returncode == 0, done.stdout[-3000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    evaluator_nodes = [
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["package_name"] == "dbt_project_evaluator"
        or node["name"] == "dbt_project_evaluator_exceptions"
    ]
    assert evaluator_nodes == []
