"""The one line `mau spark-build` ends with when dbt fails on Spark (pure logic): the
failed node from dbt's run results, or dbt's own error line from a log that Spark's
JVM writes into too."""

from __future__ import annotations

import json
from pathlib import Path

from mau_warehouse.spark.build import failed_node, first_dbt_error

LOG = """\
16:02:03  Running with dbt=1.11.16
26/12/07 16:02:04 ERROR Executor: Exception in task 0.0 in stage 3.0
16:02:05  1 of 246 START sql table model staging.stg_sdk__event_lines ........ [RUN]
16:02:06  1 of 246 ERROR creating sql table model staging.stg_sdk__event_lines  [ERROR in 1.0s]
16:02:07  Done. PASS=0 WARN=0 ERROR=1 SKIP=245 NO-OP=0 TOTAL=246
"""


def test_dbts_error_line_is_named_not_sparks() -> None:
    assert first_dbt_error(LOG) == (
        "1 of 246 ERROR creating sql table model staging.stg_sdk__event_lines  [ERROR in 1.0s]"
    )


def test_an_error_dbt_reports_before_any_node_comes_with_sparks_reason() -> None:
    log = (
        "16:02:03  Running with dbt=1.11.16\n"
        'Exception in thread "main" org.apache.spark.SparkException: Master must start with spark\n'
        "16:02:09  Encountered an error:\n"
        "[JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number.\n"
        "16:02:09  Traceback (most recent call last):\n"
    )
    assert first_dbt_error(log) == (
        "[JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number. "
        "(Spark: Master must start with spark)"
    )


def test_without_an_error_line_the_last_dbt_line_is_shown() -> None:
    assert first_dbt_error("16:02:03  Running with dbt=1.11.16\n") == "Running with dbt=1.11.16"
    assert first_dbt_error("") == "dbt wrote no output"


def test_the_first_failed_node_of_the_run_results_is_named(tmp_path: Path) -> None:
    results = tmp_path / "run_results.json"
    assert failed_node(results) is None
    results.write_text(
        json.dumps(
            {
                "results": [
                    {"unique_id": "model.mau_warehouse.dim_plans", "status": "success"},
                    {
                        "unique_id": "test.mau_warehouse.contract_constraints_hold_x.1a",
                        "status": "fail",
                        "message": "Got 1 result, configured to fail if != 0\nmore",
                    },
                ]
            }
        )
    )
    assert failed_node(results) == (
        "contract_constraints_hold_x (fail): Got 1 result, configured to fail if != 0"
    )
