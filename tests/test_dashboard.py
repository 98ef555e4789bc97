"""The dashboards show exactly the published figures, and only to whom may see them.

Streamlit's AppTest runs the real app script against a real published serving file;
a tenant user must see nothing of another tenant whatever they ask for (SPEC §7, P11).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import stat
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest
from conftest import STAFF, run_mau, tenant_user
from streamlit.testing.v1 import AppTest

from dashboards import charts, data
from mau_warehouse.users import SignInThrottle, Viewer

APP = Path(__file__).resolve().parent.parent / "dashboards" / "app.py"


def serving(home: Path, sql: str, **params: object) -> pd.DataFrame:
    """Read the published file directly, as the dashboards must show it."""
    with duckdb.connect(str(home / "warehouse" / "serving.duckdb"), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(sql, params).to_arrow_table().to_pandas()


def open_app(monkeypatch: pytest.MonkeyPatch, home: Path) -> AppTest:
    monkeypatch.setenv("MAU_HOME", str(home))
    app = AppTest.from_file(str(APP), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def sign_in(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input(key="sign_in_username").set_value(username)
    app.text_input(key="sign_in_password").set_value(password)
    app.button[0].click().run()
    assert not app.exception, app.exception
    return app


def signed_in(monkeypatch: pytest.MonkeyPatch, home: Path, who: tuple[str, str]) -> AppTest:
    return sign_in(open_app(monkeypatch, home), *who)


def open_page(app: AppTest, page: str) -> AppTest:
    app.switch_page(f"views/{page}.py").run()
    assert not app.exception, app.exception
    return app


def metric(app: AppTest, label: str) -> str:
    values = [m.value for m in app.metric if m.label == label]
    assert len(values) == 1, f"expected one {label!r} metric, got {values}"
    return values[0]


def table_with(app: AppTest, column: str) -> pd.DataFrame:
    """The one table on the page that has `column`."""
    [table] = [frame.value for frame in app.dataframe if column in frame.value.columns]
    return table


def whole(text: str) -> int:
    return int(text.replace(",", "").replace("$", "").split(".")[0])


def everything_shown(app: AppTest) -> str:
    """Every piece of text the page shows, tables and widget options included."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "error", "warning"):
        parts += [str(element.value) for element in app.get(kind)]
    parts += [f"{m.label} {m.value}" for m in app.metric]
    parts += [frame.value.to_csv() for frame in app.dataframe]
    for box in list(app.selectbox) + list(app.multiselect):
        parts += [str(option) for option in box.options]
    parts += [chart.proto.spec for chart in app.get("vega_lite_chart")]
    return "\n".join(parts)


def layer_data(chart: object) -> list[pd.DataFrame]:
    """The rows each layer of a chart sent to the browser (Streamlit ships them as Arrow)."""
    frames = {
        dataset.name: pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
        for dataset in chart.proto.datasets
    }
    spec = json.loads(chart.proto.spec)
    return [frames[layer["data"]["name"]] for layer in spec.get("layer", [spec])]


def busiest_month(home: Path) -> dt.date:
    """The fixture's month with the most activity (the latest month has barely begun)."""
    return serving(
        home,
        "select month from marts.fct_tenant_monthly_usage group by month "
        "order by sum(mau) desc limit 1",
    )["month"][0]


def tenant_rows(home: Path, tenant_id: str) -> pd.DataFrame:
    """One tenant's months from its first active one, latest first; the busiest month first."""
    return serving(
        home,
        "select * from marts.fct_tenant_monthly_usage where tenant_id = $t and month <= $m "
        "and month >= (select min(month) from marts.fct_tenant_monthly_usage "
        "where tenant_id = $t and mau > 0) "
        "order by month desc",
        t=tenant_id,
        m=busiest_month(home),
    )


def busiest_tenant(home: Path) -> str:
    return serving(
        home,
        "select tenant_id from marts.fct_tenant_monthly_usage where month = $m "
        "and mau_limit is not null order by mau desc, tenant_id limit 1",
        m=busiest_month(home),
    )["tenant_id"][0]


def show_busiest_month(app: AppTest, key: str, home: Path) -> AppTest:
    app.selectbox(key=key).set_value(busiest_month(home)).run()
    assert not app.exception, app.exception
    return app


# ------------------------------------------------------------------ sign-in and users


def add_user(home: Path, username: str, password: str, *options: str) -> None:
    run_mau(home, "user", "add", username, *options, "--password-stdin", stdin=password + "\n")


def publish_tenants(home: Path, *tenant_ids: str) -> None:
    """A published file that knows these tenants and nothing else: `mau user add --tenant`
    accepts only a tenant of the published figures."""
    serving_file = home / "warehouse" / "serving.duckdb"
    serving_file.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(serving_file)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.dim_tenants (tenant_id varchar)")
        con.executemany("insert into marts.dim_tenants values (?)", [[t] for t in tenant_ids])


def test_nothing_shows_before_sign_in_and_a_wrong_password_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    app = open_app(monkeypatch, tmp_path)
    assert [i.value for i in app.info] == [
        "No dashboard users yet: add one with `mau user add NAME --role staff`."
    ]

    add_user(tmp_path, "ops", "a-long-password", "--role", "staff")
    app = open_app(monkeypatch, tmp_path)
    assert [t.value for t in app.title] == ["Sign in"]
    assert not app.metric and not app.dataframe

    sign_in(app, "ops", "not-the-password")
    assert [e.value for e in app.error] == ["Wrong username or password."]
    assert [t.value for t in app.title] == ["Sign in"]
    sign_in(app, "nobody", "a-long-password")
    assert [e.value for e in app.error] == ["Wrong username or password."]

    sign_in(app, "ops", "a-long-password")
    assert [t.value for t in app.title] == ["My usage"]
    assert [i.value for i in app.info] == ["No published figures yet: run `mau run` or `mau demo`"]
    assert "Signed in as **ops** (all tenants)" in [c.value for c in app.sidebar.caption]

    # Removing a user takes effect at their next click.
    run_mau(tmp_path, "user", "remove", "ops")
    app.run()
    assert [t.value for t in app.title] == ["Sign in"]


def test_the_users_file_keeps_salted_hashes_only_and_must_be_private(tmp_path: Path) -> None:
    publish_tenants(tmp_path, "t1")
    add_user(tmp_path, "ops", "correct horse battery", "--role", "staff")
    add_user(tmp_path, "reader", "correct horse battery", "--role", "tenant", "--tenant", "t1")
    users_file = tmp_path / "secrets" / "dashboard_users.json"

    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    text = users_file.read_text()
    assert "correct horse battery" not in text
    records = json.loads(text)["users"]
    # The same password gives different hashes: each user has their own salt.
    assert records["ops"]["password"]["salt"] != records["reader"]["password"]["salt"]
    assert records["ops"]["password"]["hash"] != records["reader"]["password"]["hash"]
    listing = run_mau(tmp_path, "user", "list").stdout.splitlines()
    assert listing == ["ops\tstaff\t*\tpassword", "reader\ttenant\tt1\tpassword"]

    refused = run_mau(tmp_path, "user", "add", "x", "--role", "tenant", check=False)
    assert refused.returncode == 1
    assert refused.stderr == "mau: error: a tenant user needs --tenant ID\n"
    short = run_mau(
        tmp_path, "user", "add", "x", "--role", "staff", "--password-stdin",
        stdin="short\n", check=False,
    )  # fmt: skip
    assert short.stderr == "mau: error: the password must have at least 10 characters\n"

    users_file.chmod(0o644)
    exposed = run_mau(tmp_path, "user", "list", check=False)
    assert exposed.returncode == 1
    assert exposed.stderr.startswith("mau: error: users file ")
    assert exposed.stderr.endswith("must be readable by its owner only (chmod 600)\n")
    assert exposed.stderr.count("\n") == 1


def test_repeated_wrong_passwords_lock_the_name_for_a_while(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    add_user(tmp_path, "victim", "the-right-password", "--role", "staff")
    app = open_app(monkeypatch, tmp_path)
    for _ in range(5):
        sign_in(app, "victim", "a-wrong-guess")
        assert [e.value for e in app.error] == ["Wrong username or password."]

    # Now even the right password is refused until the window has passed.
    sign_in(app, "victim", "the-right-password")
    assert [e.value for e in app.error] == ["Too many failed sign-ins: try again in 15 minutes."]
    assert [t.value for t in app.title] == ["Sign in"]


def test_throttle_counts_failures_per_name_within_the_window() -> None:
    throttle = SignInThrottle(limit=2, window=60)
    throttle.failed("a", now=0)
    assert throttle.seconds_blocked("a", now=1) == 0
    throttle.failed("a", now=10)
    assert throttle.seconds_blocked("a", now=20) == 40
    assert throttle.seconds_blocked("b", now=20) == 0
    assert throttle.seconds_blocked("a", now=61) == 0  # the first failure has expired
    throttle.succeeded("a")
    throttle.failed("a", now=62)
    assert throttle.seconds_blocked("a", now=62) == 0


def test_a_tenant_entry_without_its_tenant_is_refused_not_widened(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    publish_tenants(tmp_path, "t1")
    add_user(tmp_path, "reader", "correct horse battery", "--role", "tenant", "--tenant", "t1")
    users_file = tmp_path / "secrets" / "dashboard_users.json"
    records = json.loads(users_file.read_text())
    records["users"]["reader"]["tenant_id"] = None  # a careless hand edit
    users_file.write_text(json.dumps(records))

    app = open_app(monkeypatch, tmp_path)
    [error] = [e.value for e in app.error]
    assert error.startswith("users file ") and "a tenant user needs --tenant ID" in error
    assert not app.text_input  # no sign-in form at all

    # The data layer refuses such a viewer too, whatever reaches it.
    orphan = Viewer(username="reader", role="tenant", tenant_id=None)
    assert not orphan.may_see("t1")
    with pytest.raises(data.AccessDenied):
        data.visible_tenants(orphan)


def test_data_health_opens_before_anything_is_published(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    add_user(tmp_path, "ops", "a-long-password", "--role", "staff")
    status_file = tmp_path / "quality" / "check_status.json"
    status_file.parent.mkdir()
    status_file.write_text(json.dumps({"usage_reconciliation": {
        "passed": False, "checked_at": "2026-11-01T00:00:00+00:00", "evaluated": 1,
        "failures": [{"description": "MAU differs from a recount"}]}}))  # fmt: skip

    app = open_page(signed_in(monkeypatch, tmp_path, ("ops", "a-long-password")), "data_health")

    assert [t.value for t in app.title] == ["Data health"]
    assert app.error[0].value.startswith("1 blocking check(s) failed: usage_reconciliation.")
    assert [i.value for i in app.info] == ["No published figures yet: run `mau run` or `mau demo`"]


# ------------------------------------------------------------------ My usage


def download_labels(app: AppTest) -> list[str]:
    return [button.proto.label for button in app.get("download_button")]


@pytest.mark.slow
def test_a_tenant_user_sees_their_own_month_against_its_limit(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path
) -> None:
    tenant_id = busiest_tenant(dashboard_home)
    rows = tenant_rows(dashboard_home, tenant_id)
    latest = rows.iloc[0]
    [price] = serving(
        dashboard_home, "select monthly_price_usd from marts.dim_plans where plan_id = $p",
        p=latest["plan_id"],
    )["monthly_price_usd"]  # fmt: skip

    app = signed_in(monkeypatch, dashboard_home, tenant_user(tenant_id))
    assert [t.value for t in app.title] == ["My usage"]
    # The month picker offers the months with activity only, not every subscribed month.
    assert list(app.selectbox(key="my_usage_month").options) == [
        f"{month:%B %Y}" for month in tenant_rows_all_months(dashboard_home, tenant_id)
    ]
    show_busiest_month(app, "my_usage_month", dashboard_home)

    assert [s.value for s in app.selectbox if s.key == "my_usage_tenant"] == []
    assert whole(metric(app, "MAU")) == latest["mau"] > 0
    assert whole(metric(app, "Identified")) == latest["identified_mau"]
    assert whole(metric(app, "Anonymous")) == latest["anonymous_mau"]
    assert whole(metric(app, "Limit")) == latest["mau_limit"]
    assert metric(app, "Utilization") == f"{latest['utilization']:.1%}"
    assert metric(app, "Plan price") == f"${price:,.2f}"
    assert metric(app, "Amount due") == f"${latest['amount_due_usd']:,.2f}"
    assert app.subheader[0].value == f"{latest['tenant_name']} · {latest['month']:%B %Y}"
    # The fixture's run closed the month after building the mart: the next run marks it.
    state = "closed, figures final" if latest["is_closed"] else "ended, closes at the next run"
    captions = [c.value for c in app.caption]
    assert f"Plan: {latest['plan_name']} · {state}" in captions
    assert (
        f"Billing time zone: {latest['billing_timezone']}. "
        "Each period starts on the 1st at 00:00 in that zone." in captions
    )
    # An ended month is final: no projection and no "month to date" anywhere.
    assert [m for m in app.metric if m.label == "Projected at month end"] == []
    assert "month to date" not in everything_shown(app).lower()
    assert "Day by day" in [s.value for s in app.subheader]

    charts = app.get("vega_lite_chart")
    assert len(charts) == 4  # gauge, day by day, 12 months, devices
    bars, lines = layer_data(charts[0])
    assert bars["value"].tolist() == [latest["mau"]]
    assert bars["what"].tolist() == [f"MAU: {latest['mau']:,}"]
    thresholds = serving(dashboard_home, "select threshold from marts.dim_alert_thresholds")
    assert sorted(lines["value"]) == pytest.approx(
        sorted(latest["mau_limit"] * t for t in thresholds["threshold"])
    )
    # The legend names every mark with its figure: the limit, the 80 % alert.
    assert f"Limit (100% alert): {latest['mau_limit']:,}" in lines["what"].tolist()
    assert f"80% alert: {latest['mau_limit'] * 0.8:,.0f}" in lines["what"].tolist()
    [devices] = layer_data(charts[3])
    assert dict(zip(devices["device"], devices["persons"], strict=True)) == {
        "mobile": latest["mobile_mau"],
        "desktop": latest["desktop_mau"],
        "tablet": latest["tablet_mau"],
    }
    history = layer_data(charts[2])[0]
    assert set(history["month"].str[:7]) == {f"{month:%Y-%m}" for month in rows["month"].head(12)}
    identified = history[history["kind"] == "identified"].set_index("month")["persons"]
    assert identified[latest["month"].isoformat()] == latest["identified_mau"]

    alerts = serving(
        dashboard_home, "select * from marts.fct_usage_alerts where tenant_id = $t", t=tenant_id
    )
    shown_alerts = [frame.value for frame in app.dataframe]
    assert sum(len(frame) for frame in shown_alerts) == len(alerts)
    assert download_labels(app) == [
        "Every month (CSV)",
        f"Days of {latest['month']:%B %Y} (CSV)",
    ]


def tenant_rows_all_months(home: Path, tenant_id: str) -> list[dt.date]:
    """Every month the tenant's picker offers: from its first active month to its latest."""
    return serving(
        home,
        "select month from marts.fct_tenant_monthly_usage where tenant_id = $t "
        "and month >= (select min(month) from marts.fct_tenant_monthly_usage "
        "where tenant_id = $t and mau > 0) order by month desc",
        t=tenant_id,
    )["month"].tolist()


@pytest.mark.slow
def test_the_day_by_day_curve_draws_the_limit_and_thresholds_apart_and_labelled(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path
) -> None:
    tenant_id = busiest_tenant(dashboard_home)
    latest = tenant_rows(dashboard_home, tenant_id).iloc[0]
    days = serving(
        dashboard_home,
        "select * from marts.fct_tenant_daily_usage where tenant_id = $t and month = $m "
        "order by activity_date",
        t=tenant_id,
        m=latest["month"],
    )
    thresholds = serving(dashboard_home, "select threshold from marts.dim_alert_thresholds")

    app = signed_in(monkeypatch, dashboard_home, tenant_user(tenant_id))
    show_busiest_month(app, "my_usage_month", dashboard_home)

    chart = app.get("vega_lite_chart")[1]
    # An ended month: the days, then the lines and their labels; no projection.
    daily, lines, limit_label, threshold_labels = layer_data(chart)
    assert daily["mtd_mau"].tolist() == days["mtd_mau"].tolist()
    assert daily["activity_date"].tolist() == [d.isoformat() for d in days["activity_date"]]
    expected = sorted(latest["mau_limit"] * t for t in thresholds["threshold"])
    assert sorted(lines["value"]) == pytest.approx(expected)
    assert limit_label["label"].tolist() == [f"Limit (100% alert): {latest['mau_limit']:,}"]
    assert threshold_labels["label"].tolist() == [f"80% alert: {latest['mau_limit'] * 0.8:,.0f}"]
    # One date style on the axis ("6 Dec"), not Vega's mix of month names and weekdays.
    spec = json.loads(chart.proto.spec)
    assert spec["layer"][0]["encoding"]["x"]["axis"]["labelExpr"] == (
        "utcFormat(datum.value, '%-d %b')"
    )


def projected_over_home(source: Path, target: Path) -> tuple[Path, pd.Series]:
    """A copy of a published home where one tenant's busiest month is still open and
    projected over its limit (its low bound above the limit), with an "on track to
    exceed" alert, and another tenant's month ended over its limit.

    The fixture's months have ended; the dashboards read only the serving file, so the
    scenario is written there, the way the marts describe an open month.
    """
    home = copy_home(source, target)
    month = busiest_month(source)
    serving_file = home / "warehouse" / "serving.duckdb"
    with duckdb.connect(str(serving_file)) as con:
        tenant_id, mau_limit = con.execute(
            "select tenant_id, mau_limit from marts.fct_tenant_monthly_usage "
            "where month = $m and status in ('ok', 'approaching') "
            "order by mau desc, tenant_id limit 1",
            {"m": month},
        ).fetchone()
        low, projected, high = (
            round(mau_limit * 1.08),
            round(mau_limit * 1.16),
            round(mau_limit * 1.24),
        )
        [recommended] = con.execute(
            "select plan_id from marts.dim_plans where mau_limit >= $high "
            "order by monthly_price_usd limit 1",
            {"high": high},
        ).fetchone()
        con.execute(
            "update marts.fct_tenant_monthly_usage set is_closed = false, "
            "projected_mau = $projected, projected_mau_low = $low, projected_mau_high = $high, "
            "projected_status = 'over', recommended_plan_id = $recommended "
            "where tenant_id = $t and month = $m",
            {"projected": projected, "low": low, "high": high, "recommended": recommended,
             "t": tenant_id, "m": month},
        )  # fmt: skip
        con.execute(
            "update marts.fct_tenant_daily_usage set projected_mau = $projected, "
            "projected_mau_low = $low, projected_mau_high = $high, projected_status = 'over' "
            "where tenant_id = $t and activity_date = (select max(activity_date) "
            "from marts.fct_tenant_daily_usage where tenant_id = $t and month = $m)",
            {"projected": projected, "low": low, "high": high, "t": tenant_id, "m": month},
        )
        con.execute(
            "insert into marts.fct_usage_alerts by name select 'scenario' as alert_id, "
            "tenant_id, tenant_name, month, 'projected_to_exceed' as alert_kind, "
            "1.0 as threshold, month + 4 as alert_date, $projected as value, "
            "least(mau, $limit - 1) as mtd_mau, $projected as projected_mau, "
            "$low as projected_mau_low, $high as projected_mau_high, "
            "'linear' as projection_method, plan_id, mau_limit "
            "from marts.fct_tenant_monthly_usage where tenant_id = $t and month = $m",
            {"projected": projected, "low": low, "high": high, "limit": mau_limit,
             "t": tenant_id, "m": month},
        )  # fmt: skip
        # Another tenant's month ended over its limit.
        con.execute(
            "update marts.fct_tenant_monthly_usage set mau = mau_limit + 120, "
            "utilization = (mau_limit + 120) / mau_limit, status = 'over', overage_mau = 120, "
            "recommended_plan_id = $recommended "
            "where month = $m and tenant_id = (select tenant_id "
            "from marts.fct_tenant_monthly_usage where month = $m and tenant_id <> $t "
            "and mau_limit is not null and not is_trial order by tenant_id limit 1)",
            {"recommended": recommended, "t": tenant_id, "m": month},
        )
    row = serving(
        home,
        "select * from marts.fct_tenant_monthly_usage where tenant_id = $t and month = $m",
        t=tenant_id,
        m=month,
    ).iloc[0]
    return home, row


@pytest.mark.slow
def test_a_tenant_projected_over_its_limit_sees_a_banner_and_the_projection_bounds(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path, tmp_path: Path
) -> None:
    home, row = projected_over_home(dashboard_home, tmp_path)
    [(plan_name, plan_limit, plan_price)] = serving(
        home,
        "select plan_name, mau_limit, monthly_price_usd from marts.dim_plans where plan_id = $p",
        p=row["recommended_plan_id"],
    ).itertuples(index=False)
    month_end = (pd.Timestamp(row["month"]) + pd.offsets.MonthEnd(0)).date()

    app = signed_in(monkeypatch, home, tenant_user(row["tenant_id"]))
    show_busiest_month(app, "my_usage_month", home)

    assert [e.value for e in app.error] == [
        f"At this pace you are likely to pass your {row['mau_limit']:,} MAU limit this month: "
        f"projected {row['projected_mau_low']:,}–{row['projected_mau_high']:,} MAU by "
        f"{month_end.day} {month_end:%B}. Nothing is cut off if you do; the {plan_name} plan "
        f"({plan_limit:,} MAU, ${plan_price:,.2f} a month) would cover it."
    ]
    assert f"Plan: {row['plan_name']} · open, month to date" in [c.value for c in app.caption]
    next_start = month_end + dt.timedelta(days=1)
    assert any(
        c.value.endswith(f"the next one starts on {next_start.day} {next_start:%B %Y}.")
        for c in app.caption
    )
    assert whole(metric(app, "Projected at month end")) == row["projected_mau"]

    gauge, curve = app.get("vega_lite_chart")[:2]
    bars, bounds, _ = layer_data(gauge)
    assert bars["what"].tolist() == [
        f"Projected at month end: {row['projected_mau']:,} "
        f"(likely {row['projected_mau_low']:,}–{row['projected_mau_high']:,})",
        f"MAU so far: {row['mau']:,}",
    ]
    assert (bounds["low"][0], bounds["high"][0]) == (
        row["projected_mau_low"],
        row["projected_mau_high"],
    )
    _, band, projection, *_ = layer_data(curve)
    assert projection["activity_date"].iloc[-1] == month_end.isoformat()
    assert projection["mau"].iloc[-1] == row["projected_mau"]
    assert (band["low"].iloc[-1], band["high"].iloc[-1]) == (
        row["projected_mau_low"],
        row["projected_mau_high"],
    )

    # The alerts table speaks words, explains its columns, and no rule code shows.
    alerts = table_with(app, "alert")
    assert "On track to exceed" in alerts["alert"].tolist()
    assert set(alerts["alert"]) <= {"Reached", "On track to exceed"}
    shown = everything_shown(app)
    for identifier in ("projected_to_exceed", "threshold_reached", "alert_kind"):
        assert identifier not in shown
    assert not re.search(r"\bR\d{1,2}\b", shown)
    [alerts_frame] = [f for f in app.dataframe if "alert" in f.value.columns]
    columns = json.loads(alerts_frame.proto.columns)
    assert all(columns[name].get("help") for name in alerts.columns)


@pytest.mark.slow
def test_an_over_limit_month_says_what_happens_in_words(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path, tmp_path: Path
) -> None:
    home, _ = projected_over_home(dashboard_home, tmp_path)
    over = serving(
        home,
        "select usage.*, plans.plan_name as recommended_name, "
        "plans.mau_limit as recommended_limit, plans.monthly_price_usd as recommended_price "
        "from marts.fct_tenant_monthly_usage as usage "
        "join marts.dim_plans as plans on usage.recommended_plan_id = plans.plan_id "
        "where usage.month = $m and usage.status = 'over' and usage.overage_mau = 120",
        m=busiest_month(home),
    ).iloc[0]
    next_cycle = (pd.Timestamp(over["month"]) + pd.offsets.MonthBegin(1)).date()

    app = signed_in(monkeypatch, home, tenant_user(over["tenant_id"]))
    show_busiest_month(app, "my_usage_month", home)

    assert [i.value for i in app.info] == [
        f"This month went over the plan limit: {over['mau']:,} MAU against "
        f"{over['mau_limit']:,} included, an overage of 120 MAU. Nothing is cut off: every "
        "user keeps being counted and served. The overage is not billed: the amount due for "
        f"the month stays ${over['amount_due_usd']:,.2f}, the {over['plan_name']} plan's "
        f"price. We recommend the {over['recommended_name']} plan "
        f"({over['recommended_limit']:,} MAU, ${over['recommended_price']:,.2f} a month), "
        f"which covers this usage, from the next billing cycle on "
        f"{next_cycle.day} {next_cycle:%B %Y}."
    ]
    assert metric(app, "Amount due") == f"${over['amount_due_usd']:,.2f}"


@pytest.mark.slow
def test_a_tenant_user_asking_for_another_tenant_sees_nothing_of_it(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path
) -> None:
    tenants = serving(dashboard_home, "select tenant_id, tenant_name from marts.dim_tenants")
    own = busiest_tenant(dashboard_home)
    others = tenants[tenants["tenant_id"] != own]
    other_id = others["tenant_id"].iloc[0]

    app = signed_in(monkeypatch, dashboard_home, tenant_user(own))
    own_page = everything_shown(app)
    for _, other in others.iterrows():
        assert other["tenant_id"] not in own_page and other["tenant_name"] not in own_page

    # Through the URL.
    app.query_params["tenant"] = other_id
    app.run()
    assert [e.value for e in app.error] == ["You can only see your own workspace's usage."]
    assert not app.metric and not app.dataframe and not app.get("vega_lite_chart")

    # Through the staff pages' addresses: they are not even registered for a tenant user...
    app.query_params.clear()
    app.run()
    with pytest.raises(ValueError, match=r"Known pages: \['[^,]*views/my_usage\.py'\]"):
        app.switch_page("views/billing.py")
    # ...and a staff page's script run straight in a tenant user's session refuses too.
    for page in ("fleet_limits", "billing", "data_health"):
        direct = AppTest.from_file(str(APP.parent / "views" / f"{page}.py"), default_timeout=60)
        direct.session_state["signed_in_username"] = tenant_user(own)[0]
        direct.run()
        assert [e.value for e in direct.error] == ["This page is for staff."]
        assert not direct.metric and not direct.dataframe and not direct.exception

    # And through the data layer itself, whatever page code might ask.
    monkeypatch.setenv("MAU_HOME", str(dashboard_home))
    viewer = Viewer(username="someone", role="tenant", tenant_id=own)
    with pytest.raises(data.AccessDenied):
        data.tenant_months(viewer, other_id)
    with pytest.raises(data.AccessDenied):
        data.fleet_usage(viewer, busiest_month(dashboard_home))
    assert data.visible_tenants(viewer)["tenant_id"].tolist() == [own]


@pytest.mark.slow
def test_staff_open_any_tenant_by_link_or_by_choice(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path
) -> None:
    tenants = serving(dashboard_home, "select tenant_id from marts.dim_tenants order by 1")
    first, second = tenants["tenant_id"].iloc[0], tenants["tenant_id"].iloc[1]

    app = open_app(monkeypatch, dashboard_home)
    app.query_params["tenant"] = second
    sign_in(app, *STAFF)
    assert app.selectbox(key="my_usage_tenant").value == second
    show_busiest_month(app, "my_usage_month", dashboard_home)
    assert whole(metric(app, "MAU")) == tenant_rows(dashboard_home, second).iloc[0]["mau"]

    app.selectbox(key="my_usage_tenant").set_value(first).run()
    show_busiest_month(app, "my_usage_month", dashboard_home)
    assert whole(metric(app, "MAU")) == tenant_rows(dashboard_home, first).iloc[0]["mau"]
    assert app.query_params["tenant"] == first

    earlier = tenant_rows(dashboard_home, first).iloc[1]
    app.selectbox(key="my_usage_month").set_value(earlier["month"]).run()
    assert whole(metric(app, "MAU")) == earlier["mau"]


# ------------------------------------------------------------------ staff pages


@pytest.mark.slow
def test_fleet_limits_lists_every_tenant_with_filters_outreach_and_alerts(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path
) -> None:
    month = busiest_month(dashboard_home)
    usage = serving(
        dashboard_home,
        "select * from marts.fct_tenant_monthly_usage where month = $m "
        "order by utilization desc nulls last, mau desc, tenant_name, tenant_id",
        m=month,
    )
    app = open_page(signed_in(monkeypatch, dashboard_home, STAFF), "fleet_limits")
    assert [t.value for t in app.title] == ["Fleet limits"]
    show_busiest_month(app, "fleet_month", dashboard_home)

    assert whole(metric(app, "Tenants")) == len(usage) > 0
    assert whole(metric(app, "Total MAU")) == usage["mau"].sum()
    assert whole(metric(app, "Over limit")) == (usage["status"] == "over").sum()
    table = table_with(app, "utilization")
    assert table["tenant_id"].tolist() == usage["tenant_id"].tolist()
    assert table["mau"].tolist() == usage["mau"].tolist()
    # One percent format, the metrics' ("85.1%"); no limit, no share: a dash, never "None".
    assert table["utilization"].tolist() == [
        "–" if pd.isna(share) else f"{share:.1%}" for share in usage["utilization"]
    ]
    assert table["mau_limit"].notna().all()
    assert "Download tenants (CSV)" in download_labels(app)

    outreach = serving(
        dashboard_home, "select * from marts.fct_upgrade_outreach where month = $m", m=month
    )
    alerts = serving(
        dashboard_home, "select * from marts.fct_usage_alerts where month = $m", m=month
    )
    if len(outreach):
        shown_outreach = table_with(app, "recommended_plan_id")
        assert sorted(shown_outreach["tenant_id"]) == sorted(outreach["tenant_id"])
        assert "next_billing_date" in shown_outreach.columns
    if len(alerts):
        assert sorted(table_with(app, "alert_kind")["tenant_id"]) == sorted(alerts["tenant_id"])
        assert set(table_with(app, "alert_kind")["alert_kind"]) <= {"Reached", "On track to exceed"}

    statuses = sorted(set(usage["status"]))
    app.multiselect(key="fleet_statuses").set_value([statuses[0]]).run()
    filtered = usage[usage["status"] == statuses[0]]
    assert whole(metric(app, "Tenants")) == len(filtered)
    assert table_with(app, "utilization")["tenant_id"].tolist() == filtered["tenant_id"].tolist()

    app.multiselect(key="fleet_statuses").set_value([]).run()
    app.toggle(key="fleet_trials_only").set_value(True).run()
    assert whole(metric(app, "Tenants")) == int(usage["is_trial"].sum())


@pytest.mark.slow
def test_fleet_limits_counts_and_colours_a_tenant_projected_over_its_limit(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path, tmp_path: Path
) -> None:
    home, row = projected_over_home(dashboard_home, tmp_path)
    usage = serving(
        home, "select * from marts.fct_tenant_monthly_usage where month = $m", m=row["month"]
    )

    app = open_page(signed_in(monkeypatch, home, STAFF), "fleet_limits")
    show_busiest_month(app, "fleet_month", home)

    assert whole(metric(app, "Projected over")) == (usage["projected_status"] == "over").sum() == 1
    assert whole(metric(app, "Projected to approach")) == 0
    assert whole(metric(app, "Over limit")) == (usage["status"] == "over").sum()
    # In the table, its status carries a second, coloured label; in the chart, its colour.
    statuses = table_with(app, "utilization").set_index("tenant_id")["status"]
    assert list(statuses[row["tenant_id"]]) == [row["status"], "projected_over"]
    [table_proto] = [f for f in app.dataframe if "utilization" in f.value.columns]
    status_config = json.loads(table_proto.proto.columns)["status"]["type_config"]
    colours = {option["value"]: option["color"] for option in status_config["options"]}
    assert colours["projected_over"] == charts.OUTLOOK_COLOURS["projected_over"]
    [bars, _] = layer_data(app.get("vega_lite_chart")[0])
    outlook = bars.set_index("tenant_id")["outlook"]
    assert outlook[row["tenant_id"]] == "Projected over"
    assert (outlook == "Projected over").sum() == 1
    # The alert feed says what an alert is in words.
    feed = table_with(app, "alert_kind").set_index("tenant_id")
    assert "On track to exceed" in feed.loc[[row["tenant_id"]], "alert_kind"].tolist()


@pytest.mark.slow
def test_billing_shows_amounts_due_trials_and_closes(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path
) -> None:
    month = busiest_month(dashboard_home)
    bills = serving(
        dashboard_home,
        "select * from marts.fct_tenant_monthly_usage where month = $m", m=month
    )  # fmt: skip
    trials = serving(dashboard_home, "select * from marts.fct_trial_conversions")
    # Subscriptions start before the first event: months before it have nothing to show.
    active_months = serving(
        dashboard_home,
        "select month from marts.fct_tenant_monthly_usage group by month "
        "having month >= (select min(month) from marts.fct_tenant_monthly_usage where mau > 0) "
        "order by month desc",
    )["month"].tolist()
    closes = serving(
        dashboard_home, "select * from billing.month_closes where month >= $m", m=active_months[-1]
    )

    app = open_page(signed_in(monkeypatch, dashboard_home, STAFF), "billing")
    assert [t.value for t in app.title] == ["Billing"]
    assert list(app.selectbox(key="billing_month").options) == [
        f"{month:%B %Y}" for month in active_months
    ]
    [amounts] = layer_data(app.get("vega_lite_chart")[0])
    assert sorted(amounts["month"]) == sorted(month.isoformat() for month in active_months)
    show_busiest_month(app, "billing_month", dashboard_home)

    assert metric(app, "Amount due") == f"${float(bills['amount_due_usd'].sum()):,.2f}"
    assert whole(metric(app, "Invoice-eligible tenants")) == bills["invoice_eligible"].sum()
    table = table_with(app, "invoice_eligible")
    assert sorted(table["tenant_id"]) == sorted(bills["tenant_id"])
    assert table["amount_due_usd"].sum() == pytest.approx(bills["amount_due_usd"].sum())
    # A limit in words ("Unlimited", "No plan"), never an empty cell Streamlit calls None.
    expected_limits = [
        f"{int(limit):,}" if pd.notna(limit) else "Unlimited" if pd.notna(plan) else "No plan"
        for limit, plan in zip(bills["mau_limit"], bills["plan_id"], strict=True)
    ]
    assert sorted(table["mau_limit"]) == sorted(expected_limits)
    assert len(trials) > 0, "the generator writes trials"
    shown_trials = table_with(app, "trial_status")
    assert len(shown_trials) == len(trials)
    assert shown_trials.notna().all().all()
    assert set(shown_trials["days_left"]) <= {"–", "last day"} | {
        f"{days} day{'s' if days != 1 else ''}" for days in trials["days_left"].dropna()
    }
    for status in ("in_trial", "converting", "converted", "lapsed"):
        label = status.replace("_", " ").capitalize()
        assert whole(metric(app, label)) == (trials["trial_status"] == status).sum()
    assert len(closes) > 0, "the fixture's months are past their close"
    assert table_with(app, "first_closed_at")["tenants"].sum() == len(closes)

    app.toggle(key="billing_invoice_only").set_value(True).run()
    assert len(table_with(app, "invoice_eligible")) == bills["invoice_eligible"].sum()


@pytest.mark.slow
def test_data_health_shows_the_checks_and_the_health_marts(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path
) -> None:
    quarantine = serving(dashboard_home, "select * from marts.fct_quarantine_by_reason")
    duplicates = serving(dashboard_home, "select * from marts.fct_duplicate_events")
    unattributed = serving(dashboard_home, "select * from marts.fct_unattributed_usage")
    status = json.loads((dashboard_home / "quality" / "check_status.json").read_text())

    app = open_page(signed_in(monkeypatch, dashboard_home, STAFF), "data_health")

    assert [t.value for t in app.title] == ["Data health"]
    assert [s.value for s in app.success] == [f"All {len(status)} data-quality suites passed."]
    checks = table_with(app, "suite")
    assert sorted(checks["suite"]) == sorted(status) and checks["passed"].all()
    assert whole(metric(app, "Duplicate copies")) == (duplicates["copy_rank"] > 1).sum()
    assert (
        whole(metric(app, "Conflicting copies"))
        == ((duplicates["copy_rank"] > 1) & duplicates["is_conflict"]).sum()
    )
    # Only event files can be unbalanced: an account export has no per-line split.
    loads = table_with(app, "unbalanced_files").set_index("file_kind")
    unbalanced_events = serving(
        dashboard_home,
        "select count(*) filter (where not is_balanced) as n from marts.fct_file_loads "
        "where file_kind = 'events'",
    )["n"][0]
    assert loads.loc["events", "unbalanced_files"].sum() == unbalanced_events
    assert loads.drop(index="events")["unbalanced_files"].sum() == 0
    by_reason = table_with(app, "quarantine_reason")
    assert by_reason["lines"].sum() == quarantine["quarantined_line_count"].sum() > 0
    assert len(table_with(app, "utc_month")) == len(unattributed) > 0


@pytest.mark.slow
def test_a_failed_check_is_shown_on_data_health(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path, tmp_path: Path
) -> None:
    home = copy_home(dashboard_home, tmp_path)
    status_file = home / "quality" / "check_status.json"
    status = json.loads(status_file.read_text())
    status["usage_reconciliation"]["passed"] = False
    status["usage_reconciliation"]["failures"] = [{"description": "MAU differs from a recount"}]
    status_file.write_text(json.dumps(status))

    app = open_page(signed_in(monkeypatch, home, STAFF), "data_health")

    assert [e.value for e in app.error] == [
        "1 blocking check(s) failed: usage_reconciliation. "
        "Nothing was published; the figures below are the previous run's."
    ]
    checks = table_with(app, "suite").set_index("suite")
    assert checks.loc["usage_reconciliation", "failures"] == "MAU differs from a recount"


# ------------------------------------------------------------------ publication


def copy_home(source: Path, target: Path) -> Path:
    """The serving file, check status and users of a home, copied for a test to change."""
    for part in ("warehouse/serving.duckdb", "quality/check_status.json"):
        (target / part).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / part, target / part)
    (target / "secrets").mkdir(mode=0o700)
    shutil.copy(source / "secrets" / "dashboard_users.json", target / "secrets")
    return target


@pytest.mark.slow
def test_a_new_publish_is_shown_without_waiting_for_the_cache(
    monkeypatch: pytest.MonkeyPatch, dashboard_home: Path, tmp_path: Path
) -> None:
    home = copy_home(dashboard_home, tmp_path)
    app = open_page(signed_in(monkeypatch, home, STAFF), "fleet_limits")
    before = whole(metric(app, "Total MAU"))

    # Republish the way the pipeline does: a new file swapped in atomically.
    serving_file = home / "warehouse" / "serving.duckdb"
    staging = serving_file.with_name("serving.duckdb.new")
    shutil.copy(serving_file, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("update marts.fct_tenant_monthly_usage set mau = mau + 1000")
    os.replace(staging, serving_file)
    app.run()

    assert not app.exception, app.exception
    assert whole(metric(app, "Total MAU")) == before + 1000 * whole(metric(app, "Tenants"))
