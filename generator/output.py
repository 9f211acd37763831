"""Output written whole or not at all: a folder staged beside its target and swapped in (one atomic
exchange on Linux), a file replaced in one rename, and what killed runs left behind cleaned up.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path


class Staging:
    """A folder beside ``target`` that replaces it on ``commit()``; removed otherwise."""

    def __init__(self, target: Path) -> None:
        self.target = target.resolve() if target.is_symlink() else target
        self.path = target  # the staging folder, once entered
        self.committed = False

    def __enter__(self) -> Staging:
        parent = self.target.parent
        parent.mkdir(parents=True, exist_ok=True)
        clean_stale(self.target)
        self.path = Path(
            tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-{os.getpid()}-", dir=parent)
        )
        # mkdtemp makes a private (0700) folder; once swapped in it is the output folder,
        # which should have the mode any folder made here gets (readable by a web server)
        umask = os.umask(0o022)
        os.umask(umask)
        os.chmod(self.path, 0o777 & ~umask)
        return self

    def commit(self) -> None:
        swap_in(self.path, self.target)
        self.committed = True

    def __exit__(self, *exc: object) -> None:
        if not self.committed and self.path != self.target and self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)


_STAGED = re.compile(r"\.(?P<name>.+)\.(?P<kind>tmp|old)-(?P<pid>\d+)(?:-.*)?")


def _stale(path: Path, name: str) -> str | None:
    """'tmp' or 'old' for a staging folder of ``name`` left by a process that is gone."""
    match = _STAGED.fullmatch(path.name)
    if not match or match.group("name") != name or not path.is_dir() or path.is_symlink():
        return None
    pid = int(match.group("pid"))
    if pid != os.getpid() and _alive(pid):
        return None  # another run is writing it now
    return match.group("kind")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(target: Path) -> list[Path]:
    """Remove what killed runs left beside ``target``; bring back a target lost between
    the two renames of a swap. Returns the folders removed."""
    leftovers: list[tuple[str, Path]] = []
    for path in _siblings(target):
        kind = _stale(path, target.name)
        if kind:
            leftovers.append((kind, path))
    if not target.exists():
        old = [p for kind, p in leftovers if kind == "old"]
        if old:
            newest = max(old, key=lambda p: p.stat().st_mtime)
            os.replace(newest, target)
            leftovers = [(k, p) for k, p in leftovers if p != newest]
    for _, path in leftovers:
        shutil.rmtree(path, ignore_errors=True)
    return [p for _, p in leftovers]


def _siblings(target: Path) -> Iterable[Path]:
    try:
        return [p for p in target.parent.iterdir() if p.name.startswith(f".{target.name}.")]
    except OSError:
        return []


def swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames only (no half-written state)."""
    if target.exists() and _exchange(staging, target):
        shutil.rmtree(staging, ignore_errors=True)  # it now holds the previous output
        return
    old = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-{os.getpid()}-", dir=target.parent))
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2


_AT_FDCWD = -100


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one atomic step (Linux renameat2); False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    result: int = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    return result == 0


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one rename: readers see the old file or the new one."""
    mode = path.stat().st_mode & 0o7777
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
