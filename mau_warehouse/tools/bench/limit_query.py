"""The limit query of SPEC §6, the reference every step of `mau bench` is compared with.

One DuckDB query reads the same landing files as the pipeline and counts distinct
coalesce(user_id, anonymous_id) per tenant and UTC month. It applies no rule — no
quarantine, deduplication, time zone, stitching or exclusion — so nothing correct
can be much faster. Run as `python -m mau_warehouse.tools.bench.limit_query LANDING_DIR`;
prints the number of tenant-months and the sum of their counts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from mau_warehouse.config import load_settings

JSON_PATTERNS = ("*.jsonl", "*.ndjson", "*.jsonl.gz", "*.ndjson.gz")
COLUMNS = (
    "{tenant_id: 'VARCHAR', occurred_at: 'VARCHAR', user_id: 'VARCHAR', anonymous_id: 'VARCHAR'}"
)


def limit_query(events_dir: Path) -> str:
    json_files = [str(events_dir / "**" / pattern) for pattern in JSON_PATTERNS]
    sources = [
        "select tenant_id, occurred_at, user_id, anonymous_id "
        f"from read_json({json_files!r}, format = 'newline_delimited', columns = {COLUMNS}, "
        "ignore_errors = true, maximum_object_size = 1048576)"
    ]
    if any(events_dir.rglob("*.parquet")):
        sources.append(
            "select tenant_id, occurred_at::varchar, user_id, anonymous_id "
            f"from read_parquet('{events_dir / '**' / '*.parquet'}', union_by_name = true)"
        )
    lines = "\nunion all\n".join(sources)
    return f"""
        with lines as ({lines})
        select count(*), sum(persons) from (
            select
                tenant_id,
                date_trunc('month', try_cast(occurred_at as timestamptz)) as utc_month,
                count(distinct coalesce(user_id, anonymous_id)) as persons
            from lines
            group by all
        )
    """


def main() -> None:
    settings = load_settings()
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"set memory_limit = '{settings.duckdb_memory_limit}'")
    [(tenant_months, persons)] = con.execute(limit_query(Path(sys.argv[1]))).fetchall()
    print(f"{tenant_months} tenant-months, {persons} persons")


if __name__ == "__main__":
    main()
