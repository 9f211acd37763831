"""What was learnt from a file's content, kept by the file's state from one run to the next.

A repeated check of a large tree would otherwise open every page several times (is its first
line '---'? what does its front matter say, for site.pages? and again for the page itself)
and parse every front matter twice, only to learn that nothing changed. Here each result is
kept with the state of the file it was read from: its size, modification and change times
(in nanoseconds), inode and device, taken *before* the read. A result is given back only
while ``os.lstat`` of the file gives that same state; any write changes the change time.

Two rules keep it exact:

- a file changed less than ``RACY_SECONDS`` before it was read is remembered for this run
  only, never written to disk: a second write in the same tick of the file system's clock
  could leave size and times as they were (git calls these index entries "racy");
- a symbolic link is never remembered (where it leads is checked at every read).

Values are JSON (never pickle: a cache folder may be shared), the few values YAML has and
JSON lacks (dates, bytes, mappings whose keys are not text) tagged; a value that cannot be
written so is not remembered. The store is one SQLite file in the cache folder, read whole
when first asked and written once at the end of a run; it is dropped whole when ``context``
(the code and the settings that shape the results) differs. A damaged store reads as empty.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as _dt
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from stat import S_ISREG
from typing import Any

RACY_SECONDS = 2
MISSING: Any = object()  # what ``get`` gives when nothing is remembered
_TAG = "\x00"
State = tuple[int, int, int, int, int]


class Unencodable(ValueError):
    """A value the memo cannot write as JSON and read back as it was."""


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data that ``decode`` turns back into an equal value of the
    same types; Unencodable when it cannot."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is float or kind is bool:
        return value
    if kind is list:
        return [encode(item) for item in value]
    if kind is dict:
        if _TAG not in value and all(type(key) is str for key in value):
            return {key: encode(item) for key, item in value.items()}
        return {_TAG: "map", "v": [[encode(key), encode(item)] for key, item in value.items()]}
    if kind is _dt.datetime and (value.tzinfo is None or type(value.tzinfo) is _dt.timezone):
        return {_TAG: "datetime", "v": value.isoformat()}
    if kind is _dt.date:
        return {_TAG: "date", "v": value.isoformat()}
    if kind is bytes:
        return {_TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    raise Unencodable(f"a {kind.__name__} value")


def _tagged(data: dict[str, Any]) -> Any:
    tag = data.get(_TAG)
    if tag is None:  # the keys of front matter repeat from page to page: one copy each
        return {sys.intern(key): value for key, value in data.items()}
    value = data["v"]
    if tag == "map":
        return {(tuple(k) if type(k) is list else k): v for k, v in value}
    if tag == "datetime":
        return _dt.datetime.fromisoformat(value)
    if tag == "date":
        return _dt.date.fromisoformat(value)
    if tag == "bytes":
        return base64.b64decode(value)
    raise ValueError(f"unknown tag {tag!r}")


_DECODER = json.JSONDecoder(object_hook=_tagged)  # json.loads(hook=) makes one per call


def decode(text: str) -> Any:
    return _DECODER.decode(text)


def _key(path: str | Path) -> str:
    key = os.fspath(path)
    return key if os.path.isabs(key) else os.path.abspath(key)


def state_of(path: str | Path) -> State | None:
    """The state of the regular file at ``path`` (not following a link), or None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not S_ISREG(info.st_mode):
        return None
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


class FileMemo:
    """Results by file and by kind ("front", "meta", "page"...), see the module's text.

    The kept results of a kind are read from disk in one query when that kind is first
    asked for, and each is let go once given back (the caller keeps what it needs): a run
    does not hold every page's front matter twice."""

    KEPT_IN_MEMORY = frozenset({"front"})  # small, and asked for by several walks

    def __init__(self, folder: Path | None, context: str) -> None:
        self.path = folder / "files.sqlite3" if folder is not None else None
        self.context = context
        self._rows: dict[str, dict[str, tuple[str, str]]] = {}  # kind -> path -> (state, json)
        self._known: dict[tuple[str, str], tuple[State, Any]] = {}  # made or kept this run
        self._dirty: set[tuple[str, str]] = set()
        self._kinds: set[str] = set()
        #: rows read ahead by ``prefetch``, each given once (None: none kept for the file)
        self._ahead: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self.hits = 0
        self.misses = 0
        #: listings of the tree made in this run, by what they list (see jekyll_tree._tree_files)
        self.walks: dict[str, list[Any]] = {}

    def _kind(self, kind: str) -> dict[str, tuple[str, str]]:
        rows = self._rows.get(kind)
        if rows is not None:
            return rows
        rows = self._rows[kind] = {}
        db = self._connection()
        if db is None:
            return rows
        try:
            for path, state, value in db.execute(
                "SELECT path, state, value FROM memo WHERE kind = ? AND context = ?",
                (kind, self.context),
            ):
                if isinstance(path, str) and isinstance(state, str) and isinstance(value, str):
                    rows[path] = (state, value)
        except (sqlite3.Error, OSError):
            rows.clear()  # damaged or of another format: everything is read again
        return rows

    def _connection(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._db is None or self._pid != os.getpid():  # a connection is not forked
            if not self.path.is_file():
                return None
            try:
                self._db = sqlite3.connect(self.path, timeout=10)
            except (sqlite3.Error, OSError):
                self.path = None
                return None
            self._pid = os.getpid()
        return self._db

    def prefetch(self, paths: Iterable[str | Path], kind: str) -> None:
        """Read the kept rows of ``kind`` for ``paths`` in one query (a caller about to ask
        for each of them, a batch at a time: not every page's row at once, for memory)."""
        keys = [key for key in map(_key, paths) if (key, kind) not in self._known]
        if kind in self.KEPT_IN_MEMORY or not keys:
            return
        db = self._connection()
        if db is None:
            return
        found: dict[str, tuple[str, str]] = {}
        try:
            for start in range(0, len(keys), 500):  # under SQLite's limit of parameters
                part = keys[start : start + 500]
                for path, state, value in db.execute(
                    "SELECT path, state, value FROM memo WHERE kind = ? AND context = ? "
                    f"AND path IN ({','.join('?' * len(part))})",
                    (kind, self.context, *part),
                ):
                    if isinstance(path, str) and isinstance(state, str) and isinstance(value, str):
                        found[path] = (state, value)
        except sqlite3.Error:
            return  # each is then asked for alone
        for key in keys:
            self._ahead[(key, kind)] = found.get(key)

    def _row(self, key: str, kind: str) -> tuple[str, str] | None:
        """One kept row, read when asked for: holding every page's row in memory at once
        would make the run's peak memory larger by as much."""
        if (key, kind) in self._ahead:
            return self._ahead.pop((key, kind))
        db = self._connection()
        if db is None:
            return None
        try:
            row = db.execute(
                "SELECT state, value FROM memo WHERE path = ? AND kind = ? AND context = ?",
                (key, kind, self.context),
            ).fetchone()
        except sqlite3.Error:
            return None
        if row is None or not isinstance(row[0], str) or not isinstance(row[1], str):
            return None
        return row[0], row[1]

    def get(self, path: str | Path, kind: str, state: State | None, hold: bool = False) -> Any:
        """What was kept of ``kind`` for the file in ``state``, else MISSING. With ``hold``,
        what was read from disk stays in memory until ``release``, for a later caller in the
        same run (the site model of a Jekyll tree reads the entries the project loads)."""
        if state is None:
            return MISSING
        key = _key(path)
        known = self._known.get((key, kind))
        if known is not None:
            if known[0] == state:
                self.hits += 1
                return known[1]
            self.misses += 1
            return MISSING
        row = (
            self._kind(kind).pop(key, None) if kind in self.KEPT_IN_MEMORY else self._row(key, kind)
        )
        if row is not None and row[0] == ",".join(map(str, state)):
            try:
                value = decode(row[1])
            except (ValueError, KeyError, TypeError, RecursionError):
                value = MISSING
            if value is not MISSING:
                if hold or kind in self.KEPT_IN_MEMORY:
                    self._known[(key, kind)] = (state, value)
                self.hits += 1
                return value
        self.misses += 1
        return MISSING

    def put(self, path: str | Path, kind: str, state: State | None, value: Any) -> None:
        """Keep ``value`` of ``kind`` for the file read in ``state``. Values are shared,
        not copied: the caller must not change one it was given or gave."""
        if state is None:
            return
        key = (_key(path), kind)
        self._kinds.add(kind)
        self._known[key] = (state, value)
        if state[2] < time.time_ns() - RACY_SECONDS * 1_000_000_000:
            self._dirty.add(key)
        else:
            self._dirty.discard(key)  # kept for this run only

    def cached(self, path: str | Path, kind: str, compute: Callable[[], Any]) -> Any:
        """``compute()``, or what it gave for the file as it is now (``compute`` reads the
        file)."""
        state = state_of(path)
        found = self.get(path, kind, state)
        if found is not MISSING:
            return found
        value = compute()
        self.put(path, kind, state, value)
        return value

    def export(self, path: str | Path) -> list[tuple[str, State, Any]]:
        """What a forked worker learnt of ``path`` (to be saved), for ``merge`` in the
        parent."""
        key = _key(path)
        learnt = []
        for kind in self._kinds:
            if (key, kind) in self._dirty:
                self._dirty.discard((key, kind))  # the parent saves it
                learnt.append((kind, *self._known[(key, kind)]))
        return learnt

    def merge(self, path: str | Path, learnt: list[tuple[str, State, Any]]) -> None:
        for kind, state, value in learnt:
            self.put(path, kind, state, value)

    def release(self) -> None:
        """Drop what this run read and learnt (after ``save``): a large tree's entries are
        a good part of a run's memory. Later questions are answered by reading the files."""
        self._rows = {kind: {} for kind in self._rows}
        self._ahead.clear()
        self._known.clear()
        self._dirty.clear()
        self._close()

    def _close(self) -> None:
        if self._db is not None and self._pid == os.getpid():
            self._db.close()
        self._db = None

    def save(self) -> None:
        """Write the entries learnt in this run (and not racy) to disk."""
        if self.path is None or not self._dirty:
            self._dirty.clear()
            return
        self._close()
        rows = []
        for key, kind in sorted(self._dirty):
            state, value = self._known[(key, kind)]
            try:
                text = json.dumps(encode(value), separators=(",", ":"))
            except (TypeError, ValueError):  # Unencodable too: remembered for this run only
                continue
            rows.append((key, kind, ",".join(map(str, state)), text, self.context))
        self._dirty.clear()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.closing(sqlite3.connect(self.path, timeout=10)) as db, db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS memo (path TEXT, kind TEXT, "
                    "state TEXT, value TEXT, context TEXT, PRIMARY KEY (path, kind))"
                )
                db.execute("DELETE FROM memo WHERE context != ?", (self.context,))
                db.executemany("INSERT OR REPLACE INTO memo VALUES (?, ?, ?, ?, ?)", rows)
        except (sqlite3.Error, OSError) as exc:  # an unusable memo costs speed only
            if type(exc) is sqlite3.DatabaseError:  # not a database: made anew next run
                with contextlib.suppress(OSError):
                    self.path.unlink()
