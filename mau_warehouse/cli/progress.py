"""Progress bars on stderr, so stdout stays clean for --format json."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(label: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """Yield `advance(done, total)`; the bar hides itself when stderr is not a terminal."""
    bar = tqdm(desc=label, unit=unit, unit_scale=True, file=sys.stderr, disable=None)

    def advance(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield advance
    finally:
        bar.close()
