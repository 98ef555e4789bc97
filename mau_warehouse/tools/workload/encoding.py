"""Fields rendered as JSON lines or as Parquet columns.

A chunk of events becomes `Fields`: codes into string pools and fixed-width byte blocks
(hex ids, clocks) read from lookup tables. A JSON line is then 12 segments, each a pool
string or a block row (neighbouring fields share a segment where their combinations are
few), and one Arrow `take` lays out every line of the chunk, far cheaper than JSON
serialisation (DuckDB's JSON writer alone needs ~3 s a million lines).

Parquet days get the same fields as columns (RFC 3339 text, boolean is_preview, JSON
properties) written by pyarrow, without a JSON round trip.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from mau_warehouse.tools.workload.dictionaries import (
    ANON_OMITTED,
    NO_PAD,
    USER_EMPTY,
    USER_OMITTED,
    Dictionaries,
)
from mau_warehouse.tools.workload.fields import Fields
from mau_warehouse.tools.workload.text import Pool, Texts, fixed_strings
from mau_warehouse.tools.workload.vocabulary import DEVICE_NAMES, UAS

EVENT_COLUMNS = (
    "event_id", "tenant_id", "event_type", "occurred_at", "sent_at", "received_at", "user_id",
    "anonymous_id", "session_id", "device_type", "user_agent", "page_url", "is_preview",
    "properties",
)  # fmt: skip
PARQUET_SCHEMA = pa.schema(
    [(name, pa.string()) for name in EVENT_COLUMNS[:-2]]
    + [("is_preview", pa.bool_()), ("properties", pa.json_())]
)


def json_lines(dicts: Dictionaries, f: Fields) -> pa.StringArray:
    """One JSON line per event, line break included; fixed-width fields first (key order
    is free in JSON), neighbours merged into one segment where their combinations are few."""
    lines = Texts(dicts.json, len(f.tenant))
    n_agents, n_devices = len(UAS) + 1, len(DEVICE_NAMES) + 1
    has_user, has_anon = f.has_user, f.has_anon
    head = [b'{"event_id":"', f.event_id, b'","session_id":"', f.session_id]
    head += [b'","received_at":"', *f.received_at, b'","tenant_id":"', dicts.tenants(f.tenant)]
    lines.block([*head, b'","occurred_at":"', *f.occurred_at])
    lines.code("end", f.occurred_end)
    lines.block([b',"sent_at":"', *f.sent_at], f.has_sent)
    lines.code("end", f.sent_end, f.has_sent)
    lines.code("type_user", f.event_type * (USER_OMITTED + 1) + f.user_open)
    lines.code("high", f.user_high, has_user)
    lines.code("low", f.user_low, has_user)
    user_close = np.where(has_user, f.user_pad, NO_PAD)
    lines.code("close_anon", user_close * (ANON_OMITTED + 1) + f.anon_open)
    lines.block([f.anonymous_id], has_anon)
    anon_close = np.where(has_anon, f.anon_open, NO_PAD)
    lines.code("close_agent", (anon_close * n_devices + f.device) * n_agents + f.agent)
    lines.code("page", f.page)
    lines.code("tail", f.preview * len(dicts.properties) + f.properties)
    return lines.build()


def parquet_columns(dicts: Dictionaries, f: Fields) -> pa.Table:
    """The same events as Parquet columns: RFC 3339 text, boolean is_preview, JSON properties."""
    n, raw = len(f.tenant), dicts.raw
    has_user, has_anon = f.has_user, f.has_anon
    user = Texts(raw, n).code("user_open", f.user_open, has_user)
    user.code("high", f.user_high, has_user).code("low", f.user_low, has_user)
    anon = Texts(raw, n).code("open_pad", f.anon_open, has_anon).block([f.anonymous_id], has_anon)
    properties = _dictionary_column(raw, "properties", f.properties)
    columns = {
        "event_id": fixed_strings([f.event_id]),
        "tenant_id": _dictionary_column(raw, "tenant", f.tenant),
        "event_type": _dictionary_column(raw, "event_type", f.event_type),
        "occurred_at": Texts(raw, n).block(f.occurred_at).code("end", f.occurred_end).build(),
        "sent_at": Texts(raw, n).block(f.sent_at).code("end", f.sent_end).build(f.has_sent),
        "received_at": fixed_strings(f.received_at),
        "user_id": user.code("close_pad", f.user_pad, has_user).build(
            has_user | (f.user_open == USER_EMPTY)
        ),
        "anonymous_id": anon.code("close_pad", f.anon_open, has_anon).build(has_anon),
        "session_id": fixed_strings([f.session_id]),
        "device_type": _dictionary_column(raw, "device", f.device, len(DEVICE_NAMES)),
        "user_agent": _dictionary_column(raw, "agent", f.agent, len(UAS)),
        "page_url": _dictionary_column(raw, "page", f.page, len(dicts.pages)),
        "is_preview": _booleans(f.preview),
        "properties": pa.ExtensionArray.from_storage(pa.json_(), properties),
    }
    return pa.Table.from_pydict(columns, schema=PARQUET_SCHEMA)


def _booleans(values: np.ndarray) -> pa.Array:
    """An Arrow boolean array straight from bits (pa.array on NumPy imports pandas)."""
    bits = pa.py_buffer(np.packbits(values, bitorder="little"))
    return pa.Array.from_buffers(pa.bool_(), len(values), [None, bits])


def _dictionary_column(
    pool: Pool, name: str, code: np.ndarray, null: int | None = None
) -> pa.StringArray:
    """One value per row from a pool group; `code == null` marks a null."""
    index = code.astype(np.int32)
    validity = None if null is None else pa.py_buffer(np.packbits(code != null, bitorder="little"))
    if validity is not None:
        index[code == null] = 0  # any index in range: the row is null
    positions = pa.Array.from_buffers(pa.int32(), len(index), [validity, pa.py_buffer(index)])
    return pool.group(name).take(positions)
