"""Compose the stages: load -> render -> extract -> validate, for one page or a project.

The same ``Project`` serves ``generator check``, ``generator build`` and the MkDocs plugin.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from generator.errors import Diagnostic, SourceLocation
from generator.load.data import DATA_SUFFIXES, load_data_files
from generator.load.documents import Document, document_from_bytes
from generator.load.filememo import MISSING, state_of
from generator.load.files import (
    absolute,
    decode,
    read_page_bytes,
    without_suffix,
)
from generator.load.listing import iter_pages
from generator.load.page_entry import digest, loaded_from_entry, read_entry
from generator.load.schema_files import read_schema_files
from generator.load.sources import SourceCache
from generator.model import catalog, group_by_hub
from generator.parallel import forked_map
from generator.pipeline.cache import CachedPage, FileHashes, PageCache
from generator.render.codecache import CodeStore
from generator.render.names import partial_path
from generator.render.sourcemap import ALL_DATA, SITE_MODEL, RenderResult
from generator.render.tracking import reads_whole_site
from generator.report import CheckReport
from generator.settings import Settings, relative_posix
from generator.version import CODE_FINGERPRINT

if TYPE_CHECKING:  # imported where used: a check whose pages all come from the cache
    # needs neither Jinja nor jsonschema nor markdown-it (0.2 s of its start-up)
    from generator.render.renderer import Renderer
    from generator.validate.schemas import SchemaStore


@dataclass
class PageResult:
    rel: str
    document: Document | None
    rendered: RenderResult | None
    diagnostics: list[Diagnostic]


#: A page as loading leaves it: (hash of the content parsed, (the page or None, problems)).
LoadedPage: TypeAlias = tuple[str, tuple[Document | None, list[Diagnostic]]]


@dataclass
class ProjectMemory:
    """What outlives one build: file hashes, parsed front matter and rendered pages.

    ``mkdocs serve`` keeps one across rebuilds, so an edit costs only what it touches.
    ``documents`` holds, for each page, the hash of the file content its front matter was
    parsed from and the loaded page (a document without its body, see ``Project.load``)."""

    hashes: FileHashes = field(default_factory=FileHashes)
    documents: dict[Path, LoadedPage] = field(default_factory=dict)
    pages: PageCache | None = None


def _front_matter(loaded: tuple[Document | None, list[Diagnostic]]) -> Any:
    """What the catalog and the navigation can see of a loaded page."""
    doc, problems = loaded
    meta = None if doc is None else (doc.meta, doc.has_front_matter)
    return meta, [p.one_line() for p in problems]


class Project:
    """A loaded project: settings, data files, schemas and the renderer, built once."""

    def __init__(
        self, settings: Settings, memory: ProjectMemory | None = None, use_cache: bool = True
    ) -> None:
        self.settings = settings
        self.memory = memory or ProjectMemory()
        self.sources = SourceCache(settings.root)
        self.schema_files, self._schema_problems = read_schema_files(
            settings.schemas_dir, settings.rel
        )
        self._schemas: SchemaStore | None = None
        if any(not file.shipped for file in self.schema_files):
            self._schemas = self.schemas  # the project's own: their problems are told now
        data, data_problems = load_data_files(settings.data_dir, settings.rel)
        self.setup_diagnostics: list[Diagnostic] = [
            *(self._schema_problems if self._schemas is None else self._schemas.diagnostics),
            *data_problems,
        ]
        if not settings.jekyll and not settings.includes_dir.is_dir():
            # (a Jekyll site needs no _includes/: an include then says which file is missing)
            self.setup_diagnostics.append(
                Diagnostic(
                    "ED401",
                    f"includes folder '{settings.rel(settings.includes_dir)}' is missing",
                    SourceLocation("mkdocs.yml"),
                    "create it, or set includes_dir in mkdocs.yml",
                )
            )
        self.data = data
        self.documents: dict[Path, tuple[Document | None, list[Diagnostic]]] = {}
        self.elements: list[dict[str, Any]] = []
        self._renderer: Renderer | None = None
        self._dependency_memo: dict[str, str] = {}  # see _dependency_hash
        self._whole_site_memo: dict[str, bool] = {}  # partial -> uses site whole
        #: the partial each loaded page includes first, as written (see _check_parallel)
        self.first_include: dict[Path, bytes] = {}
        fingerprint = self.fingerprint = self._fingerprint()
        #: compiled templates kept between runs: for checks of Jekyll trees in place, whose
        #: cache is in the user's own cache folder (see codecache)
        self.code_store: CodeStore | None = None
        if use_cache and settings.jekyll and settings.cache_dir is not None:
            self.code_store = CodeStore(
                settings.cache_dir,
                json.dumps(
                    [
                        CODE_FINGERPRINT,
                        settings.jekyll,
                        settings.strict,
                        settings.max_include_depth,
                        settings.max_output_chars,
                        settings.max_render_seconds,
                    ]
                ),
            )
        if not use_cache:
            self.memory.pages = None
        elif self.memory.pages is None or self.memory.pages.fingerprint != fingerprint:
            self.memory.pages = PageCache(settings.cache_dir, fingerprint)

    @property
    def schemas(self) -> SchemaStore:
        """The validators of the schema files, made when first asked for: importing
        jsonschema and compiling cost about 0.2 s, which a check whose pages all come from
        the cache does without. (The project's own schemas are made at once, see
        __init__.)"""
        if self._schemas is None:
            from generator.validate.schemas import schema_store

            self._schemas = schema_store(self.schema_files, self._schema_problems)
        return self._schemas

    def _fingerprint(self) -> str:
        """Everything that affects every page: code, schemas, site variables, settings."""
        import json

        settings = self.settings
        payload = json.dumps(
            {
                "code": CODE_FINGERPRINT,
                "schemas": [[file.name, file.text] for file in self.schema_files],
                # Jekyll's site.time is the time of each run: left out, or no run would hit.
                # The site model (site.pages...) is left out too: it changes with any page's
                # front matter, and a page that reads it depends on it (see _hash_dependency);
                # every URL ({% link %}, post_url) stays in.
                "site": {
                    k: v
                    for k, v in settings.site.items()
                    if not (settings.jekyll and (k == "time" or k in settings.jekyll_model_keys))
                },
                "urls": sorted(settings.jekyll_urls.items()),
                "strict": settings.strict,
                "depth": settings.max_include_depth,
                "includes": str(settings.includes_dir),
            },
            sort_keys=True,
            default=str,
        )
        return digest(payload.encode())

    def _dependency_hash(self, name: str) -> str:
        """The hash of a partial, data file or the catalog, taken the first time it is
        asked for after the renderer was last dropped (``forget_renderer``, which every
        load and every edit of partials or data does), not again for each page."""
        found = self._dependency_memo.get(name)
        if found is None:
            found = self._dependency_memo[name] = self._hash_dependency(name)
        return found

    def _hash_dependency(self, name: str) -> str:
        kind, _, value = name.partition(":")
        hashes = self.memory.hashes
        if kind == "partial":
            return hashes.of(partial_path(self.settings, value))  # include_relative too
        if kind == "data":
            # site.data.NAME comes from _data/NAME.* or, nested, from the files of the folder
            # _data/NAME/ (see load_data_files); a listing of site.data reads every file.
            # None is a state too, left when the file appears.
            data_dir = self.settings.data_dir
            files = sorted(
                p
                for p in data_dir.rglob("*")
                if p.suffix in DATA_SUFFIXES
                and (
                    value == ALL_DATA
                    or p.stem == value
                    or (relative_posix(p, data_dir) or "").split("/")[0] == value
                )
            )
            return digest(
                "".join(f"{relative_posix(f, data_dir)}:{hashes.of(f)}\n" for f in files).encode()
            )
        if kind == "catalog":
            return self.catalog_hash
        if kind == "site":  # a key of a Jekyll tree's site model (site.pages...)
            return _value_hash(self.settings.site.get(value))
        return "unknown"

    @property
    def catalog_hash(self) -> str:
        import json

        return digest(json.dumps(self.elements, sort_keys=True, default=str).encode())

    def is_fresh(self, path: Path) -> bool:
        """True when the cached result of ``path`` is still exactly what a render would give."""
        cache = self.memory.pages
        if cache is None:
            return False
        rel = self.settings.rel(path)
        entry = cache.memory.get(rel)
        if entry is None:
            entry = cache.load(rel)
            if entry is not None:
                cache.memory[rel] = entry  # check_page will want it next: decode once
        return (
            entry is not None
            and entry.page_hash == self.memory.hashes.of(path)
            and all(self._dependency_hash(n) == v for n, v in entry.dependencies.items())
        )

    def render_key(self, path: Path) -> str | None:
        """What the page's result is made from (its content and that of everything it read),
        or None when the page cache holds no current result for it."""
        if not self.is_fresh(path):
            return None
        cache = self.memory.pages
        entry = cache.memory.get(self.settings.rel(path)) if cache is not None else None
        if entry is None:
            return None
        return digest(repr((entry.page_hash, sorted(entry.dependencies.items()))).encode())

    # loading ------------------------------------------------------------------------------
    def load(self, paths: Iterable[Path], jobs: int = 1) -> None:
        """Read the front matter of ``paths`` (pages unchanged since an earlier load are
        not read again) and build the element catalog from it; ``jobs`` > 1 reads the
        pages in that many processes when there are many.

        Only the front matter is kept: a page's body is read again when the page is
        checked (``check_page``), so memory does not grow with the text of every page."""
        known = self.memory.documents
        hashes = self.memory.hashes
        keys = []
        todo: list[tuple[Path, Path]] = []
        for path in paths:
            key = absolute(path)
            keys.append(key)
            cached = known.get(key)
            if cached is None or cached[0] != hashes.of(key):
                # one path object for the page, not two
                todo.append((key, key if os.fspath(path) == os.fspath(key) else path))
        if self.settings.memo is not None:  # pages unchanged since an earlier run
            rest = []
            for number, (key, path) in enumerate(todo):
                if number % LOAD_CHUNK == 0:  # their kept rows read a batch at a time
                    self.settings.memo.prefetch(
                        [k for k, _ in todo[number : number + LOAD_CHUNK]], "page"
                    )
                remembered = self._remembered(path)
                if remembered is None:
                    rest.append((key, path))
                else:
                    known[key] = remembered
            todo = rest
        if jobs > 1 and len(todo) >= 4 * LOAD_CHUNK:
            for key, hashed, include, cached, kept in self._load_parallel(todo, jobs):
                if hashed is not None:
                    hashes.learn(key, hashed)
                if kept and self.settings.memo is not None:
                    self.settings.memo.merge(key, kept)
                self.first_include[key] = include
                known[key] = cached
        else:
            for key, path in todo:
                known[key] = self._read_front_matter(path)
        if self.settings.memo is not None:
            self.settings.memo.save()
            self.settings.memo.release()
        for key in keys:
            self.documents[key] = known[key][1]
        self.elements = catalog((d for d, _ in self.documents.values() if d), self.settings)
        self.forget_renderer()

    def _load_parallel(
        self, todo: list[tuple[Path, Path]], jobs: int
    ) -> Iterator[tuple[Path, tuple[int, int, str] | None, bytes, LoadedPage, Any]]:
        """``_read_front_matter`` of each page in forked workers: (key, its file hash as
        ``FileHashes.known`` has it, its first include, the loaded page, the memo's entry
        for it)."""
        chunks = [todo[i : i + LOAD_CHUNK] for i in range(0, len(todo), LOAD_CHUNK)]
        for chunk in forked_map(self, _load_chunk, chunks, jobs):
            for key, hashed, include, (stamp, (doc, problems)), kept in chunk:
                if doc is not None:  # sent without the settings: this project's own
                    object.__setattr__(doc, "settings", self.settings)
                yield key, hashed, include, (stamp, (doc, problems)), kept

    def _read_front_matter(self, path: Path) -> LoadedPage:
        """The page's file read now: (the hash of what was parsed, (page, problems)). The
        hash is remembered, so the file is not read again to learn whether it changed.
        With a file memo (settings.memo), a file whose state is unchanged since an earlier
        run is not read at all: what that run learnt of it is given back."""
        remembered = self._remembered(path)
        if remembered is not None:
            return remembered
        memo = self.settings.memo
        state = state_of(path) if memo is not None else None
        try:
            before: os.stat_result | None = os.stat(path)
        except OSError:
            before = None
        entry, loaded = read_entry(path, self.settings)
        if entry is None:  # no hash is "": it is tried again next time
            return "", loaded
        key = absolute(path)
        self.first_include[key] = entry["first"]
        if before is not None:
            self.memory.hashes.record(key, before, entry["hash"])
        if state is not None:
            memo.put(key, "page", state, entry)
        return entry["hash"], loaded

    def _remembered(self, path: Path) -> LoadedPage | None:
        """What an earlier run learnt loading the page at ``path`` (see _read_front_matter),
        when the file's state is the same; else None."""
        memo = self.settings.memo
        if memo is None:
            return None
        state = state_of(path)
        kept = memo.get(path, "page", state)
        if kept is MISSING or state is None:
            return None
        loaded = loaded_from_entry(path, kept, self.settings)
        if loaded is None:
            return None
        content, first = kept["hash"], kept["first"]
        key = absolute(path)
        self.first_include[key] = first
        self.memory.hashes.learn(key, (state[1], state[0], content))
        return content, loaded

    def reread(self, path: Path) -> bool:
        """Read the page at ``path`` again after an edit of its body. True when its front
        matter, and what loading it reported, are unchanged: the page is then up to date and
        the catalog, the navigation and the compiled partials stay as they are, without
        the cost of ``load`` (which makes the catalog of every page again). False when
        they may have changed: the caller then loads the project again."""
        key = absolute(path)
        before = self.documents.get(key)
        cached = self._read_front_matter(key)
        if (
            before is None
            or cached[1][0] is None
            or _front_matter(cached[1]) != _front_matter(before)
        ):
            return False
        self.memory.documents[key] = cached
        self.documents[key] = cached[1]
        return True

    def forget_renderer(self) -> None:
        """Compile partials again on the next render (one was edited, or the data)."""
        self._renderer = None
        self._dependency_memo.clear()
        self._whole_site_memo.clear()

    def load_all(self, jobs: int = 1) -> None:
        self.load(iter_pages(self.settings), jobs)

    @property
    def site(self) -> dict[str, Any]:
        return {
            **self.settings.site,
            "data": self.data,
            "elements": self.elements,
            "hubs": group_by_hub(self.elements),
        }

    @property
    def renderer(self) -> Renderer:
        if self._renderer is None:
            from generator.render.renderer import Renderer

            self._renderer = Renderer(self.settings, self.site, self.code_store)
        return self._renderer

    # checking -----------------------------------------------------------------------------
    def page_context(self, doc: Document) -> dict[str, Any]:
        page = {**self.settings.page_values(doc.rel), **doc.meta}  # Jekyll: defaults:, url
        item = self.settings.jekyll_items.get(doc.rel) if self.settings.jekyll else None
        if item is not None and item.get("collection") == "posts":
            for key in ("categories", "tags", "date"):  # as Jekyll makes them of a post's
                if key in item:  # (lists of words, a time from the file's name or date:)
                    page[key] = item[key]
        if doc.is_element:
            # a misspelled key (elementkey) is reported once (ED104, "did you mean"); the
            # page renders as meant instead of cascading into undefined variables
            from generator.validate.front_matter import misspelled_keys

            for wrong, meant in misspelled_keys(doc.meta, self.front_matter_keys).items():
                page.setdefault(meant, doc.meta[wrong])
        if doc.hub is not None and not self.settings.jekyll:  # Jekyll has no hub alias
            page.setdefault("hub", doc.hub)
        page.setdefault("path", doc.rel)
        if "url" not in page:
            in_docs = relative_posix(doc.path, self.settings.docs_dir)
            page["url"] = doc.rel if in_docs is None else without_suffix(in_docs) + "/"
        return page

    def check_page_unrendered(self, path: Path, text: bool = True) -> PageResult | None:
        """``check_page``'s result when it takes no rendering: the page's entry in the page
        cache is current, or the page could not be loaded. None when it must be rendered."""
        key = absolute(path)
        if key not in self.documents:
            self.load([path])
        doc, load_problems = self.documents[key]
        rel = self.settings.rel(path)
        if doc is None:
            return PageResult(rel, None, None, list(load_problems))
        cache = self.memory.pages
        if cache is not None:
            entry = cache.get(rel, self.memory.hashes.of(key), self._dependency_hash, text)
            if entry is not None:
                return PageResult(
                    rel, doc, entry.rendered if entry.has_text else None, list(entry.diagnostics)
                )
        return None

    def check_page(self, path: Path, text: bool = True) -> PageResult:
        """The page checked, or its result from the page cache when current. Without
        ``text`` (a check, which reports diagnostics only) a result from the cache may come
        without the rendered page (``rendered`` None): its text is not read."""
        found = self.check_page_unrendered(path, text)
        if found is not None:
            return found
        key = absolute(path)
        doc, load_problems = self.documents[key]
        assert doc is not None  # check_page_unrendered answered for a page not loaded
        rel = self.settings.rel(path)
        cache = self.memory.pages
        # Not cached: read the page again for its body (only its front matter was kept).
        raw, problem = read_page_bytes(doc.path, doc.rel, self.settings)
        if raw is None:  # gone or unreadable since it was loaded
            return PageResult(rel, None, None, [problem] if problem else [])
        page_hash = digest(raw)  # the cache entry is for exactly the content checked
        full, load_problems = self._with_body(key, doc, load_problems, raw, page_hash)
        if full is None:
            return PageResult(rel, None, None, load_problems)
        try:
            result = self._check_document(full, load_problems, rel)
        except Exception as exc:  # noqa: BLE001 - a last resort: the page, not the run
            return PageResult(rel, full, None, [*load_problems, _page_failure(exc, full)])
        if cache is not None:
            rendered = result.rendered
            dependencies: dict[str, str] = {}
            if rendered is not None:
                for name in sorted(rendered.partials):
                    dependencies[f"partial:{name}"] = self._dependency_hash(f"partial:{name}")
                model = [f"site:{key}" for key in sorted(self.settings.jekyll_model_keys)]
                if model and self._reads_whole_site(full, rendered):
                    for name in model:
                        dependencies[name] = self._dependency_hash(name)
                for stem in sorted(rendered.data_files):
                    if stem == "@catalog":
                        dependencies["catalog:"] = self._dependency_hash("catalog:")
                    elif stem.startswith(SITE_MODEL):
                        name = "site:" + stem.removeprefix(SITE_MODEL)
                        dependencies[name] = self._dependency_hash(name)
                    else:
                        dependencies[f"data:{stem}"] = self._dependency_hash(f"data:{stem}")
                # The cache keeps no source map: only this check needs it, and an entry
                # read back from disk has none either.
                rendered = rendered.without_origins()
            cache.put(rel, CachedPage(page_hash, dependencies, rendered, result.diagnostics))
        return result

    def _with_body(
        self, key: Path, doc: Document, load_problems: list[Diagnostic], raw: bytes, page_hash: str
    ) -> tuple[Document | None, list[Diagnostic]]:
        """The page with its body, from ``raw``: the bytes of its file read just now.

        When they are the bytes its front matter was parsed from, only the body is cut
        out of them. When the file was edited since (an editor's save during the run),
        the page is parsed again: the check is then of the page as it is now, with the
        problems of its new content."""
        known = self.memory.documents.get(key)
        if known is not None and known[0] == page_hash and known[1][0] is doc:
            text, _ = decode(raw, doc.rel)
            if text is not None:
                return doc.with_body(text), load_problems
        return document_from_bytes(raw, doc.path, doc.rel, self.settings)

    def _check_document(
        self, doc: Document, load_problems: list[Diagnostic], rel: str
    ) -> PageResult:
        diagnostics = list(load_problems)
        if any(d.code in ("ED101", "ED310") for d in load_problems):
            return PageResult(rel, doc, None, diagnostics)  # meta unknown: checks would mislead
        from generator.validate.front_matter import check_front_matter

        diagnostics.extend(check_front_matter(doc, self.schemas))
        rendered = self.renderer.render(
            doc.body, doc.rel, doc.body_first_line, self.page_context(doc)
        )
        diagnostics.extend(rendered.diagnostics)
        if any(d.code == "ED104" for d in diagnostics):
            read = self._page_keys_read(doc, rendered)
            diagnostics = [
                d
                for d in diagnostics
                if d.code != "ED104"
                or d.hint.startswith("did you mean")
                or _quoted_key(d.message) not in read
            ]
        if not rendered.failed:
            from generator.extract.blocks import extract
            from generator.validate.context import PageContext
            from generator.validate.examples import check_examples

            blocks = extract(rendered.text)
            context = PageContext(doc, rendered, self.sources.line, self.schemas)
            diagnostics.extend(check_examples(context, blocks))
        return PageResult(rel, doc, rendered, diagnostics)

    def _reads_whole_site(self, doc: Document, rendered: RenderResult) -> bool:
        """True when the page or a partial it included may use ``site`` whole (see
        environment.reads_whole_site): it then depends on every key of the site model."""
        if reads_whole_site(doc.body):
            return True
        for name in rendered.partials:
            found = self._whole_site_memo.get(name)
            if found is None:
                try:
                    text = partial_path(self.settings, name).read_text(
                        encoding="utf-8", errors="replace"
                    )
                except OSError:
                    text = ""
                found = self._whole_site_memo[name] = reads_whole_site(text)
            if found:
                return True
        return False

    @property
    def front_matter_keys(self) -> list[str]:
        from generator.validate.schemas import FRONT_MATTER

        validator = self.schemas.get(FRONT_MATTER)
        return list(validator.schema.get("properties", {})) if validator is not None else []

    def _page_keys_read(self, doc: Document, rendered: RenderResult) -> set[str]:
        """The ``page.x`` keys the page and the partials it included read: such a key is
        the templates' own, not an unknown one."""
        texts = [doc.body]
        for name in rendered.partials:
            try:
                texts.append(
                    partial_path(self.settings, name).read_text(encoding="utf-8", errors="replace")
                )
            except OSError:
                continue
        read: set[str] = set()
        for text in texts:
            read.update(_PAGE_KEY_RE.findall(text))
        return read

    def check(
        self,
        paths: list[Path] | None = None,
        progress: Callable[[int, int], None] | None = None,
        jobs: int = 1,
    ) -> CheckReport:
        """Check the given pages (default: all); ``jobs`` > 1 uses that many processes."""
        self.load_all(jobs)
        targets = list(iter_pages(self.settings, paths)) if paths else [p for p in self.documents]
        report = CheckReport(pages=len(targets), diagnostics=list(self.setup_diagnostics))
        if self.memory.pages is not None and len(targets) >= PRELOAD_FROM:
            self.memory.pages.preload()  # one query for every entry (forked workers share it)
        if jobs > 1 and len(targets) >= 4 * PARALLEL_CHUNK:
            results = self._check_parallel(targets, jobs, progress)
        else:
            results = self._check_serial(targets, progress)
        for diagnostics in results:
            report.diagnostics.extend(diagnostics)
        if self.memory.pages is not None:
            self.memory.pages.unload()
            self.memory.pages.flush()
        report.diagnostics = dedupe(report.diagnostics)
        return report

    def check_pages(self, paths: Iterable[Path], text: bool = True) -> Iterator[PageResult]:
        """``check_page`` for each page of a run that visits every page once (``check``,
        ``build``), keeping in memory only the page at hand.

        The page cache forgets each result as soon as it is made (nothing later in the run
        asks for it again); the results are written to disk every ``FLUSH_EVERY`` pages.
        ``text`` as for ``check_page``."""
        cache = self.memory.pages
        for number, path in enumerate(paths, start=1):
            result = self.check_page(path, text)
            if cache is not None:
                cache.memory.pop(result.rel, None)
                if number % FLUSH_EVERY == 0:
                    cache.flush()
            yield result
        if cache is not None:
            cache.flush()
        if self.code_store is not None:
            self.code_store.flush()

    def _check_serial(
        self, targets: list[Path], progress: Callable[[int, int], None] | None
    ) -> Iterator[list[Diagnostic]]:
        for number, result in enumerate(self.check_pages(targets, text=False), start=1):
            yield result.diagnostics
            if progress:
                progress(number, len(targets))

    def _check_parallel(
        self, targets: list[Path], jobs: int, progress: Callable[[int, int], None] | None
    ) -> Iterator[list[Diagnostic]]:
        """Forked workers share this loaded project; each writes its own cache entries.

        Pages that include the same partial first go to the workers side by side, so that
        mostly one worker compiles each partial (compiling partials is a good part of the
        work, and each worker compiles those it meets).

        Workers start only when there is work for them: pages are checked here, in order,
        until ``SERIAL_MISSES`` of them were not in the page cache. If some were, the rest
        is looked up in the cache here too, and only the pages to render go to the workers
        (or are rendered here, when there are fewer than ``SERIAL_MISSES``); otherwise (a
        clean run) the rest all go to the workers. A repeated check, or one after an edit
        that touches a few pages, forks nothing (starting the workers would cost more than
        it saves)."""
        first = self.first_include
        targets = sorted(targets, key=lambda path: first.get(absolute(path), b""))
        cache = self.memory.pages
        done, rest = 0, targets
        if cache is not None:
            misses = cache.misses
            for index, path in enumerate(targets):
                if cache.misses - misses >= SERIAL_MISSES:
                    rest = targets[index:]
                    break
                result = self.check_page(path, text=False)
                cache.memory.pop(result.rel, None)
                done += 1
                yield result.diagnostics
                if progress:
                    progress(done, len(targets))
            else:
                rest = []
            if rest and done > SERIAL_MISSES:
                # pages came from the cache: most of the rest will too, so the workers get
                # only the pages to render (after an edit that touches a few dozen pages,
                # sending them all cost more than the rendering, 1.2 s at 10,000 pages)
                to_render = []
                for path in rest:
                    found = self.check_page_unrendered(path, text=False)
                    if found is None:
                        to_render.append(path)
                        continue
                    cache.memory.pop(found.rel, None)
                    done += 1
                    yield found.diagnostics
                    if progress:
                        progress(done, len(targets))
                rest = to_render
            cache.flush()  # before forking: the workers do not write these again
            if self.code_store is not None:
                self.code_store.flush()
        if len(rest) < SERIAL_MISSES and done:  # too few to be worth starting workers
            for result in self.check_pages(rest, text=False):
                done += 1
                yield result.diagnostics
                if progress:
                    progress(done, len(targets))
            return
        yield from self._check_forked(rest, done, len(targets), jobs, progress)

    def _before_fork(self) -> None:
        """Import and make once, here, what every page's check uses (the renderer, the
        validators): the workers share them instead of each importing and making its own."""
        import generator.extract.blocks  # noqa: F401
        import generator.validate.examples  # noqa: F401

        _ = self.schemas, self.renderer

    def _check_forked(
        self,
        rest: list[Path],
        done: int,
        total: int,
        jobs: int,
        progress: Callable[[int, int], None] | None,
    ) -> Iterator[list[Diagnostic]]:
        """The pages ``rest`` in forked workers (``done`` of ``total`` are checked)."""
        if not rest:
            return
        chunks = [rest[i : i + PARALLEL_CHUNK] for i in range(0, len(rest), PARALLEL_CHUNK)]
        self._before_fork()
        for chunk_result in forked_map(self, _check_chunk, chunks, jobs):
            for diagnostics in chunk_result:
                done += 1
                yield diagnostics
                if progress:
                    progress(done, total)


def _value_hash(value: Any) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except TypeError:  # keys of several types (YAML allows them): in their own order
        text = json.dumps(value, default=str)
    return digest(text.encode())


_PAGE_KEY_RE = re.compile(r"\bpage\.([A-Za-z_][\w-]*)")


def _quoted_key(message: str) -> str:
    match = re.search(r"'([^']*)'", message)
    return match.group(1) if match else ""


PARALLEL_CHUNK = 50
SERIAL_MISSES = 20  # pages to render that a check does itself before it starts workers
LOAD_CHUNK = 250  # pages whose front matter a loading worker reads at a time
PRELOAD_FROM = 20  # pages a check visits from which it reads all cache entries in one query
FLUSH_EVERY = 100  # pages whose cache entries wait in memory for one write to disk


def _load_chunk(
    project: Project, todo: list[tuple[Path, Path]]
) -> list[tuple[Path, tuple[int, int, str] | None, bytes, LoadedPage, Any]]:
    """In a worker: the front matter of a chunk of pages (see ``Project._load_parallel``)."""
    found = []
    for key, path in todo:
        stamp, (doc, problems) = project._read_front_matter(path)
        if doc is not None:
            doc = replace(doc, settings=None)  # the receiving project puts its own back
        memo = project.settings.memo
        found.append(
            (
                key,
                project.memory.hashes.known(key),
                project.first_include.get(key, b""),
                (stamp, (doc, problems)),
                memo.export(key) if memo is not None else [],
            )
        )
    return found


def _check_chunk(project: Project, paths: list[Path]) -> list[list[Diagnostic]]:
    """In a worker: the diagnostics of a chunk of pages (see ``Project._check_parallel``)."""
    return [result.diagnostics for result in project.check_pages(paths, text=False)]


def _full_order(diagnostic: Diagnostic) -> tuple[Any, ...]:
    """Place, code, then message and the include chain: an order that does not depend on
    the order pages were checked in (which ``--jobs`` changes)."""
    return (
        *diagnostic.sort_key(),
        diagnostic.message,
        tuple((at.path, at.line, at.col) for at in diagnostic.included_from),
    )


def dedupe(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Sorted, once each: a problem located in a partial that every including page has
    alike (same code, place and message) is one report listing the pages it affects
    (``Diagnostic.also_in``); problems that differ from page to page stay apart."""
    groups: dict[tuple[Any, ...], list[Diagnostic]] = {}
    for diagnostic in sorted(diagnostics, key=_full_order):
        key = (
            diagnostic.code,
            diagnostic.message,
            diagnostic.location,
            diagnostic.hint,
            diagnostic.level,
        )
        groups.setdefault(key, []).append(diagnostic)
    unique = []
    for group in groups.values():
        first = group[0]
        pages: list[str] = []
        for other in group[1:]:
            page = other.included_from[-1].path if other.included_from else ""
            if page and page not in pages and page not in first.pages:
                pages.append(page)
        unique.append(replace(first, also_in=tuple(pages)) if pages else first)
    return sorted(unique, key=_full_order)


def _page_failure(exc: BaseException, doc: Document) -> Diagnostic:
    """The diagnostic for a failure no check of the page foresaw: reported on the page (at
    the line its text starts), so the other pages are still checked."""
    if isinstance(exc, RecursionError | MemoryError):
        limit = "recursion" if isinstance(exc, RecursionError) else "memory"
        return Diagnostic(
            "ED310",
            f"checking the page stopped at the {limit} limit",
            SourceLocation(doc.rel, doc.body_first_line, 1),
        )
    from generator.render.renderer import scrub_reprs

    detail = scrub_reprs(" ".join(str(exc).split()))[:200] or type(exc).__name__
    return Diagnostic(
        "ED309",
        f"the page could not be checked: {type(exc).__name__}: {detail}",
        SourceLocation(doc.rel, doc.body_first_line, 1),
        "this is a bug in the generator: please report it with the page",
    )
