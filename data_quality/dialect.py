"""A DuckDB SQLAlchemy dialect whose results survive the connection going back to the pool.

GX runs a query, returns the connection to the pool, then fetches the rows. On
duckdb-engine the pool's rollback runs on the same DuckDB connection and drops
the pending result, so every metric comes back empty. This dialect reads each
result in full as soon as the statement has run; everything else is
duckdb-engine's.
"""

from __future__ import annotations

from duckdb_engine import Dialect
from sqlalchemy.dialects import registry
from sqlalchemy.engine import cursor as sa_cursor

DRIVER = "buffered"


class BufferedExecutionContext(Dialect.execution_ctx_cls):
    def post_exec(self) -> None:
        super().post_exec()
        description = self.cursor.description
        if description:
            self.cursor_fetch_strategy = sa_cursor.FullyBufferedCursorFetchStrategy(
                self.cursor, description, self.cursor.fetchall()
            )


class BufferedDuckDBDialect(Dialect):
    supports_statement_cache = False
    execution_ctx_cls = BufferedExecutionContext


registry.register(f"duckdb.{DRIVER}", __name__, "BufferedDuckDBDialect")


def connection_string(database_path: str) -> str:
    return f"duckdb+{DRIVER}:///{database_path}"
