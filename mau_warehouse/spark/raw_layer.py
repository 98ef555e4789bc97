"""The raw layer as Spark reads it (SPEC §8): every table of the loader's `raw` schema
and of the close's `billing` schema, written as Parquet under `$MAU_HOME/spark/raw/`.

DuckDB writes them: instants stay UTC instants, JSON stays its text. dbt's
on-run-start on Spark (macros/spark_raw_layer.sql) names each folder as a table of
the same schema, so the models' sources read exactly the rows the loader kept.
"""

from __future__ import annotations

import shutil

from mau_warehouse.config import Settings
from mau_warehouse.warehouse import open_database, sql_text

SCHEMAS = ("raw", "billing")


def write_raw_layer(settings: Settings) -> dict[str, int]:
    """Write each table as one Parquet folder, replacing what an earlier run wrote;
    return the rows of each, by `schema.table`."""
    con = open_database(settings.warehouse_path, settings, read_only=True)
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("set enable_progress_bar = false")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ? and table_type = 'BASE TABLE' order by 1, 2",
            [list(SCHEMAS)],
        ).fetchall()
        rows = {}
        for schema, table in tables:
            folder = settings.spark_raw_dir / schema / table
            staged = folder.with_name(f".{table}.writing")
            shutil.rmtree(staged, ignore_errors=True)
            staged.mkdir(parents=True)
            # COPY answers with the number of rows it wrote.
            [(rows[f"{schema}.{table}"],)] = con.execute(
                f"copy {schema}.{table} to {sql_text(str(staged / 'part-0.parquet'))} "
                "(format parquet, compression zstd)"
            ).fetchall()
            # A table's folder is replaced only once its new copy is whole: a reader
            # never sees half of one.
            shutil.rmtree(folder, ignore_errors=True)
            staged.rename(folder)
        return rows
    finally:
        con.close()
