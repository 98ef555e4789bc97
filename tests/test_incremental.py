"""Incremental builds give the figures of a full refresh (SPEC §6).

One warehouse receives its landing files day after day, with a dbt build after each
delivery, as the hourly pipeline would; then a copy of it is rebuilt with
`--full-refresh` from the raw layer, and every table of the intermediate and mart
layers must be the same. The deliveries carry what an incremental build can get
wrong: a retry received earlier than the copy already counted, which moves the event
to another month and another person (R2, R4, R5); a login that links a browser
active in an earlier month (R7); a retry that takes the only link of a browser away,
or its earliest one, so that a later link from its history takes over; an earlier
login that takes a browser from the user it was linked to;
events for a month already closed (R16); a tenant that changes its time zone (R5) and
one that appears in the tenants export after its events (R18).
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from mau_warehouse.billing.close import close_due_months
from mau_warehouse.config import DBT_PROJECT_DIR, load_settings
from mau_warehouse.ingest import ingest
from mau_warehouse.privacy.pseudonyms import pseudonym
from mau_warehouse.warehouse import connect_writer
from tests.conftest import TEST_KEY, run_mau

pytestmark = pytest.mark.slow

# Columns that say when a row was built, not what it holds.
BUILD_COLUMNS = {
    "_built_at",
    "previous_activity_month",
    "measured_at",
    "hours_since_newest_received_at",
}
SCHEMAS = ("intermediate", "marts")
# Bookkeeping of incremental builds, which a full refresh starts afresh: the change log
# keeps the months it ever recounted, and a link that lost its last event stays as a
# row without a user so that its months are recounted.
KEPT_ROWS = {"intermediate.int_identity_links_resolved": "linked_user_pseudonym is not null"}


def event(event_id: str, tenant: str, occurred_at: str, **fields: object) -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "tenant_id": tenant,
            "event_type": "sdk_loaded",
            "occurred_at": occurred_at,
            **fields,
        }
    )


# Tenant "edge" bills in Paris until the third delivery moves it to New York;
# "ghost" sends events before it appears in the tenants export.
FIRST = [
    event("a-sep", "edge", "2026-09-10T10:00:00Z", anonymous_id="A"),
    event(
        "w1",
        "edge",
        "2026-10-01T00:30:00Z",
        anonymous_id="B",
        sent_at="2026-10-01T00:30:00Z",
        received_at="2026-10-01T00:40:00Z",
    ),
    event(
        "l1",
        "edge",
        "2026-09-12T10:00:00Z",
        anonymous_id="C",
        user_id="W",
        sent_at="2026-09-12T10:00:00Z",
        received_at="2026-09-12T10:10:00Z",
    ),
    event("c-sep", "edge", "2026-09-13T10:00:00Z", anonymous_id="C"),
    event("u-sep", "edge", "2026-09-14T10:00:00Z", user_id="V"),
    # R5: 1 October in Paris, 30 September in New York.
    event("tz1", "edge", "2026-09-30T23:30:00Z", anonymous_id="E"),
    # R5: the only December event in Paris; November in New York.
    event("tz2", "edge", "2026-11-30T23:30:00Z", anonymous_id="F"),
    event("g1", "ghost", "2026-09-20T23:30:00Z", user_id="G"),
    # R7: K is linked to X by k1, and later to Y by k2; M to P; N to Q.
    event(
        "k1",
        "edge",
        "2026-09-15T10:00:00Z",
        anonymous_id="K",
        user_id="X",
        sent_at="2026-09-15T10:00:00Z",
        received_at="2026-09-15T10:10:00Z",
    ),
    event("k2", "edge", "2026-09-16T10:00:00Z", anonymous_id="K", user_id="Y"),
    event(
        "m1",
        "edge",
        "2026-09-17T10:00:00Z",
        anonymous_id="M",
        user_id="P",
        sent_at="2026-09-17T10:00:00Z",
        received_at="2026-09-17T10:10:00Z",
    ),
    event("n1", "edge", "2026-09-18T10:00:00Z", anonymous_id="N", user_id="Q"),
]
SECOND = [
    # R7: A, active in September, logs in as U in October: September's A is U now.
    event("a-oct", "edge", "2026-10-05T10:00:00Z", anonymous_id="A", user_id="U"),
    # R2: a copy of w1 received before the one counted, and different: it wins, and its
    # clock correction (R4) moves it to 30 September, 23:35 in Paris, as user V.
    event(
        "w1",
        "edge",
        "2026-10-01T00:30:00Z",
        anonymous_id="B",
        user_id="V",
        sent_at="2026-10-01T03:30:00Z",
        received_at="2026-10-01T00:35:00Z",
    ),
    # R16: September is closed by now: these arrive late.
    event("late-sep", "edge", "2026-09-28T10:00:00Z", anonymous_id="D"),
    event("g2", "ghost", "2026-10-02T10:00:00Z", anonymous_id="H"),
    # R7: an earlier login takes N from Q to R, beside N's link kept from the last build.
    event("n0", "edge", "2026-09-17T09:00:00Z", anonymous_id="N", user_id="R"),
    # R2, R4: a copy of m1 received first, with an earlier event time: it keeps M's link.
    event(
        "m1",
        "edge",
        "2026-09-17T10:00:00Z",
        anonymous_id="M",
        user_id="P",
        sent_at="2026-09-17T10:00:00Z",
        received_at="2026-09-17T10:05:00Z",
    ),
]
THIRD = [
    # R2: a copy of l1 received first, without the user: C loses its only link (R7).
    event(
        "l1",
        "edge",
        "2026-09-12T10:00:00Z",
        anonymous_id="C",
        sent_at="2026-09-12T10:00:00Z",
        received_at="2026-09-12T10:05:00Z",
    ),
    event("u-oct", "edge", "2026-10-31T22:30:00Z", user_id="V"),
    # R2, R7: a copy of k1 received first, without the user: K's link falls back to
    # k2, which only K's history holds.
    event(
        "k1",
        "edge",
        "2026-09-15T10:00:00Z",
        anonymous_id="K",
        sent_at="2026-09-15T10:00:00Z",
        received_at="2026-09-15T10:05:00Z",
    ),
]
TENANTS_HEADER = "tenant_id,tenant_name,billing_timezone,created_at\n"


def deliver(home: Path, name: str, lines: list[str]) -> None:
    path = home / "landing" / "events" / "edge" / f"{name}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def set_tenants(home: Path, generated: str, rows: list[str]) -> None:
    (home / "landing" / "accounts" / "tenants.csv").write_text(generated + "".join(rows))


def dbt_build(home: Path, *extra: str) -> None:
    from dbt.cli.main import dbtRunner

    os.environ.update(load_settings(home).dbt_env())
    result = dbtRunner().invoke(
        [
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--exclude-resource-type",
            "unit_test",
            "--quiet",
            *extra,
        ]
    )
    assert result.success, result.exception or [
        str(r.message) for r in result.result or [] if r.status not in ("success", "pass")
    ]


def tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of the checked layers, build columns left out, rows sorted."""
    content: dict[str, list[tuple[object, ...]]] = {}
    # Not read-only: dbt, run in this process, still holds the file with its own settings.
    with duckdb.connect(str(path)) as con:
        for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in (select unnest($s)) "
            "and table_name not in ('incremental_build_stamps', 'int_tenant_months_changed')",
            {"s": list(SCHEMAS)},
        ).fetchall():
            columns = [
                name
                for (name,) in con.execute(
                    "select column_name from information_schema.columns where table_schema = "
                    "$schema and table_name = $table order by ordinal_position",
                    {"schema": schema, "table": table},
                ).fetchall()
                if name not in BUILD_COLUMNS
            ]
            # Medians and projections are floating point: their last bits depend on order.
            select = ", ".join(f'"{c}"' for c in columns)
            kept = KEPT_ROWS.get(f"{schema}.{table}", "true")
            rows = con.execute(f'select {select} from "{schema}"."{table}" where {kept}').fetchall()
            content[f"{schema}.{table}"] = sorted(
                (tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows),
                key=repr,
            )
    return content


@pytest.fixture(scope="module")
def delivered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built after each of three deliveries, as the pipeline builds it."""
    home = tmp_path_factory.mktemp("incremental") / "home"
    home.mkdir()
    run_mau(
        home,
        "generate",
        "--seed",
        "11",
        "--tenants",
        "4",
        "--months",
        "2",
        "--events",
        "8000",
        "--start-month",
        "2026-09",
    )
    os.environ["MAU_PSEUDONYM_KEY"] = TEST_KEY
    settings = load_settings(home)
    generated_tenants = (home / "landing" / "accounts" / "tenants.csv").read_text()
    events = home / "landing" / "events"
    days = sorted(p for p in events.glob("*/*/*") if p.is_dir())
    held = home / "held"

    def move(folder: Path, source: Path, target: Path) -> None:
        destination = target / folder.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder, destination)

    for day in days:
        move(day, events, held)

    def release(until: str) -> None:
        for day in sorted(held.glob("*/*/*")):
            if "/".join(day.parts[-3:]) <= until:
                move(day, held, events)

    set_tenants(home, generated_tenants, ["edge,Edge,Europe/Paris,2026-01-01T00:00:00Z\n"])
    release("2026/09/20")
    deliver(home, "first", FIRST)
    ingest(settings)
    dbt_build(home)
    # The ended months close (R16) before the second delivery arrives.
    con = connect_writer(settings)
    try:
        close_due_months(con, datetime.now(UTC))
    finally:
        con.close()

    release("2026/10/10")
    deliver(home, "second", SECOND)
    ingest(settings)
    dbt_build(home)

    release("9999/99/99")
    deliver(home, "third", THIRD)
    set_tenants(
        home,
        generated_tenants,
        [
            "edge,Edge,America/New_York,2026-01-01T00:00:00Z\n",
            "ghost,Ghost,,2026-01-01T00:00:00Z\n",
        ],
    )
    ingest(settings)
    dbt_build(home)
    return home


def test_incremental_builds_equal_a_full_refresh(delivered: Path, tmp_path: Path) -> None:
    incremental = delivered / "warehouse" / "warehouse.duckdb"
    copy_home = tmp_path / "home"
    shutil.copytree(delivered / "warehouse", copy_home / "warehouse")
    dbt_build(copy_home, "--full-refresh")

    built, rebuilt = tables(incremental), tables(copy_home / "warehouse" / "warehouse.duckdb")

    assert built.keys() == rebuilt.keys()
    assert "marts.fct_tenant_monthly_usage" in built
    differing = [name for name in built if built[name] != rebuilt[name]]
    assert differing == []


def query(home: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(home / "warehouse" / "warehouse.duckdb")) as con:
        return con.execute(sql).fetchall()


def test_the_deliveries_exercised_every_path(delivered: Path) -> None:
    # The tricky cases really happened, so the comparison above compares something.
    usage = dict(
        query(
            delivered,
            "select strftime(month, '%Y-%m'), mau from marts.fct_tenant_monthly_usage "
            "where tenant_id = 'edge'",
        )
    )
    # September in New York: a-sep (A, linked to U later), w1 (V, its new winner),
    # l1 and c-sep (C, unlinked now), u-sep (V), tz1 (E), late-sep (D), k1 and k2 (Y),
    # m1 (P), n1 (Q), n0 (R).
    assert usage["2026-09"] == 9
    # December in Paris held tz2 only; in New York it is November's.
    assert "2026-12" not in usage
    assert usage["2026-11"] == 1
    [(tombstones,)] = query(
        delivered,
        "select count(*) from intermediate.int_identity_links_resolved "
        "where tenant_id = 'edge' and linked_user_pseudonym is null",
    )
    assert tombstones == 1  # C lost its only link
    links = dict(
        query(
            delivered,
            "select anonymous_pseudonym, linked_user_pseudonym "
            "from intermediate.int_identity_links_resolved where tenant_id = 'edge'",
        )
    )
    for anonymous_id, user_id in {"K": "Y", "M": "P", "N": "R"}.items():
        assert links[pseudonym(TEST_KEY, "edge", "anonymous", anonymous_id)] == pseudonym(
            TEST_KEY, "edge", "user", user_id
        )
    late = dict(
        query(
            delivered,
            "select strftime(month, '%Y-%m'), late_person_count from marts.fct_late_adjustments "
            "where tenant_id = 'edge'",
        )
    )
    # D and R were first seen after September closed; in October, U (a-oct) and V (u-oct).
    assert late == {"2026-09": 2, "2026-10": 2}
    # ghost's events were unattributed until the tenants export listed it (R18).
    assert (
        query(delivered, "select * from marts.fct_unattributed_usage where tenant_id = 'ghost'")
        == []
    )
    assert query(
        delivered,
        "select sum(mau) from marts.fct_tenant_monthly_usage where tenant_id = 'ghost'",
    ) == [(2,)]
    [(zone,)] = query(
        delivered,
        "select distinct billing_timezone from intermediate.int_events_classified "
        "where tenant_id = 'edge'",
    )
    assert zone == "America/New_York"
    # The change log recorded the month tz2 left, which a full refresh never sees.
    assert query(
        delivered,
        "select count(*) from intermediate.int_tenant_months_changed "
        "where tenant_id = 'edge' and activity_month = date '2026-12-01'",
    ) == [(1,)]
