"""Lint-time stand-in for dbt's ``target``, for sqlfluff only: models are linted
in the DuckDB dialect (.sqlfluff), so they render as for a DuckDB target."""

type = "duckdb"
