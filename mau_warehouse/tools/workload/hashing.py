"""Hashes of unique keys: ids and per-event details that do not depend on draw order."""

from __future__ import annotations

import numpy as np


def mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on uint64, so distinct keys give distinct ids."""
    x = x.astype(np.uint64, copy=False) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def unit(h: np.ndarray, field: int) -> np.ndarray:
    """The field-th 16-bit slice of a hash as a uniform number in [0, 1)."""
    # Two cheap passes: the cast to uint16 keeps the slice, and float32 holds k / 2**16 exactly.
    return (h >> np.uint64(16 * field)).astype(np.uint16) * np.float32(1 / 2**16)
