"""Producing items on a background thread, a bounded number ahead of their use.

The loader reads and splits files (NumPy, Arrow and ISA-L release the GIL) while
DuckDB classifies lines already read; the bound keeps memory flat (SPEC §6).
"""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from queue import Full, Queue
from typing import Generic, TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.1
_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class Prefetch(Generic[T]):
    """The items of `items`, computed on a thread of their own (started at once) at
    most `depth` items ahead; an exception of the producer is raised to the
    consumer, in order. close() stops the producer and waits for it."""

    def __init__(self, items: Generator[T, None, None], depth: int) -> None:
        self._queue: Queue = Queue(maxsize=depth)
        self._stop = threading.Event()
        self._last: object = None  # _END or a _Failure, once the producer is done
        self._thread = threading.Thread(
            target=self._produce, args=(items,), name="mau-ingest-reader", daemon=True
        )
        self._thread.start()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        # The producer always ends with _END or a failure while we listen.
        item = self._last or self._queue.get()
        if item is _END:
            self._last = item
            raise StopIteration
        if isinstance(item, _Failure):
            self._last = item
            raise item.error
        return item

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _produce(self, items: Generator[T, None, None]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(_Failure(exc))
        finally:
            items.close()

    def _put(self, item: object) -> bool:
        """Wait for room in the queue unless the consumer has stopped listening."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL_SECONDS)
            except Full:
                continue
            return True
        return False
