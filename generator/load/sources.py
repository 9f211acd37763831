"""Source lines of the project's files, kept by each file's state: for columns, and for showing
the offending line under a diagnostic."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from generator.load.files import open_checked, read_all, under


class SourceCache:
    """Lines of the project's files, for columns and for showing the offending line.

    Kept by the file's state (its identity, size and times, which every write changes), not
    by its name alone: under ``mkdocs serve`` one project lives across edits, and a line
    read before an edit would put a wrong column into a diagnostic, and from there into the
    page cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._base = os.fspath(root)
        self._inside = under(root)
        self._lines = lru_cache(maxsize=256)(self._read)

    def _read(self, path: str, state: tuple[int, ...]) -> tuple[str, ...]:
        try:  # never the lines of a file a link leads to outside the project, nor a fifo's
            fd, _, _ = open_checked(os.path.join(self._base, path), self._inside)
        except OSError:
            return ()
        try:
            text = read_all(fd).decode("utf-8", errors="replace")
        except OSError:
            return ()
        finally:
            os.close(fd)
        return tuple(text.replace("\r\n", "\n").split("\n"))

    def line(self, path: str, line: int) -> str | None:
        try:
            info = os.stat(os.path.join(self._base, path))
            state: tuple[int, ...] = (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        except OSError:
            state = ()
        lines = self._lines(path, state)
        return lines[line - 1] if 0 < line <= len(lines) else None

    def clear(self) -> None:
        self._lines.cache_clear()
