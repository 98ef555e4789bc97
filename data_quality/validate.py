"""Running the suites inside the DuckDB warehouse (SQL datasource, no pandas copy).

One GX context serves every suite validated in a process against the same
MAU_HOME: a pipeline run executes all its checks in one process, so the context,
the datasource and its engine are built once per run. Every batch of validations
refreshes the Data Docs site under `$MAU_HOME/quality/data_docs/`, which shows
the latest result of each suite.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import logging
import warnings

import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.datasource.fluent import SQLDatasource

from data_quality.dialect import connection_string, register_database
from data_quality.offline_docs import localize_site
from data_quality.outcomes import Failure, SuiteOutcome, data_docs_index, quality_dir
from data_quality.suites import Suite, all_suites
from mau_warehouse.config import Settings
from mau_warehouse.warehouse import duckdb_config

SAMPLE_ROWS = 20
DOCS_SITE = "local_site"
DATASOURCE = "warehouse"


def _json_safe(value: object) -> object:
    """Dates, timestamps and decimals as text, so a row can go into JSON metadata."""
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime.date | decimal.Decimal):
        return str(value)
    return repr(value)


def _failure(result: object) -> Failure:
    config = result.expectation_config
    details = result.result or {}
    unexpected = (
        details.get("details", {}).get("unexpected_rows")
        or details.get("partial_unexpected_list")
        or details.get("unexpected_list")
        or []
    )
    # An UnexpectedRowsExpectation reports its row count as the observed value.
    count = details.get("unexpected_count", details.get("observed_value"))
    error = None
    if result.exception_info and result.exception_info.get("raised_exception"):
        error = result.exception_info.get("exception_message")
    elif result.exception_info:
        messages = [
            info.get("exception_message")
            for info in result.exception_info.values()
            if isinstance(info, dict) and info.get("raised_exception")
        ]
        error = "; ".join(m for m in messages if m) or None
    return Failure(
        expectation=config.type,
        description=config.description or "",
        unexpected_count=count if isinstance(count, int) else None,
        unexpected=[_json_safe(row) for row in list(unexpected)[:SAMPLE_ROWS]],
        error=error,
    )


def _context_config(settings: Settings) -> DataContextConfig:
    """Suites and definitions in memory; latest results and the docs site on disk.

    Results are kept on disk so that the site lists every suite even when the
    suites ran in different processes (one check at a time from the UI).
    """
    defaults = InMemoryStoreBackendDefaults()
    stores = {
        **defaults.stores,
        defaults.validation_results_store_name: {
            "class_name": "ValidationResultsStore",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(quality_dir(settings) / "validations"),
            },
        },
    }
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {
            "class_name": "TupleFilesystemStoreBackend",
            "base_directory": str(data_docs_index(settings).parent),
        },
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    return DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites={DOCS_SITE: site},
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )


def _expectation_suite(suite: Suite) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(
        name=suite.name, expectations=[e.copy(deep=True) for e in suite.expectations]
    )


@functools.lru_cache(maxsize=1)
def _context(settings: Settings) -> AbstractDataContext:
    """The run's context, every current suite registered so that the docs list them all."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral", project_config=_context_config(settings))
    # The suites' queries are bounded like every other DuckDB connection: without a
    # limit DuckDB takes 80% of the machine (measured: 13.7 GB on M, SPEC §6).
    key = settings.warehouse_key()
    register_database(
        str(settings.warehouse_path),
        key=key,
        # attached to an in-memory database, the file spills where the warehouse does
        settings=duckdb_config(settings)
        | ({"temp_directory": str(settings.duckdb_temp_dir)} if key else {}),
    )
    context.data_sources.add_sql(
        name=DATASOURCE, connection_string=connection_string(str(settings.warehouse_path))
    )
    for suite in all_suites():
        context.suites.add(_expectation_suite(suite))
    return context


def _validation_definition(context: AbstractDataContext, suite: Suite) -> gx.ValidationDefinition:
    datasource = context.data_sources.get(DATASOURCE)
    try:
        asset = datasource.get_asset(suite.name)
    except LookupError:
        # The suites read several schemas through one connection, so the schema is
        # given per table; GX 1.x deprecates that in favour of one schema per datasource.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="`schema_name` is deprecated")
            asset = datasource.add_table_asset(
                name=suite.name, table_name=suite.table, schema_name=suite.schema
            )
        asset.add_batch_definition_whole_table("whole_table")
    # The suite in code is the truth; copies keep the ids GX assigns out of it.
    expectation_suite = context.suites.add_or_update(_expectation_suite(suite))
    return context.validation_definitions.add_or_update(
        gx.ValidationDefinition(
            name=suite.name,
            data=asset.get_batch_definition("whole_table"),
            suite=expectation_suite,
        )
    )


def _keep_only_latest(context: AbstractDataContext, suite: Suite, run_id: RunIdentifier) -> None:
    """Keep this run's result of the suite and drop its older ones (and orphans).

    The site shows the current state of each suite (Dagster keeps the history of
    every check), and results would otherwise pile up with every hourly run.
    """
    current = {known.name for known in all_suites()}
    store = context.validation_results_store
    for key in store.list_keys():
        name = key.expectation_suite_identifier.name
        stale = name == suite.name and key.run_id != run_id
        if stale or name not in current:
            store.remove_key(key)


def _release(context: AbstractDataContext) -> None:
    """Close the warehouse file so that the next writer (dbt, the loader) can open it."""
    datasource: SQLDatasource = context.data_sources.get(DATASOURCE)
    datasource.get_execution_engine().engine.dispose()
    datasource.get_engine().dispose()


def _validate(context: AbstractDataContext, suite: Suite, settings: Settings) -> SuiteOutcome:
    run_id = RunIdentifier(run_time=datetime.datetime.now(datetime.UTC))
    if suite.prepare is not None:
        _release(context)  # the preparation writes the warehouse through a connection of its own
        suite.prepare(settings)
    try:
        result = _validation_definition(context, suite).run(result_format="COMPLETE", run_id=run_id)
    finally:
        _release(context)
    _keep_only_latest(context, suite, run_id)
    return SuiteOutcome(
        suite=suite.name,
        success=result.success,
        evaluated=len(result.results),
        failures=[_failure(r) for r in result.results if not r.success],
    )


def run_suites(settings: Settings, suites: list[Suite]) -> list[SuiteOutcome]:
    """Validate suites against the warehouse, then refresh the Data Docs once.

    The site is rebuilt from every suite's latest result, so it lists suites validated
    by earlier runs or processes too; building it once per batch rather than once per
    suite saves seconds on every run. Its pages then load their assets from the site
    itself, not from CDNs (data_quality/offline_docs.py).
    """
    context = _context(settings)
    outcomes = [_validate(context, suite, settings) for suite in suites]
    context.build_data_docs(site_names=[DOCS_SITE])
    localize_site(data_docs_index(settings).parent)
    return outcomes


def run_suite(settings: Settings, suite: Suite) -> SuiteOutcome:
    """Validate one suite and refresh the Data Docs; report its failing rows."""
    [outcome] = run_suites(settings, [suite])
    return outcome
