"""The Great Expectations suites on a real warehouse, corrupted on purpose (SPEC §7).

Each test copies the warehouse of a real pipeline run, breaks one promise of
SPEC §3 in the copy, and shows that the suite guarding it fails and names the
offending rows.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from data_quality.outcomes import Failure, SuiteOutcome, data_docs_index
from data_quality.recount import ALL_LINKS_QUERY, update_links
from data_quality.suites import (
    all_suites,
    billing_suite,
    file_loads_suite,
    reconciliation_suite,
    snapshot_suite,
    usage_suite,
)
from data_quality.validate import run_suite
from mau_warehouse.config import Settings, load_settings

pytestmark = pytest.mark.slow


@pytest.fixture
def warehouse(published_home: Path, tmp_path: Path) -> Settings:
    """Settings of a MAU_HOME holding a private copy of the published run's warehouse."""
    source = load_settings(published_home).warehouse_path
    settings = load_settings(tmp_path / "mau_home")
    settings.warehouse_dir.mkdir(parents=True)
    for path in source.parent.glob(source.name + "*"):  # the file and its WAL, if any
        shutil.copy(path, settings.warehouse_dir / path.name)
    return settings


def execute(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(settings.warehouse_path)) as con:
        return con.execute(sql).fetchall()


def busiest_tenant_month(settings: Settings, *, open_only: bool = False) -> tuple[str, str]:
    """The tenant-month with the most MAU; `open_only` keeps months after the tenant's
    last close (R16): the run closes months after it builds the mart, so the mart's
    `is_closed` can lag behind the close log."""
    where = (
        "where usage.month > coalesce((select max(closes.month_start) "
        "from staging.stg_billing_state__month_closes as closes "
        "where closes.tenant_id = usage.tenant_id), date '1900-01-01') "
        if open_only
        else ""
    )
    [(tenant_id, month)] = execute(
        settings,
        "select usage.tenant_id, strftime(usage.month, '%Y-%m-%d') "
        f"from marts.fct_tenant_monthly_usage as usage {where}"
        "order by usage.mau desc, usage.tenant_id, usage.month limit 1",
    )
    return tenant_id, month


def only_failure(outcome: SuiteOutcome, rule: str) -> Failure:
    """The single failing expectation; its description must cite `rule`."""
    assert not outcome.success
    assert len(outcome.failures) == 1, [f.description for f in outcome.failures]
    [failure] = outcome.failures
    assert rule in failure.description
    assert failure.error is None
    json.dumps(failure.unexpected)  # goes into Dagster metadata as is
    return failure


def test_clean_warehouse_passes_every_suite_and_builds_data_docs(warehouse: Settings) -> None:
    outcomes = [run_suite(warehouse, suite) for suite in all_suites()]

    failing = {o.suite: o.failures for o in outcomes if not o.success}
    assert failing == {}
    assert all(o.evaluated > 0 for o in outcomes)
    index = data_docs_index(warehouse)
    assert index == warehouse.home / "quality" / "data_docs" / "index.html"
    page = index.read_text()
    for suite in all_suites():
        assert suite.name in page


def test_known_users_that_decrease_fail_r10_naming_tenant_and_month(warehouse: Settings) -> None:
    [(tenant_id, month)] = execute(
        warehouse,
        "select tenant_id, strftime(month, '%Y-%m-%d') from marts.fct_tenant_monthly_usage "
        "where known_users > 0 order by month desc, tenant_id limit 1",
    )
    execute(
        warehouse,
        "update marts.fct_tenant_monthly_usage set known_users = 0 "
        f"where tenant_id = '{tenant_id}' and month = '{month}'",
    )

    failure = only_failure(run_suite(warehouse, usage_suite()), "R10")

    [row] = failure.unexpected
    assert (row["tenant_id"], str(row["month"])) == (tenant_id, month)
    assert row["known_users"] == 0 < row["previous_known_users"]


def test_overage_that_disagrees_with_the_limit_fails_billing(warehouse: Settings) -> None:
    tenant_id, month = busiest_tenant_month(warehouse)
    execute(
        warehouse,
        "update marts.fct_tenant_monthly_usage set overage_mau = overage_mau + 7 "
        f"where tenant_id = '{tenant_id}' and month = '{month}'",
    )

    failure = only_failure(run_suite(warehouse, billing_suite()), "R14")

    assert failure.expectation == "unexpected_rows_expectation"
    assert failure.unexpected_count == 1
    [row] = failure.unexpected
    assert (row["tenant_id"], row["month"]) == (tenant_id, month)
    assert row["overage_mau"] == row["expected_overage_mau"] + 7


def test_file_whose_counts_do_not_add_up_fails_conservation(warehouse: Settings) -> None:
    [(load_id, file_path)] = execute(
        warehouse,
        "select load_id, file_path from marts.fct_file_loads "
        "where file_kind = 'events' and load_status = 'loaded' order by load_id limit 1",
    )
    execute(
        warehouse,
        f"update marts.fct_file_loads set line_count = line_count + 1 where load_id = {load_id}",
    )

    failure = only_failure(
        run_suite(warehouse, file_loads_suite()), "lines = accepted + duplicates + quarantined"
    )

    [row] = failure.unexpected
    assert (row["load_id"], row["file_path"]) == (load_id, file_path)


def test_mau_off_by_one_fails_the_independent_recount(warehouse: Settings) -> None:
    # The recount covers months not closed yet: a closed month is a snapshot (R16).
    # One anonymous desktop person too many, consistent within the row: the mart's
    # CHECK constraints (R8's sum, the device bounds) refuse any other wrong count.
    tenant_id, month = busiest_tenant_month(warehouse, open_only=True)
    [(mau, anonymous_mau)] = execute(
        warehouse,
        "update marts.fct_tenant_monthly_usage "
        "set mau = mau + 1, anonymous_mau = anonymous_mau + 1, desktop_mau = desktop_mau + 1 "
        f"where tenant_id = '{tenant_id}' and month = '{month}' returning mau, anonymous_mau",
    )

    failure = only_failure(run_suite(warehouse, reconciliation_suite()), "independent recount")

    [row] = failure.unexpected
    assert (row["tenant_id"], row["month"]) == (tenant_id, month)
    assert (row["mau"], row["recounted_mau"]) == (mau, mau - 1)
    assert (row["anonymous_mau"], row["recounted_anonymous_mau"]) == (
        anonymous_mau,
        anonymous_mau - 1,
    )


def test_recount_of_what_changed_covers_new_lines_and_months_due_to_close(
    warehouse: Settings,
) -> None:
    # An open month that the mart counts as empty; a line loaded after the plan's
    # watermark lands in it, and the mart was not rebuilt: its figure is now wrong.
    tenant_id, month = busiest_tenant_month(warehouse, open_only=True)
    [(latest,)] = execute(warehouse, "select max(load_id) from raw.load_ledger")
    execute(
        warehouse,
        f"""
        insert into raw.event_lines
        select * replace (
            {latest + 1} as load_id,
            'recount-probe' as event_id,
            timestamptz '{month} 12:00:00+00' + interval 2 day as occurred_at,
            null as sent_at,
            null as received_at,
            null as user_agent
        )
        from raw.event_lines
        where tenant_id = '{tenant_id}' and user_pseudonym is not null and not is_preview
        limit 1
        """,
    )

    failure = only_failure(run_suite(warehouse, reconciliation_suite(latest)), "recount")
    [row] = failure.unexpected
    assert (row["tenant_id"], str(row["month"])) == (tenant_id, month)
    assert (row["mau"], row["recounted_mau"]) == (0, 1)

    # Recounted through that load, the month is out of scope until it is due to close...
    assert run_suite(warehouse, reconciliation_suite(latest + 1)).success
    # ...and in scope again once the close step is about to freeze it (R16).
    execute(
        warehouse,
        "update marts.fct_tenant_monthly_usage set closes_at = now() - interval 1 hour "
        f"where tenant_id = '{tenant_id}' and month = '{month}'",
    )
    assert not run_suite(warehouse, reconciliation_suite(latest + 1)).success


def test_recount_links_follow_new_lines_as_a_full_resolution_would(warehouse: Settings) -> None:
    # R7 in the recount is kept as a table of its own and only the anonymous ids that
    # new lines can relink are resolved again; it must end where resolving every link
    # from scratch ends.
    [(latest,)] = execute(warehouse, "select max(load_id) from raw.load_ledger")
    [(tenant_id, relinked, dropped, other_user)] = execute(
        warehouse,
        """
        with tenant as (
            select tenant_id from quality.recount_links
            group by tenant_id order by count(*) desc, tenant_id limit 1
        )
        select
            links.tenant_id,
            min(links.anonymous_pseudonym),
            max(links.anonymous_pseudonym),
            (select min(lines.user_pseudonym) from raw.event_lines as lines
                where lines.tenant_id = links.tenant_id
                    and lines.user_pseudonym != min(links.linked_user_pseudonym))
        from quality.recount_links as links
        where links.tenant_id in (select tenant_id from tenant)
        group by links.tenant_id
        """,
    )
    # an id with two linking events or more, whose earliest one is about to lose its link
    [(fallen, fallen_event)] = execute(
        warehouse,
        f"""
        select links.anonymous_pseudonym, links.linked_event_id
        from quality.recount_links as links
        where links.tenant_id = '{tenant_id}'
            and links.anonymous_pseudonym not in ('{relinked}', '{dropped}')
            and (
                select count(distinct lines.event_id) from raw.event_lines as lines
                where lines.tenant_id = links.tenant_id
                    and lines.anonymous_pseudonym = links.anonymous_pseudonym
                    and lines.user_pseudonym is not null
            ) >= 2
        order by links.anonymous_pseudonym
        limit 1
        """,
    )
    execute(
        warehouse,
        f"""
        insert into raw.event_lines
        -- a new copy of every event linking `dropped`, received first, without that id
        select * replace (
            {latest + 1} as load_id,
            row_number() over (order by line_number) as line_number,
            null as anonymous_pseudonym,
            timestamptz '2000-01-01 00:00:00+00' as received_at
        )
        from raw.event_lines
        where tenant_id = '{tenant_id}' and anonymous_pseudonym = '{dropped}'
            and user_pseudonym is not null
        union all
        -- a new copy of the event linking `fallen`, received first, without that id
        select * replace (
            {latest + 1} as load_id,
            -1 - row_number() over (order by line_number) as line_number,
            null as anonymous_pseudonym,
            timestamptz '2000-01-01 00:00:00+00' as received_at
        )
        from raw.event_lines
        where tenant_id = '{tenant_id}' and event_id = '{fallen_event}'
        union all
        -- a new event linking `relinked` to another user, earlier than any of its links
        select * replace (
            {latest + 1} as load_id,
            0 as line_number,
            'relink-probe' as event_id,
            '{other_user}' as user_pseudonym,
            '{relinked}' as anonymous_pseudonym,
            timestamptz '2000-01-01 00:00:00+00' as occurred_at,
            null as sent_at,
            timestamptz '2000-01-01 00:00:00+00' as received_at
        )
        from (select * from raw.event_lines where tenant_id = '{tenant_id}' limit 1)
        """,
    )

    with duckdb.connect(str(warehouse.warehouse_path)) as con:
        update_links(con, latest)
        kept = set(con.execute("select * from quality.recount_links").fetchall())
        resolved = set(con.execute(ALL_LINKS_QUERY).fetchall())

    assert kept == resolved
    assert (tenant_id, relinked, other_user) in {row[:3] for row in kept}
    assert not any(row[:2] == (tenant_id, dropped) for row in kept)
    # `fallen` is linked by a later event of its history now
    [fallen_link] = [row for row in kept if row[:2] == (tenant_id, fallen)]
    assert fallen_link[5] != fallen_event


def test_recount_plan_starts_after_the_last_passing_recount(warehouse: Settings) -> None:
    from data_quality.recount_scope import plan_recount, record_recount

    # The published run recounted everything open and passed: nothing new since.
    [(latest,)] = execute(warehouse, "select max(load_id) from raw.load_ledger")
    plan = plan_recount(warehouse, full=False)
    assert (plan.since_load_id, plan.through_load_id) == (latest, latest)
    record_recount(warehouse, plan, passed=False)
    assert plan_recount(warehouse, full=False).since_load_id == latest  # a failure moves nothing
    assert plan_recount(warehouse, full=True).reason == "asked for"

    # Lines removed after the last passing recount: everything open again (R17).
    execute(
        warehouse,
        "insert into raw.line_removals values (1, 1, 'event', 'erasure', 'r-1', now())",
    )
    assert plan_recount(warehouse, full=False).reason == "lines were removed (R17)"

    execute(warehouse, "delete from quality.recount_plans")
    assert plan_recount(warehouse, full=False).reason == "no recount has passed yet"


def test_edited_snapshot_figures_fail_the_fingerprint(warehouse: Settings) -> None:
    tenant_id, month = busiest_tenant_month(warehouse)
    # Freeze the month as the close step would (unless the run already did), then
    # edit its figures in place, keeping the fingerprint written at close time.
    execute(
        warehouse,
        f"""
        insert into billing.monthly_usage_snapshot
        select usage.tenant_id, usage.month, to_json(usage), now(), md5(to_json(usage)::varchar)
        from marts.fct_tenant_monthly_usage as usage
        where usage.tenant_id = '{tenant_id}' and usage.month = '{month}'
        on conflict do nothing
        """,
    )
    execute(
        warehouse,
        f"""
        update billing.monthly_usage_snapshot
        set figures = replace(
            figures::varchar,
            '"mau":' || (figures ->> 'mau'),
            '"mau":' || ((figures ->> 'mau')::bigint - 1)
        )::json
        where tenant_id = '{tenant_id}' and month = '{month}'
        """,
    )

    failure = only_failure(run_suite(warehouse, snapshot_suite()), "R16")

    [row] = failure.unexpected
    assert (row["tenant_id"], row["month"]) == (tenant_id, month)
    assert row["fingerprint"] != row["recomputed_fingerprint"]


def test_failing_check_names_the_rows_in_dagster_metadata(
    warehouse: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestration.checks import ChecksConfig, build_checks
    from orchestration.resources import MauHome

    tenant_id, month = busiest_tenant_month(warehouse)
    execute(
        warehouse,
        "update marts.fct_tenant_monthly_usage set status = 'unlimited' "
        f"where tenant_id = '{tenant_id}' and month = '{month}'",
    )
    monkeypatch.setenv("MAU_DOCS_PORT", "8123")
    [check] = [c for c in build_checks() if "gx_usage_billing" in str(c.check_keys)]

    home = MauHome(home=str(warehouse.home))
    results = {r.check_name: r for r in check(mau_home=home, config=ChecksConfig())}
    result = results["gx_usage_billing"]

    assert not result.passed
    [failure] = json.loads(json.dumps(result.metadata["failures"].value))
    assert "R12" in failure["description"]
    [row] = failure["unexpected_rows"]
    assert (row["tenant_id"], row["month"], row["status"]) == (tenant_id, month, "unlimited")
    # a link a browser opens: the page as `mau docs --port 8123` serves it
    assert result.metadata["data_docs"].value == "http://127.0.0.1:8123/data_docs/index.html"
