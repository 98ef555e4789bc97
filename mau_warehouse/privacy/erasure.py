"""R17 erasure: every row of one person, from every table, and never again.

A person is a tenant's user with every anonymous id ever seen on the same events as
that user; erasing an anonymous id that is linked to a user erases that user (the one
it resolves to, R7), and an anonymous id never linked is a person on its own. In one
transaction the eraser

1. records each raw line it removes in raw.line_removals (so that every file's lines
   still add up, R1) and deletes the person's lines from raw.event_lines and
   raw.quarantine;
2. deletes the person's rows from every other table of the warehouse that holds
   pseudonyms (intermediate and mart tables alike);
3. adds a keyed hash of each of the person's pseudonyms to privacy.suppressions, which
   the loader consults, so no later load brings them back, a replayed file included;
4. writes an audit row: request id, times, rows removed per table, and no identifier.

The published serving copy is not touched: it holds tenant-level figures and no
pseudonym, and only publishing writes it. The next pipeline run rebuilds every model
from the raw layer (a removal forces a full refresh), so open months are recounted
without the person, and publishes those figures once its checks pass. Closed months
keep their billing snapshot, which holds figures only (R16).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError
from mau_warehouse.privacy.pseudonyms import pseudonym, suppression_digest
from mau_warehouse.warehouse import connect_writer

# Columns that hold a person's pseudonym, in any table of the warehouse.
PERSON_COLUMNS = ("user_pseudonym", "anonymous_pseudonym", "linked_user_pseudonym", "person_id")
# The raw tables: their removed lines are recorded before they go.
RAW_LINE_TABLES = {"raw.event_lines": "event", "raw.quarantine": "quarantine"}


@dataclass(frozen=True)
class ErasureRequest:
    request_id: str
    tenant_id: str
    user_id: str | None = None
    anonymous_id: str | None = None
    source: str = "command"
    requested_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.request_id.strip():
            raise MauError("an erasure request needs a request id")
        if not self.tenant_id.strip():
            raise MauError(f"erasure request {self.request_id}: no tenant id")
        given = [v for v in (self.user_id, self.anonymous_id) if v and v.strip()]
        if len(given) != 1:
            raise MauError(
                f"erasure request {self.request_id}: give exactly one of a user id "
                "and an anonymous id"
            )


@dataclass
class Person:
    """The pseudonyms of one person of one tenant."""

    tenant_id: str
    users: set[str] = field(default_factory=set)
    anonymous: set[str] = field(default_factory=set)

    @property
    def pseudonyms(self) -> list[str]:
        return sorted(self.users | self.anonymous)


def _values(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]) -> set[str]:
    return {row[0] for row in con.execute(sql, params).fetchall() if row[0] is not None}


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select 1 from information_schema.tables where table_catalog = current_database() "
            "and table_schema = $schema and table_name = $table",
            {"schema": schema, "table": table},
        ).fetchall()
    )


def _resolved_user(con: duckdb.DuckDBPyConnection, tenant_id: str, anonymous: str) -> str | None:
    """The user an anonymous id counts as (R7): the resolution of the last build, else
    the user of its earliest linking line."""
    params = {"tenant": tenant_id, "anonymous": anonymous}
    if _table_exists(con, "intermediate", "int_identity_links_resolved"):
        resolved = _values(
            con,
            "select linked_user_pseudonym from intermediate.int_identity_links_resolved "
            "where tenant_id = $tenant and anonymous_pseudonym = $anonymous",
            params,
        )
        if resolved:
            return min(resolved)
    rows = con.execute(
        """
        select user_pseudonym from raw.event_lines
        where tenant_id = $tenant and anonymous_pseudonym = $anonymous
            and user_pseudonym is not null
        order by occurred_at, user_pseudonym
        limit 1
        """,
        params,
    ).fetchall()
    return rows[0][0] if rows else None


def resolve_person(con: duckdb.DuckDBPyConnection, key: str, request: ErasureRequest) -> Person:
    tenant = request.tenant_id.strip()
    person = Person(tenant)
    if request.user_id and request.user_id.strip():
        person.users.add(pseudonym(key, tenant, "user", request.user_id))
    else:
        anonymous = pseudonym(key, tenant, "anonymous", request.anonymous_id or "")
        person.anonymous.add(anonymous)
        user = _resolved_user(con, tenant, anonymous)
        if user:
            person.users.add(user)
    for table in RAW_LINE_TABLES if person.users else ():
        person.anonymous |= _values(
            con,
            f"select distinct anonymous_pseudonym from {table} "
            "where tenant_id = $tenant and user_pseudonym in (select unnest($users))",
            {"tenant": tenant, "users": sorted(person.users)},
        )
    return person


def _person_tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Every base table of the database with a pseudonym column: its pseudonym columns,
    and tenant_id when it has one."""
    rows = con.execute(
        """
        select columns.table_schema || '.' || columns.table_name, columns.column_name
        from information_schema.columns as columns
        inner join information_schema.tables as tables
            on columns.table_catalog = tables.table_catalog
            and columns.table_schema = tables.table_schema
            and columns.table_name = tables.table_name
        where tables.table_catalog = current_database()
            and tables.table_type = 'BASE TABLE'
            and columns.column_name in (select unnest($columns))
        order by 1, 2
        """,
        {"columns": [*PERSON_COLUMNS, "tenant_id"]},
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        tables.setdefault(table, []).append(column)
    return {table: columns for table, columns in tables.items() if set(columns) - {"tenant_id"}}


def _matching(columns: Iterable[str]) -> str:
    return " or ".join(f"{column} in (select unnest($pseudonyms))" for column in columns)


def delete_person_rows(con: duckdb.DuckDBPyConnection, person: Person) -> dict[str, int]:
    """Delete the person's rows from every table that holds pseudonyms; rows per table."""
    params = {"tenant": person.tenant_id, "pseudonyms": person.pseudonyms}
    removed: dict[str, int] = {}
    for table, columns in _person_tables(con).items():
        # Pseudonyms are scoped by tenant (R3); a table without a tenant column is
        # matched on the pseudonyms alone.
        person_columns = [c for c in columns if c != "tenant_id"]
        scope = "tenant_id = $tenant" if "tenant_id" in columns else "$tenant is not null"
        [(count,)] = con.execute(
            f"delete from {table} where {scope} and ({_matching(person_columns)})", params
        ).fetchall()
        if count:
            removed[table] = count
    return removed


def _record_raw_removals(
    con: duckdb.DuckDBPyConnection, person: Person, request_id: str, now: datetime
) -> None:
    for table, kind in RAW_LINE_TABLES.items():
        con.execute(
            f"""
            insert into raw.line_removals
            select load_id, line_number, '{kind}', 'erasure', $request, $now
            from {table}
            where tenant_id = $tenant and ({_matching(("user_pseudonym", "anonymous_pseudonym"))})
            """,
            {
                "tenant": person.tenant_id,
                "pseudonyms": person.pseudonyms,
                "request": request_id,
                "now": now,
            },
        )


def _suppress(
    con: duckdb.DuckDBPyConnection, key: str, person: Person, request_id: str, now: datetime
) -> None:
    for kind, values in (("user", person.users), ("anonymous", person.anonymous)):
        for value in sorted(values):
            con.execute(
                "insert or ignore into privacy.suppressions values ($tenant, $kind, $digest, "
                "$request, $now)",
                {
                    "tenant": person.tenant_id,
                    "kind": kind,
                    "digest": suppression_digest(key, value),
                    "request": request_id,
                    "now": now,
                },
            )


def already_erased(con: duckdb.DuckDBPyConnection, request_id: str) -> bool:
    return bool(
        con.execute(
            "select 1 from privacy.erasure_audit where request_id = $id", {"id": request_id}
        ).fetchall()
    )


@dataclass(frozen=True)
class Erasure:
    request_id: str
    removed: dict[str, int]  # rows removed per table


def erase(con: duckdb.DuckDBPyConnection, key: str, request: ErasureRequest) -> Erasure | None:
    """Erase the request's person inside the caller's transaction. A request id already
    in the audit is not applied twice: None."""
    if already_erased(con, request.request_id):
        return None
    now = datetime.now(UTC)
    person = resolve_person(con, key, request)
    _record_raw_removals(con, person, request.request_id, now)
    removed = delete_person_rows(con, person)
    _suppress(con, key, person, request.request_id, now)
    con.execute(
        "insert into privacy.erasure_audit values ($id, $tenant, $source, $requested, $now, "
        "$removed)",
        {
            "id": request.request_id,
            "tenant": person.tenant_id,
            "source": request.source,
            "requested": request.requested_at,
            "now": now,
            "removed": json.dumps(removed, sort_keys=True),
        },
    )
    return Erasure(request.request_id, removed)


def require_known_tenant(settings: Settings, tenant_id: str) -> None:
    """Refuse a request for a tenant the warehouse has never seen (a typo): it would
    erase nobody, yet force the next run to rebuild every model."""
    con = connect_writer(settings)
    try:
        known = con.execute(
            """
            select 1 from raw.tenants where trim(tenant_id) = $tenant
            union all
            (select 1 from raw.event_lines where tenant_id = $tenant limit 1)
            """,
            {"tenant": tenant_id},
        ).fetchall()
    finally:
        con.close()
    if not known:
        raise MauError(f"no tenant {tenant_id!r} in the warehouse: nothing to erase")


def apply_erasures(settings: Settings, requests: list[ErasureRequest]) -> list[Erasure]:
    """Erase every request in one transaction (`mau erase`); the next run publishes."""
    key = settings.pseudonym_key()
    con = connect_writer(settings)
    try:
        con.begin()
        try:
            erasures = [e for e in (erase(con, key, r) for r in requests) if e is not None]
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.close()
    return erasures
