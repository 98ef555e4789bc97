"""The dbt project on its own: every rule's unit test, and a build on an empty warehouse."""

from __future__ import annotations

import subprocess
from importlib import resources
from pathlib import Path

import duckdb
import pytest
import yaml

from mau_warehouse.config import DBT_PROJECT_DIR
from tests.dbt_helpers import run_dbt


@pytest.fixture(scope="module")
def built_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """An empty warehouse (the loader's DDL only) on which every model is built and tested."""
    path = tmp_path_factory.mktemp("dbt") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(resources.files("mau_warehouse").joinpath("sql/raw_schema.sql").read_text())
    return path, run_dbt(path, "build", "--exclude-resource-type", "unit_test")


def test_build_passes_on_an_empty_warehouse(built_warehouse) -> None:
    _, done = built_warehouse
    assert done.returncode == 0, done.stdout[-3000:]
    assert " ERROR=0 " in done.stdout


def test_every_counting_rule_has_a_passing_unit_test(built_warehouse) -> None:
    # Unit tests read the columns of the models they mock, so they run on a built warehouse.
    done = run_dbt(built_warehouse[0], "test", "--select", "test_type:unit")
    assert done.returncode == 0, done.stdout[-3000:]
    passed = [line for line in done.stdout.splitlines() if " PASS " in line]
    rules = {
        f"r{n}"
        for line in passed
        for name in [line.split("::")[-1].split()[0]]
        for n in range(1, 19)
        if name.startswith(f"r{n}_") or f"_r{n}_" in name
    }
    # R17 (pseudonymization) happens in the loader; its tests are pytest ones.
    assert rules >= {f"r{n}" for n in range(1, 19)} - {"r17"}


def _declared_checks() -> dict[str, int]:
    """CHECK constraints per mart, as the model YAML declares them (model and column level)."""
    declared: dict[str, int] = {}
    for path in (DBT_PROJECT_DIR / "models" / "marts").glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text())["models"]:
            constraints = [
                *model.get("constraints", []),
                *(c for column in model["columns"] for c in column.get("constraints", [])),
            ]
            count = sum(constraint["type"] == "check" for constraint in constraints)
            if count:
                declared[model["name"]] = count
    return declared


def test_contracted_marts_refuse_rows_that_break_their_checks(built_warehouse) -> None:
    # The row rules of the contracted marts (R8's sum, R12's statuses, R13's bounds…)
    # are CHECK constraints of their contracts: DuckDB refuses a breaking row, so the
    # model fails to build and nothing downstream of it is published.
    path, done = built_warehouse
    assert done.returncode == 0, done.stdout[-3000:]
    with duckdb.connect(str(path)) as con:
        con.begin()
        with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
            con.execute(
                "insert into marts.fct_quarantine_by_reason (quarantine_reason) values ('misspelt')"
            )
        con.rollback()
        enforced = dict(
            con.execute(
                "select table_name, count(*) from duckdb_constraints() "
                "where schema_name = 'marts' and constraint_type = 'CHECK' group by table_name"
            ).fetchall()
        )
    assert enforced == _declared_checks()
    assert enforced["fct_tenant_monthly_usage"] == 5
