"""Render stage: a page and the partials it includes, rendered in the sandboxed environment
(``environment.py``); the output's line markers read back into its source map
(``sourcemap.py``); a template's error turned into a diagnostic at the line it came from.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from pathlib import PurePosixPath
from types import TracebackType
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes
from jinja2.exceptions import SecurityError

from generator.errors import Diagnostic, Severity, SourceLocation
from generator.render.codecache import CodeStore
from generator.render.environment import ElementDocsEnvironment
from generator.render.includes import RefusedTemplate
from generator.render.lexer import markers_unseen, skeleton_of, split_template, unclosed_opener
from generator.render.liquid import filters as liquid_filters
from generator.render.names import PAGE_PREFIX, ROOT_PREFIX, SKELETON_PREFIX
from generator.render.sourcemap import (
    RenderResult,
    SourceMap,
    clean_marker_text,
    column_of,
    origins_of,
    strip_markers,
)
from generator.render.state import RENDER_STATE, MarkersVisible, RenderLimitError, RenderState
from generator.render.tracking import TrackedData, TrackedSite
from generator.settings import Settings


class Renderer:
    """Compiles templates once and renders pages with their source map."""

    def __init__(
        self, settings: Settings, site: Mapping[str, Any], code_store: CodeStore | None = None
    ) -> None:
        self.settings = settings
        self.env = ElementDocsEnvironment(settings)
        self.env.code_store = code_store  # compiled templates from earlier runs
        self._skeletons: dict[str, jinja2.Template] = {}
        # ``include`` on a page (outside a partial) is undefined, even after an assign to
        # a Liquid variable of that name: a page compiled whole looks the name up once,
        # when it starts, and a page rendered in parts (``env.composed``) must find what the
        # whole finds, which is then this
        self._page_names: dict[str, Any] = (
            {"include": self.env.undefined(name="include")} if settings.jekyll else {}
        )
        self.site = TrackedSite(site)
        self.site.model_keys = settings.jekyll_model_keys
        data = self.site.get("data")
        if isinstance(data, dict) and not isinstance(data, TrackedData):
            self.site["data"] = TrackedData(data)

    def _roots(self, page: Mapping[str, Any]) -> dict[int, str]:
        roots = {id(page): "page", id(self.site): "site"}
        data = self.site.get("data")
        if isinstance(data, dict):
            roots[id(data)] = "site.data"
            for key, value in data.items():
                roots[id(value)] = f"site.data.{key}"
        return roots

    def _skeleton(
        self, source: str, name: str, rel: str
    ) -> tuple[jinja2.Template, list[str], bool] | None:
        """The page's tags compiled once per distinct tag structure, and its static text.

        Pages of a docs tree share their tags (an include line, a few variables) but not
        their text. Each static run becomes ``{{ _ed_s[i] }}``, so one compiled skeleton
        serves every page with the same tags; compiling per page cost more than the rest
        of rendering. Where it can, the page is rendered in parts (``env.composed``): each
        top-level tag or block is compiled once for every page that has it, so pages whose
        tags differ share their compiled parts too. None when the page does not split
        cleanly (then it compiles whole). And whether the page's tags cannot see the
        markers (``lexer.markers_unseen``).
        """
        processed = self.env.preprocess(source, name, rel)
        pieces = split_template(processed)
        if pieces is None:
            return None
        composed = self.env.composed(pieces)
        if composed is not None:
            parts, unseen = composed
            return self.env.in_parts(parts, self.env.page_globals, None), [], unseen
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
                self.env, code, self.env.page_globals, None
            )
            self._skeletons[key] = template
        return template, list(statics), markers_unseen(key)

    def render(
        self,
        source: str,
        rel: str,
        first_line: int,
        page: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None,
        fast: bool = True,
        marked: bool | None = None,
    ) -> RenderResult:
        """Render page text ``source`` whose first line is line ``first_line`` of ``rel``.

        A page whose templates cannot see the source map's markers is rendered once, with
        them (``_render_once``); the others as follows.
        The quick way (``fast``, unmarked) renders the text alone. A page with a problem
        to report is rendered again with the source-map markers, which say where each
        output line came from; a page whose problems are found later (in its examples)
        is rendered again with them when a problem asks where its line came from. The
        markers cost a sixth of a check (every output string carries them), and most
        pages have nothing to report. (Where the markers change what a template does with
        a string, see ``_aligned_origins``, the text is that of the render without them,
        for a page with nothing to report, and with them otherwise, as it always was.)"""
        if marked is None and fast:
            once = self._render_once(source, rel, first_line, page, extra)
            if once is not None:
                return once
        if marked is None:
            marked = not fast
        state = RenderState(
            deadline=time.monotonic() + self.settings.max_render_seconds,
            plain=not fast,
            marked=marked,
        )
        state.roots = self._roots(page)
        scope = liquid_filters.LiquidVars()  # Liquid's variables (assign, capture)
        state.roots[id(scope)] = ""
        token = RENDER_STATE.set(state)
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
            context = {
                "page": page,
                "site": self.site,
                "vars": scope,
                "_ed_page_dir": str(PurePosixPath(rel).parent),
                **self._page_names,
                **(extra or {}),
            }
            if skeleton is not None:
                template, statics, _ = skeleton
                context["_ed_s"] = statics
            else:
                template = self.env.template_class.from_code(
                    self.env, self.env.compile(source, name, rel), self.env.page_globals, None
                )
            size = 0
            for chunk in template.generate(context):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.settings.max_output_chars:
                    raise RenderLimitError(
                        f"output larger than {self.settings.max_output_chars:,} characters "
                        "(size limit)"
                    )
        except jinja2.TemplateSyntaxError as exc:
            failed = True
            diagnostics.append(self._syntax_diagnostic(exc, rel, first_line, source))
        except Exception as exc:  # noqa: BLE001 - every template error becomes a diagnostic
            failed = True
            diagnostics.append(self._runtime_diagnostic(exc, rel, first_line))
        finally:
            RENDER_STATE.reset(token)
        if failed and skeleton is not None:
            # the skeleton's own line numbers say nothing: render again the plain way
            return self.render(source, rel, first_line, page, extra, fast=False)
        if not marked:
            if failed or state.problems:  # their places are needed now
                return self.render(source, rel, first_line, page, extra, fast, marked=True)
            text = "".join(chunks)
            return RenderResult(
                text,
                SourceMap.later(
                    lambda: self.render(source, rel, first_line, page, extra, fast, marked=True),
                    text,
                ),
                [],
                state.partials,
                state.data_files,
            )
        text, source_map, found = _apply_markers("".join(chunks), self.env, state, self.settings)
        diagnostics = found + diagnostics
        return RenderResult(text, source_map, diagnostics, state.partials, state.data_files, failed)

    def _render_once(
        self,
        source: str,
        rel: str,
        first_line: int,
        page: Mapping[str, Any],
        extra: Mapping[str, Any] | None,
    ) -> RenderResult | None:
        """The page rendered once, with the source-map markers, for its text and its map
        together: what ``render`` gives, or None when this way cannot tell.

        The markers change nothing a template makes unless one of its templates looks into
        the strings that carry them (``lexer.markers_unseen``): then the render stops
        (MarkersVisible), and the page goes the way of ``render``: without the markers
        first, and again with them when a line's place is asked. So does a page whose
        render fails, whatever the reason: its diagnostic comes from that way, as always.

        On real-shaped trees about half the pages have something to report and were
        rendered twice: rendering them once cut a clean check of 1,026 pages from 5.2 to
        4.6 CPU-seconds (pages with nothing to report pay for the markers, about 3%)."""
        state = RenderState(
            deadline=time.monotonic() + self.settings.max_render_seconds,
            marked=True,
            once=True,
        )
        state.roots = self._roots(page)
        scope = liquid_filters.LiquidVars()
        state.roots[id(scope)] = ""
        token = RENDER_STATE.set(state)
        name = PAGE_PREFIX + rel
        self.env.line_offsets[name] = first_line - 1  # type: ignore[attr-defined]
        chunks: list[str] = []
        try:
            skeleton = self._skeleton(source, name, rel)
            if skeleton is None or not skeleton[2]:
                return None
            template, statics, _ = skeleton
            context = {
                "page": page,
                "site": self.site,
                "vars": scope,
                "_ed_page_dir": str(PurePosixPath(rel).parent),
                **self._page_names,
                **(extra or {}),
                "_ed_s": statics,
            }
            size = 0
            for chunk in template.generate(context):
                chunks.append(chunk)
                size += len(chunk)
                if size > self.settings.max_output_chars:
                    return None
        except (MarkersVisible, Exception):  # noqa: BLE001 - told the way of ``render``
            return None
        finally:
            RENDER_STATE.reset(token)
        text, source_map, found = _apply_markers("".join(chunks), self.env, state, self.settings)
        return RenderResult(text, source_map, found, state.partials, state.data_files)

    # errors -------------------------------------------------------------------------------
    def _location_of(self, name: str | None, lineno: int) -> SourceLocation:
        env = self.env
        display = env.display_path(name or "", None) if name else "?"
        offset = env.line_offsets.get(name, 0)  # type: ignore[attr-defined]
        return SourceLocation(display, lineno + offset if lineno else 0, 1 if lineno else 0)

    def _syntax_diagnostic(
        self, exc: jinja2.TemplateSyntaxError, rel: str, first_line: int, page_source: str = ""
    ) -> Diagnostic:
        # A syntax error in a partial surfaces when it is first included.
        # the lexer names the template by its file name: map it back to the template
        name = self.env.template_names.get(exc.filename or "", exc.name)  # type: ignore[attr-defined]
        if name and not name.startswith((PAGE_PREFIX, SKELETON_PREFIX)) and name == rel:
            name = PAGE_PREFIX + rel
        exc.name = name
        location = self._location_of(exc.name, exc.lineno)
        message = clean_marker_text(exc.message or "syntax error")
        opened = unclosed_opener(exc.source or "", exc.lineno) if exc.lineno else None
        if opened is not None and opened[0] < exc.lineno:
            # Jinja gives up where it ran out of template; the mistake is the opener.
            line, opener = opened
            location = self._location_of(exc.name, line)
            message = (
                f"this '{opener}' is never closed (Jinja stopped at line "
                f"{self._location_of(exc.name, exc.lineno).line}: {message})"
            )
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
        return Diagnostic(
            "ED301",
            message,
            location,
            "close every {% %} and {{ }}; Jekyll tags like {% include x.md %} "
            "are supported as written",
            chain,
        )

    def _include_line(self, includer: str, child: str, page_source: str) -> int:
        """The line of ``includer`` (a page or a partial) that includes ``child``."""
        if includer.startswith(PAGE_PREFIX):
            text = page_source
        else:
            try:
                text = self.env.loader.get_source(self.env, includer)[0]  # type: ignore[union-attr]
            except Exception:  # noqa: BLE001 - the chain is a courtesy: never a crash
                return 0
        target = child[len(ROOT_PREFIX) :] if child.startswith(ROOT_PREFIX) else child
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
        if isinstance(exc, SecurityError) or (
            isinstance(exc, jinja2.UndefinedError) and "unsafe" in str(exc)
        ):
            return Diagnostic(
                "ED307",
                f"forbidden in templates: {scrub_reprs(str(exc))}",
                location,
                "templates may only read page, site and include values",
                chain,
            )
        if isinstance(exc, RecursionError):
            return Diagnostic(
                "ED310",
                "rendering stopped at the recursion limit: templates, "
                "macros or values nested too deeply",
                location,
                "",
                chain,
            )
        if isinstance(exc, MemoryError):
            return Diagnostic(
                "ED310", "rendering stopped: out of memory (memory limit)", location, "", chain
            )
        if isinstance(exc, OverflowError) and "MAX_RANGE" in str(exc):
            return Diagnostic(
                "ED310",
                "rendering stopped: a range of more than "
                f"{jinja2.sandbox.MAX_RANGE:,} numbers (size limit)",
                location,
                "",
                chain,
            )
        if isinstance(exc, OverflowError):
            return Diagnostic(
                "ED310",
                f"rendering stopped: a number too large ({exc}; size limit)",
                location,
                "",
                chain,
            )
        if isinstance(exc, RenderLimitError):  # liquid_filters.TooLarge is one
            return Diagnostic("ED310", f"rendering stopped: {exc}", location, "", chain)
        if isinstance(exc, liquid_filters.Internal):
            return Diagnostic(
                "ED307", f"forbidden in templates: a {exc.kind} object", location, "", chain
            )
        if isinstance(exc, RefusedTemplate):
            return Diagnostic(exc.code, exc.message or "include refused", location, "", chain)
        if isinstance(exc, jinja2.TemplateNotFound):
            return Diagnostic("ED303", f"unknown partial '{exc.name}'", location, "", chain)
        detail = scrub_reprs(clean_marker_text(str(exc))) or type(exc).__name__
        return Diagnostic("ED309", f"{type(exc).__name__}: {detail}", location, "", chain)


def _template_frames(tb: TracebackType | None, env: jinja2.Environment) -> list[tuple[str, int]]:
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


_REPR_RE = re.compile(
    r"<(?:function|built-in|bound method|method|generator|[\w.]+ object)"
    r"[^\n]*? at 0x[0-9a-fA-F]+>|<[^<>\n]* at 0x[0-9a-fA-F]+>"
    r"|<(?:class|module) '[^'\n]*'[^<>\n]*>"
)


def scrub_reprs(text: str) -> str:
    """``text`` (an error message) without Python's reprs of internal objects, whose
    addresses and names are no business of a page."""
    return _REPR_RE.sub("[a Python object]", text)


def _apply_markers(
    raw: str, env: jinja2.Environment, state: RenderState, settings: Settings
) -> tuple[str, SourceMap, list[Diagnostic]]:
    """Strip the markers; return the text, its source map and the problems found."""
    files: dict[int, str] = env.source_files  # type: ignore[attr-defined]
    diagnostics: list[Diagnostic] = []
    if state.problems:  # rare: only then is the whole map needed at once

        def problem(index: int, path: str, line: int, chain: tuple[SourceLocation, ...]) -> None:
            code, message, hint, needle = state.problems[index]
            severity = None
            if code == "ED302" and not settings.strict:
                severity = Severity.WARNING
            col = column_of(settings.root / path, line, needle) if needle else 0
            diagnostics.append(
                Diagnostic(code, message, SourceLocation(path, line, col), hint, chain, severity)
            )

        # the map is read here already: kept, not read again when a line is asked (at
        # 1,026 pages that was 227 of 644 readings; with origins_of making its lines in
        # a list, its time in a clean check went from 0.87 to 0.48 s under cProfile)
        source_map = SourceMap(raw, files)
        source_map.keep(origins_of(raw, files, problem))
        return strip_markers(raw), source_map, diagnostics
    return strip_markers(raw), SourceMap(raw, files), diagnostics
