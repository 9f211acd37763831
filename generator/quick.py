"""Quick rebuilds for ``mkdocs serve``: after an edit, redo only the pages it touched.

MkDocs answers every edit with a rebuild of the whole site. Even ``--dirty`` reloads
mkdocs.yml, collects every file, makes a page object for each, rebuilds the navigation and
rewrites the sitemap and the search index: seconds per edit on a site of a few thousand
pages, however small the edit.

This module keeps the objects of the last full build (the configuration, files, navigation
and theme environment) and, when every file an edit touched is a page whose front matter did
not change, a partial or a data file, runs MkDocs' own steps for one page (``_populate_page``
and ``_build_page`` in ``mkdocs.commands.build``: every plugin's page events and the theme)
for just the pages that read them. The search index is then rewritten from the search
plugin's entries, with those pages' entries replaced, in a background thread, written aside
and moved into place so the server never sends half of it.

Anything else falls back to MkDocs' own rebuild, which is always right, and the log says why:
mkdocs.yml, schemas or theme files, a page added, removed or renamed, front matter (the
navigation and the element catalog are made from it), a page whose title changed once
converted (every page shows it in the navigation), a plugin other than search and ours
(plugins may keep state of their own about every page), or anything unexpected on the way.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from .sitecache import why_off
from .templating import load_data_files, partial_path

try:  # MkDocs' steps for one page; private, so their absence only turns this module off
    from mkdocs.commands.build import _build_page, _populate_page
except ImportError:  # pragma: no cover - another MkDocs than the 1.6 line
    _build_page = _populate_page = None  # type: ignore[assignment]

log = logging.getLogger("mkdocs.plugins.element_docs")
SEARCH_PLUGINS = ("search", "material/search")


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


def page_key(url: Any) -> str:
    """A page's URL as the search index writes it: no anchor, no leading './'."""
    page = str(url).split("#")[0]
    return "" if page in (".", "./") else page.removeprefix("./")


class QuickRebuild:
    """Installed on the ``mkdocs serve`` server by the plugin's ``on_serve``."""

    def __init__(self, plugin: Any) -> None:
        self.plugin = plugin
        self.last: LastBuild | None = None
        self._changed: set[str] = set()
        self._lock = threading.Lock()
        self._index_writer: threading.Thread | None = None

    # set-up -------------------------------------------------------------------------------
    def remember(self, config: MkDocsConfig, files: Files, nav: Navigation | None,
                 env: Any) -> None:
        """Called at the end of every successful full build."""
        if nav is None or env is None or _build_page is None:
            self.last = None
            return
        pages = {os.path.abspath(f.abs_src_path): f.page for f in files.documentation_pages()
                 if f.abs_src_path and not f.generated_by and f.page is not None}
        self.last = LastBuild(config, files, nav, env, pages)

    def forget(self) -> None:
        self.last = None

    def install(self, server: Any) -> None:
        """Record the paths the server's watcher reports, and answer its rebuilds."""
        full_rebuild: Callable[[], None] = server.builder

        def builder() -> None:
            self.wait_for_index()
            with self._lock:
                changed, self._changed = self._changed, set()
            if not self.rebuild(changed):
                self.last = None  # the full build remembers its own objects
                full_rebuild()

        server.builder = builder
        recorder = _Recorder(self)
        watched = set(getattr(server, "_watched_paths", ()))
        for path in sorted(watched):
            server.observer.schedule(recorder, path, recursive=True)
        watch = server.watch

        def watch_too(path: str, func: None = None, *, recursive: bool = True) -> None:
            watch(path, func, recursive=recursive)
            full = os.path.abspath(path)
            if full not in watched:
                watched.add(full)
                server.observer.schedule(recorder, full, recursive=recursive)

        server.watch = watch_too

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
            log.info("element-docs: full rebuild: the change was outside the files "
                     "element-docs follows")
            return False
        start = time.monotonic()
        try:
            pages = self._plan(changed, last)
            if pages:
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
        project = plugin._project()
        settings = project.settings
        if (reason := why_off(last.config)) is not None:
            raise FullRebuild(reason)
        readers = _readers(plugin.reads, settings)
        data_dir = os.path.abspath(settings.data_dir)
        todo: set[str] = set()
        edited_pages: list[str] = []
        new_partials = data_changed = False
        for path in sorted(changed):
            rel = settings.rel(Path(path))
            exists = os.path.isfile(path)
            known = path in last.pages or path in readers["partial"] \
                or _under(path, data_dir)
            if not exists:
                if known:
                    raise FullRebuild(f"'{rel}' was removed or renamed")
                continue  # an editor's temporary file, gone again: not part of the site
            if path in last.pages:
                edited_pages.append(path)
                todo.add(path)
            elif path in readers["partial"]:
                todo.update(readers["partial"][path])
                new_partials = True
            elif _under(path, data_dir) and Path(path).suffix in (".yml", ".yaml"):
                todo.update(readers["data"].get(Path(path).stem, ()))
                data_changed = True
            else:
                raise FullRebuild(f"'{rel}' is not a page, partial or data file "
                                  "the site already reads")
        for path in edited_pages:
            key = Path(path)
            before = project.documents.get(key)
            project.load([key])
            after = project.documents.get(key)
            if before is None or after is None or _front(before) != _front(after):
                raise FullRebuild(f"the front matter of '{settings.rel(key)}' changed "
                                  "(the navigation and the catalog are made from it)")
        if data_changed:
            data, problems = load_data_files(settings.data_dir, settings.rel)
            if problems:
                raise FullRebuild("a data file has a problem to report")
            project.data = data
        if new_partials or data_changed:
            project.forget_renderer()  # compiled partials and data are read afresh
        return [last.pages[path] for path in sorted(todo)]

    def _redo(self, pages: list[Page], last: LastBuild) -> None:
        config, files, nav, env = last.config, last.files, last.nav, last.env
        plugin = self.plugin
        site_cache = plugin._site_cache()
        plugin.start_quick_rebuild()
        for page in pages:
            title = page.title
            plugin.forget_page(page.file.abs_src_path)
            _populate_page(page, config, files)
            if page.title != title:
                raise FullRebuild(f"the title of '{page.file.src_uri}' changed to "
                                  f"'{page.title}' (every page shows it in the navigation)")
            site_cache.refresh_page(page)
        entries = _search_entries(config)
        keep = [len(found) for _, found in entries]
        inclusion = InclusionLevel.is_in_serve
        doc_files = files.documentation_pages(inclusion=inclusion)
        for page in pages:
            excluded = bool(page.file.inclusion.is_excluded())  # type: ignore[no-untyped-call]
            _build_page(page, config, doc_files, nav, env, excluded=excluded)
        anchors = config.validation.links.anchors
        for page in pages:
            page.validate_anchor_links(files=files, log_level=anchors)
        plugin.finish_quick_rebuild()
        rebuilt = {page_key(page.url) for page in pages}
        for (_, found), old in zip(entries, keep, strict=True):
            _splice(found, old, rebuilt)
        if entries:
            writer = threading.Thread(target=_write_index, args=(config, entries),
                                      name="element-docs search index", daemon=True)
            self._index_writer = writer
            writer.start()

    def wait_for_index(self) -> None:
        if self._index_writer is not None:
            self._index_writer.join()
            self._index_writer = None


class _Recorder:
    """A watchdog event handler: note every path an event names."""

    def __init__(self, quick: QuickRebuild) -> None:
        self.quick = quick

    def dispatch(self, event: Any) -> None:
        if getattr(event, "is_directory", False):
            return
        self.quick.record(os.fsdecode(event.src_path),
                          os.fsdecode(getattr(event, "dest_path", "") or ""))


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _front(loaded: tuple[Any, list[Any]]) -> Any:
    doc, problems = loaded
    meta = None if doc is None else (doc.meta, doc.has_front_matter)
    return meta, [p.one_line() for p in problems]


def _readers(reads: dict[str, tuple[frozenset[str], frozenset[str]]],
             settings: Any) -> dict[str, dict[str, set[str]]]:
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
    found = []
    for name in SEARCH_PLUGINS:
        plugin = config.plugins.get(name)
        index = getattr(plugin, "search_index", None)
        entries = getattr(index, "entries", getattr(index, "_entries", None))
        if plugin is not None and isinstance(entries, list):
            if getattr(getattr(plugin, "config", None), "get", lambda _: None)(
                    "prebuild_index"):
                raise FullRebuild("the search index is prebuilt")
            found.append((plugin, entries))
    return found


def _splice(entries: list[dict[str, Any]], old: int, rebuilt: set[str]) -> None:
    """Put the entries the rebuilt pages just added (after ``old``) where theirs were."""
    added: dict[str, list[dict[str, Any]]] = {}
    for entry in entries[old:]:
        added.setdefault(page_key(entry.get("location", "")), []).append(entry)
    merged: list[dict[str, Any]] = []
    placed: set[str] = set()
    for entry in entries[:old]:
        key = page_key(entry.get("location", ""))
        if key not in rebuilt:
            merged.append(entry)
        elif key not in placed:
            placed.add(key)
            merged.extend(added.get(key, ()))
    for key, new in added.items():
        if key not in placed:
            merged.extend(new)
    entries[:] = merged


def _write_index(config: MkDocsConfig, entries: list[tuple[Any, list[dict[str, Any]]]]
                 ) -> None:
    """Write search/search_index.json as the search plugin would, one entry at a time (a
    single ``json.dumps`` of a large site holds the interpreter for a noticeable moment,
    during which the server could not answer the browser's reload)."""
    for plugin, found in entries:
        index = plugin.search_index
        if hasattr(index, "_entries"):  # MkDocs' own: keys sorted, its config as it is
            settings, sort = index.config, True
        else:  # Material's: four of its options
            settings = {k: plugin.config[k] for k in ("lang", "separator", "pipeline",
                                                       "fields")}
            sort = False

        def dump(value: Any, sort: bool = sort) -> str:
            return json.dumps(value, sort_keys=sort, separators=(",", ":"), default=str)

        docs = ",".join([dump(entry) for entry in list(found)])
        text = f'{{"config":{dump(settings)},"docs":[{docs}]}}'
        target = Path(config.site_dir) / "search" / "search_index.json"
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, target)
        except OSError as exc:
            log.warning(f"element-docs: could not write the search index: {exc}")
            temporary.unlink(missing_ok=True)

