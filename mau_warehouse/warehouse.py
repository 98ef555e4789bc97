"""Connections to the DuckDB warehouse and its read-only serving copy.

DuckDB allows one writing process per file (SPEC §7). Ingestion and dbt write
``warehouse.duckdb``; after every successful run the published marts are copied
into a fresh ``serving.duckdb`` that replaces the previous one atomically, so
dashboards and reports never open the writer's file and never see a half-written
state.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import duckdb

from mau_warehouse.config import Settings
from mau_warehouse.errors import MauError

# Schemas whose tables are copied to the serving database on publish.
PUBLISHED_SCHEMAS = ("marts", "billing")


def _set_session_zone(con: duckdb.DuckDBPyConnection) -> None:
    # Month and day boundaries are computed in explicit time zones (R5); the
    # session zone is UTC so that no figure depends on the machine's zone.
    con.execute("set TimeZone = 'UTC'")


def duckdb_config(settings: Settings) -> dict[str, str]:
    """DuckDB's resources for every connection the project opens: beyond the memory
    limit DuckDB spills to the temp directory, so memory stays bounded (SPEC §6)."""
    settings.duckdb_temp_dir.mkdir(parents=True, exist_ok=True)
    config = {
        "memory_limit": settings.duckdb_memory_limit,
        "temp_directory": str(settings.duckdb_temp_dir),
    }
    if settings.duckdb_threads:
        config["threads"] = str(int(settings.duckdb_threads))
    return config


def _configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    _set_session_zone(con)
    for name, value in duckdb_config(settings).items():
        con.execute(f"set {name} = '{value}'")


def connect_writer(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for writing, creating it and its raw schema if needed."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(settings.warehouse_path))
    except duckdb.IOException as exc:
        first_line = str(exc).splitlines()[0]
        if "lock" in first_line.lower():
            raise MauError(
                f"the warehouse {settings.warehouse_path} is busy: another process is writing"
            ) from exc
        raise MauError(f"cannot open {settings.warehouse_path}: {first_line}") from exc
    _configure(con, settings)
    con.execute(resources.files("mau_warehouse").joinpath("sql/raw_schema.sql").read_text())
    return con


def reading_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A second connection to the writer's database, for a thread that reads files
    while the writer works (a connection serves one thread at a time). Session
    settings are not inherited: the cursor gets the UTC zone of its own."""
    cursor = con.cursor()
    _set_session_zone(cursor)
    return cursor


def connect_serving(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the published read-only copy; raises a one-line error before the first run."""
    if not settings.serving_path.exists():
        raise MauError(
            f"no published figures yet under {settings.home}: run `mau run` (or `mau demo`) first"
        )
    return duckdb.connect(str(settings.serving_path), read_only=True)


def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> Path:
    """Copy the published schemas into a new serving file and swap it in atomically."""
    target = settings.serving_path
    staging = target.with_name(target.name + ".new")
    staging.unlink(missing_ok=True)
    con.execute(f"attach '{staging}' as serving_new")
    try:
        tables = con.execute(
            """
            select table_schema, table_name
            from information_schema.tables
            where table_catalog = current_database()
              and table_schema in (select unnest($schemas))
            order by 1, 2
            """,
            {"schemas": list(PUBLISHED_SCHEMAS)},
        ).fetchall()
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema if not exists serving_new.{schema}")
        for schema, table in tables:
            con.execute(
                f'create table serving_new."{schema}"."{table}" as '
                f'select * from "{schema}"."{table}"'
            )
    finally:
        con.execute("detach serving_new")
    os.replace(staging, target)
    return target
