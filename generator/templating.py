"""Render stage: Jekyll-style partials expanded by Jinja2, with a source map.

How the source map works: before Jinja lexes a template, every source line that starts
outside a tag gets an invisible *line marker* (file id and line). Each include is wrapped in
*push*/*pop* markers. Rendering carries the markers through to the output, where one pass
strips them and records, for every output line, the file:line it came from and the chain of
includes that led there. Undefined variables and refused includes render as *problem
markers*, so one render reports all of them at the exact place they appear.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path, PurePosixPath
from stat import S_ISREG
from types import TracebackType
from typing import Any, NamedTuple

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment

from . import liquid_filters
from .errors import Diagnostic, Severity, SourceLocation
from .jekyll_site import post_url
from .liquid import translate
from .settings import Settings

LINE, END, PUSH, POP, PROBLEM = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004"
_MARKER_SPLIT_RE = re.compile(f"([{LINE}{PROBLEM}][^{END}]*{END}|[{PUSH}{POP}])")
_STRIP_RE = re.compile(f"[{LINE}{PROBLEM}][^{END}]*{END}|[{PUSH}{POP}{END}]")
PAGE_PREFIX = "@page/"
SKELETON_PREFIX = "@skeleton/"
ROOT_PREFIX = "@root/"  # include_relative: a file of the tree, by its path from the root


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

    def problem(self, code: str, message: str, hint: str = "", needle: str = "") -> str:
        self.problems.append((code, message, hint, needle))
        return f"{PROBLEM}{len(self.problems) - 1}{END}"


_STATE: ContextVar[_RenderState | None] = ContextVar("element_docs_render_state", default=None)


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
        if "unsafe" in hint:  # the sandbox's placeholder for a forbidden attribute
            return _state().problem("ED307", f"forbidden in templates: {hint}",
                                    "templates may only read page, site and include values",
                                    self._undefined_name or "")
        return _state().problem("ED302", self._describe(), "", self._undefined_name or "")

    def _describe(self) -> str:
        name = self._undefined_name
        owner = self._undefined_obj
        if owner is not jinja2.utils.missing:
            where = _state().roots.get(id(owner))
            if where == "":  # vars: a Liquid variable, shown by its own name
                return f"'{name}' is undefined"
            if where:
                return f"'{where}.{name}' is undefined"
            return f"'{name}' is undefined (the value has no such key)"
        return f"'{name}' is undefined" if name else "undefined value"

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0


class _TrackedSite(dict[str, Any]):
    """``site``: records reads of the generated catalog (site.elements, site.hubs)."""

    def __getitem__(self, key: str) -> Any:
        if key in ("elements", "hubs"):
            _state().data_files.add("@catalog")
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key in ("elements", "hubs"):
            _state().data_files.add("@catalog")
        return super().get(key, default)


class _TrackedData(dict[str, Any]):
    """``site.data``: records which data files a page reads (for dependency tracking)."""

    def __getitem__(self, key: str) -> Any:
        _state().data_files.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        _state().data_files.add(key)
        return super().get(key, default)


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
        raise IncludeRefused("ED304", f"include path '{name}' is not a path inside {inside}")
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts:
        raise IncludeRefused("ED304", f"include path '{name}' leaves {inside}")
    return posix.as_posix()


def partial_path(settings: Settings, name: str) -> Path:
    """The file of a partial as recorded in ``RenderResult.partials``."""
    if name.startswith(ROOT_PREFIX):
        return settings.root / name[len(ROOT_PREFIX):]
    return settings.includes_dir / name


class IncludeLoader(jinja2.BaseLoader):
    """Partials from includes/ only, and (include_relative) files of the project by their
    path from its root; symlinks that lead outside either are refused."""

    def __init__(self, includes_dir: Path, root: Path | None = None) -> None:
        self.includes_dir = includes_dir
        self._root = includes_dir.resolve()
        self.project_root = root or includes_dir
        self._project = self.project_root.resolve()

    def resolve(self, name: str) -> Path:
        if name.startswith(ROOT_PREFIX):
            rest = name[len(ROOT_PREFIX):]
            path = (self.project_root / check_include_name(rest, "the project")).resolve()
            if path != self._project and self._project not in path.parents:
                raise IncludeRefused("ED304", f"include_relative '{rest}' resolves outside "
                                              "the project")
            return path
        path = (self.includes_dir / check_include_name(name)).resolve()
        if path != self._root and self._root not in path.parents:
            raise IncludeRefused("ED304", f"include '{name}' resolves outside includes/")
        return path

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        try:
            path = self.resolve(template)
        except IncludeRefused as exc:
            raise jinja2.TemplateNotFound(template, str(exc)) from None
        try:
            info = path.stat()
            if not S_ISREG(info.st_mode):
                raise jinja2.TemplateNotFound(template, "not a regular file")
            raw = path.read_bytes()
            mtime = info.st_mtime
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
        value = super().resolve_or_missing(key)
        if value is jinja2.utils.missing and key != "vars":
            scope = super().resolve_or_missing("vars")
            if isinstance(scope, liquid_filters.LiquidVars):
                return liquid_filters.lookup_var(scope, key)
        return value


PARTIALS_KEPT = 2000  # compiled partials kept per build (a partial is ~10 KB of text)


class ElementDocsEnvironment(SandboxedEnvironment):
    """Jinja's sandbox, with budgets on calls, attribute reads and operators, and Liquid's
    filters, tests and printing (see liquid_filters)."""

    intercepted_binops = frozenset(["*", "**"])
    context_class = _LiquidContext

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__(
            loader=IncludeLoader(settings.includes_dir, settings.root),
            undefined=ReportingUndefined,
            extensions=[JekyllSyntax, "jinja2.ext.loopcontrols"],
            autoescape=False,
            keep_trailing_newline=True,  # as Jekyll: an included file keeps its last newline
            auto_reload=True,
            cache_size=400,  # compiled partials: bounded, so memory does not grow with them
            finalize=_printable,
        )
        self.filters.update(liquid_filters.FILTERS)
        self.tests.update(liquid_filters.TESTS)
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
            jekyll_link=self._jekyll_link,
            jekyll_post_url=self._jekyll_post_url,
        )

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
        templates compiled with the markers apart from those compiled without."""
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
            self._entries[key] = self._refusal(normal, page_dir)
        refused = self._entries[key]
        if refused is not None:
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
        found = (self.get_template(name), ()) if plain else self._skeleton_partial(name)
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
                f"rendering took longer than {self.settings.max_render_seconds:g} s")

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        self._tick()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``x.key`` reads the key of a mapping before any method of that name (Liquid has
        no methods: ``site.data.menu.items`` is the key), and Liquid's ``size``, ``first``
        and ``last`` work on arrays and strings."""
        self._tick()
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
        if operator == "**" and isinstance(right, int) and right > 64:
            raise RenderLimitError("exponent too large")
        if operator == "*":
            size = max(_size(left), 1) * max(_size(right), 1)
            if size > self.settings.max_output_chars:
                raise RenderLimitError("a repetition would exceed the output size limit")
        return super().call_binop(context, operator, left, right)


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
             if p.is_file() and "_data" not in p.parts]
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "create the partial under includes/ or correct the include path"


# --- rendering ---------------------------------------------------------------------------


class Renderer:
    """Compiles templates once and renders pages with their source map."""

    def __init__(self, settings: Settings, site: Mapping[str, Any]) -> None:
        self.settings = settings
        self.env = ElementDocsEnvironment(settings)
        self._skeletons: dict[str, jinja2.Template] = {}
        self.site = _TrackedSite(site)
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
                        f"output larger than {self.settings.max_output_chars:,} characters")
        except jinja2.TemplateSyntaxError as exc:
            failed = True
            diagnostics.append(self._syntax_diagnostic(exc, rel, first_line))
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
                           first_line: int) -> Diagnostic:
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
        return Diagnostic("ED301", message, location,
                          "close every {% %} and {{ }}; Jekyll tags like {% include x.md %} "
                          "are supported as written")

    def _runtime_diagnostic(self, exc: BaseException, rel: str, first_line: int) -> Diagnostic:
        frames = _template_frames(exc.__traceback__, self.env)
        if frames:
            name, lineno = frames[-1]
            location = self._location_of(name, lineno)
            chain = tuple(self._location_of(n, ln) for n, ln in reversed(frames[:-1]))
        else:
            location, chain = SourceLocation(rel, first_line, 1), ()
        if isinstance(exc, SecurityError):
            return Diagnostic("ED307", f"forbidden in templates: {exc}", location,
                              "templates may only read page, site and include values",
                              chain)
        if isinstance(exc, RenderLimitError | RecursionError | MemoryError | OverflowError):
            what = str(exc) or "too much recursion"
            return Diagnostic("ED310", f"rendering stopped: {what}", location, "", chain)
        if isinstance(exc, jinja2.TemplateNotFound):
            return Diagnostic("ED303", f"unknown partial '{exc.name}'", location, "", chain)
        detail = _clean_marker_text(str(exc)) or type(exc).__name__
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


def _printable(value: Any) -> Any:
    """What ``{{ }}`` may print: data. A template object, a function or a method would put
    Python internals (and memory addresses) into the page: refused where it stands."""
    if type(value) is str:
        return value  # most of what a page prints, as finalize would leave it
    if isinstance(value, _PRINTABLE) or hasattr(value, "__html__"):
        return liquid_filters.finalize(value)
    kind = type(value).__name__
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
    from .documents import decode, parse_yaml_front_matter

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
        try:
            text, problem = decode(path.read_bytes(), shown)
        except OSError as exc:
            diagnostics.append(Diagnostic("ED403", f"cannot read data file: {exc.strerror}",
                                          SourceLocation(shown)))
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

    values, lines, problems = parse(text, shown, 1)
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


