"""What loading a page learns, in the form the file memo keeps it (kind "page").

A page's entry is JSON-ready: the hash of the bytes parsed, the first partial the page
includes (pages that share it are checked side by side), its front matter (values, the line
of each key, where the body starts, whether it has any) and the problems loading found. The
project's loader makes and reads these entries; so does the site model of a Jekyll tree,
which needs every page's front matter for ``site.pages`` before the project loads: both take
the same entry, so a clean check parses each front matter once, not twice (at 10,000
real-shaped pages the second parse cost 3.4 s of a 34 s check).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from generator.errors import CODES, Diagnostic, Severity, SourceLocation
from generator.load.documents import Document, document_from_bytes
from generator.load.filememo import MISSING
from generator.load.files import display_path, read_page_bytes
from generator.settings import Settings

#: a loaded page: (the page or None when it could not be read, the problems found)
Loaded = tuple[Document | None, list[Diagnostic]]

_FIRST_INCLUDE_RE = re.compile(rb"\{%-?\s*include(?:_relative)?\s+([^\s%]+)")


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def read_entry(path: Path, settings: Settings) -> tuple[dict[str, Any] | None, Loaded]:
    """The page at ``path`` read now: (its entry, the loaded page). The entry is None when
    the file could not be read (nothing is remembered: it is tried again next time)."""
    rel = display_path(path, settings)
    raw, problem = read_page_bytes(path, rel, settings)
    if raw is None:
        return None, (None, [problem] if problem else [])
    doc, problems = document_from_bytes(raw, path, rel, settings, keep_body=False)
    include = _FIRST_INCLUDE_RE.search(raw)
    entry = {
        "hash": digest(raw),
        "first": include.group(1) if include else b"",
        "doc": None
        if doc is None
        else [doc.meta, doc.key_lines, doc.body_first_line, doc.has_front_matter],
        "problems": [encode_diagnostic(d) for d in problems],
    }
    return entry, (doc, problems)


def loaded_from_entry(path: Path, entry: Any, settings: Settings) -> Loaded | None:
    """The loaded page an entry describes, or None when the entry is not one this code
    wrote (it is then read again)."""
    try:
        problems = [decode_diagnostic(d) for d in entry["problems"]]
        doc = None
        if entry["doc"] is not None:
            meta, key_lines, first_line, has_front_matter = entry["doc"]
            if not isinstance(meta, dict) or not isinstance(key_lines, dict):
                return None
            doc = Document(
                path,
                display_path(path, settings),
                meta,
                None,
                int(first_line),
                key_lines,
                bool(has_front_matter),
                settings=settings,
            )
        if not isinstance(entry["hash"], str) or not isinstance(entry["first"], bytes):
            return None
    except (ValueError, KeyError, TypeError):
        return None
    return doc, problems


def site_meta(entry: Any) -> Any:
    """The front matter an entry gives the site model (None for a page without any), or
    MISSING when the entry does not say: the page could not be loaded (too long, not text),
    or there is no entry. The site model then reads the page its own way."""
    try:
        doc = entry["doc"]
        if doc is None or not isinstance(doc[0], dict):
            return MISSING
        return dict(doc[0]) if doc[3] else None
    except (KeyError, TypeError, IndexError):
        return MISSING


# --- diagnostics as JSON -------------------------------------------------------------------


def encode_location(location: SourceLocation | None) -> list[Any] | None:
    return None if location is None else [location.path, location.line, location.col]


def decode_location(data: list[Any] | None) -> SourceLocation | None:
    if data is None:
        return None
    path, line, col = data  # ValueError unless three
    return SourceLocation(entry_text(path), entry_whole(line), entry_whole(col))


def entry_text(value: Any) -> str:
    """``value`` when it is text; ValueError otherwise (an entry is read as a miss)."""
    if type(value) is not str:
        raise ValueError(f"expected text in a cache entry, found {type(value).__name__}")
    return value


def entry_whole(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("expected a line or column number in a cache entry")
    return value


def encode_diagnostic(d: Diagnostic) -> list[Any]:
    return [
        d.code,
        d.message,
        encode_location(d.location),
        d.hint,
        [encode_location(c) for c in d.included_from],
        d.severity.value if d.severity else None,
    ]


def decode_diagnostic(data: list[Any]) -> Diagnostic:
    code, message, location, hint, chain_data, severity = data  # ValueError unless six
    if entry_text(code) not in CODES or not isinstance(chain_data, list):
        raise ValueError("not a diagnostic of this version")
    chain = tuple(loc for loc in (decode_location(c) for c in chain_data) if loc is not None)
    return Diagnostic(
        code,
        entry_text(message),
        decode_location(location),
        entry_text(hint),
        chain,
        Severity(severity) if severity is not None else None,
    )
