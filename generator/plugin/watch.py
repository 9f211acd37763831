"""Hearing of edits under mkdocs serve: a native file watcher (inotify on Linux) in place of
MkDocs' polling where it sees everything polling saw.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from generator.plugin.mkdocs_private import (
    can_take_watches,
    is_polled,
    request_rebuild,
    stop_polling,
)


class EditLog(Protocol):
    """Where the watchers note the paths an edit names (``QuickRebuild`` is one)."""

    def record(self, *paths: str) -> None: ...


CHANGES = {"created", "deleted", "modified", "moved", "closed", "attrib"}  # not reads


class Recorder:
    """A watchdog event handler: note every path an event names that changed, and with
    ``poke`` have the server rebuild (as MkDocs' own handler does for its polling)."""

    def __init__(self, quick: EditLog, poke: Callable[[], None] | None = None) -> None:
        self.quick = quick
        self.poke = poke

    def dispatch(self, event: Any) -> None:
        if event.event_type not in CHANGES:
            return
        if getattr(event, "is_directory", False) and event.event_type == "modified":
            return  # a file in it changed: that file's own event says which
        self.quick.record(
            os.fsdecode(event.src_path), os.fsdecode(getattr(event, "dest_path", "") or "")
        )
        if self.poke is not None:
            self.poke()


def _changes() -> list[type[Any]]:
    """The events a native watcher asks the system for: changes only. Without this filter
    inotify also reports every file opened or read, by this server's own rebuilds and by
    the watcher's walk of the folders: on a site of thousands of folders that floods its
    queue, and the events of real edits are lost."""
    from watchdog import events

    return [
        events.FileCreatedEvent,
        events.FileDeletedEvent,
        events.FileModifiedEvent,
        events.FileMovedEvent,
        events.FileClosedEvent,
        events.DirCreatedEvent,
        events.DirDeletedEvent,
        events.DirMovedEvent,
    ]


class NativeWatch:
    """The platform's own file watcher (inotify on Linux) in place of MkDocs' polling.

    MkDocs polls the watched folders every half second, each poll listing every file: on a
    site of thousands of pages, most of the time from an edit to the served page. A native
    watcher hears of an edit at once. It takes over a watched path only where it can see
    everything polling saw: a folder (a single file, such as mkdocs.yml, is replaced by an
    editor's save and its watch lost with it), without symbolic links (not followed), and
    within half of the system's limit of watched folders. Other paths stay polled."""

    def __init__(self, server: Any, observer: Any, recorder: Recorder) -> None:
        self.server = server
        self.observer = observer
        self.recorder = recorder
        self.taken: list[str] = []
        self.budget = _watch_limit() // 2

    @classmethod
    def start(cls, server: Any, quick: EditLog) -> NativeWatch | None:
        if not can_take_watches(server):
            return None  # MkDocs' server has changed: it keeps polling
        try:
            from watchdog.observers import Observer
            from watchdog.observers.polling import PollingObserver

            if Observer is PollingObserver:  # no native watcher on this platform
                return None
            observer = Observer()
            observer.daemon = True
            observer.start()
        except (ImportError, OSError, RuntimeError):
            return None
        return cls(server, observer, Recorder(quick, poke=lambda: request_rebuild(server)))

    def take(self, path: str, recursive: bool) -> bool:
        """Watch ``path`` natively and stop MkDocs polling it; False to leave it polled."""
        if not is_polled(self.server, path) or not os.path.isdir(path) or os.path.islink(path):
            return False
        folders = _plain_folders(path) if recursive else 1
        if folders is None or folders > self.budget:
            return False
        try:
            self.observer.schedule(
                self.recorder, path, recursive=recursive, event_filter=_changes()
            )
        except (OSError, ValueError, TypeError):  # out of watches, or an old watchdog
            return False
        self.budget -= folders
        stop_polling(self.server, path)
        self.taken.append(path)
        return True


def _watch_limit() -> int:
    try:
        return int(Path("/proc/sys/fs/inotify/max_user_watches").read_text())
    except (OSError, ValueError):
        return 8192  # the oldest kernels' default


def _plain_folders(root: str) -> int | None:
    """How many folders ``root`` holds, itself included; None if it holds a link."""
    count, stack = 0, [root]
    try:
        while stack:
            count += 1
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        return None
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
    except OSError:
        return None
    return count
