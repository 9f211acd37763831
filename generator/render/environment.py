"""The Jinja2 environment: Jinja's immutable sandbox, Jekyll's variables tracked as they are read,
and every operation sized before it runs.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
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

from generator.load.jekyll_site import post_url
from generator.render.codecache import CodeStore
from generator.render.includes import (
    IncludeLoader,
    IncludeRefused,
    RefusedTemplate,
    check_include_name,
    shorten,
    suggest_partial,
    unfollowable,
)
from generator.render.lexer import markers_unseen, skeleton_of, split_template, top_level_parts
from generator.render.limits import (
    MAX_INT_BITS,
    PRINTABLE,
    SPEC_NUMBER_RE,
    STRUCTURAL_FILTERS,
    bounded_lipsum,
    estimate_filter,
    int_arg,
    int_of,
    internal_problem,
    is_iterator,
    materialized,
    number_text,
    printf_size,
    too_large,
    value_size,
)
from generator.render.liquid import filters as liquid_filters
from generator.render.liquid.runtime import (
    LiquidContext,
    liquid_cycle,
    liquid_decrement,
    liquid_increment,
    liquid_syntax_error,
    liquid_unsupported,
)
from generator.render.names import PAGE_PREFIX, ROOT_PREFIX, SKELETON_PREFIX, partial_path
from generator.render.sourcemap import POP, PROBLEM, PUSH
from generator.render.state import (
    TRUSTED_LOAD,
    MarkersVisible,
    RenderLimitError,
    current_state,
    marking,
)
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


@dataclass(frozen=True, eq=False)
class IncludeFrame:
    """An include being rendered: its partial and the partial's static text, or (not
    ``ok``) the problem that kept it out, and a template that prints it."""

    ok: bool
    name: str = ""
    problem: str = ""
    names: tuple[str, ...] = ()
    template: jinja2.Template | None = None  # the partial, compiled (see _load_partial)
    statics: tuple[str, ...] = ()  # its static text, when compiled as a skeleton

    @property
    def push(self) -> str:
        """The source map's marker before the partial's text (none without one)."""
        return PUSH if self.ok else ""

    @property
    def pop(self) -> str:
        return POP if self.ok else ""


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


# a part of a template rendered in parts: its static text, or a template and its statics
Part = str | tuple[jinja2.Template, tuple[str, ...]]
# A template with more parts not compiled yet is compiled whole: each part costs about a
# millisecond to compile, and a page of thousands of distinct tags (made by a script,
# say) took 60% longer in parts than whole. Real pages have a few parts each, most of
# them shared.
NEW_PARTS_MAX = 16

_PREPROCESSED: ContextVar[bool] = ContextVar("_ed_preprocessed", default=False)


class ElementDocsEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, with budgets on calls, attribute reads and operators, and Liquid's
    filters, tests and printing (see liquid_filters)."""

    intercepted_binops = frozenset(["*", "**", "+", "%"])
    context_class = LiquidContext
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
            # Jinja's optimizer tries to fold every node of a template into a constant at
            # compile time; on real trees, where pages are each different and compiling
            # is most of a clean check, that cost more than it saved: devportal-sample
            # 1.18 -> 0.87 s, jekyll-docs 3.1 -> 2.7 s (best of 3, same report). Values
            # are then all computed when rendering, where the sandbox's budgets apply.
            optimized=False,
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
        # (name, plain, marked) -> the partial compiled, its static text, and whether no
        # template of it can see the markers (see lexer.markers_unseen)
        self._partials: dict[
            tuple[str, bool, bool], tuple[jinja2.Template, tuple[str, ...], bool]
        ] = {}
        self.skeleton_code: dict[str, Any] = {}  # skeleton source -> compiled code
        self.part_templates: dict[str, jinja2.Template] = {}  # a part's skeleton -> its template
        self.globals.update(
            _ed_enter=self._enter_include,
            _ed_problem=lambda code, message: current_state().problem(code, message),
            _ed_frame=IncludeFrame(True),
            _ed_page_dir=".",
            cycle=liquid_cycle,
            increment=liquid_increment,
            decrement=liquid_decrement,
            liquid_unsupported=liquid_unsupported,
            liquid_syntax_error=liquid_syntax_error,
            namespace=liquid_filters.BoundedNamespace,
            lipsum=bounded_lipsum(self),
            jekyll_link=self._jekyll_link,
            jekyll_post_url=self._jekyll_post_url,
        )

    # compiled code kept between runs (codecache.py) ------------------------------------
    code_store: CodeStore | None = None  # set by the Renderer's owner

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
        return self._with_baseurl(found)

    def _with_baseurl(self, url: str) -> str:
        """``url`` with the site's baseurl before it, as Jekyll 4's link and post_url tags
        give it (its relative_url)."""
        base = self.settings.site.get("baseurl")
        base = str(base).strip("/") if base is not None else ""
        return f"/{base}{url}" if base else url

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
            return self._with_baseurl(found)
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
            state = current_state()
            state.partials.add(normal)
            if state.once:  # Jinja's own import, extends or include: not looked into
                raise MarkersVisible(name)
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
            return self._kept_out(state.problem(exc.code, str(exc)))
        chain = (*frame.names, normal)
        if normal in frame.names:
            cycle = " -> ".join(chain)
            return self._kept_out(
                state.problem("ED305", f"include cycle: {cycle}", "remove one include of the cycle")
            )
        if len(chain) > self.settings.max_include_depth:
            return self._kept_out(
                state.problem(
                    "ED306",
                    f"includes nested deeper than {self.settings.max_include_depth} "
                    f"levels: {' -> '.join(chain)}",
                )
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
            return self._kept_out(state.problem(*refused))
        state.partials.add(normal)
        template, statics, unseen = self._load_partial(normal, state.plain, state.marked)
        if state.once and not unseen:
            raise MarkersVisible(normal)
        return IncludeFrame(True, normal, names=chain, template=template, statics=statics)

    _problem_template: jinja2.Template | None = None

    def _kept_out(self, problem: str) -> IncludeFrame:
        """The frame of an include that is not made: its template prints ``problem``."""
        if self._problem_template is None:
            code = self.compile("{{ _ed_frame.problem }}", SKELETON_PREFIX + "kept-out")
            self._problem_template = self.template_class.from_code(
                self, code, self.make_globals(None), None
            )
        return IncludeFrame(False, problem=problem, template=self._problem_template)

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
                f"unknown partial '{normal}' (no such file in "
                f"{self.settings.rel(self.settings.includes_dir)}/)",
                suggest_partial(self.settings.includes_dir, normal),
            )
        return None

    def _load_partial(
        self, name: str, plain: bool, marked: bool = True
    ) -> tuple[jinja2.Template, tuple[str, ...], bool]:
        """The partial compiled as a skeleton (its tags, its static text apart), so partials
        with the same tags share one compiled template, as pages do; ``plain`` compiles it
        whole, which errors need for their line numbers. And whether its templates cannot
        see the source map's markers (lexer.markers_unseen; never said of a whole one)."""
        key = (name, plain, marked)
        partials = self._partials
        found = partials.pop(key, None)
        if found is not None:
            partials[key] = found  # now the most recently used
            return found
        token = TRUSTED_LOAD.set(True)  # ``name`` was checked by _enter_include
        try:
            found = (self.get_template(name), (), False) if plain else self._skeleton_partial(name)
        finally:
            TRUSTED_LOAD.reset(token)
        if len(partials) >= PARTIALS_KEPT:  # bounded memory on big trees: drop the
            del partials[next(iter(partials))]  # partial used longest ago
        self._partials[key] = found
        return found

    def _skeleton_partial(self, name: str) -> tuple[jinja2.Template, tuple[str, ...], bool]:
        source, filename, uptodate = self.loader.get_source(self, name)  # type: ignore[union-attr]
        try:
            pieces = split_template(self.preprocess(source, name, filename))
        except (RecursionError, jinja2.TemplateError):
            pieces = None
        if pieces is None:
            return self.get_template(name), (), False  # the plain compile reports what is wrong
        composed = self.composed(pieces)
        if composed is not None:
            parts, unseen = composed
            return self.in_parts(parts, self.make_globals(None), uptodate), (), unseen
        skeleton, statics = skeleton_of(pieces)
        code = self.skeleton_code.get(skeleton)
        if code is None:
            try:  # its static text is its frame's (see JekyllSyntax._rewrite_tags)
                code = self.compile(
                    "{% set _ed_s = _ed_frame.statics %}" + skeleton,
                    SKELETON_PREFIX + name,
                    filename,
                )
            except jinja2.TemplateSyntaxError:
                return self.get_template(name), (), False
            if len(self.skeleton_code) > 512:
                self.skeleton_code.clear()
            self.skeleton_code[skeleton] = code
        template = self.template_class.from_code(self, code, self.make_globals(None), uptodate)
        return template, statics, markers_unseen(skeleton)

    # templates in parts ---------------------------------------------------------------
    def composed(self, pieces: list[tuple[bool, str]]) -> tuple[list[Part], bool] | None:
        """A template's pieces (``lexer.split_template``) as parts to render one after the
        other (``in_parts``): its top-level static text, and a template for each top-level
        tag or block, compiled once per distinct part (``lexer.top_level_parts`` says when this
        renders what the whole would). And whether no part can see the source map's markers.
        None when the template must be compiled whole.

        Real trees' pages, and their partials, differ in their tags: each is a template of
        its own, and Jinja's compile of them was the largest part of a clean check (27% of
        its time at 1,026 real-shaped pages). Their parts are few and repeat: the same
        includes, the same ``{{ page.title }}``.

        Only in a Jekyll tree, whose templates are all Liquid (see ``lexer.top_level_parts``):
        in our own Jinja content, a name that no part defines falls back to ``vars`` when
        it is read (``LiquidContext``), and reading it later than the whole template does
        could find a value that the whole would not."""
        if not self.settings.jekyll:
            return None
        split = top_level_parts(pieces)
        if split is None:
            return None
        keyed: list[str | tuple[str, tuple[str, ...]]] = []
        unseen = True  # as markers_unseen of the whole skeleton: each tag says it alone
        for item in split:
            if isinstance(item, str):
                keyed.append(item)
                continue
            skeleton = skeleton_of(item)
            unseen = unseen and markers_unseen(skeleton[0])
            if not skeleton[0].startswith("{#"):  # a comment prints nothing (trim applied)
                keyed.append(skeleton)
        new = {part[0] for part in keyed if not isinstance(part, str)} - self.part_templates.keys()
        if len(new) > NEW_PARTS_MAX:
            return None
        parts: list[Part] = []
        for part in keyed:
            if isinstance(part, str):
                parts.append(part)
                continue
            key, statics = part
            template = self.part_templates.get(key)
            if template is None:
                try:
                    code = self.compile(key, SKELETON_PREFIX + "part")
                except (jinja2.TemplateSyntaxError, SyntaxError):
                    # compiled whole, the template reports it as it always did (a
                    # SyntaxError: Jinja let a break outside a loop through to Python)
                    return None
                template = self.template_class.from_code(self, code, self.page_globals, None)
                if len(self.part_templates) > 2048:
                    self.part_templates.clear()
                self.part_templates[key] = template
            parts.append((template, statics))
        return parts, unseen

    def in_parts(
        self, parts: list[Part], globals: MutableMapping[str, Any], uptodate: Any
    ) -> jinja2.Template:
        """A template (of a page or a partial) whose render is that of ``parts`` (see
        ``composed``) one after the other in its one context: what the whole template
        would give, chunk for chunk (static text costs a call, as ``{{ }}`` did). Made
        from an empty template, whose root function it replaces: rendered and included
        as any template is."""
        tick = self._tick

        def root(context: jinja2.runtime.Context, *unused: Any) -> Iterator[str]:
            for part in parts:
                if isinstance(part, str):
                    tick()
                    yield part
                else:
                    template, statics = part
                    context.vars["_ed_s"] = statics
                    yield from template.root_render_func(context)

        template = self.template_class.from_code(self, self._shell_code, globals, uptodate)
        template.root_render_func = root
        return template

    @cached_property
    def _shell_code(self) -> Any:
        return self.compile("", SKELETON_PREFIX + "parts")

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
            args = tuple(materialized(a) if is_iterator(a) else a for a in args)
            self._check_method(owner, getattr(__obj, "__name__", ""), args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if (
            isinstance(result, str | bytes | list | tuple)
            and len(result) > self.settings.max_output_chars
        ):
            raise too_large(
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
            raise too_large(f"'{name}'", max(numbers), limit)
        if isinstance(owner, int):
            return
        size = len(owner)
        if name == "expandtabs":
            width = int_of(int_arg(args, kwargs, 0, "tabsize", 8))
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
            raise too_large(f"'{name}'", size, limit)

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
                return internal_problem(exc.kind)
        if total > limit:
            raise too_large("printing a value", total, limit)
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
            raise too_large("'~'", total, limit)
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
        if isinstance(value, PRINTABLE) or hasattr(value, "__html__"):
            return liquid_filters.finalize(value)
        if isinstance(value, _dt.date) and self.settings.jekyll:  # a post's date: data
            return liquid_filters.time_text(value)
        return internal_problem(type(value).__name__)

    def _guarded_filter(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` measured before it runs: its value and arguments hold no internal
        object (else it gives a problem marker), and what it would make stays within the
        size limit."""
        from jinja2.utils import _PassArg

        skip = 1 if _PassArg.from_obj(function) is not None else 0
        structural = name in STRUCTURAL_FILTERS
        limit = self.settings.max_output_chars

        @functools.wraps(function)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            self._tick()
            if len(args) > skip:
                value, rest = args[skip], args[skip + 1 :]
                if name == "attr" and rest and str(rest[0]).startswith("__"):
                    return self.unsafe_undefined(value, str(rest[0]))
                if not structural and is_iterator(value):  # map(...)|join: its items
                    value = materialized(value)
                    args = (*args[:skip], value, *rest)
                measured = (
                    self.text_size(*rest, *kwargs.values())
                    if structural
                    else self.text_size(value, *rest, *kwargs.values())
                )
                if isinstance(measured, str):
                    return measured
                if name == "format" and isinstance(value, str):
                    printed = printf_size(self, value, dict(kwargs) if kwargs else rest)
                    if isinstance(printed, str):
                        return printed
                made = estimate_filter(name, value, rest, kwargs)
                if made > limit:
                    raise too_large(f"the filter '{name}'", made, limit)
            result = function(*args, **kwargs)
            if isinstance(result, str | list | tuple) and len(result) > limit:
                raise too_large(f"the filter '{name}'", len(result), limit)
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
            size = max(value_size(left), 1) * max(value_size(right), 1)
            if size > limit:
                raise too_large("a repetition", size, limit)
        elif (
            operator == "+"
            and isinstance(left, str | list | tuple)
            and isinstance(right, str | list | tuple)
        ):
            if len(left) + len(right) > limit:
                raise too_large("'+'", len(left) + len(right), limit)
        elif operator == "%" and isinstance(left, str):
            made = printf_size(self, left, right)
            if isinstance(made, str):
                return made
        return super().call_binop(context, operator, left, right)


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
        for number in SPEC_NUMBER_RE.findall(format_spec):
            if number_text(number) > limit:
                raise too_large("a format width or precision", number_text(number), limit)
        size = self._guard.text_size(value)
        if isinstance(size, str):
            return size  # the problem marker, in place of the internal object
        result = super().format_field(value, format_spec)
        self._made += len(result)
        if self._made > limit:
            raise too_large("a format", self._made, limit)
        return result
