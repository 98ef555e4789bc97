"""Turning an event file into numbered text lines, without a Python loop per line.

Every physical line keeps its 1-based line number so that quarantine rows point
at the exact place in the file (R1). Parquet rows become JSON text lines so that
one validation path serves every format (SPEC §2.1).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from mau_warehouse.ingest.discovery import LandingFile

NEWLINE = 10


class UnreadableFile(Exception):
    """The file as a whole cannot be read (corrupt gzip, not Parquet, …)."""


def _read_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise UnreadableFile(f"corrupt gzip: {exc}") from exc
    return data


def _split_lines(data: bytes) -> pa.Table:
    """Split on newlines with NumPy and wrap the buffer as an Arrow array (zero copy)."""
    buffer = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == NEWLINE)
    ends = np.append(newlines + 1, len(data))
    starts = np.concatenate(([0], ends[:-1]))
    if len(data) and data[-1] == NEWLINE:
        # The newline that ends the file does not start another line.
        ends, starts = ends[:-1], starts[:-1]
    offsets = np.append(starts, ends[-1] if len(ends) else 0).astype(np.int64)
    # Byte length without the line break, so R1's 32 KiB limit is exact while the
    # text keeps its break (JSON parsing ignores it; stripping every line costs more).
    content_ends = ends - (buffer[ends - 1] == NEWLINE) if len(ends) else ends
    has_carriage_return = content_ends > starts
    has_carriage_return[has_carriage_return] = buffer[content_ends[has_carriage_return] - 1] == 13
    line_bytes = (content_ends - has_carriage_return - starts).astype(np.int64)
    # Lines keep their newline here; SQL strips it. Invalid UTF-8 is checked per
    # file first so that the common case stays a single pass.
    try:
        data.decode("utf-8")
        raw = pa.LargeBinaryArray.from_buffers(
            pa.large_binary(), len(starts), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
        )
        text = raw.cast(pa.large_string())
        valid = pa.array(np.ones(len(starts), dtype=bool))
    except UnicodeDecodeError:
        pieces = [data[s:e] for s, e in zip(starts, ends, strict=True)]
        decoded = [p.decode("utf-8", errors="replace") for p in pieces]
        text = pa.array(decoded, type=pa.large_string())
        valid = pa.array([_is_utf8(p) for p in pieces])
    numbers = pa.array(np.arange(1, len(starts) + 1, dtype=np.int64))
    return pa.table(
        {
            "line_number": numbers,
            "raw_line": text,
            "line_bytes": pa.array(line_bytes),
            "is_utf8": valid,
        }
    )


def _is_utf8(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _parquet_lines(con: duckdb.DuckDBPyConnection, path: Path) -> pa.Table:
    try:
        columns = con.execute(
            "select column_name, column_type from (describe select * from read_parquet($p))",
            {"p": str(path)},
        ).fetchall()
    except duckdb.Error as exc:
        raise UnreadableFile(f"not a readable Parquet file: {str(exc).splitlines()[0]}") from exc
    # Naive Parquet timestamps are UTC by convention; give them an offset so the
    # RFC 3339 check (R1) accepts them like their JSON equivalents.
    projections = ", ".join(
        f'cast("{name}" as timestamptz) as "{name}"'
        if kind.startswith("TIMESTAMP") and "WITH TIME ZONE" not in kind
        else f'"{name}"'
        for name, kind in columns
    )
    return con.execute(
        f"""
        select
            file_row_number + 1 as line_number,
            to_json(struct_pack({projections}))::varchar as raw_line,
            strlen(raw_line) as line_bytes,
            true as is_utf8,
        from read_parquet($p, file_row_number = true)
        order by file_row_number
        """,
        {"p": str(path)},
    ).to_arrow_table()


def read_lines(con: duckdb.DuckDBPyConnection, landing_file: LandingFile) -> pa.Table:
    """Columns: line_number (1-based), raw_line (text, line break kept), line_bytes, is_utf8."""
    if landing_file.is_parquet:
        return _parquet_lines(con, landing_file.path)
    return _split_lines(_read_bytes(landing_file.path))
