"""Reuse MkDocs' own output for pages that cannot have changed since the last build.

Our page cache (``cache.py``) skips rendering and checking an unchanged page, but MkDocs would
still convert its Markdown, render it through the theme and index it for search: most of a
build. This module keeps those three results, keyed on content hashes of everything they
depend on, and hands them back to MkDocs on the next build:

1. **Conversion** (``Page.render``): keyed on the page's final Markdown and metadata, its
   path, the set of files in the site (links are resolved against it), ``mkdocs.yml`` and the
   versions of MkDocs, Markdown, its extensions and Pygments. Kept: the HTML, the table of
   contents, the title found in the page, its anchors and the messages MkDocs logged.
2. **Theme output and search entries**: keyed on the conversion key, the page's title and the
   whole navigation (every page's title and place: the theme writes the navigation into every
   page), the theme's files and the build date when a template shows it. The theme is skipped
   by pointing the page at a one-line template that prints the kept output; the search
   plugin's entries for the page are appended to its index as they were made.

Where it cannot see everything a page depends on, it stays off for the whole build, and says
so once in the log: a plugin other than search and ours (plugins and hooks may change pages at
any event), or a Markdown extension that reads other files (snippets).
The store is one SQLite file in the cache folder; entries a clean build did not use are
dropped at its end, so the file does not grow with every edit.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
import zlib
from collections.abc import Callable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from stat import S_ISREG
from typing import Any

from markupsafe import Markup
from mkdocs import __version__ as mkdocs_version
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Link, Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import get_toc
from mkdocs.utils import get_build_datetime

from generator.load.page_entry import digest
from generator.plugin.mkdocs_private import (
    TESTED_LINE,
    can_keep_conversions,
    original_render,
    rendered_title,
    replace_render,
    search_entries,
    set_rendered_title,
    wrap_search_adder,
)

log = logging.getLogger("mkdocs.plugins.element_docs")

SAFE_PLUGINS = {"search", "material/search", "element-docs"}
FILE_READING_EXTENSIONS = {
    "pymdownx.snippets",
    "markdown_include.include",
    "mdx_include",
    "pymdownx.b64",
    "markdown_exec",
}
VERSIONED = (
    "mkdocs",
    "mkdocs-material",
    "markdown",
    "pymdown-extensions",
    "pygments",
    "jinja2",
    "markupsafe",
)
TEMPLATE = "element-docs-cached-page.html"
CONTEXT_KEY = "element_docs_cached_page"
FORMAT = 2
FLUSH_EVERY = 200


def why_off(config: MkDocsConfig) -> str | None:
    """None when every page's output depends only on what the keys cover, else why not."""
    plugins = [name for name in config.plugins if name not in SAFE_PLUGINS]
    if plugins:
        return f"plugin '{plugins[0]}' may change pages in ways the cache cannot see"
    readers = [name for name in config.markdown_extensions if name in FILE_READING_EXTENSIONS]
    if readers:
        return f"Markdown extension '{readers[0]}' reads files the cache cannot track"
    return None


def page_key(url: Any) -> str:
    """A page's URL as the search index writes it: no anchor, no leading './'."""
    page = str(url).split("#")[0]
    return "" if page in (".", "./") else page.removeprefix("./")


def in_site_order(entries: list[dict[str, Any]], pages: list[str]) -> list[dict[str, Any]]:
    """Search entries in the order a clean build adds them: page by page in the order of
    ``pages`` (page keys in MkDocs' order of files), each page's entries as they are."""
    place = {page: number for number, page in enumerate(pages)}
    return sorted(entries, key=lambda e: place.get(page_key(e.get("location", "")), len(place)))


def _versions() -> str:
    found = []
    for name in VERSIONED:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=none")
    return ",".join(found)


def _local_theme_files(config: MkDocsConfig, root: Path) -> list[str]:
    """Theme folders inside the project (custom_dir) change without a version: hash them."""
    parts = []
    for folder in config.theme.dirs:
        path = Path(folder)
        if not path.resolve().is_relative_to(root) or "site-packages" in path.parts:
            continue
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            stat = file.stat()
            parts.append(f"{file.relative_to(path)}:{stat.st_size}:{stat.st_mtime_ns}")
    return parts


def _shows_build_date(config: MkDocsConfig) -> bool:
    """True when a theme template prints the build date (MkDocs' own themes do)."""
    return any(_folder_shows_build_date(folder) for folder in config.theme.dirs)


@lru_cache(maxsize=32)
def _folder_shows_build_date(folder: str) -> bool:
    for template in Path(folder).glob("**/*.html"):
        if ".icons" in template.parts:
            continue
        try:
            if "build_date" in template.read_text(encoding="utf-8", errors="replace"):
                return True
        except OSError:
            return True
    return False


def _nav_items(items: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        if isinstance(item, Section):
            out.append(["section", item.title, _nav_items(item.children)])
        elif isinstance(item, Link):
            out.append(["link", item.title, item.url])
        else:
            out.append(["page", item.title, item.url])
    return out


def _toc_tokens(items: Any) -> list[dict[str, Any]]:
    return [
        {"level": a.level, "id": a.id, "name": a.title, "children": _toc_tokens(a.children)}
        for a in items
    ]


def _open_store(path: Path, *setup: str) -> sqlite3.Connection | None:
    """An SQLite file of the site cache, made ready by the ``setup`` statements; None when
    it cannot be used (the caller then works without it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=10)
        for statement in setup:
            connection.execute(statement)
        return connection
    except (OSError, sqlite3.Error):
        return None


class _Store:
    """Key -> a small JSON value and a large text (a page's HTML, compressed: a site of
    5,000 pages keeps about 700 MB of HTML, which zlib's fastest level makes ten times
    smaller for less than it costs to escape it as JSON), read one key at a time."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self.pending: dict[str, tuple[str, bytes]] = {}
        self.used: set[str] = set()

    def db(self) -> sqlite3.Connection | None:
        if self.path is not None and self._db is None:
            self._db = _open_store(
                self.path,
                "DROP TABLE IF EXISTS output",  # the first format
                "CREATE TABLE IF NOT EXISTS kept (key TEXT PRIMARY KEY, value TEXT, text BLOB)",
            )
            if self._db is None:
                self.path = None  # an unusable cache only costs speed
        return self._db

    def get(self, key: str) -> dict[str, Any] | None:
        self.used.add(key)
        row = self.pending.get(key)
        db = self.db()
        if row is None and db is not None:
            try:
                row = db.execute("SELECT value, text FROM kept WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                row = None
        if row is None:
            return None
        try:
            value = json.loads(row[0])
            text = zlib.decompress(row[1]).decode("utf-8")
        except (ValueError, TypeError, zlib.error):
            return None
        if not isinstance(value, dict) or value.get("format") != FORMAT:
            return None
        return {**value, "text": text}

    def existing(self, keys: list[str]) -> set[str]:
        """Which of ``keys`` have an entry, in one query per thousand keys."""
        self.used.update(keys)
        found = {k for k in keys if k in self.pending}
        db = self.db()
        if db is None:
            return found
        for start in range(0, len(keys), 900):  # SQLite's limit on bound values
            chunk = keys[start : start + 900]
            marks = ",".join("?" * len(chunk))
            try:
                rows = db.execute(f"SELECT key FROM kept WHERE key IN ({marks})", chunk)
                found.update(row[0] for row in rows)
            except sqlite3.Error:
                break
        return found

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.used.add(key)
        text = zlib.compress(value.pop("text").encode("utf-8"), 1)
        self.pending[key] = (json.dumps({**value, "format": FORMAT}, separators=(",", ":")), text)
        if len(self.pending) >= FLUSH_EVERY:
            self.flush(prune=False, keep_used=True)  # a page's output is large: write early

    def flush(self, prune: bool, keep_used: bool = False) -> None:
        db = self.db()
        pending, self.pending = self.pending, {}
        if db is None:
            return
        try:
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO kept VALUES (?, ?, ?)",
                    ((key, value, text) for key, (value, text) in pending.items()),
                )
                if prune:
                    db.execute("CREATE TEMP TABLE IF NOT EXISTS used (key TEXT PRIMARY KEY)")
                    db.execute("DELETE FROM used")
                    db.executemany(
                        "INSERT OR IGNORE INTO used VALUES (?)", ((k,) for k in self.used)
                    )
                    db.execute("DELETE FROM kept WHERE key NOT IN (SELECT key FROM used)")
        except sqlite3.Error:
            pass
        if not keep_used:
            self.used = set()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


class WrittenPages:
    """Which page files in a site folder are current, for dirty builds.

    For every page file a build writes: its place in the site, its size and modification
    time, and the key of what it was made from (``key``). A dirty build keeps a page's file
    only when the file in the folder it builds into is one written from what the page would
    be made from now. Known by the file, not by the folder nor by the page cache: ``generator
    site`` builds in a copy of the site (times kept), ``mkdocs serve`` in a folder of its
    own, two runs may build at once, and ``generator check`` renders pages into the page
    cache without writing any site; none of that says what *this* folder holds. The few
    latest files of each page are remembered (copies of older sites may still be built)."""

    KEPT = 8

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self.memory: dict[tuple[str, int, int], str] = {}
        self.pending: list[tuple[str, int, int, str, float]] = []

    def db(self) -> sqlite3.Connection | None:
        if self.path is not None and self._db is None:
            self._db = _open_store(
                self.path,
                "PRAGMA journal_mode=WAL",  # as cache.py
                "PRAGMA synchronous=NORMAL",
                "CREATE TABLE IF NOT EXISTS written (dest TEXT, size "
                "INTEGER, mtime INTEGER, key TEXT, at REAL, "
                "PRIMARY KEY (dest, size, mtime))",
            )
            if self._db is None:
                self.path = None  # then every dirty build rebuilds every page: slower, right
        return self._db

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int] | None:
        try:
            info = path.stat()
        except OSError:
            return None
        return (info.st_size, info.st_mtime_ns) if S_ISREG(info.st_mode) else None

    def holds(self, dest: str, path: Path, key: str) -> bool:
        """True when ``path`` (the page's file at ``dest`` in the site) was written from
        ``key``."""
        stamp = self._stamp(path)
        if stamp is None:
            return False
        found = self.memory.get((dest, *stamp))
        db = self.db()
        if found is None and db is not None:
            try:
                row = db.execute(
                    "SELECT key FROM written WHERE dest = ? AND size = ? AND mtime = ?",
                    (dest, *stamp),
                ).fetchone()
            except sqlite3.Error:
                row = None
            found = row[0] if row else None
        return found == key

    def record(self, dest: str, path: Path, key: str) -> None:
        """``path`` (at ``dest`` in the site) was just written from ``key``."""
        stamp = self._stamp(path)
        if stamp is not None:
            self.memory[(dest, *stamp)] = key
            self.pending.append((dest, *stamp, key, time.time()))

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        db = self.db()
        if db is None or not pending:
            return
        try:
            with db:
                db.executemany("INSERT OR REPLACE INTO written VALUES (?, ?, ?, ?, ?)", pending)
                db.execute(
                    "DELETE FROM written WHERE rowid IN (SELECT rowid FROM (SELECT "
                    "rowid, ROW_NUMBER() OVER (PARTITION BY dest ORDER BY at DESC) "
                    "AS n FROM written) WHERE n > ?)",
                    (self.KEPT,),
                )
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def output_state(config: MkDocsConfig, files: Files, others: str) -> str:
    """What every page's output depends on besides the page itself: the site's files (links
    are resolved against them), the navigation (every page shows it), the theme and the
    versions that write it, the build date where the theme shows it, and ``others``
    (mkdocs.yml, the generator's code, schemas and site variables)."""
    root = Path(config.config_file_path or ".").resolve().parent
    layout = sorted((f.src_uri, f.dest_uri, f.url) for f in files)
    nav = repr(config.nav)
    if _untitled(config.nav):  # a title MkDocs takes from the page itself: unknown until
        nav += os.urandom(8).hex()  # every page is read, so every page is built again
    date = str(get_build_datetime()) if _shows_build_date(config) else ""
    return digest(
        json.dumps(
            [others, layout, nav, _versions(), date, _local_theme_files(config, root)], default=str
        ).encode()
    )


def _untitled(nav: Any) -> bool:
    if nav is None or isinstance(nav, str):  # None: MkDocs' own navigation, of page titles
        return True
    if isinstance(nav, list):
        return any(_untitled(item) for item in nav)
    if isinstance(nav, dict):
        return any(isinstance(v, list) and _untitled(v) for v in nav.values())
    return False


class _Capture(logging.Handler):
    """Records what MkDocs logs while converting a page, to say it again on reuse."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[list[Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.INFO:
            self.records.append([record.name, record.levelno, record.getMessage()])


class SiteCache:
    """One build's reuse of MkDocs' output; the plugin calls it from its events."""

    def __init__(self, path: Path | None, code: str) -> None:
        self.store = _Store(path)
        self.code = code
        self.enabled = False
        self.base = ""  # what every conversion depends on
        self.config_part = ""
        self.conversion_keys: dict[int, str] = {}  # id(page) -> conversion key
        self.output_keys: dict[int, str] = {}  # id(page) -> theme output key
        self.reusable: set[int] = set()  # id(page) of pages whose theme output is kept
        self.current: tuple[int, dict[str, Any]] | None = None  # the page being written
        self.search_entries: dict[int, list[Any]] = {}
        self.reused_pages = 0
        self.whole = ""  # what every page's theme output depends on

    # events -------------------------------------------------------------------------------
    def on_config(self, config: MkDocsConfig, config_digest: str) -> None:
        """``config_digest``: the hash of mkdocs.yml's bytes, which the plugin reads."""
        reason = why_off(config)
        if reason is None and not can_keep_conversions():
            reason = f"MkDocs {mkdocs_version} is not of the {TESTED_LINE}x line this was tested on"
        self.enabled = reason is None
        if reason is not None:
            log.info(f"element-docs: MkDocs' output is not reused: {reason}")
            return
        resolved = json.dumps(
            {
                "site_url": config.site_url,
                "repo_url": config.repo_url,
                "edit_uri": config.edit_uri,
                "use_directory_urls": config.use_directory_urls,
                "extra": config.extra,
                "theme": dict(config.theme.items()),
                "docs_dir": config.docs_dir,
                "anchors": str(config.validation.links.anchors),
            },
            sort_keys=True,
            default=str,
        )
        self.config_part = digest(
            "\0".join([config_digest, resolved, _versions(), self.code]).encode()
        )
        self.conversion_keys.clear()
        self.output_keys.clear()
        self.reusable.clear()
        self.current = None
        self.search_entries.clear()
        self.reused_pages = 0

    def on_nav(self, files: Files) -> None:
        if not self.enabled:
            return
        layout = sorted((f.src_uri, f.dest_uri, f.url) for f in files)
        self.base = digest(f"{self.config_part}\0{json.dumps(layout)}".encode())

    def on_pre_page(self, page: Page, config: MkDocsConfig, files: Files) -> None:
        if not self.enabled:
            return
        convert = original_render(page)

        def render(config: MkDocsConfig, files: Files) -> None:
            self._render(page, convert, config, files)

        replace_render(page, render)

    def _render(
        self,
        page: Page,
        convert: Callable[[MkDocsConfig, Files], None],
        config: MkDocsConfig,
        files: Files,
    ) -> None:
        meta = json.dumps(page.meta, sort_keys=True, default=str)
        key = digest(f"c\0{self.base}\0{page.file.src_uri}\0{meta}\0{page.markdown}".encode())
        self.conversion_keys[id(page)] = key
        kept = self.store.get(key)
        if kept is not None and self._restore(page, kept, files):
            return
        capture = _Capture()
        mkdocs_log = logging.getLogger("mkdocs")
        mkdocs_log.addHandler(capture)
        try:
            convert(config, files)
        finally:
            mkdocs_log.removeHandler(capture)
        links = None
        if page.links_to_anchors is not None:
            links = {f.src_uri: dict(v) for f, v in page.links_to_anchors.items()}
        self.store.put(
            key,
            {
                "text": page.content,
                "toc": _toc_tokens(page.toc),
                "title": rendered_title(page),
                # raw HTML such as <Base 64 Element ID> gives MkDocs an id of None (an attribute
                # without a value): no link can name it, so it is not kept
                "anchors": sorted(a for a in page.present_anchor_ids or () if isinstance(a, str)),
                "links": links,
                "log": capture.records,
            },
        )

    def _restore(self, page: Page, kept: dict[str, Any], files: Files) -> bool:
        links = None
        if kept["links"] is not None:
            links = {}
            for src, anchors in kept["links"].items():
                target = files.get_file_from_path(src)
                if target is None:
                    return False
                links[target] = anchors
        page.content = kept["text"]
        page.toc = get_toc(kept["toc"])
        set_rendered_title(page, kept["title"])
        page.present_anchor_ids = set(kept["anchors"])
        if logging.getLogger("mkdocs").getEffectiveLevel() > logging.DEBUG:
            page.links_to_anchors = links
        for name, level, message in kept["log"]:
            logging.getLogger(name).log(level, message)
        return True

    def on_env(
        self,
        env: Any,
        config: MkDocsConfig,
        files: Files,
        nav: Navigation | None,
        plugins: dict[str, Any],
    ) -> Any:
        if not self.enabled:
            return env
        import jinja2

        date = str(get_build_datetime()) if _shows_build_date(config) else ""
        root = Path(config.config_file_path or ".").resolve().parent
        layout = _nav_items(nav.items) if nav is not None else []
        whole = self.whole = digest(
            json.dumps([self.base, layout, date, _local_theme_files(config, root)]).encode()
        )
        pages = [
            file.page
            for file in files.documentation_pages()
            if file.page is not None and id(file.page) in self.conversion_keys
        ]
        for page in pages:
            self.output_keys[id(page)] = digest(
                f"p\0{whole}\0{self.conversion_keys[id(page)]}\0{page.title}".encode()
            )
        kept = self.store.existing(list(self.output_keys.values()))
        for page in pages:
            if self.output_keys[id(page)] in kept and "template" not in page.meta:
                self.reusable.add(id(page))
                page.meta["template"] = TEMPLATE
        env.loader = jinja2.ChoiceLoader(
            [jinja2.DictLoader({TEMPLATE: "{{ " + CONTEXT_KEY + " }}"}), env.loader]
        )
        self._wrap_search(plugins)
        return env

    def refresh_page(self, page: Page) -> None:
        """``page`` was converted again by a quick rebuild (``quick.py``): key its theme
        output on what it is now, and let the theme render it."""
        self.reusable.discard(id(page))
        conversion = self.conversion_keys.get(id(page))
        if self.enabled and self.whole and conversion is not None:
            self.output_keys[id(page)] = digest(
                f"p\0{self.whole}\0{conversion}\0{page.title}".encode()
            )
        else:
            self.output_keys.pop(id(page), None)

    def flush(self) -> None:
        """Store what a quick rebuild kept, without dropping what it did not use."""
        if self.enabled:
            self.store.flush(prune=False)
        self.store.close()

    def _wrap_search(self, plugins: dict[str, Any]) -> None:
        """Hand the search plugin the entries it made for a reused page last time."""
        for plugin, entries in search_entries(plugins):

            def wrap(
                add: Callable[[Page], None], entries: list[Any] = entries
            ) -> Callable[[Page], None]:
                def add_entry(page: Page) -> None:
                    current = self.current
                    kept = current[1] if current and current[0] == id(page) else None
                    if kept is not None and isinstance(kept.get("search"), list):
                        entries.extend(kept["search"])  # read afresh for this page
                        return
                    before = len(entries)
                    add(page)
                    self.search_entries[id(page)] = entries[before:]

                return add_entry

            wrap_search_adder(plugin, wrap)

    def on_page_context(self, context: dict[str, Any], page: Page) -> dict[str, Any]:
        self.current = None
        if id(page) in self.reusable:
            kept = self.store.get(self.output_keys[id(page)])
            if kept is None:  # gone since on_env (the cache was deleted): MkDocs renders it
                raise PluginError(
                    f"element-docs: the kept output of '{page.file.src_uri}' "
                    "disappeared during the build; build again"
                )
            self.current = (id(page), kept)
            context[CONTEXT_KEY] = Markup(kept["text"])
        return context

    def on_post_page(self, output: str, page: Page) -> str:
        """Runs before any other plugin's: ``output`` is the theme's, as it will be reused."""
        if id(page) in self.reusable:
            page.meta.pop("template", None)
            self.reused_pages += 1
        elif (key := self.output_keys.get(id(page))) is not None:
            self.store.put(key, {"text": output, "search": self.search_entries.get(id(page))})
        return output

    def on_post_build(self, dirty: bool) -> None:
        if self.enabled:
            self.store.flush(prune=not dirty)
        self.store.close()
