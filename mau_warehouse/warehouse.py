"""Connections to the DuckDB warehouse and its read-only serving copy.

DuckDB allows one writing process per file (SPEC §7). Ingestion and dbt write
``warehouse.duckdb``; after every successful run the published marts are copied
into a fresh ``serving.duckdb`` that replaces the previous one atomically, so
dashboards and reports never open the writer's file and never see a half-written
state.

With MAU_WAREHOUSE_KEY (or MAU_WAREHOUSE_KEY_FILE) both files are encrypted at rest
(SPEC §7): every connection attaches them with the key under their usual names
(`warehouse`, `serving`), so the SQL that reads and writes them is the same.
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
    """DuckDB's resources for every connection opened in this process (dbt's process
    takes its own from profiles.yml): beyond the memory limit DuckDB spills to its
    temp directory, so memory stays bounded (SPEC §6)."""
    config = {"memory_limit": settings.duckdb_in_process_memory_limit}
    if settings.duckdb_threads:
        config["threads"] = str(int(settings.duckdb_threads))
    return config


def crypto_extension() -> Path:
    """DuckDB's httpfs extension, shipped as a wheel: its OpenSSL writes encrypted files."""
    import duckdb_extension_httpfs

    package = Path(duckdb_extension_httpfs.__file__).parent
    path = package / "extensions" / f"v{duckdb.__version__}" / "httpfs.duckdb_extension"
    if not path.is_file():
        raise MauError(f"no crypto extension for DuckDB {duckdb.__version__}: run make setup")
    return path


def sql_text(value: str) -> str:
    """A SQL string literal, for statements that take no parameters (ATTACH, LOAD, SET)."""
    return "'" + value.replace("'", "''") + "'"


def open_database(
    path: Path, settings: Settings, *, read_only: bool = False
) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is `path`, decrypted with the warehouse key
    when one is configured. One-line errors for a busy, encrypted or wrong-key file.

    A plain file is opened with DuckDB's default configuration (settings are SET
    afterwards): DuckDB refuses a second connection to a file already open in the
    process with another one, and dbt, run in a test's process, keeps its own open."""
    key = settings.warehouse_key()
    try:
        if key is None:
            return duckdb.connect(str(path), read_only=read_only)
        # An in-memory database to attach to: its spill files go beside the warehouse,
        # set before anything can spill, and encrypted.
        settings.duckdb_temp_dir.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(
            config={"temp_directory": str(settings.duckdb_temp_dir), "temp_file_encryption": "true"}
        )
        if not read_only:  # reading needs no extension; writing needs OpenSSL
            con.execute(f"load {sql_text(str(crypto_extension()))}")
        options = f"encryption_key {sql_text(key)}" + (", read_only" if read_only else "")
        con.execute(f"attach {sql_text(str(path))} as {path.stem} ({options})")
        con.execute(f"use {path.stem}")
        return con
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        if "lock" in first_line.lower():
            raise MauError(f"the warehouse {path} is busy: another process is writing") from exc
        if "encrypt" in first_line.lower() and key is None:
            raise MauError(
                f"{path} is encrypted: set MAU_WAREHOUSE_KEY or MAU_WAREHOUSE_KEY_FILE"
            ) from exc
        if key is not None and "not encrypted" in first_line:
            raise MauError(
                f"{path} is not encrypted but a warehouse key is set: encryption starts "
                "from an empty warehouse folder (docs/privacy.md)"
            ) from exc
        if key is not None and ("key" in first_line.lower() or "encrypt" in first_line.lower()):
            raise MauError(f"cannot open {path} with the configured warehouse key") from exc
        raise MauError(f"cannot open {path}: {first_line}") from exc


def _configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    _set_session_zone(con)
    for name, value in duckdb_config(settings).items():
        con.execute(f"set {name} = '{value}'")


def connect_writer(settings: Settings) -> duckdb.DuckDBPyConnection:
    """Open the warehouse for writing, creating it and its raw schema if needed."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    con = open_database(settings.warehouse_path, settings)
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
    return open_database(settings.serving_path, settings, read_only=True)


def publish(con: duckdb.DuckDBPyConnection, settings: Settings) -> Path:
    """Copy the published schemas into a new serving file and swap it in atomically."""
    target = settings.serving_path
    staging = target.with_name(target.name + ".new")
    staging.unlink(missing_ok=True)
    key = settings.warehouse_key()
    options = f" (encryption_key {sql_text(key)})" if key else ""
    con.execute(f"attach {sql_text(str(staging))} as serving_new{options}")
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


def require_published_tenant(con: duckdb.DuckDBPyConnection, tenant_id: str) -> None:
    """One line for a tenant id that the published figures do not know (a typo, or a
    tenant not in the billing export yet): every command that takes --tenant says so."""
    known = con.execute(
        "select 1 from marts.dim_tenants where tenant_id = $tenant", {"tenant": tenant_id}
    ).fetchall()
    if not known:
        raise MauError(f"no tenant {tenant_id!r} in the published figures")
