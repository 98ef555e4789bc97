"""Device class from the user agent (R9), with the ua-parser rules (user-agents-ng).

Parsing costs about a millisecond per string, so each chunk of lines parses its
distinct user agents once (and the cache keeps them across chunks), and only those
of events that did not send a device_type.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pyarrow as pa
from user_agents import parse


@lru_cache(maxsize=65536)
def device_class(user_agent: str) -> str | None:
    """tablet, mobile or desktop; None when the parser cannot tell (R9 then says desktop)."""
    parsed = parse(user_agent)
    if parsed.is_tablet:
        return "tablet"
    if parsed.is_mobile:
        return "mobile"
    if parsed.is_pc:
        return "desktop"
    return None


def register_device_classes(con: duckdb.DuckDBPyConnection) -> None:
    """Create temp table chunk_device_classes(user_agent, device_class) for the chunk."""
    agents = [
        row[0]
        for row in con.execute(
            "select distinct user_agent from chunk_classified "
            "where reason is null and device_type is null and user_agent is not null"
        ).fetchall()
    ]
    classes = pa.table(
        {
            "user_agent": pa.array(agents, pa.string()),
            "device_class": pa.array([device_class(a) for a in agents], pa.string()),
        }
    )
    con.register("parsed_device_classes", classes)
    con.execute(
        "create or replace temp table chunk_device_classes as select * from parsed_device_classes"
    )
    con.unregister("parsed_device_classes")
