"""Threads released at one moment, for the tests of races within one process."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(count: int, work: Callable[[int], object], timeout: float = 120) -> list[object]:
    """Runs ``work(i)`` in ``count`` threads released at once; each result or the exception it raised."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def racer(i: int) -> None:
        barrier.wait(timeout=60)
        try:
            results[i] = work(i)
        except Exception as error:  # the outcome under test
            results[i] = error

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
