"""Check pages in a second process while MkDocs works on the pages already checked.

MkDocs builds a site in one process: for each page it calls the plugin (render our partials,
check the examples), then converts the Markdown, which costs several times more than our
stage. On a machine with a spare core, ``CheckAhead`` forks the loaded project once and lets
the child render and check the pages in MkDocs' order, streaming each result back through a
pipe. The parent then only waits for a result that is usually there already, so a clean build
costs little more than MkDocs alone.

Nothing is lost if the child fails or is slow: a page whose result does not come is rendered
and checked in the parent, exactly as without the child. The child never writes the page
cache; the parent stores what it receives, so there is one writer.
"""

from __future__ import annotations

import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from generator.pipeline.cache import CachedPage
from generator.pipeline.project import PageResult, Project

MIN_PAGES = 64  # fewer pages are checked faster than a process starts
BATCH = 8  # results per message: fewer, larger writes to the pipe


def spare_cores() -> int:
    try:
        return len(os.sched_getaffinity(0)) - 1
    except AttributeError:  # not Linux
        return (os.cpu_count() or 1) - 1


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class CheckAhead:
    """A forked child that checks ``paths`` in order; ``take(path)`` gives each result."""

    def __init__(self, project: Project, paths: list[Path]) -> None:
        self.project = project
        self.waiting = {project.settings.rel(p) for p in paths}
        self.received: dict[str, tuple[PageResult, CachedPage | None]] = {}
        context = multiprocessing.get_context("fork")
        receiver, sender = context.Pipe(duplex=False)
        self.connection: Connection | None = receiver
        self.process = context.Process(
            target=_work,
            args=(project, paths, sender),
            daemon=True,
            name="element-docs-check-ahead",
        )
        self.process.start()
        sender.close()  # the child holds the only writing end: its exit ends the stream

    @classmethod
    def start(cls, project: Project, paths: list[Path]) -> CheckAhead | None:
        """A child for ``paths`` when it pays off: enough pages, a spare core, fork."""
        if len(paths) < MIN_PAGES or spare_cores() < 1 or not can_fork():
            return None
        try:
            return cls(project, paths)
        except OSError:
            return None  # no process to be had: the parent checks every page itself

    def take(self, path: Path) -> PageResult | None:
        """The child's result for ``path``, or None when the parent must check it itself."""
        rel = self.project.settings.rel(path)
        if rel not in self.waiting:
            return None
        self.waiting.discard(rel)
        while rel not in self.received and self._receive():
            pass
        got = self.received.pop(rel, None)
        if got is None:
            return None
        result, entry = got
        cache = self.project.memory.pages
        if cache is not None and entry is not None:
            cache.put(rel, entry)
        return result

    def _receive(self) -> bool:
        connection = self.connection
        if connection is None:
            return False
        try:
            batch = connection.recv()
        except (EOFError, OSError):
            batch = None
        if not batch:  # the end, or a child that failed: the parent takes over
            self.close()
            return False
        for rel, result, entry in batch:
            self.received[rel] = (result, entry)
        return True

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.process.is_alive():
            self.process.terminate()
        self.process.join(timeout=5)
        self.received.clear()


def _work(project: Project, paths: list[Path], sender: Connection) -> None:
    cache = project.memory.pages
    batch: list[tuple[str, PageResult, Any]] = []
    try:
        for path in paths:
            result = project.check_page(path)
            entry = None
            if cache is not None:  # the parent writes it: one writer
                entry = cache.memory.pop(result.rel, None)
                cache.pending.pop(result.rel, None)
            rendered = result.rendered.without_origins() if result.rendered else None
            batch.append(
                (result.rel, PageResult(result.rel, None, rendered, result.diagnostics), entry)
            )
            if len(batch) >= BATCH:
                sender.send(batch)
                batch = []
        if batch:
            sender.send(batch)
    except BaseException:  # noqa: BLE001 - the parent checks what did not arrive
        pass
    finally:
        sender.close()
