"""Turning an event file into numbered text lines, without a Python loop per line.

A file is read in pieces of about ``PIECE_BYTES`` that end at a line break, so the
loader's memory does not grow with the size of a file. Every line keeps its
1-based line number in the file so that quarantine rows point at the exact place
(R1). Blank lines are dropped here: they carry nothing and are not lines (README,
"Pointing it at real landing data"). Parquet rows become JSON text lines so that
one validation path serves every format (SPEC §2.1).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import duckdb
import numpy as np
import pyarrow as pa
from isal import igzip, isal_zlib

from mau_warehouse.ingest.discovery import LandingFile

NEWLINE = 10
CARRIAGE_RETURN = 13
# Decompressed bytes per piece: large enough that per-piece overheads vanish,
# small enough that a few pieces in flight stay far below the memory target (§6).
PIECE_BYTES = 16 * 1024 * 1024
# A line starting with a byte in this range (printable ASCII and DEL) is not
# blank; every white-space character str.strip() removes is outside it.
FIRST_VISIBLE, LAST_VISIBLE = 33, 127

LINE_SCHEMA = pa.schema(
    [
        ("line_number", pa.int64()),
        ("raw_line", pa.large_string()),
        ("line_bytes", pa.int64()),
        ("is_utf8", pa.bool_()),
    ]
)


class UnreadableFile(Exception):
    """The file as a whole cannot be read (corrupt gzip, not Parquet, …)."""


def _fill(handle: BinaryIO, view: memoryview) -> int:
    """Read until `view` is full or the file ends; return the bytes read."""
    filled = 0
    while filled < len(view):
        count = handle.readinto(view[filled:])
        if not count:
            break
        filled += count
    return filled


def _end_of_last_line(block: np.ndarray) -> int:
    """Offset just after the last line break of `block`, 0 when it has none."""
    end = len(block)
    while end > 0:
        start = max(0, end - 65536)  # lines are short: the break is near the end
        breaks = np.flatnonzero(block[start:end] == NEWLINE)
        if len(breaks):
            return start + int(breaks[-1]) + 1
        end = start
    return 0


def _pieces(handle: BinaryIO, piece_bytes: int) -> Iterator[np.ndarray]:
    """Blocks of the content that end at a line break (the last one may not).

    Each block is a fresh, uninitialized buffer (no time spent zeroing it), so a
    piece handed on is never overwritten; only the partial line at a block's end
    is copied, to the front of the next block.
    """
    carry = np.empty(0, dtype=np.uint8)
    while True:
        block = np.empty(len(carry) + piece_bytes, dtype=np.uint8)
        block[: len(carry)] = carry
        size = len(carry) + _fill(handle, memoryview(block)[len(carry) :])
        if size < len(block):  # the file ended
            if size:
                yield block[:size]
            return
        cut = _end_of_last_line(block)
        if cut:  # else one line is longer than a piece: keep reading it
            yield block[:cut]
        carry = block[cut:].copy()


def _text_pieces(path: Path, piece_bytes: int) -> Iterator[np.ndarray]:
    with path.open("rb") as raw:
        if not path.name.endswith(".gz"):
            yield from _pieces(raw, piece_bytes)
            return
        # ISA-L's gzip is about twice as fast as zlib's; corruption shows while reading.
        try:
            with igzip.IGzipFile(fileobj=raw, mode="rb") as handle:
                yield from _pieces(handle, piece_bytes)
        except (OSError, EOFError, isal_zlib.error) as exc:
            raise UnreadableFile(f"corrupt gzip: {exc}") from exc


def _line_bounds(data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (line break included) of every physical line."""
    ends = np.flatnonzero(data == NEWLINE) + 1
    if not len(ends) or ends[-1] != len(data):
        ends = np.append(ends, len(data))  # a last line without a break
    starts = np.concatenate(([0], ends[:-1]))
    return starts, ends


def _content_bytes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Byte length without the line break, so R1's 32 KiB limit is exact while the
    text keeps its break (JSON parsing ignores it; stripping every line costs more)."""
    content_ends = ends - (data[ends - 1] == NEWLINE)
    has_carriage_return = content_ends > starts
    has_carriage_return[has_carriage_return] = (
        data[content_ends[has_carriage_return] - 1] == CARRIAGE_RETURN
    )
    return (content_ends - has_carriage_return - starts).astype(np.int64)


def _non_blank(data: np.ndarray, starts: np.ndarray, line_bytes: np.ndarray) -> np.ndarray:
    """Lines that are not blank. A line is blank when str.strip() leaves nothing of it
    (the white space of R3); only lines that start with a byte outside printable
    ASCII are decoded to tell."""
    first = data[starts]
    keep = (line_bytes > 0) & (first >= FIRST_VISIBLE) & (first <= LAST_VISIBLE)
    for index in np.flatnonzero((line_bytes > 0) & ~keep):
        line = data[starts[index] : starts[index] + line_bytes[index]].tobytes()
        keep[index] = line.decode("utf-8", errors="replace").strip() != ""
    return keep


def _text(data: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """Lines as Arrow text sharing the piece's buffer (zero copy), and is_utf8.

    Arrow validates UTF-8 for the whole piece in one pass; only a piece with invalid
    bytes is decoded line by line, each bad line with replacement characters (R1
    then quarantines it as malformed_json).
    """
    offsets = pa.py_buffer(np.append(starts, ends[-1]).astype(np.int64))
    raw = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(starts), [None, offsets, pa.py_buffer(data)]
    )
    try:
        return raw.cast(pa.large_string()), pa.array(np.ones(len(starts), dtype=bool))
    except pa.ArrowInvalid:
        pieces = [data[s:e].tobytes() for s, e in zip(starts, ends, strict=True)]
        decoded = [p.decode("utf-8", errors="replace") for p in pieces]
        return pa.array(decoded, type=pa.large_string()), pa.array([_is_utf8(p) for p in pieces])


def _is_utf8(piece: bytes) -> bool:
    try:
        piece.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def split_lines(data: np.ndarray, first_line_number: int = 1) -> tuple[pa.Table, int]:
    """The non-blank lines of `data` (bytes of whole lines), numbered from
    `first_line_number`, and the number of physical lines, blank ones included."""
    if not len(data):
        return LINE_SCHEMA.empty_table(), 0
    starts, ends = _line_bounds(data)
    line_bytes = _content_bytes(data, starts, ends)
    text, is_utf8 = _text(data, starts, ends)
    numbers = np.arange(first_line_number, first_line_number + len(starts), dtype=np.int64)
    lines = pa.table([pa.array(numbers), text, pa.array(line_bytes), is_utf8], schema=LINE_SCHEMA)
    keep = _non_blank(data, starts, line_bytes)
    return (lines if keep.all() else lines.filter(pa.array(keep))), len(starts)


def _text_file_lines(path: Path, piece_bytes: int) -> Iterator[pa.Table]:
    next_line = 1
    for piece in _text_pieces(path, piece_bytes):
        lines, count = split_lines(piece, next_line)
        next_line += count  # pieces end at a line break: the next one starts a line
        yield lines


def _parquet_lines(
    con: duckdb.DuckDBPyConnection, path: Path, piece_bytes: int
) -> Iterator[pa.Table]:
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
    result = con.execute(
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
    )
    # Streamed in batches of about a piece's size (an event line is a few hundred bytes).
    for batch in result.to_arrow_reader(max(1, piece_bytes // 512)):
        yield pa.Table.from_batches([batch]).cast(LINE_SCHEMA)


def read_lines(
    con: duckdb.DuckDBPyConnection, landing_file: LandingFile, piece_bytes: int = PIECE_BYTES
) -> Iterator[pa.Table]:
    """Pieces of a file as tables of line_number (1-based), raw_line (text, line break
    kept), line_bytes (without the break) and is_utf8; blank lines left out.

    Raises UnreadableFile, possibly after some pieces, when the file turns out corrupt.
    """
    if landing_file.is_parquet:
        return _parquet_lines(con, landing_file.path, piece_bytes)
    return _text_file_lines(landing_file.path, piece_bytes)
