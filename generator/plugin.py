"""The MkDocs adapter: the only module that imports MkDocs.

Events used, and why:
- ``on_startup``: keep one plugin instance (and its compiled templates and schemas) across
  ``mkdocs serve`` rebuilds, and learn whether we serve (errors must not stop the server).
- ``on_config``: read our options, load data files and schemas once per build.
- ``on_files``: load every page's front matter (for the catalog and navigation), add the
  generated diagnostic-codes page, and set the hub-grouped navigation when mkdocs.yml has none.
  Under ``--dirty`` MkDocs rebuilds only pages whose own file changed; here every page whose
  partials, data files or catalog changed is marked modified too (and every page when the
  navigation changed), so a dirty rebuild is also a correct one.
- ``on_page_markdown``: render the page's partials and check its examples.
- ``on_serve``: watch includes/ (partials and _data) and the project's schemas too.
- ``on_post_build``: print the summary and fail the build when any error was found.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from .errors import Diagnostic, ElementDocsError, format_text
from .examples import strip_overrides
from .pages import CODES_PAGE, build_nav, codes_markdown
from .pipeline import Project, ProjectMemory
from .settings import settings_from

log = logging.getLogger("mkdocs.plugins.element_docs")


class ElementDocsConfig(Config):
    strict = c.Type(bool, default=True)
    """Undefined variables are errors (true) or warnings (false)."""
    includes_dir = c.Type(str, default="includes")
    """Folder of partials, relative to mkdocs.yml; its _data/ folder becomes site.data."""
    schemas_dir = c.Type(str, default="schemas")
    """Folder of the project's own JSON Schemas, which add to or override the shipped ones."""
    cache_dir = c.Type(str, default=".element-docs-cache")
    """Folder for cached rendered pages; safe to delete."""
    max_include_depth = c.Type(int, default=16)
    """How deeply partials may include partials."""


class ElementDocsPlugin(BasePlugin[ElementDocsConfig]):
    def __init__(self) -> None:
        self.command = "build"
        self.dirty = False
        self.project: Project | None = None
        self.diagnostics: list[Diagnostic] = []
        self.memory = ProjectMemory()
        self._last_nav: str | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.command = command
        self.dirty = dirty

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or ".").resolve().parent
        try:
            settings = settings_from(root, config, dict(self.config))
        except ElementDocsError as exc:
            raise PluginError(exc.diagnostic.one_line()) from exc
        self.project = Project(settings, self.memory)
        self.rendered_pages = 0
        self.diagnostics = list(self.project.setup_diagnostics)
        self._log(self.project.setup_diagnostics)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        project = self._project()
        pages = [Path(f.abs_src_path) for f in files.documentation_pages()
                 if f.abs_src_path and not f.generated_by]
        project.load(pages)
        files.append(File.generated(config, CODES_PAGE, content=codes_markdown()))
        if not config.nav:
            documents = [doc for doc, _ in project.documents.values() if doc is not None]
            config.nav = build_nav(documents, project.settings.docs_dir)
        if self.dirty:
            self._mark_stale_pages(files, repr(config.nav))
        return files

    def _mark_stale_pages(self, files: Files, nav: str) -> None:
        """Make MkDocs' dirty rebuild redo every page whose output would change."""
        project = self._project()
        nav_changed = self._last_nav is not None and nav != self._last_nav
        self._last_nav = nav
        for file in files.documentation_pages():
            if not file.abs_src_path or file.generated_by:
                continue
            path = Path(file.abs_src_path)
            if nav_changed or not project.is_fresh(path):
                file.is_modified = lambda: True  # type: ignore[method-assign]
            elif not file.is_modified():
                # skipped by MkDocs this time: its problems still belong in the report
                cached = project.check_page(path).diagnostics
                self.diagnostics.extend(cached)
                self._log(cached)

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig,
                         files: Files) -> str:
        source = page.file.abs_src_path
        if not source or page.file.generated_by:
            return markdown
        project = self._project()
        misses = project.memory.pages.misses if project.memory.pages else 0
        result = project.check_page(Path(source))
        if not project.memory.pages or project.memory.pages.misses != misses:
            self.rendered_pages += 1
        self.diagnostics.extend(result.diagnostics)
        self._log(result.diagnostics)
        if result.rendered is None or result.rendered.failed:
            errors = [d for d in result.diagnostics if d.is_error]
            notice = "\n".join(f"    {d.one_line()}" for d in errors)
            return f"!!! failure \"This page could not be rendered\"\n{notice}\n\n"
        return strip_overrides(result.rendered.text)

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        settings = self._project().settings
        for folder in (settings.includes_dir, settings.schemas_dir):
            if folder is not None and folder.is_dir():
                server.watch(str(folder))
        return server

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.memory.pages is not None:
            self.memory.pages.flush()
        errors = sum(1 for d in self.diagnostics if d.is_error)
        warnings = len(self.diagnostics) - errors
        pages = len(self._project().documents)
        log.info(f"element-docs: {self.rendered_pages} of {pages} pages rendered, "
                 f"the others unchanged")
        if not self.diagnostics:
            return
        summary = f"element-docs: {errors} error(s), {warnings} warning(s)"
        if errors and self.command != "serve":
            raise PluginError(f"{summary}; see the messages above")
        log.info(summary)

    # helpers --------------------------------------------------------------------------------
    def _project(self) -> Project:
        if self.project is None:
            raise PluginError("element-docs: on_config did not run")
        return self.project

    def _log(self, diagnostics: list[Diagnostic]) -> None:
        project = self.project
        for diagnostic in diagnostics:
            loc = diagnostic.location
            line = project.sources.line(loc.path, loc.line) if project and loc and loc.line \
                else None
            text = format_text(diagnostic, line)
            if diagnostic.is_error:
                log.error(text)
            else:
                log.warning(text)
