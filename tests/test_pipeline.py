"""`mau run` end to end on generated data: the Dagster job, dbt build, GX check, publishing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from data_quality.suites import all_suites
from tests.conftest import run_mau

pytestmark = pytest.mark.slow

SPEC_KEYS = {
    "tenant_id",
    "month",
    "mau",
    "identified_mau",
    "anonymous_mau",
    "mobile_mau",
    "desktop_mau",
    "tablet_mau",
    "known_users",
    "plan_id",
    "mau_limit",
    "utilization",
    "status",
    "overage_mau",
    "projected_mau",
    "recommended_plan_id",
    "is_trial",
    "amount_due_usd",
    "invoice_eligible",
    "is_closed",
}


def report(home: Path, *args: str) -> list[dict[str, object]]:
    return json.loads(run_mau(home, "report", "--format", "json", *args).stdout)


def test_report_carries_the_spec_fields_with_consistent_figures(published_home: Path) -> None:
    rows = report(published_home, "--month", "2026-10")

    assert len(rows) >= 6  # every generated tenant had a plan or activity
    for row in rows:
        assert row.keys() >= SPEC_KEYS
        assert row["month"] == "2026-10"
        assert row["mau"] == row["identified_mau"] + row["anonymous_mau"]  # R8
        segments = row["mobile_mau"] + row["desktop_mau"] + row["tablet_mau"]
        assert segments >= row["mau"]  # R9: a person on two devices counts twice
        assert row["known_users"] >= row["identified_mau"]  # R10
        if row["mau_limit"] is None:
            assert row["utilization"] is None
            assert row["status"] in {"unlimited", "no_plan"}
        else:
            assert row["utilization"] == pytest.approx(row["mau"] / row["mau_limit"])
            expected = (
                "over"
                if row["utilization"] > 1
                else "approaching"
                if row["utilization"] >= 0.8
                else "ok"
            )
            assert row["status"] == expected  # R12
            assert row["overage_mau"] == max(0, row["mau"] - row["mau_limit"])  # R14
    assert any(row["mau"] > 0 for row in rows)


def test_report_filters_by_tenant_and_matches_the_published_mart(published_home: Path) -> None:
    everyone = report(published_home, "--month", "2026-10")
    tenant = everyone[0]["tenant_id"]

    [only] = report(published_home, "--month", "2026-10", "--tenant", str(tenant))

    assert only == everyone[0]
    serving = published_home / "warehouse" / "serving.duckdb"
    with duckdb.connect(str(serving), read_only=True) as con:
        [(mau,)] = con.execute(
            "select mau from marts.fct_tenant_monthly_usage "
            "where tenant_id = $t and month = date '2026-10-01'",
            {"t": tenant},
        ).fetchall()
    assert only["mau"] == mau


def test_report_formats(published_home: Path) -> None:
    csv_text = run_mau(published_home, "report", "--month", "2026-10", "--format", "csv").stdout
    header = csv_text.splitlines()[0].split(",")
    assert set(header) >= SPEC_KEYS
    table = run_mau(published_home, "report", "--month", "2026-10").stdout
    assert table.splitlines()[0].split()[:3] == ["tenant", "month", "mau"]


def test_the_dagster_run_materialized_every_asset_and_passed_every_check(
    published_home: Path,
) -> None:
    with DagsterInstance.from_config(str(published_home / "dagster")) as instance:
        [run] = instance.get_runs()
        assert run.job_name == "mau_pipeline"
        assert run.status == DagsterRunStatus.SUCCESS
        materialized = {
            "/".join(entry.asset_materialization.asset_key.path)
            for entry in instance.all_logs(
                run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION
            )
        }
        checks = [
            entry.dagster_event.event_specific_data
            for entry in instance.all_logs(
                run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
            )
        ]
    assert {
        "sdk/event_lines",
        "marts/fct_tenant_monthly_usage",
        "billing_snapshot",
        "published_marts",
        "alert_outbox",
    } <= materialized
    names = {check.check_name for check in checks}
    # the Great Expectations suites; dbt's tests run inside the dbt step
    assert names == {f"gx_{suite.name}" for suite in all_suites()}
    assert [c.check_name for c in checks if not c.passed] == []
    assert os.path.exists(published_home / "warehouse" / "serving.duckdb")


def test_a_second_run_starts_from_the_first_runs_dbt_parse(tmp_path: Path) -> None:
    # dbt parses the whole project again (about 7 s) when the environment its profile
    # reads differs from the one of the parse it is given; a home's runs keep theirs.
    home = tmp_path / "home"
    run_mau(home, "generate", "--seed", "3", "--tenants", "2", "--months", "1",
            "--events", "1000", "--start-month", "2026-09")  # fmt: skip
    run_mau(home, "run")
    assert (home / "dbt" / "partial_parse.msgpack").is_file()

    run_mau(home, "run")

    *_, second = sorted((home / "logs").glob("run-*.log"))
    log = second.read_text()
    assert "Running with dbt=" in log  # the log holds dbt's own lines
    assert "Unable to do partial parsing" not in log
