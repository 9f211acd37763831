"""Render stage: Jekyll-style partials expanded by Jinja2, with a source map.

How the source map works: before Jinja lexes a template, every source line that starts
outside a tag gets an invisible *line marker* (file id and line). Each include is wrapped in
*push*/*pop* markers. Rendering carries the markers through to the output, where one pass
strips them and records, for every output line, the file:line it came from and the chain of
includes that led there. Undefined variables and refused includes render as *problem
markers*, so one render reports all of them at the exact place they appear.
"""

from __future__ import annotations

import builtins
import difflib
import functools
import itertools
import re
import time
import types
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any, NamedTuple

import jinja2
import jinja2.compiler
import jinja2.nodes
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

from generator.errors import CODES, Diagnostic, Severity, SourceLocation
from generator.jekyll.site import post_url
from generator.load.files import FileRefused, read_inside
from generator.render.liquid import filters as liquid_filters
from generator.render.liquid.translate import translate
from generator.settings import Settings

LINE, END, PUSH, POP, PROBLEM = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004"
_MARKER_SPLIT_RE = re.compile(f"([{LINE}{PROBLEM}][^{END}]*{END}|[{PUSH}{POP}])")
_STRIP_RE = re.compile(f"[{LINE}{PROBLEM}][^{END}]*{END}|[{PUSH}{POP}{END}]")
PAGE_PREFIX = "@page/"
SKELETON_PREFIX = "@skeleton/"
ROOT_PREFIX = "@root/"  # include_relative: a file of the tree, by its path from the root
#: the prefixes of internal template names: never accepted from a page or partial
_INTERNAL_PREFIXES = (PAGE_PREFIX, SKELETON_PREFIX, ROOT_PREFIX)
ALL_DATA = "@all"  # in RenderResult.data_files: the page listed site.data (which files)


class Origin(NamedTuple):
    """Where an output line came from (a tuple: pages have hundreds of lines)."""

    path: str
    line: int
    chain: tuple[SourceLocation, ...] = ()

    def location(self, col: int = 0) -> SourceLocation:
        return SourceLocation(self.path, self.line, col)


@dataclass
class RenderResult:
    text: str
    source_map: SourceMap | None  # where each output line came from, or None (not kept)
    diagnostics: list[Diagnostic]
    partials: set[str] = field(default_factory=set)  # include names read, at any depth
    data_files: set[str] = field(default_factory=set)  # stems of includes/_data files read
    failed: bool = False  # rendering stopped early; ``text`` is what was produced

    def without_origins(self) -> RenderResult:
        """The same result without its source map: what the cache keeps and a forked
        checker sends back (only the check of the page itself needs the map)."""
        return RenderResult(self.text, None, self.diagnostics, self.partials,
                            self.data_files, self.failed)

    @property
    def origins(self) -> list[Origin]:
        """One origin per output line."""
        return self.source_map.origins() if self.source_map is not None else []

    def origin(self, output_line: int) -> Origin:
        """Origin of a 0-based output line (clamped)."""
        origins = self.origins
        if not origins:
            return Origin("", 0)
        return origins[max(0, min(output_line, len(origins) - 1))]


class SourceMap:
    """The rendered text with its line markers still in, read into per-line origins only
    when a diagnostic asks where a line came from; or (``later``) the render that makes
    that text, run when a diagnostic first asks."""

    __slots__ = ("_marked", "_files", "_origins", "_render", "_text")

    def __init__(self, marked: str, files: Mapping[int, str]) -> None:
        self._marked = marked
        self._files = files
        self._origins: list[Origin] | None = None
        self._render: Callable[[], RenderResult] | None = None
        self._text = ""  # (later) the text rendered without markers

    @classmethod
    def later(cls, render: Callable[[], RenderResult], text: str) -> SourceMap:
        """The map of ``text``, a page rendered without markers: ``render`` renders it
        with them."""
        source_map = cls("", {})
        source_map._render, source_map._text = render, text
        return source_map

    def origins(self) -> list[Origin]:
        if self._origins is None:
            if self._render is not None:
                again = self._render()
                self._render = None  # what it held (the page's values) is let go
                text, self._text = self._text, ""
                self._origins = again.origins if again.text == text else \
                    _aligned_origins(text, again)
            else:
                self._origins = _origins_of(self._marked, self._files)
        return self._origins


def _aligned_origins(text: str, marked: RenderResult) -> list[Origin]:
    """Origins for the lines of ``text`` from a render with markers that gave other text.

    The markers sit inside the strings a template handles, so a template that looks into
    them (``strip`` or ``size`` of a capture, a comparison of one, a ``{%-`` trim after a
    blank line) can come out differently with them. Lines the two texts share take the
    marked line's origin; the others the origin of the shared line above them."""
    import difflib

    lines, theirs = text.split("\n"), marked.text.split("\n")
    found: list[Origin | None] = [None] * len(lines)
    matcher = difflib.SequenceMatcher(None, theirs, lines, autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            found[block.b + offset] = marked.origin(block.a + offset)
    origins: list[Origin] = []
    last = next((o for o in found if o is not None), Origin("", 0))
    for origin in found:
        last = origin if origin is not None else last
        origins.append(last)
    return origins


# --- per-render state ------------------------------------------------------------------


@dataclass
class _RenderState:
    # (code, message, hint, text to look for on the source line to find the column)
    problems: list[tuple[str, str, str, str]] = field(default_factory=list)
    partials: set[str] = field(default_factory=set)
    data_files: set[str] = field(default_factory=set)
    roots: dict[int, str] = field(default_factory=dict)  # id(mapping) -> its dotted name
    deadline: float = 0.0
    calls: int = 0
    counters: dict[Any, int] = field(default_factory=dict)  # increment/decrement, cycle
    plain: bool = False  # compile partials whole (for exact line numbers in errors)
    #: preprocess with the source-map markers (line, include); without them the text is
    #: all there is, and where a line came from is learnt by rendering again with them
    marked: bool = True

    def problem(self, code: str, message: str, hint: str = "", needle: Any = "") -> str:
        if code not in CODES:  # never from a page (internal names are out of its reach)
            code, message = "ED309", f"{code}: {message}"
        self.problems.append((code, _clean_marker_text(str(message)), str(hint),
                              needle if isinstance(needle, str) else ""))
        return f"{PROBLEM}{len(self.problems) - 1}{END}"


_STATE: ContextVar[_RenderState | None] = ContextVar("element_docs_render_state", default=None)
#: set while the renderer itself loads a partial by an internal name (see _load_template)
_TRUSTED: ContextVar[bool] = ContextVar("element_docs_trusted_load", default=False)


def _state() -> _RenderState:
    state = _STATE.get()
    if state is None:  # rendering outside Renderer.render(): keep working, record nothing
        state = _RenderState(deadline=time.monotonic() + 3600)
        _STATE.set(state)
    return state


def _marking() -> bool:
    """Whether templates compiled now get the source-map markers (outside a render: yes)."""
    state = _STATE.get()
    return state is None or state.marked


class RenderLimitError(Exception):
    """A template ran past a resource limit."""


class ReportingUndefined(jinja2.ChainableUndefined):
    """Renders as a problem marker, so every use is reported where it appears.

    Truth tests, iteration, ``default`` and attribute chains stay quiet, as in Liquid:
    ``{% if page.x %}`` is how authors ask whether a key exists.
    """

    __slots__ = ()

    def __str__(self) -> str:
        hint = self._undefined_hint or ""
        name = self._undefined_name
        if isinstance(name, str) and name.startswith(BLOCKED_PREFIX):
            original = name[len(BLOCKED_PREFIX):]
            return _state().problem("ED307", f"forbidden in templates: '{original}' is internal "
                                    "to the generator", "templates may only read page, site "
                                    "and include values", original)
        if "unsafe" in hint:  # the sandbox's placeholder for a forbidden attribute
            return _state().problem("ED307", f"forbidden in templates: {hint}",
                                    "templates may only read page, site and include values",
                                    self._undefined_name or "")
        return _state().problem("ED302", self._describe(), self._suggest(),
                                self._undefined_name or "")

    def _suggest(self) -> str:
        """"did you mean page.elementKey?" when the name misspells a key the value has."""
        name, owner = self._undefined_name, self._undefined_obj
        if not isinstance(name, str) or not isinstance(owner, Mapping):
            return ""
        keys = [key for key in owner if isinstance(key, str)]
        meant = next((key for key in keys if key.lower() == name.lower()), None)
        if meant is None:
            close = difflib.get_close_matches(name, keys, n=1, cutoff=0.8)
            meant = close[0] if close else None
        if meant is None:
            return ""
        where = _state().roots.get(id(owner))
        return f"did you mean {where}.{meant}?" if where else f"did you mean '{meant}'?"

    def _describe(self) -> str:
        name: Any = self._undefined_name
        owner = self._undefined_obj
        if isinstance(name, jinja2.Undefined):
            name = "[an undefined value]"
        elif name is not None and not isinstance(name, str | int):
            name = f"[a {type(name).__name__} value]"  # a key that is no name: not shown
        elif isinstance(name, str):
            name = "[a refused value]" if PROBLEM in name else _shorten(name, 80)
        if owner is not jinja2.utils.missing:
            where = _state().roots.get(id(owner))
            if where == "":  # vars: a Liquid variable, shown by its own name
                return f"'{name}' is undefined"
            if where:
                return f"'{where}.{name}' is undefined"
            if isinstance(name, int) and isinstance(owner, list | tuple | str):
                return (f"item {name} does not exist (the list has {len(owner)} "
                        f"item{'s' if len(owner) != 1 else ''})")
            return f"'{name}' is undefined (the value has no such key)"
        return f"'{name}' is undefined" if name else "undefined value"

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _TrackedSite(dict[str, Any]):
    """``site``: records reads of the generated catalog (site.elements, site.hubs) and of
    a Jekyll tree's site model (``model_keys``: site.pages, site.posts..., recorded as
    ``@site:KEY``). A template that uses ``site`` whole (prints it, passes it on) is found
    in its source instead: see ``reads_whole_site``."""

    model_keys: frozenset[str] = frozenset()

    def _record(self, key: Any) -> None:
        if key in ("elements", "hubs"):
            _state().data_files.add("@catalog")
        elif key in self.model_keys:
            _state().data_files.add(SITE_MODEL + key)

    def __getitem__(self, key: str) -> Any:
        self._record(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._record(key)
        return super().get(key, default)


SITE_MODEL = "@site:"  # in RenderResult.data_files: the page read site.KEY of the model
_TEMPLATE_TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
# ``site`` not followed by ``.name`` or ``[``: used whole (printed, filtered, passed on), or
# through a dict method that reads every value
_WHOLE_SITE_RE = re.compile(
    r"(?<![\w.])site\b(?!\s*(?:\.\s*(?!(?:items|values|keys|copy|__\w*)\b)[A-Za-z_]|\[))")


def reads_whole_site(source: str) -> bool:
    """True when a tag of the template ``source`` may read ``site`` whole."""
    return any(_WHOLE_SITE_RE.search(tag.group()) for tag in _TEMPLATE_TAG_RE.finditer(source))


class _TrackedData(dict[str, Any]):
    """``site.data``: records which data files a page reads (for dependency tracking)."""

    def __getitem__(self, key: str) -> Any:
        if isinstance(key, str):  # (a key of another kind names no data file)
            _state().data_files.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if isinstance(key, str):
            _state().data_files.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):  # asked for, present or not: a dependency either way
            _state().data_files.add(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        _state().data_files.add(ALL_DATA)  # every file's name: a file added counts too
        return super().__iter__()


# --- include paths and the loader --------------------------------------------------------


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
        raise IncludeRefused("ED304",
                             f"include path '{_shorten(name)}' is not a path inside {inside}")
    if name.startswith(_INTERNAL_PREFIXES):
        raise IncludeRefused("ED304",
                             f"include path '{_shorten(name)}' is not a path inside {inside}")
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts:
        raise IncludeRefused("ED304", f"include path '{_shorten(name)}' leaves {inside}")
    if any(part.startswith(".") for part in posix.parts):
        raise IncludeRefused("ED304", f"include path '{_shorten(name)}' names a hidden file "
                                      "or folder (its name starts with a dot)")
    return posix.as_posix()


def _hidden_below(path: Path, base: Path) -> bool:
    """Whether ``path`` (resolved, under ``base``) lies in or is a dot-file or dot-folder
    (``.git``, ``.env``): a link may lead there under an innocent name."""
    try:
        parts = path.relative_to(base).parts
    except ValueError:
        return False
    return any(part.startswith(".") for part in parts)


class _RefusedTemplate(jinja2.TemplateNotFound):
    """A name given to Jinja's own include, import or extends that is not a partial's."""

    def __init__(self, name: str, refusal: IncludeRefused) -> None:
        super().__init__(name, str(refusal))
        self.code = refusal.code


def _unfollowable(name: str, exc: BaseException) -> tuple[str, str]:
    """(code, message) for an include path the file system cannot follow."""
    import errno

    if isinstance(exc, RuntimeError) or getattr(exc, "errno", None) == errno.ELOOP:
        reason = "its links lead round in a loop"
    elif getattr(exc, "errno", None) == errno.ENAMETOOLONG:
        reason = "the path is too long for the file system"
    else:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
    shown = name[len(ROOT_PREFIX):] if name.startswith(ROOT_PREFIX) else name
    return "ED304", f"include path '{_shorten(shown)}' cannot be followed: {reason}"


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def partial_path(settings: Settings, name: str) -> Path:
    """The file of a partial as recorded in ``RenderResult.partials``."""
    if name.startswith(ROOT_PREFIX):
        return settings.root / name[len(ROOT_PREFIX):]
    return settings.includes_dir / name


class IncludeLoader(jinja2.BaseLoader):
    """Partials from includes/ only, and (include_relative) files of the project by their
    path from its root; symlinks that lead outside either are refused."""

    def __init__(self, includes_dir: Path, root: Path | None = None,
                 docs_dir: Path | None = None) -> None:
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
                rest = name[len(ROOT_PREFIX):]
                path = (self.project_root / check_include_name(rest, "the project")).resolve()
                if path != self._docs and self._docs not in path.parents:
                    raise IncludeRefused("ED304", f"include_relative '{rest}' resolves "
                                                  "outside the pages' folder")
                if _hidden_below(path, self._project):
                    raise IncludeRefused("ED304", f"include_relative '{rest}' leads to a "
                                                  "hidden file or folder")
                return path
            path = (self.includes_dir / check_include_name(name)).resolve()
        except (OSError, RuntimeError) as exc:  # a loop of links, a name too long
            raise IncludeRefused(*_unfollowable(name, exc)) from None
        if path != self._root and self._root not in path.parents:
            raise IncludeRefused("ED304", f"include '{name}' resolves outside includes/")
        if _hidden_below(path, self._root):
            raise IncludeRefused("ED304", f"include '{name}' leads to a hidden file or "
                                          "folder")
        return path

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        try:
            path = self.resolve(template)
        except IncludeRefused as exc:
            raise jinja2.TemplateNotFound(template, str(exc)) from None
        try:  # opened once, and checked on the opened file (documents.open_checked)
            raw, info = read_inside(path, self._project if template.startswith(ROOT_PREFIX)
                                    else self._root)
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


# --- Jekyll syntax -> Jinja, plus the line markers --------------------------------------

# {% include path params %} as Jekyll writes it; also {%- ... -%}. The path may hold {{ }}.
_INCLUDE_RE = re.compile(
    r"\{%(?P<lstrip>-?)\s*include(?P<relative>_relative)?\s+(?P<args>(?:[^%]|%(?!\}))*?)\s*"
    r"(?P<rstrip>-?)%\}", re.DOTALL)
_PARAM_RE = re.compile(
    r"\s*(?P<key>[A-Za-z_][\w-]*)\s*=\s*"
    r"(?:\"(?P<dq>(?:[^\"\\]|\\.)*)\"|'(?P<sq>(?:[^'\\]|\\.)*)'"
    r"|(?P<num>-?\d+(?:\.\d+)?)(?![\w.])|(?P<var>[A-Za-z_][\w.\-\[\]'\"]*))")
# dotted names whose segments hold hyphens (Liquid allows them): a.b-c -> a["b-c"]
_HYPHEN_PATH_RE = re.compile(r"(?<![\w.\"'])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*(?:-[A-Za-z_]\w*)*)+)")
_TAG_OPEN_RE = re.compile(r"\{\{|\{%|\{#")
_RAW_RE = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)


def _jinja_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _path_expression(path: str) -> str:
    """Jinja expression for an include path that may contain {{ expr }} pieces."""
    pieces: list[str] = []
    pos = 0
    for match in re.finditer(r"\{\{\s*(.*?)\s*\}\}", path):
        if match.start() > pos:
            pieces.append(_jinja_string(path[pos:match.start()]))
        pieces.append(f"({_hyphen_paths(match.group(1))})|string")
        pos = match.end()
    if pos < len(path):
        pieces.append(_jinja_string(path[pos:]))
    return " ~ ".join(pieces) if pieces else '""'


def _hyphen_paths(expression: str) -> str:
    def subscript(match: re.Match[str]) -> str:
        segments = match.group(2).split(".")[1:]
        if not any("-" in segment for segment in segments):
            return match.group(0)
        out = match.group(1)
        for segment in segments:
            out += f'["{segment}"]' if "-" in segment else f".{segment}"
        return out

    # leave string literals alone
    parts = re.split(r"(\"[^\"]*\"|'[^']*')", expression)
    return "".join(p if i % 2 else _HYPHEN_PATH_RE.sub(subscript, p)
                   for i, p in enumerate(parts))


class _IncludeSyntaxError(Exception):
    pass


def _parse_params(text: str) -> list[tuple[str, str]]:
    """Jekyll include parameters as (key, jinja expression)."""
    params: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _PARAM_RE.match(text, pos)
        if not match:
            rest = text[pos:].strip()
            raise _IncludeSyntaxError(f"cannot read include parameter near '{rest[:40]}'")
        key = match.group("key")
        if match.group("num") is not None:
            expr = match.group("num")  # as Jekyll: an unquoted number is a number
        elif match.group("var") is not None:
            expr = _hyphen_paths(match.group("var"))
        else:
            # as Jekyll: a quote inside a quoted value is escaped with a backslash
            value = (match.group("dq").replace('\\"', '"') if match.group("dq") is not None
                     else match.group("sq").replace("\\'", "'"))
            expr = _jinja_string(value)
        params.append((key, expr))
        pos = match.end()
        if pos < len(text) and not text[pos].isspace():
            raise _IncludeSyntaxError(
                f"parameters must be separated by spaces near '{text[pos:pos + 40]}'")
    return params


def _split_path(args: str) -> tuple[str, str]:
    """The include path (quoted, unquoted or with {{ }}) and the parameter text."""
    args = args.strip()
    if args[:1] and args[0] in "\"'":
        end = args.find(args[0], 1)
        if end < 0:
            raise _IncludeSyntaxError("unterminated quoted include path")
        return args[1:end], args[end + 1:]
    pos = 0
    while pos < len(args) and not args[pos].isspace():
        if args.startswith("{{", pos):
            close = args.find("}}", pos)
            if close < 0:
                raise _IncludeSyntaxError("unterminated {{ in include path")
            pos = close + 2
        else:
            pos += 1
    return args[:pos], args[pos:]


class JekyllSyntax(Extension):
    """Preprocessor: Jekyll include tags and hyphenated keys to Jinja; source-map markers."""

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        environment.extend(source_files={}, line_offsets={}, file_ids={},
                           template_names={})

    def file_id(self, display_path: str) -> int:
        ids: dict[str, int] = self.environment.file_ids  # type: ignore[attr-defined]
        if display_path not in ids:
            ids[display_path] = len(ids)
            self.environment.source_files[len(ids) - 1] = display_path  # type: ignore[attr-defined]
        return ids[display_path]

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name and name.startswith(SKELETON_PREFIX):
            return source  # already preprocessed: see Renderer._skeleton
        env = self.environment
        display = env.display_path(name or "", filename)  # type: ignore[attr-defined]
        if name and filename:
            env.template_names[filename] = name  # type: ignore[attr-defined]
        offset = env.line_offsets.get(name, 0)  # type: ignore[attr-defined]
        fid = self.file_id(display)
        marked = _marking()
        source = _block_internal_names(source)
        source = translate(source, liquid=env.settings.jekyll).text  # type: ignore[attr-defined]
        if not env.settings.jekyll:  # type: ignore[attr-defined]
            source = _flag_jekyll_site(source, env.settings.site)  # type: ignore[attr-defined]
        source = self._rewrite_tags(source, name or "", marked)
        return _add_line_markers(source, fid, offset) if marked else source

    def _rewrite_tags(self, source: str, name: str, marked: bool = True) -> str:
        push, pop = (PUSH, POP) if marked else ("", "")

        def include(match: re.Match[str]) -> str:
            lstrip, rstrip = match.group("lstrip"), match.group("rstrip")
            # a tag spread over lines keeps its line count, inside a comment
            count = match.group(0).count("\n")
            newlines = "{#" + "\n" * count + "#}" if count else ""
            try:
                path, params_text = _split_path(match.group("args"))
                params = _parse_params(params_text)
            except _IncludeSyntaxError as exc:
                return (f"{{%{lstrip} set _ed_p = _ed_problem('ED308', {_jinja_string(str(exc))})"
                        f" {rstrip}%}}{{{{ _ed_p }}}}{newlines}")
            mapping = ", ".join(f"{_jinja_string(k)}: {v}" for k, v in params)
            path_expr = _path_expression(path)
            if match.group("relative"):  # Jekyll: relative to the page being rendered
                path_expr = f"{path_expr}, _ed_page_dir"
            return (f"{{%{lstrip} with include = {{{mapping}}}, "
                    f"_ed_frame = _ed_enter(_ed_frame, {path_expr}) %}}"
                    f"{{% if _ed_frame.ok %}}{push}{{% with _ed_s = _ed_frame.statics %}}"
                    f"{{% include _ed_frame.template %}}{{% endwith %}}{pop}"
                    f"{{% else %}}{{{{ _ed_frame.problem }}}}{{% endif %}}"
                    f"{{% endwith {rstrip}%}}{newlines}")

        raw_blocks: list[str] = []

        def keep_raw(match: re.Match[str]) -> str:
            raw_blocks.append(match.group(0))
            return f"{PROBLEM}raw{len(raw_blocks) - 1}{END}"

        source = _RAW_RE.sub(keep_raw, source)
        source = _INCLUDE_RE.sub(include, source)
        source = re.sub(r"(\{\{|\{%)(.*?)(\}\}|%\})",
                        lambda m: m.group(0) if "-" not in m.group(2) else
                        m.group(1) + _hyphen_paths(m.group(2)) + m.group(3),
                        source, flags=re.DOTALL)
        if raw_blocks:
            source = re.sub(f"{PROBLEM}raw(\\d+){END}",
                            lambda m: raw_blocks[int(m.group(1))], source)
        return source


#: the renderer's own names (the globals it writes into templates): a page or partial that
#: names one gets a name that is never defined, reported as ED307 where it stands
BLOCKED_PREFIX = "_ed_blocked_"
_INTERNAL_NAME_RE = re.compile(r"(?<![\w.])(?:_ed_\w*|liquid_unsupported|liquid_syntax_error)\b")
_TAG_OR_RAW_RE = re.compile(_RAW_RE.pattern + r"|\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_IN_TAG_STRING_RE = re.compile(r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")", re.DOTALL)


def _block_internal_names(source: str) -> str:
    """``source`` with every internal name inside its tags renamed out of reach (string
    literals and raw blocks left as they are)."""
    if "_ed_" not in source and "liquid_" not in source:
        return source

    def rename(part: re.Match[str]) -> str:
        return BLOCKED_PREFIX + part.group(0)

    def tag(match: re.Match[str]) -> str:
        text = match.group(0)
        if match.group(1) is not None or not _INTERNAL_NAME_RE.search(text):
            return text  # a raw block, or nothing to rename
        pieces = _IN_TAG_STRING_RE.split(text)
        return "".join(piece if index % 2 else _INTERNAL_NAME_RE.sub(rename, piece)
                       for index, piece in enumerate(pieces))

    return _TAG_OR_RAW_RE.sub(tag, source)
_JEKYLL_SITE_RE = re.compile(
    r"(\{%-?|\{\{-?)(?:(?!%\}|\}\}).)*?\bsite\.(pages|posts|tags|categories|collections|"
    r"documents)\b", re.DOTALL)


def _flag_jekyll_site(source: str, site: Mapping[str, Any]) -> str:
    """Outside a Jekyll tree, site.pages, site.posts... are Jekyll's alone: a tag that reads
    one is reported where it stands (ED321), not left to loop over nothing in silence."""
    if "site." not in source:
        return source

    def flag(match: re.Match[str]) -> str:
        key = match.group(2)
        if key in site:
            return match.group(0)
        message = (f"site.{key} is Jekyll's list, known only when checking a Jekyll tree "
                   "in place; here it is empty")
        return (f"{{{{ _ed_problem('ED321', {_jinja_string(message)}) }}}}" +
                match.group(0))

    return _JEKYLL_SITE_RE.sub(flag, source)


def _add_line_markers(source: str, fid: int, offset: int) -> str:
    """Put a line marker at the start of each line that begins outside a Jinja tag, except
    where the line before is plain text: the source map counts those lines on from the
    last marker (their text reaches the output as it is), so a page of prose and examples
    with one include gets a handful of markers, not one a line."""
    out: list[str] = []
    inside: str | None = None  # the closing delimiter we are waiting for
    in_raw = False
    trimmed = False  # the line before ended with -%} or -}}: Jinja strips this line's indent
    lines = source.split("\n")
    last = len(lines) - 1
    special = _special_lines(source)  # the lines that can open a tag or end a trim
    next_special = 0
    index = 0
    while index <= last:
        if inside is None and not in_raw and not trimmed:
            while next_special < len(special) and special[next_special] < index:
                next_special += 1
            stop = special[next_special] if next_special < len(special) else last + 1
            if stop > index:  # plain lines: one marker, at the first (the final empty
                line = lines[index]  # piece after a last newline stays bare, for Jinja)
                out.append(f"{LINE}{fid}:{index + 1 + offset}{END}{line}"
                           if line or index < last else line)
                out.extend(lines[index + 1:stop])
                index = stop
                continue
        line = lines[index]
        stripped = line.lstrip()
        trims_left = stripped.startswith(("{%-", "{{-", "{#-"))
        if trimmed and inside is None and not stripped:
            out.append(line)  # blank: stripped away whole, as the trim goes on
            index += 1
            continue
        if inside is None and not trims_left and (line or index < last):
            indent = len(line) - len(stripped) if trimmed else 0
            out.append(f"{line[:indent]}{LINE}{fid}:{index + 1 + offset}{END}{line[indent:]}")
        else:
            out.append(line)
        inside, in_raw = _scan_tags(line, inside, in_raw)
        trimmed = inside is None and not in_raw and line.rstrip().endswith(
            ("-%}", "-}}", "-#}"))
        index += 1
    return "\n".join(out)


_SPECIAL_RE = re.compile(r"\{[{%#]|-[%}#]\}")


def _special_lines(source: str) -> list[int]:
    """The 0-based numbers of the lines holding a tag opener ({{, {%, {#) or a trimming
    closer (-%}, -}}, -#})."""
    found: list[int] = []
    line = pos = 0
    for match in _SPECIAL_RE.finditer(source):
        line += source.count("\n", pos, match.start())
        pos = match.start()
        if not found or found[-1] != line:
            found.append(line)
    return found


_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}


def _scan_tags(line: str, inside: str | None, in_raw: bool) -> tuple[str | None, bool]:
    """Track whether the end of ``line`` is still inside a tag (skipping strings)."""
    pos = 0
    length = len(line)
    while pos < length:
        if inside is None:
            if in_raw:
                end = _ENDRAW_RE.search(line, pos)
                if not end:
                    return None, True
                pos = end.end()
                in_raw = False
                continue
            match = _TAG_OPEN_RE.search(line, pos)
            if not match:
                return None, False
            opener = match.group(0)
            inside = _CLOSERS[opener]
            if opener == "{%" and _RAW_TAG_RE.match(line, match.end()):
                in_raw = True
            pos = match.end()
            continue
        close = line.find(inside, pos)
        quote = _QUOTE_RE.search(line, pos, close if close >= 0 else length) \
            if inside != "#}" else None
        if quote:
            qpos = quote.start()
            quote_end = line.find(line[qpos], qpos + 1)
            if quote_end < 0:
                return inside, in_raw  # string continues on the next line
            pos = quote_end + 1
            continue
        if close < 0:
            return inside, in_raw
        pos = close + len(inside)
        inside = None
    return inside, in_raw


_ENDRAW_RE = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_RAW_TAG_RE = re.compile(r"-?\s*raw\s*-?%\}")


# --- the environment ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class IncludeFrame:
    ok: bool
    name: str = ""
    problem: str = ""
    names: tuple[str, ...] = ()
    template: jinja2.Template | None = None  # the partial, compiled (see _load_partial)
    statics: tuple[str, ...] = ()  # its static text, when compiled as a skeleton


class _LiquidContext(jinja2.runtime.Context):
    """A name nothing else defines is looked up in ``vars`` (Liquid's one variable scope):
    an include reads the variables its includer assigned, as in Liquid."""

    def resolve_or_missing(self, key: str) -> Any:
        if key.startswith(BLOCKED_PREFIX):
            original = key[len(BLOCKED_PREFIX):]
            return self.environment.undefined(
                hint=f"'{original}' is internal to the generator (unsafe for templates)",
                name=original)
        value = super().resolve_or_missing(key)
        if value is jinja2.utils.missing and key != "vars":
            scope = super().resolve_or_missing("vars")
            if isinstance(scope, liquid_filters.LiquidVars):
                return liquid_filters.lookup_var(scope, key)
        return value


class _GuardedCodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator, with ``~`` measured before it joins (see guard_pieces)."""

    def visit_Concat(self, node: jinja2.nodes.Concat, frame: jinja2.compiler.Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"{join}(environment.guard_pieces((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write(")))")


PARTIALS_KEPT = 2000  # compiled partials kept per build (a partial is ~10 KB of text)


_PREPROCESSED: ContextVar[bool] = ContextVar("_ed_preprocessed", default=False)


class ElementDocsEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, with budgets on calls, attribute reads and operators, and Liquid's
    filters, tests and printing (see liquid_filters)."""

    intercepted_binops = frozenset(["*", "**", "+", "%"])
    context_class = _LiquidContext
    code_generator_class = _GuardedCodeGenerator

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__(
            loader=IncludeLoader(settings.includes_dir, settings.root, settings.docs_dir),
            undefined=ReportingUndefined,
            extensions=[JekyllSyntax, "jinja2.ext.loopcontrols"],
            autoescape=False,
            keep_trailing_newline=True,  # as Jekyll: an included file keeps its last newline
            auto_reload=True,
            cache_size=400,  # compiled partials: bounded, so memory does not grow with them
            finalize=self._printable,
        )
        self.filters.update(liquid_filters.FILTERS)
        self.tests.update(liquid_filters.TESTS)
        self.filters = {name: self._guarded_filter(name, function)
                        for name, function in self.filters.items()}
        # see _load_template
        self._unmarked_cache: MutableMapping[Any, jinja2.Template] = \
            jinja2.utils.LRUCache(400)  # type: ignore[assignment]
        # One environment serves one build: what an include name resolves to, and the
        # compiled partials, are looked up once, not once per page.
        self._entries: dict[tuple[str, str | None], tuple[str, str, str] | None] = {}
        self._partials: dict[tuple[str, bool, bool],
                             tuple[jinja2.Template, tuple[str, ...]]] = {}
        self.skeleton_code: dict[str, Any] = {}  # skeleton source -> compiled code
        self.globals.update(
            _ed_enter=self._enter_include,
            _ed_problem=lambda code, message: _state().problem(code, message),
            _ed_frame=IncludeFrame(True),
            _ed_page_dir=".",
            cycle=_cycle,
            increment=_increment,
            decrement=_decrement,
            liquid_unsupported=_liquid_unsupported,
            liquid_syntax_error=_liquid_syntax_error,
            namespace=liquid_filters.BoundedNamespace,
            lipsum=_lipsum(self),
            jekyll_link=self._jekyll_link,
            jekyll_post_url=self._jekyll_post_url,
        )

    # compiled code kept between runs (codecache.py) ------------------------------------
    code_store: Any = None  # a codecache.CodeStore, set by the Renderer's owner

    _made: str | None = None

    def _make(self) -> str:
        """What, besides the generator's code, shapes the code this environment compiles:
        another make of environment (the sandbox off, other operators intercepted, other
        filters...) must never load it."""
        if self._made is None:
            self._made = repr((
                type(self).__module__, type(self).__qualname__, self.sandboxed,
                sorted(self.intercepted_binops), sorted(self.intercepted_unops),
                [type(e).__qualname__ for e in self.extensions.values()],
                sorted(self.filters), sorted(self.tests), self.autoescape,
                self.keep_trailing_newline, self.optimized, self.newline_sequence,
                self.block_start_string, self.variable_start_string))
        return self._made

    def compile(self, source: Any, name: str | None = None, filename: str | None = None,
                raw: bool = False, defer_init: bool = False) -> Any:
        """Jinja's compile, with the code taken from the code store when this very template
        (as preprocessed) was compiled before. Preprocessing still runs: it records what
        the source map needs (file numbers, names), and its output is the key."""
        store = self.code_store
        if store is None or raw or defer_init or not isinstance(source, str):
            return super().compile(source, name, filename, raw, defer_init)  # type: ignore[call-overload]
        processed = self.preprocess(source, name, filename)
        key = store.key(self._make(), processed, name, filename)
        code = store.get(key)
        if code is not None:
            return code
        token = _PREPROCESSED.set(True)
        try:
            code = super().compile(processed, name, filename)
        except jinja2.TemplateError:
            code = None
        finally:
            _PREPROCESSED.reset(token)
        if code is None:  # compiled again as always: its error says what it always said
            return super().compile(source, name, filename, raw, defer_init)
        store.put(key, code)
        return code

    def preprocess(self, source: str, name: str | None = None, filename: str | None = None
                   ) -> str:
        if _PREPROCESSED.get():
            return source  # compile above preprocessed it already
        return super().preprocess(source, name, filename)

    def _jekyll_link(self, path: Any) -> str:
        """``{% link path %}``: the URL of a page, document or file by its source path."""
        wanted = str(path).strip().lstrip("/")
        urls = self.settings.jekyll_urls
        if not self.settings.jekyll:
            return _state().problem("ED321", f"{{% link {wanted} %}} needs the Jekyll tree "
                                    "the page came from", "", "link")
        found = urls.get(wanted)
        if found is None:
            return _state().problem("ED320", f"{{% link {wanted} %}}: no such page or file "
                                    "in the site (Jekyll stops the build here)",
                                    "give the path from the site's root with its extension",
                                    "link")
        return found

    def _jekyll_post_url(self, name: Any) -> str:
        """``{% post_url name %}``: the URL of the post ``name`` (its file name without
        extension, possibly under a folder)."""
        wanted = str(name).strip().lstrip("/")
        if not self.settings.jekyll:
            return _state().problem("ED321", f"{{% post_url {wanted} %}} needs the Jekyll "
                                    "tree the page came from", "", "post_url")
        found = post_url(self.settings.jekyll_items, wanted)
        if found is not None:
            return found
        return _state().problem("ED320", f"{{% post_url {wanted} %}}: no post of that name "
                                "(Jekyll stops the build here)",
                                "name the post's file without its extension", "post_url")

    @cached_property
    def page_globals(self) -> dict[str, Any]:
        """The globals a page's template starts from, as one plain dict: Jinja copies them
        into the context of every page, and copying its default (a ChainMap over the
        environment's globals) cost more than many of the page's own steps. Taken after
        ``__init__``, which sets every global there is."""
        return dict(self.globals)

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        """Jinja's own template cache (``{% import %}``, a partial compiled whole) keeps
        templates compiled with the markers apart from those compiled without.

        A name that comes from a template (Jinja's own include, import, from and extends)
        is a partial under includes/, checked as an include path is: internal names
        (include_relative's ``@root/``) are the renderer's alone. It is recorded as read,
        found or not (``{% import %}`` and ``{% extends %}`` come here, not through
        ``_enter_include``): what it names is a dependency of the page."""
        if not _TRUSTED.get():
            try:
                normal = check_include_name(name)
            except IncludeRefused as exc:
                raise _RefusedTemplate(name, exc) from None
            _state().partials.add(normal)
        if _marking():
            return super()._load_template(name, globals)
        with_markers, self.cache = self.cache, self._unmarked_cache
        try:
            return super()._load_template(name, globals)
        finally:
            self.cache = with_markers

    def display_path(self, name: str, filename: str | None) -> str:
        if name.startswith(PAGE_PREFIX):
            return name[len(PAGE_PREFIX):]
        if name.startswith(ROOT_PREFIX):
            return name[len(ROOT_PREFIX):]
        return self.settings.rel(self.settings.includes_dir / name)

    def _enter_include(self, frame: IncludeFrame, name: Any,
                       page_dir: str | None = None) -> IncludeFrame:
        """The frame of an include, or why it cannot be entered. ``page_dir`` is given
        for include_relative: the path is then relative to the page's folder."""
        state = _state()
        try:
            if page_dir is not None:
                relative = check_include_name(str(name), "the page's folder")
                normal = ROOT_PREFIX + (PurePosixPath(page_dir) / relative).as_posix()
            else:
                normal = check_include_name(str(name))
        except IncludeRefused as exc:
            return IncludeFrame(False, problem=state.problem(exc.code, str(exc)))
        chain = (*frame.names, normal)
        if normal in frame.names:
            cycle = " -> ".join(chain)
            return IncludeFrame(False, problem=state.problem(
                "ED305", f"include cycle: {cycle}", "remove one include of the cycle"))
        if len(chain) > self.settings.max_include_depth:
            return IncludeFrame(False, problem=state.problem(
                "ED306", f"includes nested deeper than {self.settings.max_include_depth} "
                         f"levels: {' -> '.join(chain)}"))
        key = (normal, page_dir)
        if key not in self._entries:
            try:
                self._entries[key] = self._refusal(normal, page_dir)
            except (OSError, RuntimeError) as exc:  # a name too long, a loop of links
                self._entries[key] = (*_unfollowable(normal, exc), "")
        refused = self._entries[key]
        if refused is not None:
            if refused[0] == "ED303":
                # Missing now (or not a file): recorded all the same, so that its
                # appearance makes what this render gave out of date (see cache.py).
                state.partials.add(normal)
            return IncludeFrame(False, problem=state.problem(*refused))
        state.partials.add(normal)
        template, statics = self._load_partial(normal, state.plain, state.marked)
        return IncludeFrame(True, normal, names=chain, template=template, statics=statics)

    def _refusal(self, normal: str, page_dir: str | None) -> tuple[str, str, str] | None:
        """Why the partial ``normal`` cannot be included (code, message, hint), or None."""
        try:
            self.loader.resolve(normal)  # type: ignore[union-attr]
        except IncludeRefused as exc:
            return exc.code, str(exc), ""
        candidate = partial_path(self.settings, normal)
        if candidate.exists() and not candidate.is_file():
            return ("ED303", f"partial '{normal}' is not a regular file", "a partial is a "
                    "text file under includes/; folders, pipes and devices cannot be included")
        if not candidate.is_file() and page_dir is not None:
            return ("ED303", f"include_relative: no such file '{normal[len(ROOT_PREFIX):]}'",
                    f"the path is relative to the page's folder ({page_dir}/)")
        if not candidate.is_file():
            return ("ED303", f"unknown partial '{normal}' (no such file in includes/)",
                    _suggest_partial(self.settings.includes_dir, normal))
        return None

    def _load_partial(self, name: str, plain: bool, marked: bool = True
                      ) -> tuple[jinja2.Template, tuple[str, ...]]:
        """The partial compiled as a skeleton (its tags, its static text apart), so partials
        with the same tags share one compiled template, as pages do; ``plain`` compiles it
        whole, which errors need for their line numbers."""
        key = (name, plain, marked)
        partials = self._partials
        found = partials.pop(key, None)
        if found is not None:
            partials[key] = found  # now the most recently used
            return found
        token = _TRUSTED.set(True)  # ``name`` was checked by _enter_include
        try:
            found = (self.get_template(name), ()) if plain else self._skeleton_partial(name)
        finally:
            _TRUSTED.reset(token)
        if len(partials) >= PARTIALS_KEPT:  # bounded memory on big trees: drop the
            del partials[next(iter(partials))]  # partial used longest ago
        self._partials[key] = found
        return found

    def _skeleton_partial(self, name: str) -> tuple[jinja2.Template, tuple[str, ...]]:
        source, filename, uptodate = self.loader.get_source(self, name)  # type: ignore[union-attr]
        try:
            pieces = split_template(self.preprocess(source, name, filename))
        except (RecursionError, jinja2.TemplateError):
            pieces = None
        if pieces is None:
            return self.get_template(name), ()  # the plain compile reports what is wrong
        skeleton, statics = skeleton_of(pieces)
        code = self.skeleton_code.get(skeleton)
        if code is None:
            try:
                code = self.compile(skeleton, SKELETON_PREFIX + name, filename)
            except jinja2.TemplateSyntaxError:
                return self.get_template(name), ()
            if len(self.skeleton_code) > 512:
                self.skeleton_code.clear()
            self.skeleton_code[skeleton] = code
        template = self.template_class.from_code(self, code, self.make_globals(None), uptodate)
        return template, statics

    # budgets --------------------------------------------------------------------------
    def _tick(self) -> None:
        state = _state()
        state.calls += 1
        if state.calls % 256 == 0 and time.monotonic() > state.deadline:
            raise RenderLimitError(
                f"rendering took longer than {self.settings.max_render_seconds:g} s (time "
                "limit)")

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        self._tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | bytes | int) and not isinstance(owner, bool):
            args = tuple(_materialized(a) if _is_iterator(a) else a for a in args)
            self._check_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if isinstance(result, str | bytes | list | tuple) and \
                len(result) > self.settings.max_output_chars:
            raise _too_large(f"calling {getattr(__obj, '__name__', 'a function')}",
                             len(result), self.settings.max_output_chars)
        return result

    def _check_method(self, owner: Any, name: str, args: tuple[Any, ...],
                      kwargs: Mapping[str, Any]) -> None:
        """Refuse a method of a string or number that would make more than the size limit
        (``'x'.ljust(10**9)``, ``(1).to_bytes(10**9)``) before it runs."""
        limit = self.settings.max_output_chars
        numbers = [abs(v) for v in (*args, *kwargs.values())
                   if isinstance(v, int) and not isinstance(v, bool)]
        if numbers and max(numbers) > limit:
            raise _too_large(f"'{name}'", max(numbers), limit)
        if isinstance(owner, int):
            return
        size = len(owner)
        if name == "expandtabs":
            width = _int_of(_int_arg(args, kwargs, 0, "tabsize", 8))
            size += owner.count("\t" if isinstance(owner, str) else b"\t") * width
        elif name == "replace" and len(args) >= 2 and \
                all(isinstance(a, type(owner)) for a in args[:2]):
            old, new = args[0], args[1]
            count = owner.count(old) if old else size + 1
            size += count * max(0, len(new) - len(old))
        elif name in ("replace", "translate", "join"):
            measured = self.text_size(*args, *kwargs.values())
            if isinstance(measured, str):
                raise SecurityError(f"'{name}' given an internal object")
            size = size * (1 + measured) if name != "join" else \
                size * len(args[0] if args and hasattr(args[0], "__len__") else ()) + measured
        if size > limit:
            raise _too_large(f"'{name}'", size, limit)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Jinja's own wrapper of ``str.format``, with the bounded formatter."""
        if not isinstance(value, types.MethodType | types.BuiltinMethodType) or \
                value.__name__ not in ("format", "format_map") or \
                not isinstance(value.__self__, str):
            return None
        template, is_map = value.__self__, value.__name__ == "format_map"

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if is_map:
                if kwargs or len(args) != 1:
                    raise TypeError("format_map() takes exactly one argument")
                return str(_BoundedFormatter(self).vformat(template, (), args[0]))
            return str(_BoundedFormatter(self).vformat(template, args, kwargs))

        return wrapper

    def text_size(self, *values: Any) -> int | str:
        """About how many characters ``values`` print as; a problem marker (ED307) when one
        holds an internal object; RenderLimitError past the size limit."""
        limit = self.settings.max_output_chars
        total = 0
        for value in values:
            if type(value) is str:
                total += len(value)
                continue
            try:
                total += liquid_filters.measure(value, limit)
            except liquid_filters.Internal as exc:
                return _internal_problem(exc.kind)
        if total > limit:
            raise _too_large("printing a value", total, limit)
        return total

    def guard_pieces(self, pieces: tuple[Any, ...]) -> tuple[Any, ...]:
        """The operands of ``~``, measured (internal objects replaced by a problem marker)
        before they are joined."""
        limit = self.settings.max_output_chars
        total = 0
        out = list(pieces)
        for index, piece in enumerate(pieces):
            size = len(piece) if type(piece) is str else self.text_size(piece)
            if isinstance(size, str):
                out[index], size = size, len(size)
            total += size
        if total > limit:
            raise _too_large("'~'", total, limit)
        return tuple(out)

    def _printable(self, value: Any) -> Any:
        """What ``{{ }}`` may print: data. A template object, a function or a method, even
        inside a list, would put Python internals (and memory addresses) into the page:
        refused where it stands."""
        if type(value) is str:
            return value  # most of what a page prints, as finalize would leave it
        size = self.text_size(value)
        if isinstance(size, str):
            return size
        if isinstance(value, _PRINTABLE) or hasattr(value, "__html__"):
            return liquid_filters.finalize(value)
        return _internal_problem(type(value).__name__)

    def _guarded_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` measured before it runs: its value and arguments hold no internal
        object (else it gives a problem marker), and what it would make stays within the
        size limit."""
        from jinja2.utils import _PassArg

        skip = 1 if _PassArg.from_obj(function) is not None else 0
        structural = name in _STRUCTURAL_FILTERS
        limit = self.settings.max_output_chars

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self._tick()
            if len(args) > skip:
                value, rest = args[skip], args[skip + 1:]
                if name == "attr" and rest and str(rest[0]).startswith("__"):
                    return self.unsafe_undefined(value, str(rest[0]))
                if not structural and _is_iterator(value):  # map(...)|join: its items
                    value = _materialized(value)
                    args = (*args[:skip], value, *rest)
                measured = self.text_size(*rest, *kwargs.values()) if structural else \
                    self.text_size(value, *rest, *kwargs.values())
                if isinstance(measured, str):
                    return measured
                if name == "format" and isinstance(value, str):
                    printed = _printf_size(self, value, dict(kwargs) if kwargs else rest)
                    if isinstance(printed, str):
                        return printed
                made = _estimate_filter(name, value, rest, kwargs)
                if made > limit:
                    raise _too_large(f"the filter '{name}'", made, limit)
            result = function(*args, **kwargs)
            if isinstance(result, str | list | tuple) and len(result) > limit:
                raise _too_large(f"the filter '{name}'", len(result), limit)
            return result

        return guarded

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``x.key`` reads the key of a mapping before any method of that name (Liquid has
        no methods: ``site.data.menu.items`` is the key), and Liquid's ``size``, ``first``
        and ``last`` work on arrays and strings."""
        self._tick()
        if attribute.startswith("__") and not isinstance(obj, Mapping):
            return self.unsafe_undefined(obj, attribute)  # Python's internals, by any way
        if isinstance(obj, dict):  # page, site, include: what templates read most
            try:
                if attribute in obj:
                    return obj[attribute]
            except TypeError:
                pass
        elif isinstance(obj, Mapping) and not isinstance(obj, jinja2.Undefined):
            try:
                if attribute in obj:
                    return self.getitem(obj, attribute)
            except TypeError:
                pass
        value = super().getattr(obj, attribute)
        if isinstance(value, jinja2.Undefined) and attribute in ("size", "first", "last"):
            found = liquid_filters.liquid_attribute(obj, attribute)
            if found is not jinja2.utils.missing:
                return found
        return value

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._tick()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self._tick()
        limit = self.settings.max_output_chars
        numbers = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and numbers and right > 0 and abs(left) > 1 and \
                left.bit_length() * right > MAX_INT_BITS:
            raise RenderLimitError(f"a power would have more than {MAX_INT_BITS:,} bits, past "
                                   "the size limit for numbers")
        elif operator == "*" and numbers:
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise RenderLimitError(f"a product would have more than {MAX_INT_BITS:,} "
                                       "bits, past the size limit for numbers")
        elif operator == "*":
            size = max(_size(left), 1) * max(_size(right), 1)
            if size > limit:
                raise _too_large("a repetition", size, limit)
        elif operator == "+" and isinstance(left, str | list | tuple) and \
                isinstance(right, str | list | tuple):
            if len(left) + len(right) > limit:
                raise _too_large("'+'", len(left) + len(right), limit)
        elif operator == "%" and isinstance(left, str):
            made = _printf_size(self, left, right)
            if isinstance(made, str):
                return made
        return super().call_binop(context, operator, left, right)


# --- resource and repr guards -------------------------------------------------------------
#
# The output limit is looked at as chunks come out; a single operation (a filter, a method,
# an operator) could still make a value of any size before that. Each one is measured
# before it runs: what it would make, from its arguments; and what it prints may hold no
# internal object (a function inside a list prints as its address).

#: the most bits an integer made by ``*`` or ``**`` may have (Python prints at most
#: 4,300 digits)
MAX_INT_BITS = 14_000
#: the most items a count-type argument (batch, slice, lipsum) may ask for
MAX_ITEMS = 100_000
_PRINTF_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")
_SPEC_NUMBER_RE = re.compile(r"\d+")


def _too_large(what: str, size: int | str, limit: int) -> RenderLimitError:
    shown = f"{size:,}" if isinstance(size, int) else size
    return RenderLimitError(f"{what} would make about {shown} characters, past the size "
                            f"limit of {limit:,} (memory)")


def _number_text(text: str) -> int:
    return int(text) if len(text) < 12 else 10 ** 12


def _int_arg(args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str,
             default: Any) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _int_of(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return _number_text(value.strip().lstrip("-"))
    return 0


def _text_of(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _estimate_filter(name: str, value: Any, args: tuple[Any, ...],
                     kwargs: Mapping[str, Any]) -> int:
    """What filter ``name`` would make of ``value``, in characters or items, where that can
    be far more than its input; 0 for the others."""
    text = _text_of(value)
    if name == "center":
        return _int_of(_int_arg(args, kwargs, 0, "width", 80))
    if name == "indent":
        width = _int_arg(args, kwargs, 0, "width", 4)
        each = len(width) if isinstance(width, str) else _int_of(width)
        return len(text) + max(each, 0) * _lines(text)
    if name == "wordwrap":
        wrap = _int_arg(args, kwargs, 2, "wrapstring", None)
        return len(text) * (1 + len(wrap if isinstance(wrap, str) else "\n"))
    if name in ("replace", "replace_first", "replace_last"):
        old = liquid_filters.to_text(_int_arg(args, kwargs, 0, "old", ""))
        new = liquid_filters.to_text(_int_arg(args, kwargs, 1, "new", ""))
        count = text.count(old) if old else len(text) + 1
        if name != "replace":
            count = min(count, 1)
        return len(text) + count * max(0, len(new) - len(old))
    if name == "join":
        separator = _int_arg(args, kwargs, 0, "d", "")
        items = len(value) if isinstance(value, list | tuple) else 0
        return items * len(separator if isinstance(separator, str) else "")
    if name in ("batch", "slice"):
        return _int_of(_int_arg(args, kwargs, 0, "linecount" if name == "batch" else
                                "slices", 1)) * 50  # each a list: past MAX_ITEMS
    if name == "times":
        left, right = value, _int_arg(args, kwargs, 0, "operand", 0)
        if isinstance(left, int) and isinstance(right, int) and \
                left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise RenderLimitError(f"a product would have more than {MAX_INT_BITS:,} bits, "
                                   "past the size limit for numbers")
    if name == "date":
        return len(liquid_filters.to_text(_int_arg(args, kwargs, 0, "pattern", ""))) * 16
    return 0


#: filters that do not turn their whole value into text (their value is not measured)
_STRUCTURAL_FILTERS = frozenset([
    "length", "count", "size", "first", "last", "list", "sort", "dictsort", "unique",
    "reverse", "map", "select", "reject", "selectattr", "rejectattr", "groupby", "batch",
    "slice", "sum", "min", "max", "random", "items", "attr", "default", "d", "liquid_default",
    "where", "find", "group_by", "uniq", "compact", "concat", "liquid_map", "liquid_sort",
    "sort_natural", "liquid_reverse", "liquid_slice", "push", "pop", "shift", "unshift",
    "each", "abs", "int", "float", "round", "plus", "minus", "times", "divided_by", "modulo",
    "at_least", "at_most", "ceil", "floor", "liquid_round", "to_integer"])


def _printf_size(env: ElementDocsEnvironment, fmt: str, args: Any) -> int | str:
    """What ``fmt % args`` would make (or a problem marker: ``args`` holds internals)."""
    limit = env.settings.max_output_chars
    star = False
    for match in _PRINTF_RE.finditer(fmt):
        for group in match.groups():
            if group == "*":
                star = True
            elif group and _number_text(group) > limit:
                raise _too_large("a % format width", _number_text(group), limit)
    values = args if isinstance(args, tuple) else (args,)
    if star and any(isinstance(v, int) and abs(v) > limit for v in values):
        raise _too_large("a % format width", max(abs(v) for v in values
                                                  if isinstance(v, int)), limit)
    return env.text_size(fmt, args)


class _BoundedFormatter(SandboxedFormatter):
    """``str.format`` in templates: each field's width and precision held to the size
    limit, and no internal object formatted."""

    def __init__(self, env: ElementDocsEnvironment) -> None:
        super().__init__(env)
        self._guard = env
        self._made = 0

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, str]:
        from _string import formatter_field_name_split  # type: ignore[import-not-found]

        for is_attribute, part in formatter_field_name_split(field_name)[1]:
            if is_attribute and str(part).startswith("_"):
                raise SecurityError(f"access to attribute '{part}' is unsafe")
        return super().get_field(field_name, args, kwargs)

    def format_field(self, value: Any, format_spec: str) -> Any:
        limit = self._guard.settings.max_output_chars
        for number in _SPEC_NUMBER_RE.findall(format_spec):
            if _number_text(number) > limit:
                raise _too_large("a format width or precision", _number_text(number), limit)
        size = self._guard.text_size(value)
        if isinstance(size, str):
            return size  # the problem marker, in place of the internal object
        result = super().format_field(value, format_spec)
        self._made += len(result)
        if self._made > limit:
            raise _too_large("a format", self._made, limit)
        return result


def _is_iterator(value: Any) -> bool:
    return isinstance(value, Iterator) and not isinstance(value, str | jinja2.Undefined)


def _materialized(value: Iterator[Any]) -> list[Any]:
    """The items of an iterator (a filter's generator), at most MAX_ITEMS of them."""
    items = list(itertools.islice(value, MAX_ITEMS + 1))
    if len(items) > MAX_ITEMS:
        raise RenderLimitError(f"more than {MAX_ITEMS:,} items in one sequence (size limit)")
    return items


def _lipsum(env: ElementDocsEnvironment) -> Callable[..., str]:
    from jinja2.utils import generate_lorem_ipsum

    def lipsum(n: Any = 5, html: Any = True, min: Any = 20, max: Any = 100) -> str:
        words = _int_of(n) * builtins.max(_int_of(min), _int_of(max))
        if _int_of(n) > MAX_ITEMS or words * 12 > env.settings.max_output_chars:
            raise _too_large("lipsum", words * 12, env.settings.max_output_chars)
        return generate_lorem_ipsum(n, html, min, max)

    return lipsum


def _size(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value)
    if isinstance(value, str | list | tuple):
        return len(value)
    return 1


def _increment(name: str) -> int:
    """Liquid's {% increment x %}: prints the counter, then adds one (from 0)."""
    counters = _state().counters
    value = counters.get(("counter", name), 0)
    counters[("counter", name)] = value + 1
    return value


def _decrement(name: str) -> int:
    """Liquid's {% decrement x %}: subtracts one (from 0), then prints the counter."""
    counters = _state().counters
    value = counters.get(("counter", name), 0) - 1
    counters[("counter", name)] = value
    return value


def _cycle(*values: Any, group: Any = None) -> Any:
    """Liquid's {% cycle %}: the next of ``values`` each time it runs in this render."""
    if not values:
        return ""
    counters = _state().counters
    key = ("cycle", str(group) if group is not None else repr(values))
    index = counters.get(key, 0)
    counters[key] = index + 1
    return values[index % len(values)]


def _liquid_unsupported(message: str) -> str:
    found = re.search(r"'([^']+)'", message)
    return _state().problem("ED311", message, "", found.group(1) if found else "")


def _liquid_syntax_error(message: str) -> str:
    return _state().problem("ED301", message, "Liquid reads every {{ }} and {% %} as a "
                            "template: put literal braces inside {% raw %}...{% endraw %}")


def _suggest_partial(includes_dir: Path, name: str) -> str:
    import difflib

    if not includes_dir.is_dir():
        return "create includes/ and the partial in it"
    known = [p.relative_to(includes_dir).as_posix() for p in includes_dir.rglob("*")
             if p.is_file() and "_data" not in p.parts
             and not any(part.startswith(".") for part in p.relative_to(includes_dir).parts)]
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "create the partial under includes/ or correct the include path"


# --- rendering ---------------------------------------------------------------------------


class Renderer:
    """Compiles templates once and renders pages with their source map."""

    def __init__(self, settings: Settings, site: Mapping[str, Any],
                 code_store: Any = None) -> None:
        self.settings = settings
        self.env = ElementDocsEnvironment(settings)
        self.env.code_store = code_store  # compiled templates from earlier runs
        self._skeletons: dict[str, jinja2.Template] = {}
        self.site = _TrackedSite(site)
        self.site.model_keys = settings.jekyll_model_keys
        data = self.site.get("data")
        if isinstance(data, dict) and not isinstance(data, _TrackedData):
            self.site["data"] = _TrackedData(data)

    def _roots(self, page: Mapping[str, Any]) -> dict[int, str]:
        roots = {id(page): "page", id(self.site): "site"}
        data = self.site.get("data")
        if isinstance(data, dict):
            roots[id(data)] = "site.data"
            for key, value in data.items():
                roots[id(value)] = f"site.data.{key}"
        return roots

    def _skeleton(self, source: str, name: str, rel: str
                  ) -> tuple[jinja2.Template, list[str]] | None:
        """The page's tags compiled once per distinct tag structure, and its static text.

        Pages of a docs tree share their tags (an include line, a few variables) but not
        their text. Each static run becomes ``{{ _ed_s[i] }}``, so one compiled skeleton
        serves every page with the same tags; compiling per page cost more than the rest
        of rendering. None when the page does not split cleanly (then it compiles whole).
        """
        processed = self.env.preprocess(source, name, rel)
        pieces = split_template(processed)
        if pieces is None:
            return None
        key, statics = skeleton_of(pieces)
        template = self._skeletons.get(key)
        if template is None:
            if len(self._skeletons) > 512:
                self._skeletons.clear()
            try:
                code = self.env.compile(key, SKELETON_PREFIX + "page", rel)
            except jinja2.TemplateSyntaxError:
                return None  # the plain compile reports it at the right line
            template = self.env.template_class.from_code(
                self.env, code, self.env.page_globals, None)
            self._skeletons[key] = template
        return template, list(statics)

    def render(self, source: str, rel: str, first_line: int,
               page: Mapping[str, Any], extra: Mapping[str, Any] | None = None,
               fast: bool = True, marked: bool | None = None) -> RenderResult:
        """Render page text ``source`` whose first line is line ``first_line`` of ``rel``.

        The quick way (``fast``, unmarked) renders the text alone. A page with a problem
        to report is rendered again with the source-map markers, which say where each
        output line came from; a page whose problems are found later (in its examples)
        is rendered again with them when a problem asks where its line came from. The
        markers cost a sixth of a check (every output string carries them), and most
        pages have nothing to report. (Where the markers change what a template does with
        a string, see ``_aligned_origins``, the text is that of the render without them,
        for a page with nothing to report, and with them otherwise, as it always was.)"""
        if marked is None:
            marked = not fast
        state = _RenderState(deadline=time.monotonic() + self.settings.max_render_seconds,
                             plain=not fast, marked=marked)
        state.roots = self._roots(page)
        scope = liquid_filters.LiquidVars()  # Liquid's variables (assign, capture)
        state.roots[id(scope)] = ""
        token = _STATE.set(state)
        name = PAGE_PREFIX + rel
        self.env.line_offsets[name] = first_line - 1  # type: ignore[attr-defined]
        diagnostics: list[Diagnostic] = []
        chunks: list[str] = []
        failed = False
        try:
            skeleton = self._skeleton(source, name, rel) if fast else None
        except (RecursionError, MemoryError, jinja2.TemplateError):
            skeleton = None  # the plain compile below reports it, at its line
        try:
            context = {"page": page, "site": self.site, "vars": scope,
                       "_ed_page_dir": str(PurePosixPath(rel).parent), **(extra or {})}
            if skeleton is not None:
                template, statics = skeleton
                context["_ed_s"] = statics
            else:
                template = self.env.template_class.from_code(
                    self.env, self.env.compile(source, name, rel), self.env.page_globals,
                    None)
            size = 0
            for chunk in template.generate(context):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.settings.max_output_chars:
                    raise RenderLimitError(
                        f"output larger than {self.settings.max_output_chars:,} characters "
                        "(size limit)")
        except jinja2.TemplateSyntaxError as exc:
            failed = True
            diagnostics.append(self._syntax_diagnostic(exc, rel, first_line, source))
        except Exception as exc:  # noqa: BLE001 - every template error becomes a diagnostic
            failed = True
            diagnostics.append(self._runtime_diagnostic(exc, rel, first_line))
        finally:
            _STATE.reset(token)
        if failed and skeleton is not None:
            # the skeleton's own line numbers say nothing: render again the plain way
            return self.render(source, rel, first_line, page, extra, fast=False)
        if not marked:
            if failed or state.problems:  # their places are needed now
                return self.render(source, rel, first_line, page, extra, fast, marked=True)
            text = "".join(chunks)
            return RenderResult(text, SourceMap.later(lambda: self.render(
                source, rel, first_line, page, extra, fast, marked=True), text), [],
                state.partials, state.data_files)
        text, source_map, found = _apply_markers("".join(chunks), self.env, state,
                                                 self.settings)
        diagnostics = found + diagnostics
        return RenderResult(text, source_map, diagnostics, state.partials, state.data_files,
                            failed)

    # errors -------------------------------------------------------------------------------
    def _location_of(self, name: str | None, lineno: int) -> SourceLocation:
        env = self.env
        display = env.display_path(name or "", None) if name else "?"
        offset = env.line_offsets.get(name, 0)  # type: ignore[attr-defined]
        return SourceLocation(display, lineno + offset if lineno else 0,
                              1 if lineno else 0)

    def _syntax_diagnostic(self, exc: jinja2.TemplateSyntaxError, rel: str,
                           first_line: int, page_source: str = "") -> Diagnostic:
        # A syntax error in a partial surfaces when it is first included.
        # the lexer names the template by its file name: map it back to the template
        name = self.env.template_names.get(exc.filename or "", exc.name)  # type: ignore[attr-defined]
        if name and not name.startswith((PAGE_PREFIX, SKELETON_PREFIX)) and \
                name == rel:
            name = PAGE_PREFIX + rel
        exc.name = name
        location = self._location_of(exc.name, exc.lineno)
        message = _clean_marker_text(exc.message or "syntax error")
        opened = _unclosed_opener(exc.source or "", exc.lineno) if exc.lineno else None
        if opened is not None and opened[0] < exc.lineno:
            # Jinja gives up where it ran out of template; the mistake is the opener.
            line, opener = opened
            location = self._location_of(exc.name, line)
            message = (f"this '{opener}' is never closed (Jinja stopped at line "
                       f"{self._location_of(exc.name, exc.lineno).line}: {message})")
        # a partial's error surfaces where it is included: the chain of includes that led
        # to it is the traceback's template frames
        chain: tuple[SourceLocation, ...] = ()
        if exc.name and not exc.name.startswith(PAGE_PREFIX):
            names = [n for n, _ in _template_frames(exc.__traceback__, self.env)]
            if names and names[-1] == exc.name:
                names.pop()
            found = []
            for index, includer in enumerate(names):
                child = names[index + 1] if index + 1 < len(names) else exc.name
                line = self._include_line(includer, child, page_source)
                found.append(self._location_of(includer, line))
            chain = tuple(reversed(found))
        return Diagnostic("ED301", message, location,
                          "close every {% %} and {{ }}; Jekyll tags like {% include x.md %} "
                          "are supported as written", chain)

    def _include_line(self, includer: str, child: str, page_source: str) -> int:
        """The line of ``includer`` (a page or a partial) that includes ``child``."""
        if includer.startswith(PAGE_PREFIX):
            text = page_source
        else:
            try:
                text = self.env.loader.get_source(self.env, includer)[0]  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001 - the chain is a courtesy: never a crash
                return 0
        target = child[len(ROOT_PREFIX):] if child.startswith(ROOT_PREFIX) else child
        for number, line in enumerate(text.split("\n"), start=1):
            if "include" in line and target.rsplit("/", 1)[-1] in line:
                return number
        return 0

    def _runtime_diagnostic(self, exc: BaseException, rel: str, first_line: int) -> Diagnostic:
        frames = _template_frames(exc.__traceback__, self.env)
        if frames:
            name, lineno = frames[-1]
            location = self._location_of(name, lineno)
            chain = tuple(self._location_of(n, ln) for n, ln in reversed(frames[:-1]))
        else:
            location, chain = SourceLocation(rel, first_line, 1), ()
        if isinstance(exc, SecurityError) or (isinstance(exc, jinja2.UndefinedError)
                                              and "unsafe" in str(exc)):
            return Diagnostic("ED307", f"forbidden in templates: {scrub_reprs(str(exc))}",
                              location,
                              "templates may only read page, site and include values",
                              chain)
        if isinstance(exc, RecursionError):
            return Diagnostic("ED310", "rendering stopped at the recursion limit: templates, "
                              "macros or values nested too deeply", location, "", chain)
        if isinstance(exc, MemoryError):
            return Diagnostic("ED310", "rendering stopped: out of memory (memory limit)",
                              location, "", chain)
        if isinstance(exc, OverflowError) and "MAX_RANGE" in str(exc):
            return Diagnostic("ED310", "rendering stopped: a range of more than "
                              f"{jinja2.sandbox.MAX_RANGE:,} numbers (size limit)", location,
                              "", chain)
        if isinstance(exc, OverflowError):
            return Diagnostic("ED310", f"rendering stopped: a number too large ({exc}; size "
                              "limit)", location, "", chain)
        if isinstance(exc, RenderLimitError | liquid_filters.TooLarge):
            return Diagnostic("ED310", f"rendering stopped: {exc}", location, "", chain)
        if isinstance(exc, liquid_filters.Internal):
            return Diagnostic("ED307", f"forbidden in templates: a {exc.kind} object",
                              location, "", chain)
        if isinstance(exc, _RefusedTemplate):
            return Diagnostic(exc.code, exc.message or "include refused", location, "", chain)
        if isinstance(exc, jinja2.TemplateNotFound):
            return Diagnostic("ED303", f"unknown partial '{exc.name}'", location, "", chain)
        detail = scrub_reprs(_clean_marker_text(str(exc))) or type(exc).__name__
        return Diagnostic("ED309", f"{type(exc).__name__}: {detail}", location, "", chain)


_OPENERS_RE = re.compile(r"\{\{-?|\{%-?|\{#-?")
_RAW_OPEN_RE = re.compile(r"\{%(-?)\s*raw\s*(-?)%\}")
_RAW_CLOSE_RE = re.compile(r"\{%(-?)\s*endraw\s*(-?)%\}")
_STRING_RE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)


def skeleton_of(pieces: list[tuple[bool, str]]) -> tuple[str, tuple[str, ...]]:
    """A template's tags with each static run replaced by ``{{ _ed_s[i] }}``, and the runs.

    String literals inside tags become ``_ed_s[i]`` too: a page's include path and
    parameters differ from its neighbours' while its tags are the same."""
    statics: list[str] = []
    skeleton: list[str] = []

    def lift(match: re.Match[str]) -> str:
        literal = match.group(0)
        if "\\" in literal:
            return literal  # escapes: left to Jinja's own reading
        statics.append(literal[1:-1])
        return f"_ed_s[{len(statics) - 1}]"

    for is_tag, text in pieces:
        if not is_tag:
            skeleton.append(f"{{{{ _ed_s[{len(statics)}] }}}}")
            statics.append(text)
        elif text.startswith("{#"):
            skeleton.append(text)
        else:
            skeleton.append(_STRING_RE.sub(lift, text))
    return "".join(skeleton), tuple(statics)


def split_template(source: str, keep_trailing_newline: bool = True
                   ) -> list[tuple[bool, str]] | None:
    """Split preprocessed template source into (is_tag, text) pieces as Jinja's lexer would:
    tags verbatim, static text with whitespace control and raw blocks already applied.
    None for anything unusual (an unclosed tag, say): the caller compiles the whole page."""
    pieces: list[tuple[bool, str]] = []
    static: list[str] = []
    pos = 0
    strip_next = False
    length = len(source)
    while pos < length:
        match = _OPENERS_RE.search(source, pos)
        if match is None:
            static.append(source[pos:])
            break
        text = source[pos:match.start()]
        opener = match.group(0)
        raw = _RAW_OPEN_RE.match(source, match.start()) if opener.startswith("{%") else None
        if opener.endswith("-") or (raw and raw.group(1)):
            text = text.rstrip()
        if strip_next:
            text = text.lstrip() if not static else text
            strip_next = False
        static.append(text)
        if raw:
            close = _RAW_CLOSE_RE.search(source, raw.end())
            if close is None:
                return None
            inner = source[raw.end():close.start()]
            if raw.group(2):
                inner = inner.lstrip()
            if close.group(1):
                inner = inner.rstrip()
            static.append(inner)
            pos = close.end()
            strip_next = bool(close.group(2))
            if strip_next:
                rest = source[pos:]
                pos += len(rest) - len(rest.lstrip())
                strip_next = False
            continue
        closer = {"{{": "}}", "{%": "%}", "{#": "#}"}[opener[:2]]
        scan = match.end()
        while True:
            end = source.find(closer, scan)
            if end < 0:
                return None
            if closer != "#}":
                string = _string_before(source, scan, end)
                if string is not None:
                    scan = string.end()
                    continue
            break
        tag_end = end + 2
        if static:
            pieces.append((False, "".join(static)))
            static = []
        pieces.append((True, source[match.start():tag_end]))
        pos = tag_end
        if source[end - 1] == "-" and end - 1 >= match.end():
            rest = source[pos:]
            pos += len(rest) - len(rest.lstrip())
    tail = "".join(static)
    if tail.endswith("\n") and not keep_trailing_newline:
        tail = tail[:-1]  # as Jinja does with keep_trailing_newline=False
    pieces.append((False, tail))
    return [(is_tag, text) for is_tag, text in pieces if is_tag or text]


_QUOTE_RE = re.compile(r"[\"']")


def _string_before(source: str, start: int, end: int) -> re.Match[str] | None:
    """The first string literal that begins in ``source[start:end]`` (it may end later)."""
    while True:
        quote = _QUOTE_RE.search(source, start, end)
        if quote is None:
            return None
        string = _STRING_RE.match(source, quote.start())
        if string is not None:
            return string
        start = quote.start() + 1


_PRINTABLE = (str, int, float, bool, type(None), list, tuple, dict, jinja2.Undefined)


def _internal_problem(kind: str) -> str:
    """A problem marker for printing an object that is not data."""
    return _state().problem("ED307", f"forbidden in templates: printing a {kind} object",
                            "print values (page, site and include data), not template "
                            "internals, functions or methods")


def _unclosed_opener(source: str, upto: int) -> tuple[int, str] | None:
    """(line, opener) of a tag still open at line ``upto`` of ``source``, if any."""
    inside: str | None = None
    in_raw = False
    opened: tuple[int, str] | None = None
    for number, line in enumerate(_clean_marker_text(source).split("\n")[:upto],
                                  start=1):
        before = inside
        inside, in_raw = _scan_tags(line, inside, in_raw)
        if inside is not None and before is None:
            opener = {"}}": "{{", "%}": "{%", "#}": "{#"}[inside]
            opened = (number, opener)
        elif inside is None:
            opened = None
    return opened if inside is not None else None


def _template_frames(tb: TracebackType | None, env: jinja2.Environment
                     ) -> list[tuple[str, int]]:
    """(template name, line) of each template frame, outermost first."""
    frames: list[tuple[str, int]] = []
    while tb is not None:
        frame = tb.tb_frame
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            lineno = template.get_corresponding_lineno(tb.tb_lineno)
            frames.append((template.name, lineno))
        else:
            # Jinja's rewritten traceback: fake frames already at the template's own line
            name = env.template_names.get(frame.f_code.co_filename)  # type: ignore[attr-defined]
            if name is not None and not name.startswith(SKELETON_PREFIX):
                frames.append((name, tb.tb_lineno))
        tb = tb.tb_next
    return frames


_REPR_RE = re.compile(r"<(?:function|built-in|bound method|method|generator|[\w.]+ object)"
                      r"[^\n]*? at 0x[0-9a-fA-F]+>|<[^<>\n]* at 0x[0-9a-fA-F]+>"
                      r"|<(?:class|module) '[^'\n]*'[^<>\n]*>")


def scrub_reprs(text: str) -> str:
    """``text`` (an error message) without Python's reprs of internal objects, whose
    addresses and names are no business of a page."""
    return _REPR_RE.sub("[a Python object]", text)


def _clean_marker_text(text: str) -> str:
    return _STRIP_RE.sub("", text)


def _apply_markers(raw: str, env: jinja2.Environment, state: _RenderState,
                   settings: Settings) -> tuple[str, SourceMap, list[Diagnostic]]:
    """Strip the markers; return the text, its source map and the problems found."""
    files: dict[int, str] = env.source_files  # type: ignore[attr-defined]
    diagnostics: list[Diagnostic] = []
    if state.problems:  # rare: only then is the whole map needed at once

        def problem(index: int, path: str, line: int,
                    chain: tuple[SourceLocation, ...]) -> None:
            code, message, hint, needle = state.problems[index]
            severity = None
            if code == "ED302" and not settings.strict:
                severity = Severity.WARNING
            col = _column_of(settings.root / path, line, needle) if needle else 0
            diagnostics.append(Diagnostic(code, message, SourceLocation(path, line, col), hint,
                                          chain, severity))

        _origins_of(raw, files, problem)
    return _strip_markers(raw), SourceMap(raw, files), diagnostics


def _strip_markers(raw: str) -> str:
    """``raw`` without its markers: what ``_STRIP_RE.sub("", raw)`` gives for the markers
    the renderer writes, at a third of the cost. (A stray line-marker character with no
    end after it, which no page can hold, takes the rest of the text with it here.)"""
    pieces = raw.split(LINE)
    text = pieces[0] + "".join([piece.partition(END)[2] for piece in pieces[1:]])
    if PROBLEM in text:
        text = _STRIP_RE.sub("", text)
    return text.replace(PUSH, "").replace(POP, "").replace(END, "")


def _origins_of(raw: str, files: Mapping[int, str],
                problem: Callable[[int, str, int, tuple[SourceLocation, ...]], None]
                | None = None) -> list[Origin]:
    """The origin of each line of the text that ``raw`` is with its markers stripped; each
    problem marker is passed to ``problem`` with the place in effect where it stands.

    A line's origin is the place in effect where its first text was written (or where it
    ended, for a line with no text)."""
    pieces = _MARKER_SPLIT_RE.split(raw)  # text, marker, text, marker, ..., text
    origins: list[Origin] = []
    path, line = "", 0
    chain: tuple[SourceLocation, ...] = ()
    stack: list[tuple[str, int, tuple[SourceLocation, ...]]] = []
    placed = False  # the current output line has its origin
    append = origins.append
    for index, piece in enumerate(pieces):
        if not index & 1:  # text
            if not piece:
                continue
            if "\n" not in piece:
                if not placed:
                    append(Origin(path, line, chain))
                    placed = True
                continue
            parts = piece.split("\n")
            if not placed:
                append(Origin(path, line, chain))
            for _ in range(len(parts) - 2):
                line += 1
                append(Origin(path, line, chain))
            line += 1
            placed = bool(parts[-1])
            if placed:
                append(Origin(path, line, chain))
            continue
        kind = piece[0]
        if kind == LINE:
            fid, _, number = piece[1:-1].partition(":")
            path, line = files.get(int(fid), "?"), int(number)
        elif kind == PUSH:
            stack.append((path, line, chain))
            chain = (SourceLocation(path, line), *chain)
        elif kind == POP:
            if stack:
                path, line, chain = stack.pop()
        elif problem is not None:  # PROBLEM
            problem(int(piece[1:-1]), path, line, chain)
    if not placed:
        append(Origin(path, line, chain))
    return origins


def _column_of(path: Path, line: int, needle: str) -> int:
    """1-based column of ``needle`` inside a {{ }} on the given line, else of the line."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    # the start of the dotted name that ends in needle: page.x, not x
                    match = re.search(r"(?:[A-Za-z_][\w-]*\.)*" + re.escape(needle) + r"\b",
                                      text)
                    if match:
                        return match.start() + 1
                    found = text.find(needle)
                    return found + 1 if found >= 0 else 1
    except OSError:
        pass
    return 1


def load_data_files(data_dir: Path, rel: Callable[[Path], str]
                    ) -> tuple[dict[str, Any], list[Diagnostic]]:
    """``site.data``: one entry per data file (YAML; JSON and CSV/TSV too, as Jekyll reads
    them) by file stem, a subfolder's files under the subfolder's name
    (``_data/sidebars/main.yml`` is ``site.data.sidebars.main``)."""
    from generator.load.documents import parse_yaml_front_matter
    from generator.load.files import decode

    data: dict[str, Any] = {}
    diagnostics: list[Diagnostic] = []
    if not data_dir.is_dir():
        return data, diagnostics
    root = data_dir.resolve()
    for path in sorted(data_dir.rglob("*")):
        if path.suffix not in DATA_SUFFIXES or not path.is_file():
            continue
        shown = rel(path)
        if root not in path.resolve().parents:
            diagnostics.append(Diagnostic(
                "ED403", "data file is a link that leads outside includes/_data/",
                SourceLocation(shown), "copy the data into the project instead of linking it"))
            continue
        try:  # opened once, and checked on the opened file (documents.open_checked)
            text, problem = decode(read_inside(path, root)[0], shown)
        except OSError as exc:
            diagnostics.append(Diagnostic("ED403", "cannot read data file: "
                                          f"{exc.strerror or exc}", SourceLocation(shown)))
            continue
        if text is None:
            diagnostics.extend([problem] if problem else [])
            continue
        if path.suffix == ".json":  # JSON by its own rules (a tab is fine there)
            import json

            try:
                values: Any = json.loads(text)
            except ValueError as exc:
                line = getattr(exc, "lineno", 0)
                diagnostics.append(Diagnostic("ED403", f"data file is not valid JSON: "
                                              f"{getattr(exc, 'msg', exc)}",
                                              SourceLocation(shown, line)))
                continue
        elif path.suffix in (".csv", ".tsv"):
            import csv
            import io

            values = list(csv.DictReader(io.StringIO(text), delimiter=(
                "\t" if path.suffix == ".tsv" else ",")))
        else:
            values, _, problems = _parse_data(text, shown, parse_yaml_front_matter)
            diagnostics.extend(problems)
        target = data
        for folder in path.relative_to(data_dir).parts[:-1]:
            found = target.get(folder)
            if not isinstance(found, dict):
                found = target[folder] = {}
            target = found
        target[path.stem] = values
    return data, diagnostics


DATA_SUFFIXES = (".yml", ".yaml", ".json", ".csv", ".tsv")


def _parse_data(text: str, shown: str, parse: Any) -> tuple[Any, Any, list[Diagnostic]]:
    import yaml

    try:
        values, lines, problems = parse(text, shown, 1)
    except ValueError as exc:  # an integer past Python's int-string limit (4,300 digits)
        found = re.search(r"\d{4300}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else 1
        return {}, {}, [Diagnostic(
            "ED403", f"data file cannot be read: {str(exc).split(';')[0]}",
            SourceLocation(shown, line, 1), "quote very long numbers, so they are text")]
    fixed = []
    for problem in problems:
        if problem.code == "ED103":  # a data file may be a list; only mappings are checked
            try:
                return yaml.safe_load(text), {}, []
            except yaml.YAMLError:
                pass
        fixed.append(Diagnostic("ED403", problem.message, problem.location, problem.hint)
                     if problem.code == "ED101" else problem)
    return values, lines, fixed


