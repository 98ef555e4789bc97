"""The "MAU by tenant" dashboard shows exactly the published figures of serving.duckdb."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"


def serving_usage(home: Path) -> pd.DataFrame:
    """The usage mart read straight from the published file, as the dashboard must show it."""
    with duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        return con.execute(
            "select tenant_id, tenant_name, month, mau, mau_limit, status, plan_name, "
            "identified_mau, anonymous_mau, mobile_mau, desktop_mau, tablet_mau "
            "from marts.fct_tenant_monthly_usage"
        ).df()


def newest_received_at(home: Path) -> dt.datetime:
    with duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute("select newest_received_at from marts.fct_freshness").fetchone()[0]


def run_app(monkeypatch: pytest.MonkeyPatch, home: Path) -> AppTest:
    monkeypatch.setenv("MAU_HOME", str(home))
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def metric(app: AppTest, label: str) -> int:
    values = [m.value for m in app.metric if m.label == label]
    assert len(values) == 1, f"expected one {label!r} metric, got {values}"
    return int(values[0].replace(",", ""))


def shown_rows(app: AppTest) -> pd.DataFrame:
    assert len(app.dataframe) == 1
    return app.dataframe[0].value


def expected_rows(usage: pd.DataFrame, month: dt.date, tenant_ids: list[str]) -> pd.DataFrame:
    rows = usage[usage["month"].dt.date == month]
    return rows[rows["tenant_id"].isin(tenant_ids)] if tenant_ids else rows


def assert_table_matches(shown: pd.DataFrame, expected: pd.DataFrame) -> None:
    columns = [
        "tenant_name",
        "plan_name",
        "mau",
        "mau_limit",
        "status",
        "identified_mau",
        "anonymous_mau",
        "mobile_mau",
        "desktop_mau",
        "tablet_mau",
    ]

    def canonical(frame: pd.DataFrame) -> list[tuple[object, ...]]:
        cells = frame[columns].astype(object).where(frame[columns].notna(), None)
        return sorted(map(tuple, cells.itertuples(index=False)), key=repr)

    assert canonical(shown) == canonical(expected)
    limited = expected.dropna(subset=["mau_limit"])
    shown_utilization = shown.set_index("tenant_name").loc[limited["tenant_name"], "utilization"]
    assert shown_utilization.to_numpy() == pytest.approx(
        (limited["mau"] / limited["mau_limit"]).to_numpy()
    )


def published_months(usage: pd.DataFrame) -> list[dt.date]:
    return sorted({month.date() for month in usage["month"]}, reverse=True)


def busiest_earlier_month(usage: pd.DataFrame) -> dt.date:
    """A month other than the default (latest) one, with the most activity to filter."""
    earlier = usage[usage["month"].dt.date < published_months(usage)[0]]
    return earlier.groupby("month")["mau"].sum().idxmax().date()


@pytest.mark.slow
def test_page_shows_the_published_figures_of_the_latest_month(
    monkeypatch: pytest.MonkeyPatch, published_home: Path
) -> None:
    usage = serving_usage(published_home)
    months = published_months(usage)
    assert len(months) >= 2, "the fixture publishes two months"

    app = run_app(monkeypatch, published_home)

    month_box = app.selectbox(key="usage_month")
    assert month_box.value == months[0]
    assert list(month_box.options) == [month.strftime("%B %Y") for month in months]
    latest = expected_rows(usage, months[0], [])
    assert metric(app, "Tenants") == len(latest) > 0
    assert metric(app, "Total MAU") == latest["mau"].sum()
    assert metric(app, "Over limit") == (latest["status"] == "over").sum()
    assert metric(app, "Approaching limit") == (latest["status"] == "approaching").sum()
    assert_table_matches(shown_rows(app), latest)
    assert not app.info

    charts = app.get("vega_lite_chart")
    assert len(charts) == 1
    layers = json.loads(charts[0].proto.spec)["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["bar", "tick"]
    assert layers[1]["encoding"]["x"]["field"] == "mau_limit"

    newest = newest_received_at(published_home)
    assert f"Data as of {newest:%Y-%m-%d %H:%M} UTC" in [
        c.value.split(" (")[0] for c in app.caption
    ]


@pytest.mark.slow
def test_month_and_tenant_filters_change_the_figures(
    monkeypatch: pytest.MonkeyPatch, published_home: Path
) -> None:
    usage = serving_usage(published_home)
    app = run_app(monkeypatch, published_home)

    month = busiest_earlier_month(usage)
    app.selectbox(key="usage_month").set_value(month).run()
    assert not app.exception, app.exception
    every_tenant = expected_rows(usage, month, [])
    assert_table_matches(shown_rows(app), every_tenant)
    assert metric(app, "Total MAU") == every_tenant["mau"].sum() > 0
    assert app.subheader[0].value.endswith(month.strftime("%B %Y"))

    # The two smallest tenants of that month, so the total visibly changes.
    picked = every_tenant.sort_values("mau")["tenant_id"].head(2).tolist()
    app.multiselect(key="usage_tenants").set_value(picked).run()
    assert not app.exception, app.exception
    expected = expected_rows(usage, month, picked)
    assert len(expected) == 2
    assert_table_matches(shown_rows(app), expected)
    assert metric(app, "Tenants") == 2
    assert metric(app, "Total MAU") == expected["mau"].sum() < every_tenant["mau"].sum()


@pytest.mark.slow
def test_a_new_publish_is_shown_without_waiting_for_the_cache(
    monkeypatch: pytest.MonkeyPatch, published_home: Path, tmp_path: Path
) -> None:
    serving = tmp_path / "warehouse" / "serving.duckdb"
    serving.parent.mkdir()
    shutil.copy(published_home / "warehouse" / "serving.duckdb", serving)
    app = run_app(monkeypatch, tmp_path)
    before = metric(app, "Total MAU")

    # Republish the way the pipeline does: a new file swapped in atomically.
    staging = serving.with_name("serving.duckdb.new")
    shutil.copy(serving, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("update marts.fct_tenant_monthly_usage set mau = mau + 1000")
    os.replace(staging, serving)
    app.run()

    assert not app.exception, app.exception
    assert metric(app, "Total MAU") == before + 1000 * metric(app, "Tenants")


def test_without_published_figures_the_app_says_how_to_get_them(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = run_app(monkeypatch, tmp_path)

    assert [i.value for i in app.info] == ["No published figures yet: run `mau run` or `mau demo`"]
    assert not app.metric
    assert not app.dataframe
