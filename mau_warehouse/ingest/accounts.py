"""Billing-system exports (SPEC §2.2): validated whole, then replacing the previous version.

An account file is small and authoritative, so a bad one is refused with a
one-line error naming the file, line and field, and the previous version stays.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pyarrow as pa

from mau_warehouse.config import DBT_PROJECT_DIR
from mau_warehouse.errors import MauError

COLUMNS: dict[str, tuple[str, ...]] = {
    "plans": ("plan_id", "plan_name", "mau_limit", "monthly_price_usd"),
    "tenants": ("tenant_id", "tenant_name", "billing_timezone", "created_at"),
    "subscriptions": ("tenant_id", "plan_id", "started_on", "ended_on", "is_trial"),
}
# Columns an export may carry or not: older exports without them still load (empty).
# billing_email: the tenant's own contacts for usage alerts (R12, R13), comma- or
# semicolon-separated; without it alerts go to MAU_ALERT_EMAIL_TO.
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "plans": (),
    "tenants": ("billing_email",),
    "subscriptions": (),
}
EMAIL_PATTERN = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
TRUE_VALUES = {"true", "1", "yes", "t"}
FALSE_VALUES = {"false", "0", "no", "f", ""}
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}")
# The one place the default catalogue (Startup, Growth, Scale, Enterprise) lives:
# dbt uses it whenever raw.plans is empty (SPEC §2.2).
DEFAULT_PLANS = DBT_PROJECT_DIR / "seeds" / "default_plans.csv"


@dataclass(frozen=True)
class AccountTable:
    table: str
    source_file: str
    rows: list[dict[str, str]]


class _Refusal(Exception):
    pass


def _whole_number(value: str) -> None:
    if value and not (value.isdigit()):
        raise _Refusal(f"{value!r} is not a whole number")


def _amount(value: str) -> None:
    try:
        if Decimal(value) < 0:
            raise _Refusal(f"{value!r} is negative")
    except InvalidOperation as exc:
        raise _Refusal(f"{value!r} is not an amount") from exc


def _date(value: str) -> date:
    try:
        if not DATE_PATTERN.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError as exc:
        raise _Refusal(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _timestamp(value: str) -> None:
    if value:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise _Refusal(f"{value!r} is not an RFC 3339 timestamp") from exc


def _email_addresses(value: str) -> str:
    """Addresses separated by commas or semicolons, stored as one comma-separated list."""
    addresses = [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
    for address in addresses:
        if not EMAIL_PATTERN.fullmatch(address):
            raise _Refusal(f"{address!r} is not an e-mail address")
    return ", ".join(addresses)


def _boolean(value: str) -> str:
    lowered = value.strip().lower()
    if lowered in TRUE_VALUES:
        return "true"
    if lowered in FALSE_VALUES:
        return "false"
    raise _Refusal(f"{value!r} is not true or false")


class AccountValidator:
    """Checks each row of an export; knows the time zones DuckDB can convert to."""

    def __init__(self, con: duckdb.DuckDBPyConnection, known_plans: set[str]) -> None:
        self.time_zones = {
            row[0] for row in con.execute("select name from pg_timezone_names()").fetchall()
        }
        self.known_plans = known_plans

    def check(self, table: str, row: dict[str, str]) -> dict[str, str]:
        if table == "plans":
            if not row["plan_id"]:
                raise _Refusal("plan_id is empty")
            _whole_number(row["mau_limit"])
            _amount(row["monthly_price_usd"])
        elif table == "tenants":
            if not row["tenant_id"]:
                raise _Refusal("tenant_id is empty")
            if row["billing_timezone"] and row["billing_timezone"] not in self.time_zones:
                raise _Refusal(f"{row['billing_timezone']!r} is not an IANA time zone")
            _timestamp(row["created_at"])
            row = {**row, "billing_email": _email_addresses(row["billing_email"])}
        else:
            if not row["tenant_id"]:
                raise _Refusal("tenant_id is empty")
            if row["plan_id"] not in self.known_plans:
                raise _Refusal(f"plan {row['plan_id']!r} is not in the plan catalogue")
            started = _date(row["started_on"])
            if row["ended_on"] and _date(row["ended_on"]) < started:
                raise _Refusal("ended_on is before started_on")
            row = {**row, "is_trial": _boolean(row["is_trial"])}
        return row


def parse(path: Path, display_name: str, validator: AccountValidator) -> AccountTable:
    """Read and validate one export; raise MauError naming the file and line."""
    table = path.name.removesuffix(".csv")
    expected = COLUMNS[table]
    columns = expected + OPTIONAL_COLUMNS[table]
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MauError(f"{display_name}: cannot be read ({exc})") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [name for name in expected if name not in header]
    if missing:
        raise MauError(f"{display_name}: missing column(s) {', '.join(missing)}")
    reader.fieldnames = header
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for line_number, raw in enumerate(reader, start=2):
        row = {name: (raw.get(name) or "").strip() for name in columns}
        try:
            row = validator.check(table, row)
            if table in ("plans", "tenants"):
                key = row[expected[0]]
                if key in seen:
                    raise _Refusal(f"{expected[0]} {key!r} appears twice")
                seen.add(key)
        except _Refusal as exc:
            raise MauError(f"{display_name} line {line_number}: {exc}") from exc
        rows.append(row)
    if table == "plans":
        validator.known_plans = seen
    return AccountTable(table, display_name, rows)


def replace(con: duckdb.DuckDBPyConnection, account: AccountTable, loaded_at: datetime) -> None:
    """Swap the table's content for the new version (inside the caller's transaction)."""
    names = COLUMNS[account.table] + OPTIONAL_COLUMNS[account.table]
    arrow = pa.table(
        {name: pa.array([row[name] for row in account.rows], pa.string()) for name in names}
    )
    con.register("account_rows", arrow)
    con.execute(f"delete from raw.{account.table}")
    con.execute(
        f"""
        insert into raw.{account.table} ({", ".join(names)}, source_file, loaded_at)
        select *, $source_file, $loaded_at from account_rows
        """,
        {"source_file": account.source_file, "loaded_at": loaded_at},
    )
    con.unregister("account_rows")


def default_plan_ids() -> set[str]:
    """Plans of the shipped catalogue (the dbt seed), in force while no plans.csv is loaded."""
    with DEFAULT_PLANS.open(newline="") as handle:
        return {row["plan_id"] for row in csv.DictReader(handle)}
