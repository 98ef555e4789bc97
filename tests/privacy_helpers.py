"""Reading a warehouse back the way an auditor would: every table searched for a value."""

from __future__ import annotations

import gzip
import json
from datetime import date
from pathlib import Path

import duckdb

from mau_warehouse.privacy.pseudonyms import pseudonym
from tests.conftest import TEST_KEY, run_mau


def months_ago(today: date, months: int) -> str:
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12}-{index % 12 + 1:02d}"


def query(path: Path, sql: str, **params: object) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def tables_holding(path: Path, needles: list[str]) -> dict[str, int]:
    """Every table of a database file with a text or JSON value containing a needle."""
    found: dict[str, int] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            """
            select table_schema, table_name, column_name from information_schema.columns
            where data_type in ('VARCHAR', 'JSON')
                and (table_schema, table_name) in (
                    select table_schema, table_name from information_schema.tables
                    where table_type = 'BASE TABLE'
                )
            """
        ).fetchall()
        for schema, table, column in columns:
            [(hits,)] = con.execute(
                f'select count(*) from "{schema}"."{table}" '
                f'where contains(cast("{column}" as varchar), $needle)'
                + "".join(
                    f' or contains(cast("{column}" as varchar), $n{i})'
                    for i in range(1, len(needles))
                ),
                {"needle": needles[0]} | {f"n{i}": n for i, n in enumerate(needles[1:], 1)},
            ).fetchall()
            if hits:
                found[f"{schema}.{table}.{column}"] = hits
    return found


def landing_lines(home: Path) -> list[dict[str, object]]:
    lines = []
    for path in sorted((home / "landing" / "events").rglob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                try:
                    document = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(document, dict):
                    lines.append(document)
    return lines


def raw_id(lines: list[dict[str, object]], tenant: str, kind: str, wanted: str) -> str:
    """The landing id whose pseudonym is `wanted`: the test knows the key, the warehouse
    never stores the id."""
    field = "user_id" if kind == "user" else "anonymous_id"
    for line in lines:
        value = line.get(field)
        if (
            line.get("tenant_id") == tenant
            and isinstance(value, str)
            and value.strip()
            and pseudonym(TEST_KEY, tenant, kind, value) == wanted
        ):
            return value
    raise AssertionError(f"no {field} of {tenant} has pseudonym {wanted}")


def report(home: Path, month: str, tenant: str) -> dict[str, object]:
    done = run_mau(home, "report", "--month", month, "--tenant", tenant, "--format", "json")
    [row] = json.loads(done.stdout)
    return row
