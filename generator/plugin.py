"""The MkDocs adapter: with ``sitecache.py`` (its reuse of MkDocs' output) and ``quick.py``
(quick rebuilds under ``mkdocs serve``), the only modules that import MkDocs.

Events used, and why:
- ``on_startup``: keep one plugin instance (and its compiled templates and schemas) across
  ``mkdocs serve`` rebuilds, and learn whether we serve (errors must not stop the server).
- ``on_config``: read our options, load data files and schemas once per build.
- ``on_files``: load every page's front matter (for the catalog and navigation), add the
  generated diagnostic-codes page, and set the hub-grouped navigation when mkdocs.yml has none.
  Under ``--dirty`` MkDocs rebuilds only pages whose own file changed; here every page whose
  partials, data files or catalog changed is marked modified too (and every page when the
  navigation changed), so a dirty rebuild is also a correct one.
- ``on_nav``, ``on_pre_page``: let ``sitecache`` key each page's Markdown conversion on the
  site's files and hand back a kept conversion.
- ``on_page_markdown``: render the page's partials and check its examples (or take the
  result a forked child worked out ahead, see ``ahead.py``).
- ``on_serve``: watch includes/ (partials and _data) and the project's schemas too, and
  answer an edit of page bodies, partials or data files by redoing only the pages that read
  them (``quick.py``) instead of MkDocs' rebuild of the whole site.
- ``on_env``: every page has been checked and none written yet: fail the build here when
  any error was found, so a failing ``mkdocs build`` publishes nothing it refused. Then
  ``sitecache`` points every page whose theme output is kept at that output.
- ``on_page_context``, ``on_post_page`` (first, before other plugins): give a reused page its
  kept output; keep the theme's output of the others.
- ``on_post_build``: store what ``sitecache`` kept, print the summary. After a
  dirty build, complete the search index with the pages that were not rebuilt and remove the
  output of deleted pages, so a dirty build leaves the same site a clean one would.
- ``on_shutdown``: the server stops: stop the quick rebuilds' file watcher.
"""

from __future__ import annotations

import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from .ahead import CheckAhead
from .cache import digest
from .errors import Diagnostic, ElementDocsError, SourceLocation, format_text
from .examples import strip_overrides
from .pages import CODES_PAGE, build_nav, codes_markdown
from .pipeline import CODE_FINGERPRINT, PageResult, Project, ProjectMemory
from .quick import QuickRebuild
from .settings import settings_from
from .sitecache import SiteCache, page_key, search_entries

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
    fail_on_errors = c.Type(bool, default=True)
    """Stop ``mkdocs build`` when a page has an error. Off only while migrating a tree with
    known defects: the problems are reported either way."""
    check_ahead = c.Type(bool, default=True)
    """Check pages in a second process while MkDocs converts the pages already checked
    (only with a spare core and enough pages to pay for it). The result is the same."""
    quick_serve = c.Type(bool, default=True)
    """Under ``mkdocs serve``, an edit of page bodies, partials or data files redoes only
    the pages that read them; anything else gets MkDocs' rebuild of the whole site."""
    permalinks = c.Type(dict, default={})
    """Page (path under docs_dir) -> URL it is written at instead of MkDocs' own, as
    ``generator import-jekyll`` writes them: the URLs the Jekyll site had, so links written
    against them keep working. When set, a link from the site's root (``/x/``) that names
    no page or file of the site is a warning (ED322)."""


def _url_dest(url: str) -> str:
    """The file a URL from the site's root is served from (``/a/`` -> ``a/index.html``)."""
    dest = url.lstrip("/").split("#")[0]
    if not dest or dest.endswith("/"):
        return dest + "index.html"
    if "." not in dest.rsplit("/", 1)[-1]:
        return dest + "/index.html"
    return dest


def _apply_permalinks(files: Files, permalinks: dict[str, Any]
                      ) -> tuple[set[str], dict[str, File]]:
    """Write each page listed in ``permalinks`` at its URL (the first, when a list: the
    others are old URLs that redirect to it). Returns the URLs of the whole site, each
    from the root as a link names it, and the redirects (file to write -> page)."""
    redirects: dict[str, File] = {}
    for file in files.documentation_pages():
        urls = permalinks.get(file.src_uri)
        urls = [urls] if isinstance(urls, str) else urls
        if not isinstance(urls, list) or not urls or not all(
                isinstance(u, str) and u.startswith("/") for u in urls):
            continue
        file.dest_uri = _url_dest(urls[0])
        for cached in ("url", "abs_dest_path"):  # MkDocs works them out from dest_uri
            file.__dict__.pop(cached, None)
        for old in urls[1:]:
            redirects.setdefault(_url_dest(old), file)
    site: set[str] = set()
    if not permalinks:
        return site, redirects
    for dest in [f.dest_uri for f in files] + [d for d in redirects if d not in site]:
        site.add("/" + dest)
        if dest == "index.html" or dest.endswith("/index.html"):
            folder = "/" + dest[:-len("index.html")]
            site.update((folder, folder.rstrip("/") or "/"))
    return site, redirects


def _write_redirects(redirects: dict[str, File], site_dir: Path) -> None:
    """A small page at each old URL that sends the reader on to the page's URL."""
    import html
    import posixpath

    for dest, file in sorted(redirects.items()):
        target = site_dir / dest
        if target.exists():
            continue  # a page or file of the site is there: it wins
        relative = posixpath.relpath(file.dest_uri, posixpath.dirname(dest) or ".")
        link = html.escape(relative, quote=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>Redirecting</title><link rel=\"canonical\" href=\"{link}\">"
            f"<meta http-equiv=\"refresh\" content=\"0; url={link}\"></head>"
            f"<body><a href=\"{link}\">{link}</a></body></html>\n", encoding="utf-8")


_ROOT_LINK_RE = re.compile(r"""\]\((/(?!/)[^)\s]*)|\bhref=["'](/(?!/)[^"'\s]*)["']""")
_CODE_RE = re.compile(r"(?ms)^ *(```|~~~).*?^ *\1[^\n]*$|`[^`\n]+`")


def _with_dead_links(result: PageResult, urls: set[str], source: Path) -> PageResult:
    """The page's result with a warning (ED322) for each link from the site's root, outside
    code, that names no page or file of the site."""
    assert result.rendered is not None
    text = _CODE_RE.sub("", result.rendered.text)
    found: list[Diagnostic] = []
    seen: set[str] = set()
    lines: list[str] | None = None
    for match in _ROOT_LINK_RE.finditer(text):
        link = match.group(1) or match.group(2)
        target = link.split("#")[0].split("?")[0]
        if not target or target in urls or target.rstrip("/") in urls or link in seen:
            continue
        seen.add(link)
        if lines is None:
            try:
                lines = source.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines = []
        line = next((n for n, t in enumerate(lines, 1) if link in t), 0)
        found.append(Diagnostic(
            "ED322", f"link to {link}: no page or file of the site has that URL",
            SourceLocation(result.rel, line), "link to the page's .md file, or give the "
            "page that URL (permalinks: under the plugin in mkdocs.yml)"))
    if not found:
        return result
    return PageResult(result.rel, result.document, result.rendered,
                      [*result.diagnostics, *found])


class ElementDocsPlugin(BasePlugin[ElementDocsConfig]):
    def __init__(self) -> None:
        self.command = "build"
        self.dirty = False
        self.project: Project | None = None
        self.setup_diagnostics: list[Diagnostic] = []
        self.page_diagnostics: dict[str, list[Diagnostic]] = {}  # by source path
        self.reads: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # partials, data
        self.memory = ProjectMemory()
        self._last_nav: str | None = None
        self._files: Files | None = None
        self.ahead: CheckAhead | None = None
        self.site_cache: SiteCache | None = None
        self._nav: Navigation | None = None
        self._env: Any = None
        self.quick: QuickRebuild | None = None

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
        self.previous_index = _read_json(Path(config.site_dir) / SEARCH_INDEX) \
            if self.dirty else None
        self.config_digest = digest(Path(config.config_file_path or "").read_bytes()) \
            if config.config_file_path and Path(config.config_file_path).is_file() else ""
        self.setup_diagnostics = list(self.project.setup_diagnostics)
        self.page_diagnostics = {}
        self.reads = {}
        self._log(self.project.setup_diagnostics)
        cache_dir = self.project.settings.cache_dir
        if self.site_cache is None:
            self.site_cache = SiteCache(cache_dir / "site.sqlite3" if cache_dir else None,
                                        CODE_FINGERPRINT)
        self.site_cache.on_config(config, self.config_digest)
        return config

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        self.site_urls, self.redirects = _apply_permalinks(files, self.config.permalinks)
        project = self._project()
        pages = [Path(f.abs_src_path) for f in files.documentation_pages()
                 if f.abs_src_path and not f.generated_by]
        project.load(pages)
        files.append(File.generated(config, CODES_PAGE, content=codes_markdown()))
        if not config.nav:
            documents = [doc for doc, _ in project.documents.values() if doc is not None]
            config.nav = build_nav(documents, project.settings.docs_dir)
        self._files = files
        if self.dirty:
            self._mark_stale_pages(files, repr(config.nav))
        self._start_ahead(files)
        return files

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        self._nav = nav
        self._site_cache().on_nav(files)
        return nav

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        self._site_cache().on_pre_page(page, config, files)
        return page

    def _start_ahead(self, files: Files) -> None:
        """Fork a child to check, in MkDocs' order, the pages this build will render."""
        self._stop_ahead()
        if not self.config.check_ahead:
            return
        project = self._project()
        todo = [Path(f.abs_src_path) for f in files.documentation_pages()
                if f.abs_src_path and not f.generated_by and (not self.dirty or f.is_modified())]
        self.ahead = CheckAhead.start(project, [p for p in todo if not project.is_fresh(p)])

    def _stop_ahead(self) -> None:
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None

    def _mark_stale_pages(self, files: Files, nav: str) -> None:
        """Make MkDocs' dirty rebuild redo every page whose output would change."""
        project = self._project()
        state = digest(f"{nav}\0{self.config_digest}\0{project.fingerprint}".encode())
        marker = self._marker_path()
        previous = self._last_nav
        if previous is None and marker is not None and marker.is_file():
            previous = marker.read_text(encoding="utf-8")
        # First dirty build into an existing site (nothing known of it), a changed
        # navigation, mkdocs.yml or schema set: every page may differ, rebuild them all.
        nav_changed = previous != state and (previous is not None or self.command != "serve")
        self._last_nav = state
        if marker is not None:
            try:
                marker.parent.mkdir(parents=True, exist_ok=True)
                marker.write_text(state, encoding="utf-8")
            except OSError:
                pass
        for file in files.documentation_pages():
            if not file.abs_src_path or file.generated_by:
                continue
            path = Path(file.abs_src_path)
            if nav_changed or not project.is_fresh(path):
                file.is_modified = lambda: True  # type: ignore[method-assign]
            elif not file.is_modified():
                # skipped by MkDocs this time: its problems still belong in the report
                result = project.check_page(path)
                self._record(file.abs_src_path, result)
                self._log(result.diagnostics)

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig,
                         files: Files) -> str:
        source = page.file.abs_src_path
        self.built_urls.add(page_key(page.url))
        if not source or page.file.generated_by:
            return markdown
        project = self._project()
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
            result = _with_dead_links(result, self.site_urls, Path(source))
        self._record(source, result)
        self._log(result.diagnostics)
        if result.rendered is None or result.rendered.failed:
            errors = [d for d in result.diagnostics if d.is_error]
            notice = "\n".join(f"    {d.one_line()}" for d in errors)
            return f"!!! failure \"This page could not be rendered\"\n{notice}\n\n"
        return strip_overrides(result.rendered.text)

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        settings = self._project().settings
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
            raise PluginError(f"element-docs: {errors} error(s); see the messages above. "
                              "No page was written.")
        self._env = self._site_cache().on_env(env, config, files, self._nav,
                                              dict(config.plugins))
        return self._env

    @event_priority(100)  # before the search plugin indexes the page
    def on_page_context(self, context: Any, *, page: Page, config: MkDocsConfig,
                        nav: Navigation) -> Any:
        return self._site_cache().on_page_context(context, page)

    @event_priority(100)  # first: the theme's output, before any plugin changes it
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        return self._site_cache().on_post_page(output, page)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._stop_ahead()
        if self.memory.pages is not None:
            self.memory.pages.flush()
        if self.dirty:
            self._complete_dirty_build(config)
        if getattr(self, "redirects", None):
            _write_redirects(self.redirects, Path(config.site_dir))
        site_cache = self._site_cache()
        site_cache.on_post_build(self.dirty)
        if self.quick is not None:
            self.quick.remember(config, self._files or Files([]), self._nav, self._env)
        ahead = f" ({self.ahead_pages} in a second process)" if self.ahead_pages else ""
        reused = f"; MkDocs' output reused for {site_cache.reused_pages}" \
            if site_cache.reused_pages else ""
        self._summary(f"{ahead}, the others unchanged{reused}")

    def on_build_error(self, *, error: Exception) -> None:
        self._stop_ahead()
        if self.quick is not None:
            self.quick.forget()

    def on_shutdown(self) -> None:
        if self.quick is not None:
            self.quick.close()

    # quick rebuilds (quick.py) --------------------------------------------------------------
    def start_quick_rebuild(self) -> None:
        self.rendered_pages = 0
        self.ahead_pages = 0

    def forget_page(self, source: str | None) -> None:
        if source:
            self.page_diagnostics.pop(os.path.abspath(source), None)

    def finish_quick_rebuild(self) -> None:
        if self.memory.pages is not None:
            self.memory.pages.flush()
        self._site_cache().flush()

    def quick_summary(self, written: int, seconds: float) -> None:
        self._summary(f", the others unchanged (quick rebuild: {written} page(s) written "
                      f"in {seconds:.2f} s)")

    def _marker_path(self) -> Path | None:
        settings = self._project().settings
        return settings.cache_dir / "dirty-build-state" if settings.cache_dir else None

    def _complete_dirty_build(self, config: MkDocsConfig) -> None:
        """Merge the search entries of pages MkDocs skipped; drop output of deleted pages."""
        site = Path(config.site_dir)
        current = {page_key(file.url) for file in self._files or []
                   if file.is_documentation_page()}
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
        kept = [doc for doc in previous["docs"]
                if (page := page_key(doc.get("location", ""))) in current
                and page not in self.built_urls]
        index["docs"] = kept + index["docs"]
        (site / SEARCH_INDEX).write_text(json.dumps(index, ensure_ascii=False,
                                                    separators=(",", ":")), encoding="utf-8")
        # The search plugin's own list must say the same: a quick rebuild (quick.py)
        # writes the next index from it.
        for _, entries in search_entries(config.plugins):
            entries[:] = index["docs"]

    # helpers --------------------------------------------------------------------------------
    @property
    def diagnostics(self) -> list[Diagnostic]:
        found = list(self.setup_diagnostics)
        for page in self.page_diagnostics.values():
            found.extend(page)
        return found

    def _record(self, source: str, result: PageResult) -> None:
        """Keep what the page reported (for the summary) and read (for quick rebuilds)."""
        source = os.path.abspath(source)
        self.page_diagnostics[source] = result.diagnostics
        if self.command != "serve":
            return  # what a page read matters to quick rebuilds only
        rendered = result.rendered
        self.reads[source] = (frozenset(rendered.partials), frozenset(rendered.data_files)) \
            if rendered is not None else (frozenset(), frozenset())

    def _summary(self, rest: str) -> None:
        diagnostics = self.diagnostics
        pages = len(self._project().documents)
        log.info(f"element-docs: {self.rendered_pages} of {pages} pages rendered{rest}")
        if diagnostics:
            errors = sum(1 for d in diagnostics if d.is_error)
            log.info(f"element-docs: {errors} error(s), {len(diagnostics) - errors} "
                     "warning(s)")

    def _site_cache(self) -> SiteCache:
        if self.site_cache is None:
            raise PluginError("element-docs: on_config did not run")
        return self.site_cache

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
