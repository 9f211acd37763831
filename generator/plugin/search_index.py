"""The search index after a quick rebuild: the rebuilt pages' entries spliced in, the file written
by a forked child.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig

from generator.plugin.mkdocs_private import (
    search_index_text,
)
from generator.plugin.sitecache import page_key

log = logging.getLogger("mkdocs.plugins.element_docs")


def splice(entries: list[dict[str, Any]], old: int, rebuilt: set[str]) -> None:
    """Put the entries the rebuilt pages just added (after ``old``) where theirs were."""
    added: dict[str, list[dict[str, Any]]] = {}
    for entry in entries[old:]:
        added.setdefault(page_key(entry.get("location", "")), []).append(entry)
    merged: list[dict[str, Any]] = []
    placed: set[str] = set()
    for entry in entries[:old]:
        key = page_key(entry.get("location", ""))
        if key not in rebuilt:
            merged.append(entry)
        elif key not in placed:
            placed.add(key)
            merged.extend(added.get(key, ()))
    for key, new in added.items():
        if key not in placed:
            merged.extend(new)
    entries[:] = merged


class IndexWriter:
    """Writes the search index of a quick rebuild in a forked child.

    Encoding tens of megabytes of JSON holds the interpreter for a noticeable moment; in
    the server's process that would delay the browser's reload and the next edit. A child
    has an interpreter of its own, on the spare core, and a copy of the entries as they are
    now. It writes beside the index and renames, so the server never sends half of it.
    Where fork is missing (Windows) a thread does the same."""

    def __init__(self, config: MkDocsConfig, found: list[tuple[Any, list[dict[str, Any]]]]) -> None:
        self.target = Path(config.site_dir) / "search" / "search_index.json"
        self.temporary = self.target.with_name(f".{self.target.name}.{os.getpid()}.tmp")
        self.pid = 0
        self.thread: threading.Thread | None = None
        plugin, entries = found[-1]  # one search plugin in practice; the last one wins
        if hasattr(os, "fork"):
            pid = os.fork()
            if pid == 0:  # the child: write, and leave without running the parent's exits
                code = 1
                try:
                    code = 0 if self._write(plugin, entries) else 1
                finally:
                    os._exit(code)
            self.pid = pid
        else:  # pragma: no cover - Windows
            self.thread = threading.Thread(
                target=self._write, args=(plugin, list(entries)), daemon=True
            )
            self.thread.start()

    def _write(self, plugin: Any, entries: list[dict[str, Any]]) -> bool:
        try:
            text = search_index_text(plugin, entries)
            self.target.parent.mkdir(parents=True, exist_ok=True)
            self.temporary.write_text(text, encoding="utf-8")
            os.replace(self.temporary, self.target)
            return True
        except (OSError, TypeError, ValueError):
            self.temporary.unlink(missing_ok=True)
            return False

    def finish(self) -> None:
        """Wait until the index is written (a full build reads it: ``--dirty``)."""
        if self.pid:
            try:
                _, status = os.waitpid(self.pid, 0)
            except ChildProcessError:
                status = 0
            self.pid = 0
            if status:
                log.warning(
                    "element-docs: the search index of the last quick rebuild could "
                    "not be written; the next full build writes it"
                )
        elif self.thread is not None:  # pragma: no cover - Windows
            self.thread.join()

    def stop(self) -> None:
        """Abandon a write a newer one replaces (saying so if a finished one failed)."""
        if self.pid:
            try:
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done and status:
                    log.warning(
                        "element-docs: the search index of a quick rebuild could "
                        "not be written; the next one writes it again"
                    )
                elif not done:
                    os.kill(self.pid, signal.SIGKILL)
                    os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = 0
            self.temporary.unlink(missing_ok=True)
        elif self.thread is not None:  # pragma: no cover - Windows
            self.thread.join()
