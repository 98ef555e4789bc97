"""R13 / SPEC §6: `mau backtest` reads the backtest marts of the published figures.

The rules themselves (low bound, highest threshold of a day, never after the threshold
was reached, projected_status bands, error measured on earlier months only) are pinned
by the dbt unit tests tagged r12/r13 in the models' YAML; this checks the reader.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from mau_warehouse.backtest import backtest, render
from mau_warehouse.config import load_settings
from mau_warehouse.errors import MauError


def _serving(home: Path) -> Path:
    path = home / "warehouse" / "serving.duckdb"
    path.parent.mkdir(parents=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.fct_projection_alert_backtest as
            select * from (values
                (0.8, 1900::bigint, date '2025-12-01', date '2026-11-01', 400::bigint,
                 390::bigint, 0.975, 540::bigint, 390::bigint, 0.722, 18.0),
                (1.0, 1900::bigint, date '2025-12-01', date '2026-11-01', 200::bigint,
                 196::bigint, 0.98, 234::bigint, 190::bigint, 0.812, 19.0)
            ) as t(threshold, tenant_months, first_month, last_month, projected_alerts,
                   correct_alerts, alert_precision, ended_over_tenant_months,
                   warned_tenant_months, alert_recall, median_lead_days)
            """
        )
        con.execute(
            """
            create table marts.fct_projection_error_by_day as
            select * from (values
                ('tenant_curve', 1, 1500::bigint, 0.32, 0.49, 0.98, 2.46),
                ('linear', 1, 460::bigint, 0.5, 0.53, 0.67, 1.78),
                ('linear', 31, 0::bigint, null, null, null, null)
            ) as t(projection_method, day_of_month, tenant_months,
                   median_absolute_percentage_error, low_ratio, median_ratio, high_ratio)
            """
        )
    return path


def test_backtest_reports_precision_recall_lead_and_error_by_day(tmp_path: Path) -> None:
    _serving(tmp_path)
    result = backtest(load_settings(tmp_path))

    document = json.loads(render(result, "json"))
    assert [row["threshold"] for row in document["alerts"]] == [0.8, 1.0]
    hundred = document["alerts"][1]
    assert hundred["first_month"] == "2025-12" and hundred["last_month"] == "2026-11"
    assert (hundred["alert_precision"], hundred["alert_recall"]) == (0.98, 0.812)
    assert hundred["median_lead_days"] == 19.0
    # days without data are left out; the curve first
    assert [(r["projection_method"], r["day_of_month"]) for r in document["error_by_day"]] == [
        ("tenant_curve", 1),
        ("linear", 1),
    ]

    table = render(result, "table")
    assert "meets SPEC §6" in table  # 98 % ≥ 90 %, 81 % ≥ 75 %, 19 ≥ 5 days
    assert "32.0%" in table and "50.0%" in table


def test_backtest_says_when_a_target_is_missed(tmp_path: Path) -> None:
    _serving(tmp_path)
    result = backtest(load_settings(tmp_path))
    result["alerts"][1]["alert_recall"] = 0.5
    assert "misses SPEC §6" in render(result, "table")


def test_backtest_needs_published_figures(tmp_path: Path) -> None:
    with pytest.raises(MauError, match="no published figures yet"):
        backtest(load_settings(tmp_path))
    path = tmp_path / "warehouse" / "serving.duckdb"
    path.parent.mkdir(parents=True)
    duckdb.connect(str(path)).close()
    with pytest.raises(MauError, match="fct_projection_alert_backtest"):
        backtest(load_settings(tmp_path))


def test_month_values_are_plain_text() -> None:
    from mau_warehouse.backtest import _plain

    assert _plain(date(2026, 11, 1)) == "2026-11"
    assert _plain(0.5) == 0.5
