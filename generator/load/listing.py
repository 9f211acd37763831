"""Listing: the pages of a project, in a stable order (for a Jekyll tree, what Jekyll publishes)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from generator.load.jekyll_tree import published_pages, publishes
from generator.settings import Settings


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a link in a loop, say
        return False


def iter_pages(settings: Settings, only: list[Path] | None = None) -> Iterator[Path]:
    """Markdown pages under docs_dir in a stable order (or the given ones).

    Links to missing files, fifos, sockets and devices are listed too, so that they are
    reported rather than skipped (reading a page never opens such a file for reading)."""
    if only:
        for path in only:
            if path.is_dir():
                yield from (
                    p
                    for p in _pages_in(path)
                    if (publishes(settings, p, path) if settings.jekyll else settings.publishes(p))
                )
            else:
                yield path
        return
    if settings.jekyll:  # a Jekyll tree checked in place: what Jekyll publishes
        yield from published_pages(settings)
    elif settings.docs_dir.is_dir():
        yield from (p for p in _pages_in(settings.docs_dir) if settings.publishes(p))


def _pages_in(folder: Path) -> list[Path]:
    """What ``sorted(p for p in folder.rglob("*.md") if p.is_file() or <a broken link>)``
    gives, read with one ``scandir`` per folder (pathlib's walk cost a tenth of a second
    per thousand pages). Links to folders are not followed, as rglob does not."""
    found: list[tuple[tuple[str, ...], str]] = []

    def walk(directory: str, parts: tuple[str, ...]) -> None:
        try:
            with os.scandir(directory) as listing:
                entries = list(listing)
        except (PermissionError, FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            name = entry.name
            if name.endswith(".md") and not _is_folder(entry):
                # a link that leads nowhere or round in a loop, a fifo, a device: listed,
                # and reading it (which never opens such a file) reports what is wrong
                found.append(((*parts, name), entry.path))
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                walk(entry.path, (*parts, name))

    walk(os.fspath(folder), ())
    found.sort()
    return [Path(path) for _, path in found]
