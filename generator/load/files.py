"""Files and paths: a file is opened once, refused when it leads out of its folder, decoded as
UTF-8; where a page sits (an element page, its path without suffix)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from generator.errors import Diagnostic, SourceLocation
from generator.settings import Settings, relative_posix

#: Private-use characters the render stage uses as source-map markers (render/sourcemap.py): a
#: file holding them could forge locations or break the render, and no text needs them.
RESERVED_CHARS = re.compile("[\ue000-\ue004]")


def decode(raw: bytes, rel: str) -> tuple[str | None, Diagnostic | None]:
    """Text of a file: UTF-8 (BOM dropped), line ends normalised; or a diagnostic."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None, Diagnostic(
            "ED106",
            "the file is UTF-16 text, not UTF-8",
            SourceLocation(rel, 1, 1),
            "save the file as UTF-8 (without a byte order mark)",
        )
    if b"\0" in raw[:8192]:
        return None, Diagnostic(
            "ED106",
            "binary file, not text",
            SourceLocation(rel, 1, 1),
            "keep only Markdown text files in content/ and includes/",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Diagnostic(
            "ED106",
            f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
            SourceLocation(rel, line, col),
            "save the file as UTF-8 (it may be Latin-1 or Windows-1252)",
        )
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    reserved = RESERVED_CHARS.search(text)
    if reserved:
        start = reserved.start()
        line = text.count("\n", 0, start) + 1
        col = start - (text.rfind("\n", 0, start) + 1) + 1
        return None, Diagnostic(
            "ED106",
            f"the file holds the character "
            f"U+{ord(reserved.group()):04X}, which element-docs reserves "
            "for its own use",
            SourceLocation(rel, line, col),
            "remove it (a private-use character, invisible in most fonts)",
        )
    return text, None


def display_path(path: Path, settings: Settings) -> str:
    """The page's path as diagnostics show it, without following a link in its own name
    (a link to a file elsewhere must be reported under the name it has in the project)."""
    folder = settings.rel(path.parent)
    return path.name if folder == "." else f"{folder}/{path.name}"


def read_page_bytes(
    path: Path, rel: str, settings: Settings
) -> tuple[bytes | None, Diagnostic | None]:
    """The file's bytes, or why they cannot be had.

    Refused without reading: links that lead outside the project (a pull request can add a
    link to /etc/passwd or ~/.ssh, and the page would publish it), and anything that is not
    a regular file (reading a fifo or a device would block or never end). The file is
    opened once (``open_checked``): what is read is what was checked, even if the name is
    swapped for a link meanwhile. Files that vanish between listing and reading are
    reported, not raised."""
    where = SourceLocation(rel, 1, 0)
    try:
        fd, info, _ = open_checked(
            path, lambda real: _link_outside(path, rel, real, settings) is None
        )
    except FileRefused as refused:
        if refused.kind == "outside":
            return None, _link_outside(path, rel, refused.real, settings) or Diagnostic(
                "ED109", f"the page is a link to '{refused.real}', outside the project", where
            )
        return None, Diagnostic(
            "ED106",
            f"cannot read file: {refused.reason}",
            where,
            "keep only Markdown text files in the docs folder",
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if exc.errno == errno.ELOOP:
            reason = (
                "it is a link that leads round in a loop (to itself, or through links "
                "that lead back)"
            )
        elif path.is_symlink() and not path.exists():
            with contextlib.suppress(OSError):
                reason = f"it is a link to '{os.readlink(path)}', which does not exist"
        return None, Diagnostic(
            "ED106",
            f"cannot read file: {reason}",
            where,
            "check that the file exists and is readable; it may have "
            "been moved or deleted during the run",
        )
    try:
        # a UTF-8 character takes at most 4 bytes: anything bigger is over the limit
        if info.st_size > 4 * settings.max_output_chars:
            return None, Diagnostic(
                "ED310",
                f"the page is {info.st_size:,} bytes long; a page may have at most "
                f"{settings.max_output_chars:,} characters",
                SourceLocation(rel, 1, 1),
                "split it into several pages",
            )
        return read_all(fd), None
    except OSError as exc:
        return None, Diagnostic(
            "ED106",
            f"cannot read file: {exc.strerror or exc}",
            where,
            "check that the file is readable",
        )
    finally:
        os.close(fd)


class FileRefused(OSError):
    """``open_checked`` would not open the file: ``kind`` is "outside" (it leads somewhere
    it may not; ``real`` says where), "special" (a fifo, device, socket or folder) or
    "changed" (it was swapped for another file while being opened)."""

    def __init__(self, kind: str, reason: str, real: str = "") -> None:
        super().__init__(reason)
        self.kind, self.reason, self.real = kind, reason, real


_O_PATH = getattr(os, "O_PATH", 0)  # Linux: a descriptor that names a file, opening nothing


_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def open_checked(
    path: Path | str, allowed: Callable[[str], bool]
) -> tuple[int, os.stat_result, str]:
    """Open ``path`` for reading, once: (descriptor, its stat, the real path it leads to).

    Where the file leads (links followed) and what it is are taken from the opened file,
    never from its name again: a name swapped for a link between a check and an open
    cannot make us read anything else. ``allowed(real path)`` says whether it may be read;
    only regular files are. On Linux the file is first opened with O_PATH, which names it
    without opening it (a device or fifo does nothing), its real path read from /proc and
    its type from fstat, and then that very file is opened for reading through
    /proc/self/fd. Elsewhere: the real path is checked, the file opened without following
    a link and compared with what was checked (device and inode).

    Raises FileRefused, or OSError when the file cannot be opened at all."""
    if _O_PATH:
        handle = os.open(path, _O_PATH | _O_CLOEXEC)
        try:
            real = os.readlink(f"/proc/self/fd/{handle}")
        except OSError:
            os.close(handle)  # no /proc: the way every system has
        else:
            try:
                info = os.fstat(handle)
                _refuse(real, info, allowed)
                fd = os.open(f"/proc/self/fd/{handle}", os.O_RDONLY | os.O_NONBLOCK | _O_CLOEXEC)
            finally:
                os.close(handle)
            return _same_file(fd, info, real)
    real = os.path.realpath(path)
    info = os.stat(real)
    _refuse(real, info, allowed)
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | _O_NOFOLLOW | _O_CLOEXEC)
    return _same_file(fd, info, real)


def _refuse(real: str, info: os.stat_result, allowed: Callable[[str], bool]) -> None:
    if not allowed(real):
        raise FileRefused(
            "outside", f"it is a link to '{real}', outside the folder it is read from", real
        )
    if not stat.S_ISREG(info.st_mode):
        kind = (
            "folder"
            if stat.S_ISDIR(info.st_mode)
            else "fifo"
            if stat.S_ISFIFO(info.st_mode)
            else "special file"
        )
        raise FileRefused("special", f"it is a {kind}, not a regular file", real)


def _same_file(fd: int, checked: os.stat_result, real: str) -> tuple[int, os.stat_result, str]:
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino) or not stat.S_ISREG(
        opened.st_mode
    ):
        os.close(fd)
        raise FileRefused("changed", "it was replaced while being opened", real)
    return fd, opened, real


def read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def under(folder: Path | str) -> Callable[[str], bool]:
    """``allowed`` for ``open_checked``: the real path is ``folder`` (resolved) or in it."""
    real = os.path.realpath(folder)
    return lambda path: path == real or path.startswith(real.rstrip(os.sep) + os.sep)


def read_inside(path: Path | str, folder: Path | str) -> tuple[bytes, os.stat_result]:
    """The bytes (and stat) of a regular file that really lies in ``folder`` (links
    followed), read from the file ``open_checked`` opened; FileRefused or OSError
    otherwise."""
    fd, info, _ = open_checked(path, under(folder))
    try:
        return read_all(fd), info
    finally:
        os.close(fd)


def _link_outside(path: Path, rel: str, target: str, settings: Settings) -> Diagnostic | None:
    """ED109 when ``path`` is, or lies in, a link that leads out of the project."""
    inside = _real_folders(settings.root, settings.docs_dir)
    if any(target == folder or target.startswith(folder + os.sep) for folder in inside):
        return None
    if target == os.path.abspath(path):
        return None  # outside, but named so: not a link's doing (decided by where the
        # opened file is, not by looking at the name again, which may have changed since)
    return Diagnostic(
        "ED109", f"the page is a link to '{target}', outside the project", SourceLocation(rel, 1, 0)
    )


_REAL_FOLDERS: dict[tuple[Path, Path], tuple[str, str]] = {}


def _real_folders(root: Path, docs_dir: Path) -> tuple[str, str]:
    """The real paths of the project's root and docs folder, worked out once."""
    key = (root, docs_dir)
    found = _REAL_FOLDERS.get(key)
    if found is None:
        found = _REAL_FOLDERS[key] = (os.path.realpath(root), os.path.realpath(docs_dir))
    return found


def absolute(path: Path) -> Path:
    """The path made absolute without following links: cheap, and what users see.

    (``resolve()`` costs a system call per path component; it stays where a link could
    lead outside the project, which is a question of security, not of naming.)"""
    full = os.path.abspath(path)
    # most paths are absolute already: making a new Path of each cost 1 s at 10,000 pages
    return path if isinstance(path, Path) and str(path) == full else Path(full)


def without_suffix(posix: str) -> str:
    """``PurePosixPath(posix).with_suffix("")`` as text: the last suffix of the name cut."""
    name_start = posix.rfind("/") + 1
    dot = posix.rfind(".")
    return posix[:dot] if name_start < dot < len(posix) - 1 else posix


def is_element_path(path: Path, settings: Settings) -> bool:
    rel = relative_posix(path, settings.docs_dir)
    return rel is not None and rel.count("/") >= 2 and rel.startswith("elements/")
