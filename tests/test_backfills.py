"""Backfills through partitions: one landing day, one billing month (Dagster automation)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from conftest import TEST_KEY, run_mau
from dagster import materialize

from mau_warehouse.billing.close import ended_everywhere_at, request_close
from mau_warehouse.errors import MauError
from orchestration.assets.backfills import landing_day_loads, month_close_requests
from orchestration.definitions import defs
from orchestration.partitions import billing_months
from orchestration.resources import MauHome


def ledger(home: Path) -> list[str]:
    with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        return [row[0] for row in con.execute("select file_path from raw.load_ledger").fetchall()]


def test_a_landing_day_partition_loads_that_day_only_and_only_once(
    mau_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAU_PSEUDONYM_KEY", TEST_KEY)
    run_mau(mau_home, "generate", "--tenants", "2", "--months", "1", "--events", "3000",
            "--start-month", "2026-09")  # fmt: skip
    day_files = sorted(
        p.relative_to(mau_home / "landing").as_posix()
        for p in (mau_home / "landing" / "events" / "2026" / "09" / "14").iterdir()
    )
    resources = {"mau_home": MauHome(home=str(mau_home))}

    first = materialize([landing_day_loads], partition_key="2026-09-14", resources=resources)
    assert first.success
    assert sorted(path for path in ledger(mau_home)) == day_files
    [event] = first.asset_materializations_for_node("sdk__landing_day_loads")
    assert event.metadata["new_files"].value == len(day_files) > 0
    assert event.metadata["accepted"].value > 0

    again = materialize([landing_day_loads], partition_key="2026-09-14", resources=resources)
    [event] = again.asset_materializations_for_node("sdk__landing_day_loads")
    assert event.metadata["new_files"].value == 0
    assert sorted(ledger(mau_home)) == day_files

    # A day without a folder loads nothing and does not fail.
    empty = materialize([landing_day_loads], partition_key="2026-10-02", resources=resources)
    assert empty.success and sorted(ledger(mau_home)) == day_files


def test_a_billing_month_partition_requests_that_months_close(mau_home: Path) -> None:
    resources = {"mau_home": MauHome(home=str(mau_home))}

    result = materialize([month_close_requests], partition_key="2026-09-01", resources=resources)

    assert result.success
    with duckdb.connect(str(mau_home / "warehouse" / "warehouse.duckdb"), read_only=True) as con:
        months = con.execute("select month from billing.close_requests").fetchall()
    assert [str(month) for (month,) in months] == ["2026-09-01"]


def test_a_month_closes_by_hand_only_once_it_has_ended_everywhere() -> None:
    november = dt.date(2026, 11, 1)
    with pytest.raises(MauError, match=r"2026-11 has not ended in every time zone yet: "
                       r"it can be closed from 2026-12-01 12:00 UTC"):  # fmt: skip
        request_close(None, november, dt.datetime(2026, 12, 1, 11, 59, tzinfo=dt.UTC))
    assert ended_everywhere_at(dt.date(2026, 12, 1)) == dt.datetime(2027, 1, 1, 12, tzinfo=dt.UTC)
    # The open month is not offered for backfills at all.
    this_month = dt.datetime.now(dt.UTC).date().replace(day=1)
    assert billing_months.get_last_partition_key() < this_month.isoformat()


def test_the_pipeline_job_leaves_backfills_out_and_both_schedules_launch_it() -> None:
    pipeline = defs.resolve_job_def("mau_pipeline")
    keys = {key.to_user_string() for key in pipeline.asset_layer.executable_asset_keys}
    assert "sdk/landing_day_loads" not in keys and "billing/month_close_requests" not in keys
    assert "raw_retention" not in keys  # its own daily job (R17)
    assert {"privacy/suppressions", "privacy/erasure_audit"} <= keys  # every run (R17)
    assert {"billing_snapshot", "published_marts", "alert_outbox"} <= keys
    schedules = {s.name: s for s in defs.schedules}
    assert schedules["hourly_refresh"].cron_schedule == "0 * * * *"
    assert schedules["daily_close"].cron_schedule == "30 0 * * *"
    assert {s.name: s.job_name for s in schedules.values()} == {
        "hourly_refresh": "mau_pipeline",
        "daily_close": "mau_pipeline",
        "daily_retention": "retention_purge",
    }
    assert defs.resolve_job_def("reload_landing_days").partitions_def is not None
    assert defs.resolve_job_def("close_months").partitions_def is not None
