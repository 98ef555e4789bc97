"""Strings laid out in Arrow buffers without a Python loop per row.

A `Pool` holds constant strings; a fixed-width byte block holds per-row text (hex ids,
clocks), constants and byte columns side by side; `Texts` joins each row's segments,
taken from either, with one Arrow `take` for the whole chunk.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

Parts = list[bytes | np.ndarray]  # fixed-width text: constants and (rows x k) byte blocks


class Pool:
    """Groups of strings as Arrow string buffers: string k of group `name` is base[name] + k."""

    def __init__(self, groups: dict[str, list[str]]) -> None:
        self.base: dict[str, int] = {}
        texts: list[str] = [""]  # index 0: the empty string, for absent segments
        for name, values in groups.items():
            self.base[name] = len(texts)
            texts.extend(values)
        self.size = len(texts)
        # ASCII (JSON escapes the rest), so a string's length is its byte count.
        self.data = np.frombuffer("".join(texts).encode("ascii"), np.uint8)
        self.offsets = np.zeros(len(texts) + 1, np.int32)
        np.cumsum(np.fromiter(map(len, texts), np.int32, len(texts)), out=self.offsets[1:])
        self._counts = {name: len(values) for name, values in groups.items()}

    def group(self, name: str) -> pa.StringArray:
        """One group as its own array, sharing the pool's buffers (no copy)."""
        first = self.base[name]
        offsets = self.offsets[first : first + self._counts[name] + 1]
        buffers = [None, pa.py_buffer(offsets), pa.py_buffer(self.data)]
        return pa.Array.from_buffers(pa.string(), self._counts[name], buffers)


def two_digits(values: np.ndarray) -> np.ndarray:
    """Two decimal digits of values below 100, as a (rows x 2) byte block."""
    return (np.stack([values // 10, values % 10], axis=1) + ord("0")).astype(np.uint8)


def text_table(texts: list[str]) -> np.ndarray:
    """Texts of one width as an (entries x width) byte table; np.take(axis=0) reads it fast."""
    return np.frombuffer("".join(texts).encode(), np.uint8).reshape(len(texts), -1)


class Texts:
    """Strings made of segments, each a code into a pool or one row of a fixed-width block."""

    def __init__(self, pool: Pool, n: int) -> None:
        self._pool = pool
        self._n = n
        self._blocks: list[Parts] = []
        self._size = pool.size  # strings in the pool and the blocks so far
        # Per segment: codes, the index they are relative to, rows where it is present.
        self._columns: list[tuple[np.ndarray, int, np.ndarray | bool]] = []

    def code(self, name: str, code: np.ndarray, present: np.ndarray | bool = True) -> Texts:
        """A pool segment; rows where `present` is false get the empty string."""
        self._columns.append((code, self._pool.base[name], present))
        return self

    def block(self, parts: Parts, present: np.ndarray | bool = True) -> Texts:
        """A per-row segment: row i of the fixed-width text laid out from `parts`."""
        self._columns.append((np.arange(self._n, dtype=np.int32), self._size, present))
        self._blocks.append(parts)
        self._size += self._n
        return self

    def build(self, valid: np.ndarray | None = None) -> pa.StringArray:
        """Row i: the concatenation of its segments; null where `valid` is false."""
        positions = pa.Array.from_buffers(
            pa.int32(), self._n * len(self._columns), [None, self._index()]
        )
        flat = self._sources().take(positions)
        # Every k-th offset of the k segments per row bounds the rows: no byte is copied.
        offsets = np.frombuffer(flat.buffers()[1], np.int32)[flat.offset :: len(self._columns)]
        validity = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
        return pa.StringArray.from_buffers(
            self._n,
            pa.py_buffer(np.ascontiguousarray(offsets)),
            flat.buffers()[2],
            validity,
            -1 if valid is None else self._n - int(np.count_nonzero(valid)),
        )

    def _index(self) -> pa.Buffer:
        """Row-major positions of every segment, written in place: no stack, no transpose."""
        index = np.empty((self._n, len(self._columns)), np.int32)
        for column, (code, base, present) in zip(index.T, self._columns, strict=True):
            np.add(code, np.int32(base), out=column, casting="unsafe")
            if present is not True:
                column *= present  # absent: 0, the empty string
        return pa.py_buffer(index)

    def _sources(self) -> pa.StringArray:
        """The pool, then every block's rows, in one array; blocks are laid out in place
        (pa.concat_arrays would copy them again and rewrite the pool's offsets each time)."""
        n, pool = self._n, self._pool
        widths = [_width(parts) for parts in self._blocks]
        data = np.empty(len(pool.data) + n * sum(widths), np.uint8)
        data[: len(pool.data)] = pool.data
        offsets, start = [pool.offsets], len(pool.data)
        for parts, width in zip(self._blocks, widths, strict=True):
            _fill(data[start : start + n * width].reshape(n, width), parts)
            offsets.append(start + width * np.arange(1, n + 1, dtype=np.int32))
            start += n * width
        buffers = [None, pa.py_buffer(np.concatenate(offsets)), pa.py_buffer(data)]
        return pa.Array.from_buffers(pa.string(), self._size, buffers)


def _width(parts: Parts) -> int:
    return sum(len(p) if isinstance(p, bytes) else p.shape[1] for p in parts)


def _fill(block: np.ndarray, parts: Parts) -> None:
    """Lay the parts side by side in a (rows x width) block."""
    template = b"".join(p if isinstance(p, bytes) else bytes(p.shape[1]) for p in parts)
    _rows(block)[...] = _rows(np.frombuffer(template, np.uint8)[None, :])  # every constant
    column = 0
    for part in parts:
        width = len(part) if isinstance(part, bytes) else part.shape[1]
        if isinstance(part, np.ndarray):
            _rows(block[:, column : column + width])[...] = _rows(part)
        column += width


def fixed_block(parts: Parts) -> np.ndarray:
    """Per-row text of one width: constants and (rows x k) byte blocks side by side."""
    n = next(len(p) for p in parts if isinstance(p, np.ndarray))
    block = np.empty((n, _width(parts)), np.uint8)
    _fill(block, parts)
    return block


def _rows(block: np.ndarray) -> np.ndarray:
    """A (rows x k) byte block as rows of one k-byte item: NumPy copies them 2-3x faster."""
    return block.view(f"V{block.shape[1]}")


def fixed_strings(parts: Parts) -> pa.Array:
    """Per-row text of one width as Arrow strings."""
    block = fixed_block(parts)
    n, width = block.shape
    offsets = (np.arange(n + 1, dtype=np.int32) * width).tobytes()
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(block))


_HEX_PAIRS = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), np.uint16)


def hex_digits(values: np.ndarray, digits: int) -> np.ndarray:
    """The last `digits` lowercase hex digits of uint64 values, as a (rows x digits) block."""
    pairs = np.take(_HEX_PAIRS, values.astype(">u8").view(np.uint8))  # two digits a byte
    return pairs.view(np.uint8).reshape(-1, 16)[:, 16 - digits :]
