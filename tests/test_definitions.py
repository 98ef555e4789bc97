"""The Dagster definitions load and say what they are: the UI shows every asset, check,
job, schedule and sensor with a group and a description, and each data-quality check on
the table it queries. Nothing runs."""

from __future__ import annotations

import json
from importlib import resources

import duckdb
import pytest
from dagster import AssetKey, Definitions
from dagster_dbt import get_asset_key_for_model

from data_quality.suites import all_suites
from mau_warehouse.warehouse import PUBLISHED_SCHEMAS
from orchestration.assets.billing import BILLING_SNAPSHOT
from orchestration.assets.erasure import SUPPRESSIONS
from orchestration.assets.ingestion import RAW_SCHEMA, RAW_TABLES
from orchestration.assets.transformation import mau_dbt_models
from orchestration.dbt_project import dbt_project
from orchestration.definitions import defs


@pytest.fixture(scope="module")
def definitions() -> Definitions:
    Definitions.validate_loadable(defs)
    return defs


def test_every_asset_has_a_group_and_a_description(definitions: Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    nodes = [graph.get(key) for key in graph.get_all_asset_keys()]
    assert nodes
    # Dagster puts an asset without a group in "default".
    assert [n.key for n in nodes if not n.group_name or n.group_name == "default"] == []
    assert [n.key for n in nodes if not (n.description or "").strip()] == []


def test_every_check_job_schedule_and_sensor_has_a_description(definitions: Definitions) -> None:
    graph = definitions.resolve_asset_graph()
    checks = {key: graph.get_check_spec(key) for key in graph.asset_check_keys}
    assert checks
    assert [key for key, spec in checks.items() if not (spec.description or "").strip()] == []

    jobs = [definitions.resolve_job_def(job.name) for job in definitions.jobs or []]
    schedules = list(definitions.schedules or [])
    sensors = list(definitions.sensors or [])
    assert jobs and schedules and sensors
    described = [*jobs, *schedules, *sensors]
    assert [item.name for item in described if not (item.description or "").strip()] == []


@pytest.fixture(scope="module")
def dbt_tables() -> dict[AssetKey, tuple[str, str]]:
    """The warehouse table (schema, name) of each dbt model's asset, from the manifest."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    return {
        get_asset_key_for_model([mau_dbt_models], node["name"]): (node["schema"], node["alias"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }


def table_of(key: AssetKey, dbt_tables: dict[AssetKey, tuple[str, str]]) -> tuple[str, str]:
    """The warehouse table (schema, name) that an asset writes."""
    if key == BILLING_SNAPSHOT:
        return ("billing", "monthly_usage_snapshot")
    if key in RAW_TABLES:
        return (RAW_SCHEMA, RAW_TABLES[key].name)
    return dbt_tables[key]


def test_each_check_hangs_on_the_table_its_suite_queries(
    definitions: Definitions, dbt_tables: dict[AssetKey, tuple[str, str]]
) -> None:
    checked = {
        check.name: table_of(check.asset_key, dbt_tables)
        for check in definitions.resolve_asset_graph().asset_check_keys
    }
    suites = {f"gx_{suite.name}": (suite.schema, suite.table) for suite in all_suites()}
    assert checked == suites


# The loader's own cache of content hashes (raw.landing_file_stats): dbt never reads it,
# so it is no source.
LOADER_ONLY = {(RAW_SCHEMA, "landing_file_stats")}


def test_the_raw_schema_ddl_and_the_dbt_sources_declare_the_same_tables_and_columns() -> None:
    """RAW_TABLES comes from the dbt sources and the loader writes the DDL's tables: a
    table or column added to one of them must be added to the other."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    sources = {
        (source["schema"], source["identifier"]): set(source["columns"])
        for source in manifest["sources"].values()
    }
    ddl = resources.files("mau_warehouse").joinpath("sql/raw_schema.sql").read_text()
    with duckdb.connect() as con:
        con.execute(ddl)
        rows = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_catalog = current_database()"
        ).fetchall()
    created: dict[tuple[str, str], set[str]] = {}
    for schema, table, column in rows:
        created.setdefault((schema, table), set()).add(column)

    assert {table: created.get(table) for table in sources} == sources
    raw_created = {table for table in created if table[0] == RAW_SCHEMA} - LOADER_ONLY
    assert raw_created == {table for table in sources if table[0] == RAW_SCHEMA}
    assert {(RAW_SCHEMA, table.name) for table in RAW_TABLES.values()} == raw_created


def test_erasure_requests_run_before_the_loader_and_the_loader_before_dbt(
    definitions: Definitions,
) -> None:
    """R17: the suppressions a request adds apply to the load of the same run."""
    graph = definitions.resolve_asset_graph()
    assert graph.get(AssetKey(["sdk", "event_lines"])).parent_keys == {SUPPRESSIONS}
    pipeline = definitions.resolve_job_def("mau_pipeline")
    steps = [node.name for node in pipeline.graph.nodes_in_topological_order]
    assert steps.index("erasure_requests") < steps.index("landing_files")
    assert steps.index("landing_files") < steps.index("mau_dbt_models")


def test_publishing_waits_for_every_model_it_copies_and_every_exposure_reads(
    definitions: Definitions,
) -> None:
    """The serving copy holds whole schemas (mau_warehouse/warehouse.py): the publishing
    asset depends on every model in them, and what the pages and `mau report` read
    (the dbt exposures) is among them."""
    manifest = json.loads(dbt_project.manifest_path.read_text())
    served = {
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] in PUBLISHED_SCHEMAS
    }
    exposed = {
        manifest["nodes"][parent]["name"]
        for exposure in manifest["exposures"].values()
        for parent in exposure["depends_on"]["nodes"]
        if parent.startswith("model.")
    }
    assert exposed and exposed <= served
    graph = definitions.resolve_asset_graph()
    upstream = graph.get(AssetKey("published_marts")).parent_keys
    assert {get_asset_key_for_model([mau_dbt_models], name) for name in served} <= upstream
