"""Cache of rendered, checked pages keyed on the content of everything each page read.

A page's entry records the hash of its own file and of every partial and data file its
render read (at any depth). The entry is used only while all of those hashes still match,
so an edit re-renders exactly the pages that depend on it and a stale page is never served.
Entries are JSON (never pickle: the cache folder sits inside a project that outsiders may
send changes to) in one SQLite file, written in one transaction. The folder is safe to delete.

A page's rendered text is kept apart from the rest of its entry (table ``texts``, beside
``pages``), with the hash of the entry it belongs to: a check needs only the diagnostics
and what tells whether the entry is current, and reads no text; a build or the MkDocs
plugin reads the text too, and renders the page again when its text is missing, damaged or
of another entry.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

from generator.errors import Diagnostic
from generator.load.page_entry import decode_diagnostic, digest, encode_diagnostic
from generator.load.page_entry import entry_text as _text
from generator.render.sourcemap import RenderResult

FORMAT = 3  # 3: the rendered text in its own table
# Outside MkDocs' loggers: a cache that cannot be used costs speed, not correctness, and
# must not fail a --strict build. Unconfigured, Python prints it on standard error.
log = logging.getLogger("element_docs.cache")


@dataclass
class FileHashes:
    """Content hashes of files, recomputed only when size or mtime change."""

    _known: dict[Path, tuple[int, int, str]] = field(default_factory=dict)

    def of(self, path: Path) -> str:
        try:
            stat = path.stat()
        except OSError:
            return "missing"
        if not S_ISREG(stat.st_mode):
            return "not-a-file"  # a fifo or device: reading it could block for ever
        known = self._known.get(path)
        if known and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
            return known[2]
        try:
            value = digest(path.read_bytes())
        except OSError:
            return "unreadable"
        self._known[path] = (stat.st_mtime_ns, stat.st_size, value)
        return value

    def record(self, path: Path, before: os.stat_result, value: str) -> None:
        """``value`` is the hash of the content read from ``path`` just after ``before``
        was taken of it: ``of`` gives it until the file changes. (Taken before the read, a
        change during the read shows in the next ``of`` as a new time or size.)"""
        if S_ISREG(before.st_mode):
            self._known[path] = (before.st_mtime_ns, before.st_size, value)

    def known(self, path: Path) -> tuple[int, int, str] | None:
        return self._known.get(path)

    def learn(self, path: Path, entry: tuple[int, int, str]) -> None:
        """Take in what ``known`` gave in another process (a forked loader)."""
        self._known[path] = entry


@dataclass
class CachedPage:
    page_hash: str
    dependencies: dict[str, str]  # "partial:NAME" / "data:STEM" / "catalog" -> hash
    rendered: RenderResult | None
    diagnostics: list[Diagnostic]
    #: False when read without its text (``rendered.text`` is then empty, not the page's)
    has_text: bool = True
    #: the hash of the entry as stored, which its text row must name (see ``with_text``)
    stamp: str = ""


class PageCache:
    """In memory for the life of the process (``mkdocs serve``), and on disk if a folder
    is given (repeated ``mkdocs build`` and ``generator check`` runs).

    On disk it is one SQLite file of JSON entries: one transaction per run instead of a
    file per page (opening thousands of small files cost more than rendering them)."""

    def __init__(self, directory: Path | None, fingerprint: str) -> None:
        self.path = directory / "pages.sqlite3" if directory else None
        self.fingerprint = fingerprint
        self.memory: dict[str, CachedPage] = {}
        self.pending: dict[str, CachedPage] = {}
        self.hits = 0
        self.misses = 0
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        self._said: set[str] = set()  # the kinds of trouble already reported
        #: the stored entries, read in one query by ``preload`` (None: one query per page)
        self._rows: dict[str, str] | None = None

    def _db(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._connection is None or self._pid != os.getpid():  # not shared across fork
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                connection = sqlite3.connect(self.path, timeout=10)
                # Write-ahead logging, and commits that do not wait for the disk: forked
                # checkers write their entries while others read, and a run commits every
                # FLUSH_EVERY pages. On a local disk a power cut may lose the last entries
                # (they are made again) but cannot break the file. On a network file system
                # SQLite's locking is not to be trusted in any journal mode: a damaged entry
                # or file reads as a miss (see load), and the page is rendered again.
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS pages "
                    "(rel TEXT PRIMARY KEY, fingerprint TEXT, entry TEXT)"
                )
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS texts (rel TEXT PRIMARY KEY, stamp TEXT, text TEXT)"
                )
            except (OSError, sqlite3.Error) as exc:  # OSError: the folder is a file, say
                folder = self.path.parent
                why = (
                    "it is a file, not a folder"
                    if folder.exists() and not folder.is_dir()
                    else getattr(exc, "strerror", None) or str(exc)
                )
                self._say(
                    "folder",
                    f"element-docs: the page cache {folder.name}/ cannot be "
                    f"used ({why}): pages are checked without it",
                )
                self.path = None  # an unusable cache only costs speed
                return None
            self._connection, self._pid = connection, os.getpid()
        return self._connection

    def get(self, rel: str, page_hash: str, current: Any, text: bool = True) -> CachedPage | None:
        """The entry for ``rel`` if it and all its dependencies are unchanged.

        ``current(dependency_name)`` gives a dependency's hash now. With ``text`` the entry
        has its rendered text (None when the text cannot be had: the page is rendered
        again); without, it may not have it (``has_text``)."""
        entry = self.memory.get(rel) or self.load(rel)
        if (
            entry is None
            or entry.page_hash != page_hash
            or any(current(name) != value for name, value in entry.dependencies.items())
        ):
            self.misses += 1
            return None
        if text and not entry.has_text:
            entry = self.with_text(rel, entry)
            if entry is None:
                self.misses += 1
                return None
        self.memory[rel] = entry
        self.hits += 1
        return entry

    def put(self, rel: str, entry: CachedPage) -> None:
        self.memory[rel] = entry
        if self.path is not None:
            self.pending[rel] = entry

    def flush(self) -> None:
        """Write the entries of this run to disk, all at once."""
        db = self._db()
        if db is None or not self.pending:
            self.pending.clear()
            return
        rows = []
        texts = []
        for rel, entry in self.pending.items():
            stored = json.dumps(_encode(entry), separators=(",", ":"))
            rows.append((rel, self.fingerprint, stored))
            if entry.rendered is not None and entry.has_text:
                texts.append((rel, digest(stored.encode()), entry.rendered.text))
        self.pending.clear()
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)", rows)
                db.executemany("INSERT OR REPLACE INTO texts VALUES (?, ?, ?)", texts)
        except sqlite3.Error:
            pass

    def forget_memory(self) -> None:
        """Drop in-memory copies (a long ``check`` run keeps only what it must)."""
        self.memory.clear()

    def preload(self) -> None:
        """Read every stored entry of this fingerprint (without texts) in one query, for a
        run that visits every page: ``load`` then takes each from memory, once."""
        db = self._db()
        if db is None:
            return
        try:
            self._rows = {
                rel: entry
                for rel, entry in db.execute(
                    "SELECT rel, entry FROM pages WHERE fingerprint = ?", (self.fingerprint,)
                )
                if isinstance(rel, str)
            }
        except sqlite3.Error:
            self._rows = None

    def unload(self) -> None:
        """Let go of what ``preload`` read."""
        self._rows = None

    def load(self, rel: str) -> CachedPage | None:
        """The stored entry of ``rel``, without its text (see ``with_text``)."""
        db = self._db()
        if db is None:
            return None
        try:
            if self._rows is not None:
                stored = self._rows.pop(rel, None)
            else:
                row = db.execute(
                    "SELECT entry FROM pages WHERE rel = ? AND fingerprint = ?",
                    (rel, self.fingerprint),
                ).fetchone()
                stored = None if row is None else row[0]
            if stored is None:
                return None
            data = json.loads(stored)
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                return None
            entry = _decode(data)
            entry.stamp = digest(_text(stored).encode())
            return entry
        except (sqlite3.Error, ValueError, KeyError, TypeError, IndexError, RecursionError):
            # foreign or corrupt: render again
            self._damaged()
            return None

    def with_text(self, rel: str, entry: CachedPage) -> CachedPage | None:
        """``entry`` with its rendered text read from disk, or None when the stored text is
        missing, damaged or of another entry (the page is then rendered again)."""
        if entry.has_text or entry.rendered is None:
            return entry
        db = self._db()
        if db is None:
            return None
        try:
            row = db.execute("SELECT stamp, text FROM texts WHERE rel = ?", (rel,)).fetchone()
        except sqlite3.Error:
            self._damaged()
            return None
        if row is None or row[0] != entry.stamp:
            return None  # not written, or written for another entry: render again
        if type(row[1]) is not str:
            self._damaged()
            return None
        rendered = entry.rendered
        return CachedPage(
            entry.page_hash,
            entry.dependencies,
            RenderResult(
                row[1],
                None,
                rendered.diagnostics,
                rendered.partials,
                rendered.data_files,
                rendered.failed,
            ),
            entry.diagnostics,
            True,
            entry.stamp,
        )

    def _damaged(self) -> None:
        folder = self.path.parent.name if self.path else ""
        self._say(
            "entry",
            "element-docs: a damaged entry in the page cache "
            f"{folder}/ was ignored (the page was checked again); "
            "deleting the cache folder clears it",
        )

    def _say(self, kind: str, message: str) -> None:
        """Report a kind of trouble with the cache once per run, not once per page."""
        if kind not in self._said:
            self._said.add(kind)
            log.warning(message)


# --- JSON encoding -------------------------------------------------------------------------


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError("expected a list in a cache entry")
    return [_text(item) for item in value]


def _encode(entry: CachedPage) -> dict[str, Any]:
    rendered = entry.rendered
    return {
        "format": FORMAT,
        "page_hash": entry.page_hash,
        "dependencies": entry.dependencies,
        "diagnostics": [encode_diagnostic(d) for d in entry.diagnostics],
        "rendered": None
        if rendered is None
        else {  # its text is stored apart
            "diagnostics": [encode_diagnostic(d) for d in rendered.diagnostics],
            "partials": sorted(rendered.partials),
            "data_files": sorted(rendered.data_files),
            "failed": rendered.failed,
        },
    }


def _decode(data: dict[str, Any]) -> CachedPage:
    """The entry, every value checked for its type: an entry of the right shape whose
    values are of other types (a damaged or forged file) raises ValueError, a miss."""
    raw = data["rendered"]
    # No source map: the page's diagnostics are cached already, and nothing else needs it.
    if raw is not None and (not isinstance(raw, dict) or type(raw["failed"]) is not bool):
        raise ValueError("not a rendered page")
    rendered = (
        None
        if raw is None
        else RenderResult(
            "",
            None,
            [decode_diagnostic(d) for d in _list(raw["diagnostics"])],
            set(_texts(raw["partials"])),
            set(_texts(raw["data_files"])),
            raw["failed"],
        )
    )
    dependencies = data["dependencies"]
    if not isinstance(dependencies, dict):
        raise ValueError("not a mapping of dependencies")
    return CachedPage(
        _text(data["page_hash"]),
        {_text(k): _text(v) for k, v in dependencies.items()},
        rendered,
        [decode_diagnostic(d) for d in _list(data["diagnostics"])],
        has_text=rendered is None,
    )


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("expected a list in a cache entry")
    return value
