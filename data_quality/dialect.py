"""A DuckDB SQLAlchemy dialect whose results survive the connection going back to the pool.

GX runs a query, returns the connection to the pool, then fetches the rows. On
duckdb-engine the pool's rollback runs on the same DuckDB connection and drops
the pending result, so every metric comes back empty. This dialect reads each
result in full as soon as the statement has run; everything else is
duckdb-engine's.

Every new connection gets the project's DuckDB settings (SPEC §6), and an encrypted
warehouse (SPEC §7) is attached with its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from duckdb_engine import Dialect
from sqlalchemy.dialects import registry
from sqlalchemy.engine import cursor as sa_cursor

from mau_warehouse.warehouse import sql_text

DRIVER = "buffered"


class BufferedExecutionContext(Dialect.execution_ctx_cls):
    def post_exec(self) -> None:
        super().post_exec()
        description = self.cursor.description
        if description:
            self.cursor_fetch_strategy = sa_cursor.FullyBufferedCursorFetchStrategy(
                self.cursor, description, self.cursor.fetchall()
            )


@dataclass(frozen=True)
class DatabaseOptions:
    """How this process opens one database file: its encryption key, if encrypted, and
    the DuckDB settings every connection of the project uses (memory limit, spill
    folder). The settings are SET on each connection rather than given to connect():
    DuckDB refuses a second connection to a file with another connect() configuration
    than the one already open in the process (the loader's, say)."""

    key: str | None
    settings: tuple[tuple[str, str], ...]


_DATABASES: dict[str, DatabaseOptions] = {}


def register_database(database_path: str, *, key: str | None, settings: dict[str, str]) -> None:
    """Keys stay in this process: never in the connection string, which GX keeps in its
    configuration and may render."""
    _DATABASES[database_path] = DatabaseOptions(key, tuple(settings.items()))


class BufferedDuckDBDialect(Dialect):
    supports_statement_cache = False
    execution_ctx_cls = BufferedExecutionContext

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        database = str(cparams.get("database", ""))
        options = _DATABASES.get(database, DatabaseOptions(None, ()))
        if options.key is None:
            connection = super().connect(*cargs, **cparams)
        else:
            connection = super().connect(*cargs, **{**cparams, "database": ":memory:"})
            alias = database.rsplit("/", 1)[-1].removesuffix(".duckdb")
            connection.execute(
                f"attach {sql_text(database)} as {alias} "
                f"(encryption_key {sql_text(options.key)}, read_only)"
            )
            connection.execute(f"use {alias}")
        for name, value in options.settings:
            connection.execute(f"set {name} = {sql_text(value)}")
        return connection


registry.register(f"duckdb.{DRIVER}", __name__, "BufferedDuckDBDialect")


def connection_string(database_path: str) -> str:
    return f"duckdb+{DRIVER}:///{database_path}"
