"""Parallel work: chunks handed to forked worker processes that share one loaded object.

Workers are forked after the object is loaded, so each has it as it is (copy on write)
without pickling it; only the chunks and the results travel through the pipe.
"""

from __future__ import annotations

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
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(_run, ((work, chunk) for chunk in chunks))
    finally:
        _SHARED = None


def _run(task: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    work, chunk = task
    return work(_SHARED, chunk)
