"""When raw lines were removed (erasure, retention), the next dbt build is a full refresh.

Incremental models add what is new; a removal is not new, so only a rebuild from the
raw layer takes the removed lines out of every figure (R17). The rebuild is due while
any incremental model last built before the latest removal: a build that failed half
way leaves the older stamps in place, and the next run rebuilds again.
"""

from __future__ import annotations

from mau_warehouse.config import Settings
from mau_warehouse.warehouse import connect_writer

STAMPS_TABLE = "incremental_build_stamps"


def rebuild_due(settings: Settings) -> bool:
    if not settings.warehouse_path.exists():
        return False
    con = connect_writer(settings)
    try:
        stamped = con.execute(
            "select 1 from information_schema.tables where table_catalog = current_database() "
            "and table_schema = 'intermediate' and table_name = $name",
            {"name": STAMPS_TABLE},
        ).fetchall()
        if not stamped:
            return False  # never built: the first build reads everything anyway
        [(due,)] = con.execute(
            f"""
            select exists (
                select 1 from raw.line_removals
                where cause in ('erasure', 'retention')
                    and removed_at > (
                        select min(last_built_at) from (
                            select max(built_at) as last_built_at
                            from intermediate.{STAMPS_TABLE}
                            group by model_name
                        )
                    )
            )
            """
        ).fetchall()
        return bool(due)
    finally:
        con.close()
