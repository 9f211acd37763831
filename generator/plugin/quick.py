"""Quick rebuilds for ``mkdocs serve``: after an edit, redo only the pages it touched.

MkDocs answers every edit with a rebuild of the whole site. Even ``--dirty`` reloads
mkdocs.yml, collects every file, makes a page object for each, rebuilds the navigation and
rewrites the sitemap and the search index: seconds per edit on a site of a few thousand
pages, however small the edit.

This module keeps the objects of the last full build (the configuration, files, navigation
and theme environment) and, when every file an edit touched is a page whose front matter did
not change, a partial or a data file, runs MkDocs' own steps for one page (``_populate_page``
and ``_build_page`` in ``mkdocs.commands.build``, through ``mkdocs_private.py``: every
plugin's page events and the theme) for just the pages that read them. The search index is
then rewritten from the search plugin's entries, with those pages' entries replaced, by a
forked child (``search_index.py``), while the server already answers with the new pages.

Anything else falls back to MkDocs' own rebuild, which is always right, and the log says why:
mkdocs.yml, schemas or theme files, a page added, removed or renamed, front matter (the
navigation and the element catalog are made from it), a page whose title changed once
converted (every page shows it in the navigation), a plugin other than search and ours
(plugins may keep state of their own about every page), or anything unexpected on the way.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils import CountHandler

from generator.errors import Diagnostic
from generator.load.data import load_data_files
from generator.pipeline.project import Project
from generator.plugin.mkdocs_private import (
    build_page,
    can_build_one_page,
    populate_page,
    search_entries,
    watched_paths,
)
from generator.plugin.search_index import IndexWriter, splice
from generator.plugin.sitecache import SiteCache, page_key, why_off
from generator.plugin.watch import NativeWatch, Recorder
from generator.render.names import partial_path
from generator.render.sourcemap import ALL_DATA

log = logging.getLogger("mkdocs.plugins.element_docs")


class FullRebuild(Exception):
    """The edit needs MkDocs' own rebuild; the message says why."""


@dataclass
class LastBuild:
    """What a quick rebuild reuses from the last full build."""

    config: MkDocsConfig
    files: Files
    nav: Navigation
    env: Any  # the theme's jinja2 environment, after every plugin's on_env
    pages: dict[str, Page]  # absolute source path -> page, for the pages our plugin renders


class QuickHost(Protocol):
    """What a quick rebuild asks of the plugin that installs it (``ElementDocsPlugin``)."""

    #: page source -> (partials, data files) its last render read
    reads: dict[str, tuple[frozenset[str], frozenset[str]]]
    setup_diagnostics: list[Diagnostic]

    def quick_serve_on(self) -> bool: ...
    def require_project(self) -> Project: ...
    def require_site_cache(self) -> SiteCache: ...
    def start_quick_rebuild(self) -> None: ...
    def forget_page(self, source: str | None) -> None: ...
    def record_written(self, pages: list[Page]) -> None: ...
    def finish_quick_rebuild(self) -> None: ...
    def quick_summary(self, written: int, seconds: float) -> None: ...


class QuickRebuild:
    """Installed on the ``mkdocs serve`` server by the plugin's ``on_serve``."""

    def __init__(self, plugin: QuickHost) -> None:
        self.plugin = plugin
        self.last: LastBuild | None = None
        self._changed: set[str] = set()
        self._lock = threading.Lock()
        self._index_writer: IndexWriter | None = None
        self._readers: dict[str, dict[str, set[str]]] | None = None  # see ``_readers``
        self._native: NativeWatch | None = None

    # set-up -------------------------------------------------------------------------------
    def remember(
        self, config: MkDocsConfig, files: Files, nav: Navigation | None, env: Any
    ) -> None:
        """Called at the end of every successful full build."""
        if nav is None or env is None or not can_build_one_page():
            self.last = None
            return
        pages = {
            os.path.abspath(f.abs_src_path): f.page
            for f in files.documentation_pages()
            if f.abs_src_path and not f.generated_by and f.page is not None
        }
        self.last = LastBuild(config, files, nav, env, pages)
        self._readers = None

    def forget(self) -> None:
        self.last = None
        self._readers = None

    def install(self, server: Any) -> None:
        """Hear of edits (natively where possible, see ``NativeWatch``), and answer the
        server's rebuilds."""
        full_rebuild: Callable[[], None] = server.builder
        known = watched_paths(server)
        follows_all = known is not None  # every watched path is recorded (or watched) here

        def builder() -> None:
            with self._lock:
                changed, self._changed = self._changed, set()
            if not changed and follows_all:
                return  # a second call for paths the previous rebuild already took
            if not self.rebuild(changed):
                self.finish_index_writer()  # a --dirty build completes the index on disk
                self.last = None  # the full build remembers its own objects
                full_rebuild()

        server.builder = builder
        self._native = NativeWatch.start(server, self)
        polled = Recorder(self)
        watched: set[str] = set()

        def follow(path: str, recursive: bool) -> None:
            if path in watched:
                return
            watched.add(path)
            if self._native is None or not self._native.take(path, recursive):
                server.observer.schedule(polled, path, recursive=recursive)

        for path in sorted(known or ()):
            follow(path, True)
        watch = server.watch

        def watch_too(path: str, func: None = None, *, recursive: bool = True) -> None:
            watch(path, func, recursive=recursive)
            follow(os.path.abspath(path), recursive)

        server.watch = watch_too
        how = (
            "the system's file watcher"
            if self._native is not None and self._native.taken
            else "MkDocs' polling"
        )
        log.info(f"element-docs: quick rebuilds on; edits are noticed through {how}")

    def close(self) -> None:
        """The server stops: stop watching, and abandon an index still being written."""
        self.stop_index_writer()
        if self._native is not None:
            self._native.observer.stop()
            self._native = None

    def record(self, *paths: str) -> None:
        with self._lock:
            self._changed.update(os.path.abspath(p) for p in paths if p)

    # the rebuild --------------------------------------------------------------------------
    def rebuild(self, changed: set[str]) -> bool:
        """Redo only what ``changed`` touched; False when MkDocs must rebuild the site."""
        last = self.last
        if last is None:
            return False
        if not changed:
            log.info(
                "element-docs: full rebuild: the change was outside the files element-docs follows"
            )
            return False
        if not self.plugin.quick_serve_on():  # turned off in mkdocs.yml meanwhile
            return False
        start = time.monotonic()
        try:
            pages = self._plan(changed, last)
            if not pages:
                log.debug("element-docs: no page reads the files that changed")
                return True
            self._redo(pages, last)
        except FullRebuild as why:
            log.info(f"element-docs: full rebuild: {why}")
            return False
        except Exception as exc:  # noqa: BLE001 - MkDocs' own rebuild is always right
            log.info(f"element-docs: full rebuild: the quick rebuild stopped ({exc!r})")
            return False
        self.plugin.quick_summary(len(pages), time.monotonic() - start)
        return True

    def _plan(self, changed: set[str], last: LastBuild) -> list[Page]:
        """The pages to redo, after taking in edited front matter and data files."""
        plugin = self.plugin
        project = plugin.require_project()
        settings = project.settings
        if (reason := why_off(last.config)) is not None:
            raise FullRebuild(reason)
        if self._readers is None:
            self._readers = _readers(plugin.reads, settings)
        readers = self._readers
        data_dir = os.path.abspath(settings.data_dir)
        todo: set[str] = set()
        edited_pages: list[str] = []
        new_partials = data_changed = False
        for path in sorted(changed):
            rel = settings.rel(Path(path))
            is_page, is_partial = path in last.pages, path in readers["partial"]
            is_data = _under(path, data_dir) and Path(path).suffix in (".yml", ".yaml")
            if not os.path.exists(path):
                if is_page or is_partial or is_data or _holds(path, last, readers, data_dir):
                    raise FullRebuild(f"'{rel}' was removed or renamed")
                continue  # an editor's temporary file, gone again: not part of the site
            if os.path.isdir(path):
                raise FullRebuild(f"the folder '{rel}' was added or moved in")
            if is_page:
                edited_pages.append(path)
                todo.add(path)
            if is_partial:  # a page's own file can be another page's partial too
                todo.update(readers["partial"][path])
                new_partials = True
            if is_page or is_partial:
                continue
            if is_data:
                todo.update(readers["data"].get(Path(path).stem, ()))
                todo.update(readers["data"].get(ALL_DATA, ()))  # pages that list site.data
                data_changed = True
            elif not _scratch(path, settings.root):
                raise FullRebuild(
                    f"'{rel}' is not a page, partial or data file the site already reads"
                )
        for path in edited_pages:
            if not project.reread(Path(path)):
                raise FullRebuild(
                    f"the front matter of '{settings.rel(Path(path))}' changed "
                    "(the navigation and the catalog are made from it)"
                )
        if data_changed:
            data, problems = load_data_files(settings.data_dir, settings.rel)
            if problems or plugin.setup_diagnostics:
                raise FullRebuild("a data file has a problem to report, or had one")
            project.data = data
        if new_partials or data_changed:
            project.forget_renderer()  # compiled partials and data are read afresh
        return [last.pages[path] for path in sorted(todo)]

    def _redo(self, pages: list[Page], last: LastBuild) -> None:
        self.plugin.start_quick_rebuild()
        warnings = CountHandler()
        warnings.setLevel(logging.WARNING)
        logging.getLogger("mkdocs").addHandler(warnings)
        try:
            self._redo_pages(pages, last)
        finally:
            logging.getLogger("mkdocs").removeHandler(warnings)
        if last.config.strict and warnings.get_counts():
            raise FullRebuild("a warning under --strict, which MkDocs' build reports and stops at")

    def _redo_pages(self, pages: list[Page], last: LastBuild) -> None:
        config, files, nav, env = last.config, last.files, last.nav, last.env
        plugin = self.plugin
        site_cache = plugin.require_site_cache()
        for page in pages:
            title = page.title
            source = os.path.abspath(page.file.abs_src_path or "")
            read = plugin.reads.get(source)
            plugin.forget_page(source)
            populate_page(page, config, files)
            if plugin.reads.get(source) != read:
                self._readers = None  # the page reads other partials now
            if page.title != title:
                raise FullRebuild(
                    f"the title of '{page.file.src_uri}' changed to "
                    f"'{page.title}' (every page shows it in the navigation)"
                )
            site_cache.refresh_page(page)
        entries = _search_entries(config)
        keep = [len(found) for _, found in entries]
        inclusion = InclusionLevel.is_in_serve
        doc_files = files.documentation_pages(inclusion=inclusion)
        for page in pages:
            excluded = bool(page.file.inclusion.is_excluded())
            build_page(page, config, doc_files, nav, env, excluded=excluded)
        anchors = config.validation.links.anchors
        for page in pages:
            page.validate_anchor_links(files=files, log_level=anchors)
        plugin.record_written(pages)  # a later --dirty build keeps them (see WrittenPages)
        plugin.finish_quick_rebuild()
        rebuilt = {page_key(page.url) for page in pages}
        for (_, found), old in zip(entries, keep, strict=True):
            splice(found, old, rebuilt)
        if entries:
            self.stop_index_writer()
            self._index_writer = IndexWriter(config, entries)

    def stop_index_writer(self) -> None:
        """An index still being written is out of date once a newer one is written."""
        if self._index_writer is not None:
            self._index_writer.stop()
            self._index_writer = None

    def finish_index_writer(self) -> None:
        if self._index_writer is not None:
            self._index_writer.finish()
            self._index_writer = None


def _holds(
    folder: str, last: LastBuild, readers: dict[str, dict[str, set[str]]], data_dir: str
) -> bool:
    """True when the removed ``folder`` held a page, a partial or the data files."""
    return _under(data_dir, folder) or any(
        _under(path, folder) for path in (*last.pages, *readers["partial"])
    )


def _scratch(path: str, root: Path) -> bool:
    """A hidden file or one in a hidden folder of the project (MkDocs' default
    ``exclude_docs`` leaves them out of the site), or an editor's backup or auto-save."""
    inside = (
        Path(path).relative_to(root).parts if _under(path, str(root)) else (os.path.basename(path),)
    )
    name = inside[-1] if inside else ""
    return (
        any(part.startswith(".") for part in inside)
        or name.endswith("~")
        or (name.startswith("#") and name.endswith("#"))
    )  # Emacs' auto-save


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _readers(
    reads: dict[str, tuple[frozenset[str], frozenset[str]]], settings: Any
) -> dict[str, dict[str, set[str]]]:
    """Partial file -> the pages that include it; data file stem -> the pages that read it."""
    by_partial: dict[str, set[str]] = {}
    by_data: dict[str, set[str]] = {}
    where: dict[str, str] = {}
    for page, (partials, data_files) in reads.items():
        for name in partials:
            if name not in where:
                where[name] = os.path.abspath(partial_path(settings, name))
            by_partial.setdefault(where[name], set()).add(page)
        for stem in data_files:
            by_data.setdefault(stem, set()).add(page)
    return {"partial": by_partial, "data": by_data}


def _search_entries(config: MkDocsConfig) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The search plugins in use and their list of entries, which pages append to."""
    found = search_entries(config.plugins)
    for plugin, _ in found:
        if getattr(getattr(plugin, "config", None), "get", lambda _: None)("prebuild_index"):
            raise FullRebuild("the search index is prebuilt")
    return found
