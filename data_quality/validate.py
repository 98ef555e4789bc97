"""Running the suites inside the DuckDB warehouse (SQL datasource, no pandas copy)."""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass, field
from pathlib import Path

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig

from data_quality.dialect import connection_string
from data_quality.suites import Suite

SAMPLE_ROWS = 20


@dataclass
class Failure:
    expectation: str
    description: str
    unexpected: list[object] = field(default_factory=list)
    error: str | None = None


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[Failure]


def _failure(result: object) -> Failure:
    config = result.expectation_config
    details = result.result or {}
    unexpected = (
        details.get("details", {}).get("unexpected_rows")
        or details.get("partial_unexpected_list")
        or details.get("unexpected_list")
        or []
    )
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
        unexpected=list(unexpected)[:SAMPLE_ROWS],
        error=error,
    )


def run_suite(warehouse_path: Path, suite: Suite) -> SuiteOutcome:
    """Validate one suite against the warehouse file and report failing rows."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_sql(
        name="warehouse", connection_string=connection_string(str(warehouse_path))
    )
    asset = datasource.add_table_asset(
        name=suite.name, table_name=suite.table, schema_name=suite.schema
    )
    batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
    expectation_suite = gx.ExpectationSuite(name=suite.name, expectations=list(suite.expectations))
    try:
        result = batch.validate(expectation_suite, result_format="COMPLETE")
    finally:
        # Release the file so the next writer (dbt, the loader) can open it.
        datasource.get_execution_engine().engine.dispose()
        datasource.get_engine().dispose()
        del batch, asset, datasource, context
        gc.collect()
    failures = [_failure(r) for r in result.results if not r.success]
    return SuiteOutcome(
        suite=suite.name,
        success=result.success,
        evaluated=len(result.results),
        failures=failures,
    )
