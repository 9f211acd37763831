"""Compiled templates kept on disk between runs: what Jinja's bytecode cache does, for the
templates our environment compiles (pages, their skeletons and partials).

Compiling a template is most of the cost of rendering a page the first time. A compiled
template is Python code, and loading code means running it, so an entry is used only when:

- its key matches: a hash of the template as Jinja parses it (after our preprocessing, so
  the source-map markers, file numbers and line offsets it carries are part of the key), its
  name and file name, and everything else that shapes the code: the generator's code, the
  environment's class and options (the sandbox, its intercepted operators), Jinja's and
  Python's versions, and the settings' limits. Another environment never finds our code;
- its signature is ours: an HMAC of the key and the code with a secret of the user's
  (``$XDG_CACHE_HOME/element-docs-code-key``, made on first use, readable by the user
  alone). A cache folder inside a project can be sent by anyone with the project; code
  they put there is not signed with the user's secret, and is never loaded.

A damaged or foreign entry is compiled again, silently. Without a secret (a read-only home,
say) nothing is cached.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.util
import marshal
import os
import sqlite3
import sys
from pathlib import Path
from types import CodeType

from generator.settings import user_cache_base

KEY_BYTES = 32
FLUSH_EVERY = 64


def user_secret() -> bytes | None:
    """The user's secret for signing compiled code; made on first use. None when it cannot
    be read or made."""
    path = user_cache_base() / "element-docs-code-key"  # beside the trees' folders, not among them
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(os.urandom(KEY_BYTES))
        info = path.lstat()
        if (
            not path.is_file()
            or path.is_symlink()
            or info.st_mode & 0o077
            or info.st_uid != os.getuid()
        ):
            return None  # readable by others, or not the user's own: not a secret
        secret = path.read_bytes()
    except OSError:
        return None
    return secret if len(secret) == KEY_BYTES else None


class CodeStore:
    """Compiled templates by key, in one SQLite file; see the module's text."""

    def __init__(self, folder: Path | None, config: str) -> None:
        self.path = folder / "code.sqlite3" if folder is not None else None
        self.secret = user_secret() if self.path is not None else None
        self._config = config
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self.pending: dict[str, tuple[str, bytes]] = {}
        self.hits = 0
        self.misses = 0

    @functools.cached_property
    def config(self) -> str:
        """What the code was made with. Asked for when the first template is compiled, not
        before: a check that renders nothing does not import Jinja."""
        import jinja2

        return "\0".join(
            [self._config, jinja2.__version__, sys.version, importlib.util.MAGIC_NUMBER.hex()]
        )

    @property
    def usable(self) -> bool:
        return self.path is not None and self.secret is not None

    def key(self, environment: str, source: str, name: str | None, filename: str | None) -> str:
        """``environment``: what the environment that compiles says of its own make."""
        data = "\0".join([self.config, environment, name or "", filename or "", source])
        return hashlib.blake2b(data.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()

    def _sign(self, key: str, code: bytes) -> str:
        assert self.secret is not None
        return hmac.new(self.secret, key.encode() + b"\0" + code, hashlib.sha256).hexdigest()

    def _connection(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._db is None or self._pid != os.getpid():  # not shared with a forked parent
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(self.path, timeout=10)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS code (key TEXT PRIMARY KEY, mac TEXT, code BLOB)"
                )
            except (sqlite3.Error, OSError) as exc:
                if type(exc) is sqlite3.DatabaseError:  # not a database: made anew
                    with contextlib.suppress(OSError):
                        self.path.unlink()
                self.path = None  # an unusable cache costs speed only
                self._db = None
                return None
            self._pid = os.getpid()
        return self._db

    def get(self, key: str) -> CodeType | None:
        if not self.usable:
            return None
        row = None
        if key in self.pending:
            row = self.pending[key]
        else:
            db = self._connection()
            if db is not None:
                try:
                    row = db.execute("SELECT mac, code FROM code WHERE key = ?", (key,)).fetchone()
                except sqlite3.Error:
                    row = None
        if (
            row is None
            or not isinstance(row[0], str)
            or not isinstance(row[1], bytes)
            or not hmac.compare_digest(row[0], self._sign(key, row[1]))
        ):
            self.misses += 1
            return None  # missing, damaged or not signed by this user: compiled again
        try:
            code = marshal.loads(row[1])
        except (ValueError, EOFError, TypeError):
            self.misses += 1
            return None
        if not isinstance(code, CodeType):
            self.misses += 1
            return None
        self.hits += 1
        return code

    def put(self, key: str, code: CodeType) -> None:
        if not self.usable:
            return
        data = marshal.dumps(code)
        self.pending[key] = (self._sign(key, data), data)
        if len(self.pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, {}
        if not pending:
            return
        db = self._connection()
        if db is None:
            return
        try:
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO code VALUES (?, ?, ?)",
                    [(key, mac, code) for key, (mac, code) in pending.items()],
                )
        except sqlite3.Error:
            pass
