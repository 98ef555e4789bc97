"""R17 erasure on a real warehouse: the person leaves every table and does not come back.

A home with data up to the current month (months closed and one open) is built once
by a real pipeline run; each test erases someone in a private copy through the
public surfaces (`mau erase`, a request file and `mau run`) and reads the warehouse
files back directly.
"""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mau_warehouse.privacy.erasure import PERSON_COLUMNS
from tests.conftest import built_once, run_mau
from tests.privacy_helpers import (
    landing_lines,
    months_ago,
    query,
    raw_id,
    report,
    tables_holding,
)

pytestmark = pytest.mark.slow

PERSON_COLUMNS_SQL = """
    select table_schema, table_name, column_name from information_schema.columns
    where column_name in (select unnest($columns))
"""


def _publish_live_sample(home: Path) -> None:
    start = months_ago(datetime.now(UTC).date(), 3)
    run_mau(home, "generate", "--seed", "11", "--tenants", "4", "--months", "4",
            "--events", "16000", "--start-month", start)  # fmt: skip
    run_mau(home, "run")


@pytest.fixture
def live_home(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Path:
    """A private copy of a home whose data runs up to the current month: the first
    months closed, the current one open. Built once per test session."""
    built = built_once(tmp_path_factory, "live_home", _publish_live_sample)
    home = tmp_path / "home"
    shutil.copytree(built, home, ignore=shutil.ignore_patterns("dagster"))
    return home


def person_in_closed_and_open_month(warehouse: Path) -> tuple[str, str, str, str]:
    """A user counted in a closed month and in an open one, with linked anonymous ids."""
    [(tenant, user, closed, open_month)] = query(
        warehouse,
        """
        with closes as (select tenant_id, month from billing.month_closes),
        user_months as (
            select tenant_id, person_id, activity_month,
                (tenant_id, activity_month) in (select tenant_id, month from closes) as closed
            from intermediate.int_person_months_aggregated
            where person_kind = 'user' and is_attributed
        ),
        candidates as (
            -- the users each anonymous id was ever seen with, in any copy of any line
            select tenant_id, anonymous_pseudonym,
                count(distinct user_pseudonym) as candidate_user_count
            from raw.event_lines
            where user_pseudonym is not null and anonymous_pseudonym is not null
            group by all
        ),
        linked as (
            -- users whose anonymous ids all resolve to them alone (no shared browser)
            select links.tenant_id, links.linked_user_pseudonym as user_pseudonym
            from intermediate.int_identity_links_resolved as links
            inner join candidates using (tenant_id, anonymous_pseudonym)
            where links.linked_user_pseudonym is not null
            group by all
            having max(candidates.candidate_user_count) = 1
        )
        select c.tenant_id, c.person_id, strftime(min(c.activity_month), '%Y-%m'),
            strftime(max(o.activity_month), '%Y-%m')
        from user_months as c
        inner join user_months as o
            on c.tenant_id = o.tenant_id and c.person_id = o.person_id
        where c.closed and not o.closed
            and (c.tenant_id, c.person_id) in (select tenant_id, user_pseudonym from linked)
        group by c.tenant_id, c.person_id
        order by c.tenant_id, c.person_id
        limit 1
        """,
    )
    return str(tenant), str(user), str(closed), str(open_month)


def test_an_erased_person_is_gone_from_every_table_and_stays_gone(live_home: Path) -> None:
    warehouse = live_home / "warehouse" / "warehouse.duckdb"
    serving = live_home / "warehouse" / "serving.duckdb"
    tenant, user, closed, open_month = person_in_closed_and_open_month(warehouse)
    anonymous = [
        row[0]
        for row in query(
            warehouse,
            "select distinct anonymous_pseudonym from raw.event_lines "
            "where tenant_id = $t and user_pseudonym = $u and anonymous_pseudonym is not null",
            t=tenant,
            u=user,
        )
    ]
    pseudonyms = [user, *anonymous]
    assert anonymous and tables_holding(warehouse, pseudonyms)
    # The published copy holds tenant-level figures only: erasure never has to touch it.
    assert tables_holding(serving, pseudonyms) == {}
    assert query(serving, PERSON_COLUMNS_SQL, columns=list(PERSON_COLUMNS)) == []
    lines = landing_lines(live_home)
    user_id = raw_id(lines, tenant, "user", user)
    closed_before = report(live_home, closed, tenant)
    open_before = report(live_home, open_month, tenant)

    done = run_mau(live_home, "erase", "--tenant", tenant, "--user-id", user_id,
                   "--request-id", "DSR-1")  # fmt: skip

    assert "rows removed" in done.stderr
    assert tables_holding(warehouse, pseudonyms) == {}
    assert tables_holding(serving, pseudonyms) == {}
    assert report(live_home, closed, tenant) == closed_before  # the snapshot is frozen (R16)
    open_after = report(live_home, open_month, tenant)
    assert open_after["mau"] == open_before["mau"] - 1
    assert open_after["identified_mau"] == open_before["identified_mau"] - 1
    [(source, removed)] = query(
        warehouse,
        "select source, rows_removed::varchar from privacy.erasure_audit "
        "where request_id = 'DSR-1'",
    )
    assert source == "command"
    assert json.loads(removed)["raw.event_lines"] > 0
    assert not any(value in removed for value in (user_id, *pseudonyms))

    # A replay: the original files again (skipped by content) and the person's lines in a
    # new file (new content): nothing of them comes back, and every line is accounted for.
    replay = live_home / "landing" / "events" / "replay"
    shutil.copytree(live_home / "landing" / "events", replay / "copy")
    own_lines = [line for line in lines if line.get("user_id") == user_id]
    with gzip.open(replay / "person.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(line) + "\n" for line in own_lines)
    ingest = run_mau(live_home, "ingest", "--format", "json")
    [person_file] = [r for r in json.loads(ingest.stdout) if r["file"].endswith("person.jsonl.gz")]
    assert person_file["suppressed"] == person_file["lines"] == len(own_lines)
    run_mau(live_home, "run")

    assert tables_holding(warehouse, pseudonyms) == {}
    assert report(live_home, open_month, tenant)["mau"] == open_after["mau"]


def test_an_erasure_request_file_for_a_linked_anonymous_id_erases_its_user(
    live_home: Path,
) -> None:
    warehouse = live_home / "warehouse" / "warehouse.duckdb"
    [(tenant, anonymous, user)] = query(
        warehouse,
        """
        select links.tenant_id, links.anonymous_pseudonym, links.linked_user_pseudonym
        from intermediate.int_identity_links_resolved as links
        where links.linked_user_pseudonym is not null
            and (
                -- a browser seen with one user only, in any copy of any line
                select count(distinct lines.user_pseudonym)
                from raw.event_lines as lines
                where lines.tenant_id = links.tenant_id
                    and lines.anonymous_pseudonym = links.anonymous_pseudonym
            ) = 1
        order by all limit 1
        """,
    )
    anonymous_id = raw_id(landing_lines(live_home), tenant, "anonymous", anonymous)
    requests = live_home / "landing" / "requests"
    requests.mkdir()
    (requests / "erasure-2026-12.csv").write_text(
        "request_id,tenant_id,user_id,anonymous_id,requested_at\n"
        f"DSR-2,{tenant},,{anonymous_id},2026-12-01T09:00:00Z\n",
        encoding="utf-8",
    )

    run_mau(live_home, "run")

    assert tables_holding(warehouse, [user, anonymous]) == {}
    assert tables_holding(live_home / "warehouse" / "serving.duckdb", [user, anonymous]) == {}
    [(source, requested_at)] = query(
        warehouse,
        "select source, requested_at from privacy.erasure_audit where request_id = 'DSR-2'",
    )
    assert source == "requests/erasure-2026-12.csv"
    assert requested_at == datetime(2026, 12, 1, 9, tzinfo=UTC)
