"""A dbt-duckdb plugin for the encrypted target of profiles.yml (SPEC §7).

dbt-duckdb attaches the warehouse after its plugins configure the connection; this one
loads DuckDB's OpenSSL crypto first, from the wheel the project installs, since writing
an encrypted database needs it and extensions cannot be downloaded at run time.
"""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb import DuckDBPyConnection

from mau_warehouse.warehouse import crypto_extension


class Plugin(BasePlugin):
    def configure_connection(self, conn: DuckDBPyConnection) -> None:
        conn.load_extension(str(crypto_extension()))
