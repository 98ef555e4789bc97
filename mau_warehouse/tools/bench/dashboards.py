"""Dashboard pages on 1,000 tenants × 24 months of published figures (SPEC §6).

The serving file is scaled out from a real one: every published table with a
tenant is copied once per tenant replica (new tenant ids) and per month shift (all
dates moved back by whole spans of the template's months), so keys stay unique and
each copy keeps the template's internal consistency. Each page is then rendered
by Streamlit's AppTest, which runs the real app script against that file, signed
in as staff: the first render (cold caches) and the median of the next ones.

Run as `python -m mau_warehouse.tools.bench.dashboards TEMPLATE_SERVING HOME REPETITIONS`;
prints one JSON object per page.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

import duckdb

import dashboards
from mau_warehouse.users import add_user

TENANTS = 1_000
MONTHS = 24
STAFF = ("bench@example.com", "bench-password")
PAGES = {
    "My usage": "views/my_usage.py",
    "Fleet limits": "views/fleet_limits.py",
    "Billing": "views/billing.py",
    "Data health": "views/data_health.py",
}
DATE_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE")


def _shape(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    [(tenants, months)] = con.execute(
        "select count(distinct tenant_id), count(distinct month) "
        "from template.marts.fct_tenant_monthly_usage"
    ).fetchall()
    return tenants, months


def scale_out(template: Path, target: Path) -> dict[str, int]:
    """Write the scaled serving file; return its row count per table."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    con = duckdb.connect(str(target))
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{template}' as template (read_only)")
    tenants, months = _shape(con)
    replicas, shifts = math.ceil(TENANTS / tenants), math.ceil(MONTHS / months)
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'template' order by all"
    ).fetchall()
    rows: dict[str, int] = {}
    for schema, table in tables:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_catalog = 'template' and table_schema = $s and table_name = $t "
            "order by ordinal_position",
            {"s": schema, "t": table},
        ).fetchall()
        names = {name for name, _ in columns}
        con.execute(f"create schema if not exists {schema}")
        if "tenant_id" not in names:
            con.execute(f"create table {schema}.{table} as select * from template.{schema}.{table}")
        else:
            projections = []
            for name, kind in columns:
                if name == "tenant_id":
                    projections.append("tenant_id || '-' || replica as tenant_id")
                elif kind in DATE_TYPES:
                    projections.append(
                        f'cast("{name}" - to_months(shift * {months}) as {kind}) as "{name}"'
                    )
                else:
                    projections.append(f'"{name}"')
            con.execute(
                f"create table {schema}.{table} as select {', '.join(projections)} "
                f"from template.{schema}.{table}, range({replicas}) as r(replica), "
                f"range({shifts}) as s(shift)"
            )
        [(count,)] = con.execute(f"select count(*) from {schema}.{table}").fetchall()
        rows[f"{schema}.{table}"] = count
    con.close()
    return rows


def _render_times(app_path: Path, repetitions: int) -> dict[str, tuple[float, float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(app_path), default_timeout=120)
    app.run()
    app.text_input(key="sign_in_username").set_value(STAFF[0])
    app.text_input(key="sign_in_password").set_value(STAFF[1])
    app.button[0].click().run()
    times: dict[str, tuple[float, float]] = {}
    for title, page in PAGES.items():
        # the first render of each page starts from empty caches, as after a new publish
        st.cache_data.clear()
        runs = []
        for _ in range(repetitions + 1):
            began = time.perf_counter()
            app.switch_page(page).run()
            runs.append(time.perf_counter() - began)
            if app.exception:
                raise RuntimeError(f"{title}: {app.exception[0].message}")
        times[title] = (runs[0], statistics.median(runs[1:]))
    return times


def main() -> None:
    template, home, repetitions = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
    rows = scale_out(template, home / "warehouse" / "serving.duckdb")
    users = home / "secrets" / "dashboard_users.json"
    users.unlink(missing_ok=True)
    add_user(users, STAFF[0], "staff", None, STAFF[1])
    os.environ["MAU_HOME"] = str(home)
    os.environ["MAU_DASHBOARD_USERS_FILE"] = str(users)
    app_path = Path(dashboards.__file__).resolve().parent / "app.py"
    for title, (cold, warm) in _render_times(app_path, repetitions).items():
        print(json.dumps({"page": title, "cold_seconds": cold, "warm_seconds": warm}))
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()
