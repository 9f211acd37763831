"""Parallel work: chunks handed to forked worker processes that share one loaded object.

Workers are forked after the object is loaded, so each has it as it is (copy on write)
without pickling it; only the chunks and the results travel through the pipe.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

Shared = TypeVar("Shared")
Chunk = TypeVar("Chunk")
Result = TypeVar("Result")

# What the workers of the running ``forked_map`` share; set before they are forked, so each
# worker finds it here (it is the only way to hand a process pool an object unpickled).
_SHARED: Any = None


def forked_map(
    shared: Shared, work: Callable[[Shared, Chunk], Result], chunks: Iterable[Chunk], jobs: int
) -> Iterator[Result]:
    """``work(shared, chunk)`` of every chunk, in ``jobs`` forked processes, results in the
    chunks' order. ``work`` must be a module-level function (it is sent by name)."""
    import multiprocessing  # here: most runs fork nothing, and it costs 30 ms to import

    global _SHARED
    _SHARED = shared
    # What the workers inherit is left out of their garbage collections (which would visit
    # it again and again, and copy every page of memory it touches): 30.8 -> 30.0 CPU-s for
    # a clean check of 10,032 real-shaped pages. Given back to the collector afterwards, so
    # that a long-lived process (mkdocs serve) collects it as before.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(_run, ((work, chunk) for chunk in chunks))
    finally:
        _SHARED = None
        gc.unfreeze()


def _run(task: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    work, chunk = task
    return work(_SHARED, chunk)
