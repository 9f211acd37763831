"""Include paths: what a name may reach (includes/ only: no dot-file, no link out), and the loader
that reads partials.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path, PurePosixPath

import jinja2
import jinja2.compiler
import jinja2.nodes

from generator.load.files import FileRefused, read_inside
from generator.render.names import PAGE_PREFIX, ROOT_PREFIX, SKELETON_PREFIX

#: the prefixes of internal template names: never accepted from a page or partial
_INTERNAL_PREFIXES = (PAGE_PREFIX, SKELETON_PREFIX, ROOT_PREFIX)


class IncludeRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@lru_cache(maxsize=4096)
def check_include_name(name: str, inside: str = "includes/") -> str:
    """The normalised partial name, or IncludeRefused for paths that leave ``inside``."""
    if not name or not name.strip():
        raise IncludeRefused("ED308", "include without a path")
    if "\0" in name or any(ord(c) < 32 for c in name):
        raise IncludeRefused("ED304", "include path holds a control character")
    if "://" in name or name.startswith(("//", "\\")) or re.match(r"^[A-Za-z]:", name):
        raise IncludeRefused(
            "ED304", f"include path '{shorten(name)}' is not a path inside {inside}"
        )
    if name.startswith(_INTERNAL_PREFIXES):
        raise IncludeRefused(
            "ED304", f"include path '{shorten(name)}' is not a path inside {inside}"
        )
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts:
        raise IncludeRefused("ED304", f"include path '{shorten(name)}' leaves {inside}")
    if any(part.startswith(".") for part in posix.parts):
        raise IncludeRefused(
            "ED304",
            f"include path '{shorten(name)}' names a hidden file "
            "or folder (its name starts with a dot)",
        )
    return posix.as_posix()


def _hidden_below(path: Path, base: Path) -> bool:
    """Whether ``path`` (resolved, under ``base``) lies in or is a dot-file or dot-folder
    (``.git``, ``.env``): a link may lead there under an innocent name."""
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        return False
    return any(part.startswith(".") for part in parts)


class RefusedTemplate(jinja2.TemplateNotFound):
    """A name given to Jinja's own include, import or extends that is not a partial's."""

    def __init__(self, name: str, refusal: IncludeRefused) -> None:
        super().__init__(name, str(refusal))
        self.code = refusal.code


def unfollowable(name: str, exc: BaseException) -> tuple[str, str]:
    """(code, message) for an include path the file system cannot follow."""
    import errno

    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        reason = "its links lead round in a loop"
    elif getattr(exc, "errno", None) == errno.ENAMETOOLONG:
        reason = "the path is too long for the file system"
    else:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
    shown = name[len(ROOT_PREFIX) :] if name.startswith(ROOT_PREFIX) else name
    return "ED304", f"include path '{shorten(shown)}' cannot be followed: {reason}"


def shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


class IncludeLoader(jinja2.BaseLoader):
    """Partials from includes/ only, and (include_relative) files of the project by their
    path from its root; symlinks that lead outside either are refused."""

    def __init__(
        self, includes_dir: Path, root: Path | None = None, docs_dir: Path | None = None
    ) -> None:
        self.includes_dir = includes_dir
        self._root = includes_dir.resolve()
        self.project_root = root or includes_dir
        self._project = self.project_root.resolve()
        self._docs = (docs_dir or self.project_root).resolve()

    def resolve(self, name: str) -> Path:
        """The file of a partial. ``@root/`` names (include_relative, made by the renderer
        only) may name a file beside a page, under the pages' folder; others a file under
        includes/. Neither may be, or lead by a link to, a dot-file or dot-folder."""
        try:
            if name.startswith(ROOT_PREFIX):
                rest = name[len(ROOT_PREFIX) :]
                path = (self.project_root / check_include_name(rest, "the project")).resolve()
                if path != self._docs and self._docs not in path.parents:
                    raise IncludeRefused(
                        "ED304", f"include_relative '{rest}' resolves outside the pages' folder"
                    )
                if _hidden_below(path, self._project):
                    raise IncludeRefused(
                        "ED304", f"include_relative '{rest}' leads to a hidden file or folder"
                    )
                return path
            path = (self.includes_dir / check_include_name(name)).resolve()
        except (OSError, RuntimeError) as exc:  # a loop of links, a name too long
            raise IncludeRefused(*unfollowable(name, exc)) from None
        if path != self._root and self._root not in path.parents:
            raise IncludeRefused("ED304", f"include '{name}' resolves outside includes/")
        if _hidden_below(path, self._root):
            raise IncludeRefused("ED304", f"include '{name}' leads to a hidden file or folder")
        return path

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        try:
            path = self.resolve(template)
        except IncludeRefused as exc:
            raise jinja2.TemplateNotFound(template, str(exc)) from None
        try:  # opened once, and checked on the opened file (documents.open_checked)
            raw, info = read_inside(
                path, self._project if template.startswith(ROOT_PREFIX) else self._root
            )
            mtime = info.st_mtime
        except FileRefused as exc:
            raise jinja2.TemplateNotFound(template, exc.reason) from None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise jinja2.TemplateNotFound(template) from None
        except OSError as exc:
            raise jinja2.TemplateNotFound(template, f"cannot read: {exc.strerror}") from None
        try:
            source = raw.decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError:
            raise jinja2.TemplateNotFound(template, "not UTF-8 text") from None

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime == mtime
            except OSError:
                return False

        return source, str(path), uptodate


def suggest_partial(includes_dir: Path, name: str) -> str:
    """A partial of a name close to ``name``, or where to create it (the folder as named
    in the project: includes/, or _includes/ in a Jekyll tree)."""
    folder = includes_dir.name
    if not includes_dir.is_dir():
        return f"create {folder}/ and the partial in it"
    known = [
        p.relative_to(includes_dir).as_posix()
        for p in includes_dir.rglob("*")
        if p.is_file()
        and "_data" not in p.parts
        and not any(part.startswith(".") for part in p.relative_to(includes_dir).parts)
    ]
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"create the partial under {folder}/ or correct the include path"
