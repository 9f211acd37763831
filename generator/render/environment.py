"""The Jinja2 environment: Jinja's immutable sandbox, Jekyll's variables tracked as they are read,
and every operation sized before it runs.
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
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedFormatter

from generator.jekyll.site import post_url
from generator.render.includes import (
    PAGE_PREFIX,
    ROOT_PREFIX,
    SKELETON_PREFIX,
    IncludeLoader,
    IncludeRefused,
    RefusedTemplate,
    check_include_name,
    partial_path,
    shorten,
    suggest_partial,
    unfollowable,
)
from generator.render.lexer import skeleton_of, split_template
from generator.render.liquid import filters as liquid_filters
from generator.render.sourcemap import ALL_DATA, PROBLEM, SITE_MODEL
from generator.render.state import TRUSTED_LOAD, RenderLimitError, current_state, marking
from generator.render.syntax import BLOCKED_PREFIX, JekyllSyntax
from generator.settings import Settings


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
            original = name[len(BLOCKED_PREFIX) :]
            return current_state().problem(
                "ED307",
                f"forbidden in templates: '{original}' is internal to the generator",
                "templates may only read page, site and include values",
                original,
            )
        if "unsafe" in hint:  # the sandbox's placeholder for a forbidden attribute
            return current_state().problem(
                "ED307",
                f"forbidden in templates: {hint}",
                "templates may only read page, site and include values",
                self._undefined_name or "",
            )
        return current_state().problem(
            "ED302", self._describe(), self._suggest(), self._undefined_name or ""
        )

    def _suggest(self) -> str:
        """ "did you mean page.elementKey?" when the name misspells a key the value has."""
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
        where = current_state().roots.get(id(owner))
        return f"did you mean {where}.{meant}?" if where else f"did you mean '{meant}'?"

    def _describe(self) -> str:
        name: Any = self._undefined_name
        owner = self._undefined_obj
        if isinstance(name, jinja2.Undefined):
            name = "[an undefined value]"
        elif name is not None and not isinstance(name, str | int):
            name = f"[a {type(name).__name__} value]"  # a key that is no name: not shown
        elif isinstance(name, str):
            name = "[a refused value]" if PROBLEM in name else shorten(name, 80)
        if owner is not jinja2.utils.missing:
            where = current_state().roots.get(id(owner))
            if where == "":  # vars: a Liquid variable, shown by its own name
                return f"'{name}' is undefined"
            if where:
                return f"'{where}.{name}' is undefined"
            if isinstance(name, int) and isinstance(owner, list | tuple | str):
                return (
                    f"item {name} does not exist (the list has {len(owner)} "
                    f"item{'s' if len(owner) != 1 else ''})"
                )
            return f"'{name}' is undefined (the value has no such key)"
        return f"'{name}' is undefined" if name else "undefined value"

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0


class TrackedSite(dict[str, Any]):
    """``site``: records reads of the generated catalog (site.elements, site.hubs) and of
    a Jekyll tree's site model (``model_keys``: site.pages, site.posts..., recorded as
    ``@site:KEY``). A template that uses ``site`` whole (prints it, passes it on) is found
    in its source instead: see ``reads_whole_site``."""

    model_keys: frozenset[str] = frozenset()

    def _record(self, key: Any) -> None:
        if key in ("elements", "hubs"):
            current_state().data_files.add("@catalog")
        elif key in self.model_keys:
            current_state().data_files.add(SITE_MODEL + key)

    def __getitem__(self, key: str) -> Any:
        self._record(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._record(key)
        return super().get(key, default)


_TEMPLATE_TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


# ``site`` not followed by ``.name`` or ``[``: used whole (printed, filtered, passed on), or
# through a dict method that reads every value
_WHOLE_SITE_RE = re.compile(
    r"(?<![\w.])site\b(?!\s*(?:\.\s*(?!(?:items|values|keys|copy|__\w*)\b)[A-Za-z_]|\[))"
)


def reads_whole_site(source: str) -> bool:
    """True when a tag of the template ``source`` may read ``site`` whole."""
    return any(_WHOLE_SITE_RE.search(tag.group()) for tag in _TEMPLATE_TAG_RE.finditer(source))


class TrackedData(dict[str, Any]):
    """``site.data``: records which data files a page reads (for dependency tracking)."""

    def __getitem__(self, key: str) -> Any:
        if isinstance(key, str):  # (a key of another kind names no data file)
            current_state().data_files.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if isinstance(key, str):
            current_state().data_files.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):  # asked for, present or not: a dependency either way
            current_state().data_files.add(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        current_state().data_files.add(ALL_DATA)  # every file's name: a file added counts too
        return super().__iter__()


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
            original = key[len(BLOCKED_PREFIX) :]
            return self.environment.undefined(
                hint=f"'{original}' is internal to the generator (unsafe for templates)",
                name=original,
            )
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
        self.filters = {
            name: self._guarded_filter(name, function) for name, function in self.filters.items()
        }
        # see _load_template
        self._unmarked_cache: MutableMapping[Any, jinja2.Template] = jinja2.utils.LRUCache(400)  # type: ignore[assignment]
        # One environment serves one build: what an include name resolves to, and the
        # compiled partials, are looked up once, not once per page.
        self._entries: dict[tuple[str, str | None], tuple[str, str, str] | None] = {}
        self._partials: dict[tuple[str, bool, bool], tuple[jinja2.Template, tuple[str, ...]]] = {}
        self.skeleton_code: dict[str, Any] = {}  # skeleton source -> compiled code
        self.globals.update(
            _ed_enter=self._enter_include,
            _ed_problem=lambda code, message: current_state().problem(code, message),
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
            self._made = repr(
                (
                    type(self).__module__,
                    type(self).__qualname__,
                    self.sandboxed,
                    sorted(self.intercepted_binops),
                    sorted(self.intercepted_unops),
                    [type(e).__qualname__ for e in self.extensions.values()],
                    sorted(self.filters),
                    sorted(self.tests),
                    self.autoescape,
                    self.keep_trailing_newline,
                    self.optimized,
                    self.newline_sequence,
                    self.block_start_string,
                    self.variable_start_string,
                )
            )
        return self._made

    def compile(
        self,
        source: Any,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
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

    def preprocess(self, source: str, name: str | None = None, filename: str | None = None) -> str:
        if _PREPROCESSED.get():
            return source  # compile above preprocessed it already
        return super().preprocess(source, name, filename)

    def _jekyll_link(self, path: Any) -> str:
        """``{% link path %}``: the URL of a page, document or file by its source path."""
        wanted = str(path).strip().lstrip("/")
        urls = self.settings.jekyll_urls
        if not self.settings.jekyll:
            return current_state().problem(
                "ED321",
                f"{{% link {wanted} %}} needs the Jekyll tree the page came from",
                "",
                "link",
            )
        found = urls.get(wanted)
        if found is None:
            return current_state().problem(
                "ED320",
                f"{{% link {wanted} %}}: no such page or file "
                "in the site (Jekyll stops the build here)",
                "give the path from the site's root with its extension",
                "link",
            )
        return found

    def _jekyll_post_url(self, name: Any) -> str:
        """``{% post_url name %}``: the URL of the post ``name`` (its file name without
        extension, possibly under a folder)."""
        wanted = str(name).strip().lstrip("/")
        if not self.settings.jekyll:
            return current_state().problem(
                "ED321",
                f"{{% post_url {wanted} %}} needs the Jekyll tree the page came from",
                "",
                "post_url",
            )
        found = post_url(self.settings.jekyll_items, wanted)
        if found is not None:
            return found
        return current_state().problem(
            "ED320",
            f"{{% post_url {wanted} %}}: no post of that name (Jekyll stops the build here)",
            "name the post's file without its extension",
            "post_url",
        )

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
        if not TRUSTED_LOAD.get():
            try:
                normal = check_include_name(name)
            except IncludeRefused as exc:
                raise RefusedTemplate(name, exc) from None
            current_state().partials.add(normal)
        if marking():
            return super()._load_template(name, globals)
        with_markers, self.cache = self.cache, self._unmarked_cache
        try:
            return super()._load_template(name, globals)
        finally:
            self.cache = with_markers

    def display_path(self, name: str, filename: str | None) -> str:
        if name.startswith(PAGE_PREFIX):
            return name[len(PAGE_PREFIX) :]
        if name.startswith(ROOT_PREFIX):
            return name[len(ROOT_PREFIX) :]
        return self.settings.rel(self.settings.includes_dir / name)

    def _enter_include(
        self, frame: IncludeFrame, name: Any, page_dir: str | None = None
    ) -> IncludeFrame:
        """The frame of an include, or why it cannot be entered. ``page_dir`` is given
        for include_relative: the path is then relative to the page's folder."""
        state = current_state()
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
            return IncludeFrame(
                False,
                problem=state.problem(
                    "ED305", f"include cycle: {cycle}", "remove one include of the cycle"
                ),
            )
        if len(chain) > self.settings.max_include_depth:
            return IncludeFrame(
                False,
                problem=state.problem(
                    "ED306",
                    f"includes nested deeper than {self.settings.max_include_depth} "
                    f"levels: {' -> '.join(chain)}",
                ),
            )
        key = (normal, page_dir)
        if key not in self._entries:
            try:
                self._entries[key] = self._refusal(normal, page_dir)
            except (OSError, RuntimeError) as exc:  # a name too long, a loop of links
                self._entries[key] = (*unfollowable(normal, exc), "")
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
            return (
                "ED303",
                f"partial '{normal}' is not a regular file",
                "a partial is a "
                "text file under includes/; folders, pipes and devices cannot be included",
            )
        if not candidate.is_file() and page_dir is not None:
            return (
                "ED303",
                f"include_relative: no such file '{normal[len(ROOT_PREFIX) :]}'",
                f"the path is relative to the page's folder ({page_dir}/)",
            )
        if not candidate.is_file():
            return (
                "ED303",
                f"unknown partial '{normal}' (no such file in includes/)",
                suggest_partial(self.settings.includes_dir, normal),
            )
        return None

    def _load_partial(
        self, name: str, plain: bool, marked: bool = True
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
        token = TRUSTED_LOAD.set(True)  # ``name`` was checked by _enter_include
        try:
            found = (self.get_template(name), ()) if plain else self._skeleton_partial(name)
        finally:
            TRUSTED_LOAD.reset(token)
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
        state = current_state()
        state.calls += 1
        if state.calls % 256 == 0 and time.monotonic() > state.deadline:
            raise RenderLimitError(
                f"rendering took longer than {self.settings.max_render_seconds:g} s (time limit)"
            )

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        self._tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str | bytes | int) and not isinstance(owner, bool):
            args = tuple(_materialized(a) if _is_iterator(a) else a for a in args)
            self._check_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if (
            isinstance(result, str | bytes | list | tuple)
            and len(result) > self.settings.max_output_chars
        ):
            raise _too_large(
                f"calling {getattr(__obj, '__name__', 'a function')}",
                len(result),
                self.settings.max_output_chars,
            )
        return result

    def _check_method(
        self, owner: Any, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> None:
        """Refuse a method of a string or number that would make more than the size limit
        (``'x'.ljust(10**9)``, ``(1).to_bytes(10**9)``) before it runs."""
        limit = self.settings.max_output_chars
        numbers = [
            abs(v)
            for v in (*args, *kwargs.values())
            if isinstance(v, int) and not isinstance(v, bool)
        ]
        if numbers and max(numbers) > limit:
            raise _too_large(f"'{name}'", max(numbers), limit)
        if isinstance(owner, int):
            return
        size = len(owner)
        if name == "expandtabs":
            width = _int_of(_int_arg(args, kwargs, 0, "tabsize", 8))
            size += owner.count("\t" if isinstance(owner, str) else b"\t") * width
        elif (
            name == "replace"
            and len(args) >= 2
            and all(isinstance(a, type(owner)) for a in args[:2])
        ):
            old, new = args[0], args[1]
            count = owner.count(old) if old else size + 1
            size += count * max(0, len(new) - len(old))
        elif name in ("replace", "translate", "join"):
            measured = self.text_size(*args, *kwargs.values())
            if isinstance(measured, str):
                raise SecurityError(f"'{name}' given an internal object")
            size = (
                size * (1 + measured)
                if name != "join"
                else size * len(args[0] if args and hasattr(args[0], "__len__") else ()) + measured
            )
        if size > limit:
            raise _too_large(f"'{name}'", size, limit)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """Jinja's own wrapper of ``str.format``, with the bounded formatter."""
        if (
            not isinstance(value, types.MethodType | types.BuiltinMethodType)
            or value.__name__ not in ("format", "format_map")
            or not isinstance(value.__self__, str)
        ):
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
                value, rest = args[skip], args[skip + 1 :]
                if name == "attr" and rest and str(rest[0]).startswith("__"):
                    return self.unsafe_undefined(value, str(rest[0]))
                if not structural and _is_iterator(value):  # map(...)|join: its items
                    value = _materialized(value)
                    args = (*args[:skip], value, *rest)
                measured = (
                    self.text_size(*rest, *kwargs.values())
                    if structural
                    else self.text_size(value, *rest, *kwargs.values())
                )
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
        if (
            operator == "**"
            and numbers
            and right > 0
            and abs(left) > 1
            and left.bit_length() * right > MAX_INT_BITS
        ):
            raise RenderLimitError(
                f"a power would have more than {MAX_INT_BITS:,} bits, past "
                "the size limit for numbers"
            )
        elif operator == "*" and numbers:
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise RenderLimitError(
                    f"a product would have more than {MAX_INT_BITS:,} "
                    "bits, past the size limit for numbers"
                )
        elif operator == "*":
            size = max(_size(left), 1) * max(_size(right), 1)
            if size > limit:
                raise _too_large("a repetition", size, limit)
        elif (
            operator == "+"
            and isinstance(left, str | list | tuple)
            and isinstance(right, str | list | tuple)
        ):
            if len(left) + len(right) > limit:
                raise _too_large("'+'", len(left) + len(right), limit)
        elif operator == "%" and isinstance(left, str):
            made = _printf_size(self, left, right)
            if isinstance(made, str):
                return made
        return super().call_binop(context, operator, left, right)


#: the most bits an integer made by ``*`` or ``**`` may have (Python prints at most
#: 4,300 digits)
# Resource and repr guards.
#
# The output limit is looked at as chunks come out; a single operation (a filter, a method,
# an operator) could still make a value of any size before that. Each one is measured
# before it runs: what it would make, from its arguments; and what it prints may hold no
# internal object (a function inside a list prints as its address).
MAX_INT_BITS = 14_000


#: the most items a count-type argument (batch, slice, lipsum) may ask for
MAX_ITEMS = 100_000


_PRINTF_RE = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


_SPEC_NUMBER_RE = re.compile(r"\d+")


def _too_large(what: str, size: int | str, limit: int) -> RenderLimitError:
    shown = f"{size:,}" if isinstance(size, int) else size
    return RenderLimitError(
        f"{what} would make about {shown} characters, past the size limit of {limit:,} (memory)"
    )


def _number_text(text: str) -> int:
    return int(text) if len(text) < 12 else 10**12


def _int_arg(
    args: tuple[Any, ...], kwargs: Mapping[str, Any], index: int, name: str, default: Any
) -> Any:
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


def _estimate_filter(
    name: str, value: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> int:
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
        return (
            _int_of(_int_arg(args, kwargs, 0, "linecount" if name == "batch" else "slices", 1)) * 50
        )  # each a list: past MAX_ITEMS
    if name == "times":
        left, right = value, _int_arg(args, kwargs, 0, "operand", 0)
        if (
            isinstance(left, int)
            and isinstance(right, int)
            and left.bit_length() + right.bit_length() > MAX_INT_BITS
        ):
            raise RenderLimitError(
                f"a product would have more than {MAX_INT_BITS:,} bits, "
                "past the size limit for numbers"
            )
    if name == "date":
        return len(liquid_filters.to_text(_int_arg(args, kwargs, 0, "pattern", ""))) * 16
    return 0


#: filters that do not turn their whole value into text (their value is not measured)
_STRUCTURAL_FILTERS = frozenset(
    [
        "length",
        "count",
        "size",
        "first",
        "last",
        "list",
        "sort",
        "dictsort",
        "unique",
        "reverse",
        "map",
        "select",
        "reject",
        "selectattr",
        "rejectattr",
        "groupby",
        "batch",
        "slice",
        "sum",
        "min",
        "max",
        "random",
        "items",
        "attr",
        "default",
        "d",
        "liquid_default",
        "where",
        "find",
        "group_by",
        "uniq",
        "compact",
        "concat",
        "liquid_map",
        "liquid_sort",
        "sort_natural",
        "liquid_reverse",
        "liquid_slice",
        "push",
        "pop",
        "shift",
        "unshift",
        "each",
        "abs",
        "int",
        "float",
        "round",
        "plus",
        "minus",
        "times",
        "divided_by",
        "modulo",
        "at_least",
        "at_most",
        "ceil",
        "floor",
        "liquid_round",
        "to_integer",
    ]
)


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
        raise _too_large(
            "a % format width", max(abs(v) for v in values if isinstance(v, int)), limit
        )
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
    counters = current_state().counters
    value = counters.get(("counter", name), 0)
    counters[("counter", name)] = value + 1
    return value


def _decrement(name: str) -> int:
    """Liquid's {% decrement x %}: subtracts one (from 0), then prints the counter."""
    counters = current_state().counters
    value = counters.get(("counter", name), 0) - 1
    counters[("counter", name)] = value
    return value


def _cycle(*values: Any, group: Any = None) -> Any:
    """Liquid's {% cycle %}: the next of ``values`` each time it runs in this render."""
    if not values:
        return ""
    counters = current_state().counters
    key = ("cycle", str(group) if group is not None else repr(values))
    index = counters.get(key, 0)
    counters[key] = index + 1
    return values[index % len(values)]


def _liquid_unsupported(message: str) -> str:
    found = re.search(r"'([^']+)'", message)
    return current_state().problem("ED311", message, "", found.group(1) if found else "")


def _liquid_syntax_error(message: str) -> str:
    return current_state().problem(
        "ED301",
        message,
        "Liquid reads every {{ }} and {% %} as a "
        "template: put literal braces inside {% raw %}...{% endraw %}",
    )


_PRINTABLE = (str, int, float, bool, type(None), list, tuple, dict, jinja2.Undefined)


def _internal_problem(kind: str) -> str:
    """A problem marker for printing an object that is not data."""
    return current_state().problem(
        "ED307",
        f"forbidden in templates: printing a {kind} object",
        "print values (page, site and include data), not template internals, functions or methods",
    )
