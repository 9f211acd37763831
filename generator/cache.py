"""Cache of rendered, checked pages keyed on the content of everything each page read.

A page's entry records the hash of its own file and of every partial and data file its
render read (at any depth). The entry is used only while all of those hashes still match,
so an edit re-renders exactly the pages that depend on it and a stale page is never served.
Entries are JSON (never pickle: the cache folder sits inside a project that outsiders may
send changes to), one file per page, written atomically. The folder is safe to delete.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import Diagnostic, Severity, SourceLocation
from .templating import Origin, RenderResult

FORMAT = 1


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class FileHashes:
    """Content hashes of files, recomputed only when size or mtime change."""

    _known: dict[Path, tuple[int, int, str]] = field(default_factory=dict)

    def of(self, path: Path) -> str:
        try:
            stat = path.stat()
        except OSError:
            return "missing"
        known = self._known.get(path)
        if known and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
            return known[2]
        try:
            value = digest(path.read_bytes())
        except OSError:
            return "unreadable"
        self._known[path] = (stat.st_mtime_ns, stat.st_size, value)
        return value


@dataclass
class CachedPage:
    page_hash: str
    dependencies: dict[str, str]  # "partial:NAME" / "data:STEM" / "catalog" -> hash
    rendered: RenderResult | None
    diagnostics: list[Diagnostic]


class PageCache:
    """In memory for the life of the process (``mkdocs serve``), and on disk if a folder
    is given (repeated ``mkdocs build`` and ``generator check`` runs)."""

    def __init__(self, directory: Path | None, fingerprint: str) -> None:
        self.directory = directory / "pages" if directory else None
        self.fingerprint = fingerprint
        self.memory: dict[str, CachedPage] = {}
        self.hits = 0
        self.misses = 0

    def _file(self, rel: str) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{digest(rel.encode())}.json"

    def get(self, rel: str, page_hash: str, current: Any) -> CachedPage | None:
        """The entry for ``rel`` if it and all its dependencies are unchanged.

        ``current(dependency_name)`` gives a dependency's hash now."""
        entry = self.memory.get(rel) or self._load(rel)
        if entry is None or entry.page_hash != page_hash or any(
                current(name) != value for name, value in entry.dependencies.items()):
            self.misses += 1
            return None
        self.memory[rel] = entry
        self.hits += 1
        return entry

    def put(self, rel: str, entry: CachedPage) -> None:
        self.memory[rel] = entry
        path = self._file(rel)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            payload = json.dumps(_encode(entry, self.fingerprint), separators=(",", ":"))
            handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(payload)
            os.replace(temporary, path)
        except OSError:
            pass  # a cache that cannot be written only costs speed

    def _load(self, rel: str) -> CachedPage | None:
        path = self._file(rel)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("fingerprint") != self.fingerprint:
                return None
            return _decode(data)
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return None  # missing, foreign or corrupt: render again


# --- JSON encoding -------------------------------------------------------------------------


def _loc(location: SourceLocation | None) -> list[Any] | None:
    return None if location is None else [location.path, location.line, location.col]


def _unloc(data: list[Any] | None) -> SourceLocation | None:
    return None if data is None else SourceLocation(str(data[0]), int(data[1]), int(data[2]))


def _encode_diagnostic(d: Diagnostic) -> list[Any]:
    return [d.code, d.message, _loc(d.location), d.hint, [_loc(c) for c in d.included_from],
            d.severity.value if d.severity else None]


def _decode_diagnostic(data: list[Any]) -> Diagnostic:
    chain = tuple(loc for loc in (_unloc(c) for c in data[4]) if loc is not None)
    return Diagnostic(data[0], data[1], _unloc(data[2]), data[3], chain,
                      Severity(data[5]) if data[5] else None)


def _encode_origins(origins: list[Origin]) -> list[list[Any]]:
    """Runs of consecutive lines from the same file and chain: [path, first, count, chain]."""
    runs: list[list[Any]] = []
    for origin in origins:
        if runs:
            last = runs[-1]
            if last[0] == origin.path and last[1] + last[2] == origin.line and \
                    last[3] == [_loc(c) for c in origin.chain]:
                last[2] += 1
                continue
        runs.append([origin.path, origin.line, 1, [_loc(c) for c in origin.chain]])
    return runs


def _decode_origins(runs: list[list[Any]]) -> list[Origin]:
    origins = []
    for path, first, count, chain in runs:
        locations = tuple(loc for loc in (_unloc(c) for c in chain) if loc is not None)
        origins.extend(Origin(path, first + i, locations) for i in range(count))
    return origins


def _encode(entry: CachedPage, fingerprint: str) -> dict[str, Any]:
    rendered = entry.rendered
    return {
        "format": FORMAT,
        "fingerprint": fingerprint,
        "page_hash": entry.page_hash,
        "dependencies": entry.dependencies,
        "diagnostics": [_encode_diagnostic(d) for d in entry.diagnostics],
        "rendered": None if rendered is None else {
            "text": rendered.text,
            "origins": _encode_origins(rendered.origins),
            "diagnostics": [_encode_diagnostic(d) for d in rendered.diagnostics],
            "partials": sorted(rendered.partials),
            "data_files": sorted(rendered.data_files),
            "failed": rendered.failed,
        },
    }


def _decode(data: dict[str, Any]) -> CachedPage:
    raw = data["rendered"]
    rendered = None if raw is None else RenderResult(
        raw["text"], _decode_origins(raw["origins"]),
        [_decode_diagnostic(d) for d in raw["diagnostics"]],
        set(raw["partials"]), set(raw["data_files"]), bool(raw["failed"]))
    return CachedPage(str(data["page_hash"]), dict(data["dependencies"]), rendered,
                      [_decode_diagnostic(d) for d in data["diagnostics"]])
