"""The MkDocs adapter: with ``sitecache.py`` (its reuse of MkDocs' output), ``quick.py``
(quick rebuilds under ``mkdocs serve``) and ``mkdocs_private.py`` (every use of MkDocs'
private parts), the only modules that import MkDocs.

Events used, and why:
- ``on_startup``: keep one plugin instance (and its compiled templates and schemas) across
  ``mkdocs serve`` rebuilds, and learn whether we serve (errors must not stop the server).
- ``on_config``: read our options, load data files and schemas once per build.
- ``on_files``: load every page's front matter (for the catalog and navigation), add the
  generated diagnostic-codes page, and set the hub-grouped navigation when mkdocs.yml has none.
  Under ``--dirty`` MkDocs rebuilds only pages whose own file changed; here every page whose
  file in the site folder is not the one written from what the page is made from now
  (``sitecache.WrittenPages``) is marked modified too, so a dirty rebuild is also a correct one.
- ``on_nav``, ``on_pre_page``: let ``sitecache`` key each page's Markdown conversion on the
  site's files and hand back a kept conversion.
- ``on_page_markdown``: render the page's partials and check its examples (or take the
  result a forked child worked out ahead, see ``check_ahead.py``); hand MkDocs the page as readers
  get it (``present.py``: request tabs in every language, even JSON layout); under
  ``mkdocs serve``, put the page's problems at its top.
- ``on_page_content``: dotted names in tables wrap at dots; notes in lists stay blocks.
- ``on_serve``: watch includes/ (partials and _data) and the project's schemas too, and
  answer an edit of page bodies, partials or data files by redoing only the pages that read
  them (``quick.py``) instead of MkDocs' rebuild of the whole site.
- ``on_env``: every page has been checked and none written yet: fail the build here when
  any error was found, so a failing ``mkdocs build`` publishes nothing it refused. Then
  ``sitecache`` points every page whose theme output is kept at that output.
- ``on_page_context``, ``on_post_page`` (first, before other plugins): give a reused page its
  kept output; keep the theme's output of the others.
- ``on_post_build``: store what ``sitecache`` kept, record the page files written, print the
  summary. After a dirty build, complete the search index with the pages that were not rebuilt
  (in a clean build's order) and remove the output of deleted pages, so a dirty build leaves
  the same site a clean one would.
- ``on_shutdown``: the server stops: stop the quick rebuilds' file watcher.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from generator.emit.notice import below_title, served_notice
from generator.emit.pages import CODES_PAGE, FRONT_MATTER_SCHEMA_URL, build_nav, codes_markdown
from generator.emit.present import present, present_html
from generator.errors import (
    Diagnostic,
    ElementDocsError,
    Severity,
    SourceLocation,
)
from generator.extract.blocks import strip_overrides
from generator.load.files import absolute
from generator.load.page_entry import digest
from generator.pipeline.project import PageResult, Project, ProjectMemory, dedupe
from generator.plugin.check_ahead import CheckAhead
from generator.plugin.mkdocs_private import (
    forget_previous_search_index,
    search_entries,
    search_index_text,
)
from generator.plugin.permalinks import apply_permalinks, with_dead_links, write_redirects
from generator.plugin.quick import QuickRebuild
from generator.plugin.sitecache import (
    SiteCache,
    WrittenPages,
    in_site_order,
    output_state,
    page_key,
)
from generator.progress import Progress
from generator.report import format_text, summary_counts
from generator.settings import OPTIONS, settings_from
from generator.version import CODE_FINGERPRINT

log = logging.getLogger("mkdocs.plugins.element_docs")
SEARCH_INDEX = "search/search_index.json"


def _drop_dirty_warning(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("A 'dirty' build is being performed")


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("docs"), list) else None


if TYPE_CHECKING:

    class ElementDocsConfig(Config):
        """What mypy sees of the plugin's config: each option of settings.OPTIONS."""

        def __getattr__(self, name: str) -> Any: ...
else:
    # The plugin's options, made from the one table the CLI reads them by too
    # (settings.OPTIONS: name, type, default, help), so the two cannot differ.
    ElementDocsConfig = type(
        "ElementDocsConfig",
        (Config,),
        {
            "__doc__": "The plugin's options in mkdocs.yml (settings.OPTIONS).",
            **{option.name: c.Type(option.type, default=option.default) for option in OPTIONS},
        },
    )


class ElementDocsPlugin(BasePlugin[ElementDocsConfig]):
    def __init__(self) -> None:
        self.command = "build"
        self.dirty = False
        self.project: Project | None = None
        self.setup_diagnostics: list[Diagnostic] = []
        self.page_diagnostics: dict[str, list[Diagnostic]] = {}  # by source path
        self.logged_partial_problems: set[tuple[str, str, object]] = set()
        self.reads: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # partials, data
        self.memory = ProjectMemory()
        self.state = ""  # see sitecache.output_state
        self.written: WrittenPages | None = None
        self._files: Files | None = None
        self.ahead: CheckAhead | None = None
        self.site_cache: SiteCache | None = None
        self._nav: Navigation | None = None
        self._env: Any = None
        self.quick: QuickRebuild | None = None
        # on a terminal, during mkdocs build: pages converted, then pages written
        self._progress: list[Progress] = []

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command
        self.dirty = dirty
        # kept from the first build on; installed on the server by on_serve
        self.quick = QuickRebuild(self) if command == "serve" else None
        if dirty:
            # MkDocs warns that dirty builds may be inaccurate; this plugin makes them exact
            # (stale pages marked, search index completed), so the warning must not fail
            # --strict.
            logging.getLogger("mkdocs.commands.build").addFilter(_drop_dirty_warning)

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or ".").resolve().parent
        try:
            settings = settings_from(root, config, dict(self.config))
        except ElementDocsError as exc:
            raise PluginError(exc.diagnostic.one_line()) from exc
        self.project = Project(settings, self.memory)
        self.rendered_pages = 0
        self.ahead_pages = 0
        self.built_urls: set[str] = set()
        self.previous_index = (
            _read_json(Path(config.site_dir) / SEARCH_INDEX) if self.dirty else None
        )
        self.config_digest = (
            digest(Path(config.config_file_path or "").read_bytes())
            if config.config_file_path and Path(config.config_file_path).is_file()
            else ""
        )
        self.setup_diagnostics = list(self.project.setup_diagnostics)
        self.page_diagnostics = {}
        self.logged_partial_problems = set()
        self.reads = {}
        self._log(self.project.setup_diagnostics)
        cache_dir = self.project.settings.cache_dir
        if self.site_cache is None:
            self.site_cache = SiteCache(
                cache_dir / "site.sqlite3" if cache_dir else None, CODE_FINGERPRINT
            )
        self.site_cache.on_config(config, self.config_digest)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        self.site_urls, self.redirects = apply_permalinks(files, self.config.permalinks)
        project = self.require_project()
        pages = [
            Path(f.abs_src_path)
            for f in files.documentation_pages()
            if f.abs_src_path and not f.generated_by
        ]
        project.load(pages)
        self._drop_unreadable(files)
        self._drop_linked_out(files, Path(config.docs_dir))
        files.append(File.generated(config, CODES_PAGE, content=codes_markdown()))
        # for YAML editors: the front matter's schema at a stable address of the site
        files.append(
            File.generated(
                config,
                FRONT_MATTER_SCHEMA_URL,
                content=json.dumps(
                    project.schemas.schema("front-matter"), indent=2, ensure_ascii=False
                )
                + "\n",
            )
        )
        if not config.nav:
            documents = [doc for doc, _ in project.documents.values() if doc is not None]
            config.nav = build_nav(documents, project.settings.docs_dir)
        self._files = files
        self.state = output_state(config, files, f"{self.config_digest}\0{project.fingerprint}")
        if self.dirty:
            # without the last index, the entries of pages not rebuilt are unknown
            self._mark_stale_pages(
                files, every=self.previous_index is None and bool(search_entries(config.plugins))
            )
            # Material's search keeps the last build's index under `serve --dirty` and
            # merges it in by a rule of its own (which doubles the entries of a full
            # rebuild); this plugin completes a dirty build's index itself, exactly.
            for plugin, _ in search_entries(config.plugins):
                forget_previous_search_index(plugin)
        self._start_ahead(files)
        if self.command == "build":
            total = len(files.documentation_pages())
            self._progress = [
                Progress(sys.stderr, "element-docs: converting pages", total),
                Progress(sys.stderr, "element-docs: writing pages", total),
            ]
        return files

    def _drop_unreadable(self, files: Files) -> None:
        """Take the pages that cannot be read as pages out of MkDocs' hands: a fifo (MkDocs
        would wait on it for ever), a link to a device such as /dev/zero (it would read
        without end), a link leading out of the project (it would publish what it leads
        to), a broken link or a link to itself (a traceback). Their diagnostics are reported
        as any page's, and fail the build as errors do."""
        documents = self.require_project().documents
        for file in list(files.documentation_pages()):
            if not file.abs_src_path or file.generated_by:
                continue
            loaded = documents.get(Path(os.path.abspath(file.abs_src_path)))
            if loaded is None or loaded[0] is not None or not loaded[1]:
                continue
            files.remove(file)
            self.page_diagnostics[os.path.abspath(file.abs_src_path)] = loaded[1]
            self._log(loaded[1])

    def _drop_linked_out(self, files: Files, docs_dir: Path) -> None:
        """Keep MkDocs from publishing what a link among the other files (images, downloads)
        leads to outside the docs folder (``.git/config``, say), or from copying a fifo or a
        device (it would wait, or read, for ever): such a file is not published, and is an
        error at its name."""
        docs, named = os.path.realpath(docs_dir), os.path.abspath(docs_dir) + os.sep
        project = self.require_project()
        for file in list(files):
            source = file.abs_src_path
            if (
                not source
                or file.generated_by
                or file.is_documentation_page()
                or not os.path.abspath(source).startswith(named)
            ):  # the theme's own files
                continue
            real = os.path.realpath(source)
            inside = real.startswith(docs + os.sep)
            try:
                regular = stat.S_ISREG(os.stat(real).st_mode)
            except OSError:
                regular = False
            if inside and regular:
                continue
            files.remove(file)
            why = (
                "a link that leads out of the docs folder"
                if not inside
                else "not a regular file (a fifo, a device or a broken link)"
            )
            diagnostic = Diagnostic(
                "ED110",
                f"not published: {file.src_uri} is {why}",
                SourceLocation(project.settings.rel(Path(source))),
                "copy the file into the docs folder if it belongs to the site, or remove it",
            )
            self.page_diagnostics[os.path.abspath(source)] = [diagnostic]
            self._log([diagnostic])

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self._nav = nav
        self.require_site_cache().on_nav(files)
        return nav

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        self.require_site_cache().on_pre_page(page, config, files)
        return page

    def _start_ahead(self, files: Files) -> None:
        """Fork a child to check, in MkDocs' order, the pages this build will render."""
        self._stop_ahead()
        if not self.config.check_ahead:
            return
        project = self.require_project()
        todo = [
            Path(f.abs_src_path)
            for f in files.documentation_pages()
            if f.abs_src_path and not f.generated_by and (not self.dirty or f.is_modified())
        ]
        self.ahead = CheckAhead.start(project, [p for p in todo if not project.is_fresh(p)])

    def _stop_ahead(self) -> None:
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None

    def _output_key(self, path: Path) -> str | None:
        """What the page's file in the site is made from (see ``WrittenPages``)."""
        key = self.require_project().render_key(path)
        return None if key is None or not self.state else digest(f"{self.state}\0{key}".encode())

    def _mark_stale_pages(self, files: Files, every: bool = False) -> None:
        """Make MkDocs' dirty rebuild redo every page whose file in the site folder is not
        the one a build from scratch would write now (``every``: all pages)."""
        project = self.require_project()
        written = self._written()
        for file in files.documentation_pages():
            if not file.abs_src_path or file.generated_by:
                continue
            path = Path(file.abs_src_path)
            key = None if every else self._output_key(path)
            if key is None or not written.holds(file.dest_uri, Path(file.abs_dest_path), key):
                file.is_modified = lambda: True  # type: ignore[method-assign]
            elif not file.is_modified():
                # skipped by MkDocs this time: its problems still belong in the report
                result = project.check_page(path)
                self._record(file.abs_src_path, result)
                self._log(result.diagnostics)

    def on_page_markdown(
        self, markdown: str, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        source = page.file.abs_src_path
        self.built_urls.add(page_key(page.url))
        if self._progress:
            self._progress[0].step()
        if not source or page.file.generated_by:
            return markdown
        project = self.require_project()
        result = self.ahead.take(Path(source)) if self.ahead is not None else None
        if result is not None:
            self.rendered_pages += 1
            self.ahead_pages += 1
        else:
            misses = project.memory.pages.misses if project.memory.pages else 0
            result = project.check_page(Path(source))
            if not project.memory.pages or project.memory.pages.misses != misses:
                self.rendered_pages += 1
        if self.config.permalinks and result.rendered is not None:
            result = with_dead_links(result, self.site_urls, Path(source))
        self._record(source, result)
        self._log(result.diagnostics)
        if result.rendered is None or result.rendered.failed:
            errors = [d for d in result.diagnostics if d.is_error]
            notice = "\n".join(f"    {d.one_line()}" for d in errors)
            return f'!!! failure "This page could not be rendered"\n{notice}\n\n'
        api_base = project.settings.site.get("api_base")
        # the front matter loaded in on_files (a result the child worked out carries none)
        document = project.documents.get(absolute(Path(source)), (None, []))[0]
        text = present(
            strip_overrides(result.rendered.text),
            api_base=api_base if isinstance(api_base, str) else None,
            element_page=document is not None and document.is_element,
            checked=not any(d.is_error for d in result.diagnostics),
        )
        if self.command == "serve" and result.diagnostics:  # never in a built site
            return below_title(text, served_notice(result.diagnostics))
        return text

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        return present_html(html)

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        settings = self.require_project().settings
        if self.quick is not None and self.config.quick_serve:
            self.quick.install(server)
        else:
            self.quick = None
        for folder in (settings.includes_dir, settings.schemas_dir):
            if folder is not None and folder.is_dir():
                server.watch(str(folder))
        return server

    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        self._stop_ahead()  # every page has been through on_page_markdown
        errors = sum(1 for d in self.diagnostics if d.is_error)
        if errors and self.command != "serve" and self.config.fail_on_errors:
            if self.memory.pages is not None:
                self.memory.pages.flush()
            raise PluginError(
                f"element-docs: {errors} error(s); see the messages above. No page was written."
            )
        self._env = self.require_site_cache().on_env(
            env, config, files, self._nav, dict(config.plugins)
        )
        return self._env

    @event_priority(100)  # before the search plugin indexes the page
    def on_page_context(
        self, context: Any, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> Any:
        return self.require_site_cache().on_page_context(context, page)

    @event_priority(100)  # first: the theme's output, before any plugin changes it
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        if self._progress:
            self._progress[0].close()
            self._progress[1].step()
        return self.require_site_cache().on_post_page(output, page)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._close_progress()
        self._stop_ahead()
        if self.memory.pages is not None:
            self.memory.pages.flush()
        if self.dirty:
            self._complete_dirty_build(config)
        self.record_written(
            [
                file.page
                for file in self._files or []
                if file.page is not None
                and file.is_documentation_page()
                and page_key(file.url) in self.built_urls
            ]
        )
        if getattr(self, "redirects", None):
            write_redirects(self.redirects, Path(config.site_dir))
        site_cache = self.require_site_cache()
        site_cache.on_post_build(self.dirty)
        if self.quick is not None:
            self.quick.remember(config, self._files or Files([]), self._nav, self._env)
        ahead = f" ({self.ahead_pages} in a second process)" if self.ahead_pages else ""
        reused = (
            f"; MkDocs' output reused for {site_cache.reused_pages}"
            if site_cache.reused_pages
            else ""
        )
        self._summary(f"{ahead}, the others unchanged{reused}")

    def _close_progress(self) -> None:
        for counter in self._progress:
            counter.close()
        self._progress = []

    def on_build_error(self, *, error: Exception) -> None:
        self._close_progress()
        self._stop_ahead()
        if self.quick is not None:
            self.quick.forget()

    def on_shutdown(self) -> None:
        if self.quick is not None:
            self.quick.close()

    # quick rebuilds (quick.py, through its QuickHost interface) ------------------------------
    def quick_serve_on(self) -> bool:
        return bool(self.config.quick_serve)

    def start_quick_rebuild(self) -> None:
        self.rendered_pages = 0
        self.ahead_pages = 0

    def forget_page(self, source: str | None) -> None:
        if source:
            self.page_diagnostics.pop(os.path.abspath(source), None)

    def finish_quick_rebuild(self) -> None:
        if self.memory.pages is not None:
            self.memory.pages.flush()
        self.require_site_cache().flush()

    def quick_summary(self, written: int, seconds: float) -> None:
        self._summary(
            f", the others unchanged (quick rebuild: {written} page(s) written in {seconds:.2f} s)"
        )

    def record_written(self, pages: list[Page]) -> None:
        """These pages' files were just written (a build, or a quick rebuild)."""
        written = self._written()
        for page in pages:
            file = page.file
            if file.abs_src_path and not file.generated_by:
                key = self._output_key(Path(file.abs_src_path))
                if key is not None:
                    written.record(file.dest_uri, Path(file.abs_dest_path), key)
        written.flush()

    def _written(self) -> WrittenPages:
        if self.written is None:
            cache_dir = self.require_project().settings.cache_dir
            self.written = WrittenPages(cache_dir / "written.sqlite3" if cache_dir else None)
        return self.written

    def _complete_dirty_build(self, config: MkDocsConfig) -> None:
        """Merge the search entries of pages MkDocs skipped; drop output of deleted pages."""
        site = Path(config.site_dir)
        order = [page_key(file.url) for file in self._files or [] if file.is_documentation_page()]
        current = set(order)
        previous = self.previous_index
        if previous is None:
            return
        old_urls = {page_key(doc.get("location", "")) for doc in previous["docs"]}
        for url in sorted(old_urls - current):
            target = site / url / "index.html" if url.endswith("/") or not url else site / url
            if target.is_file():
                target.unlink()
        index = _read_json(site / SEARCH_INDEX)
        if index is None:
            return
        kept = [
            doc
            for doc in previous["docs"]
            if (page := page_key(doc.get("location", ""))) in current
            and page not in self.built_urls
        ]
        # in the order of a clean build, whatever was rebuilt this time
        docs = in_site_order(kept + index["docs"], order)
        found = search_entries(config.plugins)
        if found:
            text = search_index_text(found[-1][0], docs)
        else:  # a search plugin we do not know: its own encoding, but json's defaults
            index["docs"] = docs
            text = json.dumps(index, separators=(",", ":"), default=str)
        (site / SEARCH_INDEX).write_text(text, encoding="utf-8")
        # The search plugin's own list must say the same: a quick rebuild (quick.py)
        # writes the next index from it.
        for _, entries in found:
            entries[:] = docs

    # helpers --------------------------------------------------------------------------------
    @property
    def diagnostics(self) -> list[Diagnostic]:
        found = list(self.setup_diagnostics)
        for page in self.page_diagnostics.values():
            found.extend(page)
        return dedupe(found)  # a partial's problem counts once, whatever includes it

    def _record(self, source: str, result: PageResult) -> None:
        """Keep what the page reported (for the summary) and read (for quick rebuilds)."""
        source = os.path.abspath(source)
        self.page_diagnostics[source] = result.diagnostics
        if self.command != "serve":
            return  # what a page read matters to quick rebuilds only
        rendered = result.rendered
        self.reads[source] = (
            (frozenset(rendered.partials), frozenset(rendered.data_files))
            if rendered is not None
            else (frozenset(), frozenset())
        )

    def _summary(self, rest: str) -> None:
        diagnostics = self.diagnostics
        pages = len(self.require_project().documents)
        log.info(f"element-docs: {self.rendered_pages} of {pages} pages rendered{rest}")
        if diagnostics:
            counts = summary_counts(diagnostics)
            marked = (
                f", {counts['marked_invalid']} example(s) marked invalid"
                if counts["marked_invalid"]
                else ""
            )
            log.info(
                f"element-docs: {counts['errors']} error(s), {counts['warnings']} "
                f"warning(s){marked}"
            )

    def require_site_cache(self) -> SiteCache:
        if self.site_cache is None:
            raise PluginError("element-docs: on_config did not run")
        return self.site_cache

    def require_project(self) -> Project:
        if self.project is None:
            raise PluginError("element-docs: on_config did not run")
        return self.project

    def _log(self, diagnostics: list[Diagnostic]) -> None:
        if diagnostics and self._progress:
            self._progress[0].clear()
        project = self.project
        for diagnostic in diagnostics:
            if diagnostic.included_from and self.command != "serve":
                # a partial's problem, alike on every page that includes it: logged once
                seen = (diagnostic.code, diagnostic.message, diagnostic.location)
                if seen in self.logged_partial_problems:
                    continue
                self.logged_partial_problems.add(seen)
            loc = diagnostic.location
            line = (
                project.sources.line(loc.path, loc.line) if project and loc and loc.line else None
            )
            text = format_text(diagnostic, line)
            if diagnostic.is_error:
                log.error(text)
            elif diagnostic.level is Severity.NOTE:
                log.info(diagnostic.one_line())
            else:
                log.warning(text)
