"""A Jekyll tree, read as Jekyll reads it, for ``generator check --jekyll SRC`` (or ``check`` in a
folder holding ``_config.yml`` but no ``mkdocs.yml``).

Settings come from ``_config.yml``: the pages are the files Jekyll publishes (no ``_``, ``.``
or ``#`` folders unless under ``include:``, nothing under ``exclude:``, front matter
required), partials come from ``_includes/``, ``site.data`` from ``_data/``, ``site.*`` is
``_config.yml`` itself, and every template is Liquid (``render/liquid/translate.py``).
Diagnostics name the tree's own files and lines. Importing a tree is ``cli/import_jekyll.py``.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import functools
import json
import os
import re
import stat
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, NamedTuple, cast

import yaml

from generator.errors import ConfigError, Diagnostic, SourceLocation
from generator.load.filememo import MISSING, FileMemo, state_of
from generator.load.jekyll_site import build_model, read_meta
from generator.load.page_entry import read_entry, site_meta
from generator.parallel import forked_map
from generator.settings import (
    Defaults,
    Settings,
    read_config_yaml,
    relative_posix,
    user_cache_folder,
    yaml_error_position,
)
from generator.version import CODE_FINGERPRINT

CONFIG_FILE = "_config.yml"
#: What Jekyll 4 always excludes, whatever _config.yml says.
DEFAULT_EXCLUDES = (
    ".sass-cache",
    ".jekyll-cache",
    "gemfiles",
    "Gemfile",
    "Gemfile.lock",
    "node_modules",
    "vendor/bundle",
    "vendor/cache",
    "vendor/gems",
    "vendor/ruby",
)
PAGE_SUFFIXES = (".md", ".markdown", ".mkdown", ".mkdn", ".mkd")


def is_jekyll_tree(root: Path) -> bool:
    """A Jekyll site that is not (yet) one of ours: a _config.yml and no mkdocs.yml (a site
    needs no _includes/)."""
    return (root / CONFIG_FILE).is_file() and not (root / "mkdocs.yml").exists()


def read_config(src: Path) -> dict[str, Any]:
    """``_config.yml`` as a mapping; ConfigError (ED401) with its line when it is not one."""
    path = src / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise _config_error(f"no {CONFIG_FILE} in {src}: not a Jekyll tree") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _config_error(f"cannot read {CONFIG_FILE}: {exc}") from None
    try:
        config = read_config_yaml(text)
    except yaml.YAMLError as exc:
        position = yaml_error_position(exc, text)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _config_error(
            f"{CONFIG_FILE} is not valid YAML: {problem}", position[0] + 1 if position else 0
        ) from None
    if not isinstance(config, Mapping):
        raise _config_error(f"{CONFIG_FILE} must be a mapping of settings")
    return {str(k): v for k, v in config.items()}


def _config_error(message: str, line: int = 0) -> ConfigError:
    return ConfigError(Diagnostic("ED401", message, SourceLocation(CONFIG_FILE, line)))


def _patterns(config: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = config.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _config_error(f"'{key}:' in {CONFIG_FILE} must be a list of paths")
    return tuple(str(v) for v in value if v is not None)


def jekyll_settings(
    src: Path, strict: bool | None = None, cache: bool = True, jobs: int = 1
) -> Settings:
    """Settings that check the Jekyll tree at ``src`` in place, as Jekyll would render it.

    What is read of each file (its first line, its front matter) is remembered in the
    user's cache folder by the file's state (see filememo), unless ``cache`` is False.
    ``jobs`` > 1 reads many pages' front matter in that many processes."""
    src = src.resolve()
    if not src.is_dir():
        raise _config_error(f"{src} is not a folder")
    config = read_config(src)
    includes = src / str(config.get("includes_dir") or "_includes")
    data = src / str(config.get("data_dir") or "_data")
    site = {"baseurl": None, "time": _build_time(), **config}
    settings = Settings(
        root=src,
        docs_dir=src,
        includes_dir=includes,
        data_dir=data,
        schemas_dir=None,
        cache_dir=user_cache_folder(src),  # checking in place writes nothing into the tree
        strict=True if strict is None else strict,
        site=site,
        jekyll=True,
        exclude=DEFAULT_EXCLUDES + _patterns(config, "exclude"),
        include=_patterns(config, "include") + _published_collections(config),
        page_defaults=_page_defaults(config),
    )
    memo = FileMemo(settings.cache_dir if cache else None, _memo_context(settings))
    settings = replace(settings, memo=memo)
    pages = _walk_pages(settings, (".html", ".htm"))
    model = build_model(
        src, config, pages, _site_reader(settings, pages, jobs), settings.page_defaults
    )
    urls = dict(model.urls)
    for path in published_files(settings):  # static files: {% link %} gives their path
        urls.setdefault(path.relative_to(src).as_posix(), "/" + path.relative_to(src).as_posix())
    memo.save()
    values = model.site_values()
    return replace(
        settings,
        site={**site, **values},  # as Jekyll's payload
        jekyll_items=model.by_rel,
        jekyll_urls=urls,
        jekyll_unpublished=dict(model.unpublished),
        jekyll_model_keys=frozenset(values),
    )


def _site_reader(
    settings: Settings, pages: list[Path], jobs: int
) -> Callable[[Path], dict[str, Any] | None]:
    """How the site model reads a page's front matter (None: it has none).

    A Markdown page's is read as the project loads the page (``load/page_entry``), and
    the entry is held in the memo for the project, which then parses nothing again. When
    many entries are missing (a clean check of a large tree), they are made in ``jobs``
    forked processes. Other pages (HTML) are read by ``read_meta``."""
    memo = settings.memo
    assert memo is not None  # jekyll_settings gives every tree one
    markdown = [path for path in pages if path.suffix in PAGE_SUFFIXES]
    memo.prefetch([path for path in pages if path.suffix not in PAGE_SUFFIXES], "meta")
    memo.prefetch(markdown, "page")  # one query, not one per page
    states = {path: state_of(path) for path in markdown}  # each taken before any read
    missing = [path for path in markdown if memo.get(path, "page", states[path], True) is MISSING]
    if jobs > 1 and len(missing) >= 4 * ENTRY_CHUNK:
        chunks = [missing[i : i + ENTRY_CHUNK] for i in range(0, len(missing), ENTRY_CHUNK)]
        for made in forked_map(settings, _entries, chunks, jobs):
            for path, entry in made:
                memo.put(path, "page", states[path], entry)

    def meta_of(path: Path) -> dict[str, Any] | None:
        if path.suffix in PAGE_SUFFIXES:
            state = states[path] if path in states else state_of(path)  # posts: read here
            entry = memo.get(path, "page", state, True)
            if entry is MISSING:
                entry = read_entry(path, settings)[0]
                if entry is not None:
                    memo.put(path, "page", state, entry)
            meta = site_meta(entry)
            if meta is not MISSING:
                return cast(dict[str, Any] | None, meta)
        # not a Markdown page, or one that did not load (too long, not text...)
        return cast(
            dict[str, Any] | None, memo.cached(path, "meta", lambda: read_meta(path, settings))
        )

    return meta_of


def _entries(settings: Settings, paths: list[Path]) -> list[tuple[Path, dict[str, Any] | None]]:
    """In a worker: the page entries of ``paths`` (see ``_site_reader``; the parent took
    the state of each file before the workers read it)."""
    return [(path, read_entry(path, settings)[0]) for path in paths]


ENTRY_CHUNK = 250  # pages whose entries a worker makes at a time


def _memo_context(settings: Settings) -> str:
    """What shapes what the memo keeps besides the files: the code, and the settings that
    loading a page depends on (its path as shown, its size limit, the element folders)."""
    return json.dumps(
        [
            CODE_FINGERPRINT,
            str(settings.root),
            str(settings.docs_dir),
            settings.max_output_chars,
            settings.jekyll,
        ]
    )


def _build_time() -> Any:
    """``site.time``: now, as Jekyll has it, unless SOURCE_DATE_EPOCH pins the build's time
    (reproducible builds; ``time:`` in _config.yml wins over both, as in Jekyll)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return _dt.datetime.fromtimestamp(int(epoch), tz=_dt.UTC)
    return _dt.datetime.now().astimezone().isoformat()


def _published_collections(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The folders of collections Jekyll writes out: _posts, and every collection with
    ``output: true`` (under collections_dir when one is set)."""
    collections = config.get("collections") or {}
    names = ["posts"]
    if isinstance(collections, Mapping):
        names += [
            str(name)
            for name, options in collections.items()
            if isinstance(options, Mapping) and options.get("output")
        ]
    folder = str(config.get("collections_dir") or "").strip("/")
    return tuple(f"{folder}/_{name}" if folder else f"_{name}" for name in names)


def _page_defaults(config: Mapping[str, Any]) -> Defaults:
    """``defaults:`` as (path, type or None, values), in the order Jekyll lets them win: a
    longer path over a shorter, then one with a type over one without, then the later
    entry."""
    found: list[tuple[str, str | None, Mapping[str, Any]]] = []
    for entry in config.get("defaults") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("values"), Mapping):
            continue
        scope: Mapping[str, Any] = entry["scope"] if isinstance(entry.get("scope"), Mapping) else {}
        kind = scope.get("type")
        found.append(
            (
                str(scope.get("path") or ""),
                str(kind) if kind is not None else None,
                dict(entry["values"]),
            )
        )
    return tuple(sorted(found, key=lambda item: (len(item[0].strip("/")), item[1] is not None)))


# --- what Jekyll publishes ----------------------------------------------------------------


def publishes(settings: Settings, path: Path, base: Path | None = None) -> bool:
    """True when ``path`` (under ``base``, default docs_dir) is a page Jekyll publishes: no
    part of the path may start with '_', '.' or '#' or end with '~' unless listed under
    include:, none may match exclude:, and the file must open with front matter (Jekyll
    copies a Markdown file without it as it is, unrendered)."""
    base = base or settings.docs_dir
    rel = relative_posix(path, base)
    if rel is None or rel == ".":
        return True
    from_root = relative_posix(path, settings.docs_dir) or rel
    return _publishes_parts(settings, path, tuple(rel.split("/")), tuple(from_root.split("/")))


def _publishes_parts(
    settings: Settings, path: Path, parts: tuple[str, ...], from_root: tuple[str, ...]
) -> bool:
    if not _jekyll_publishes(settings.include, settings.exclude, parts, from_root):
        return False
    return _opens_with_front_matter(path, settings)


def has_front_matter(path: Path) -> bool:
    """True when the file's first line is '---', as Jekyll requires of a page."""
    try:  # without blocking, and only a regular file: a fifo would wait for ever
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return True  # let the loader report why it cannot be read
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return True  # the loader says what it is
        head = os.read(fd, 256)
        first = head[: head.find(b"\n") + 1] if b"\n" in head else head  # readline(256)
    except OSError:
        return True
    finally:
        os.close(fd)
    return re.match(rb"(?:\xef\xbb\xbf)?---[ \t]*\r?\n", first) is not None


def _opens_with_front_matter(path: Path, settings: Settings) -> bool:
    """has_front_matter, answered from the file memo when the file is unchanged."""
    if settings.memo is None:
        return has_front_matter(path)
    return bool(settings.memo.cached(path, "front", lambda: has_front_matter(path)))


def _jekyll_publishes(
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    parts: tuple[str, ...],
    from_root: tuple[str, ...],
) -> bool:
    """Jekyll's rules for a path (``parts`` from the folder listed, ``from_root`` from the
    tree's root), ahead of its front matter. Answers are remembered by path, so the pages
    of a folder share its folders' answers (they cost 0.28 ms a page at 1,000 pages)."""
    # the file itself is not remembered (a tree has more files than the cache holds and
    # would push its folders out); its folders are, by the recursion of each rule
    return (
        _not_hidden.__wrapped__(include, parts)
        and _not_excluded.__wrapped__(include, exclude, from_root)
    ) or "/".join(from_root) in _named_files(include)


@functools.lru_cache(maxsize=32)
def _named_files(include: tuple[str, ...]) -> frozenset[str]:
    """The include: entries that are a plain path (no wildcard). Jekyll reads a file so named
    even when a folder above it is hidden or excluded, after the rest of the tree."""
    named = (pattern.strip("/") for pattern in include)
    return frozenset(name for name in named if name and not any(c in name for c in "*?[{"))


@functools.lru_cache(maxsize=8192)
def _not_hidden(include: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """No part starts with '_', '.' or '#' or ends with '~', unless include: lists it."""
    if len(parts) > 1 and not _not_hidden(include, parts[:-1]):
        return False
    name = parts[-1]
    return _listed(include, name, "/".join(parts)) or not (
        name.startswith(("_", ".", "#")) or name.endswith("~")
    )


@functools.lru_cache(maxsize=8192)
def _not_excluded(
    include: tuple[str, ...], exclude: tuple[str, ...], from_root: tuple[str, ...]
) -> bool:
    """No part is under exclude: (named from the root), unless include: names it."""
    if len(from_root) > 1 and not _not_excluded(include, exclude, from_root[:-1]):
        return False
    so_far = "/".join(from_root)
    return not (_listed(exclude, "", so_far) and not _listed(include, from_root[-1], so_far))


@functools.lru_cache(maxsize=32)
def _pattern_matcher(patterns: tuple[str, ...]) -> tuple[frozenset[str], re.Pattern[str] | None]:
    """The patterns of ``_listed`` as a set of names and one regular expression that
    matches what any of them matches: as a shell wildcard (fnmatch), or as the start of
    the path (Jekyll's EntryFilter compares the path's text with the pattern's, so
    ``exclude: [docs/priv]`` leaves out docs/private/ too, and the default Gemfile
    leaves out Gemfile.md). One expression: testing the patterns one by one with fnmatch
    cost 0.4 s at 10,000 pages."""
    stripped = [pattern.strip("/") for pattern in patterns]
    stripped = [pattern for pattern in stripped if pattern]
    if not stripped:
        return frozenset(), None
    alternatives = [fnmatch.translate(pattern) for pattern in stripped]
    # a prefix (re.match), a closing slash kept: "docs/" is what is under docs/
    alternatives += [re.escape(p.lstrip("/")) for p in patterns if p.strip("/")]
    return frozenset(stripped), re.compile("|".join(alternatives))


def _listed(patterns: tuple[str, ...], name: str, path: str) -> bool:
    """Jekyll's matching: a pattern names a path from the root (or, for include:, a
    file name anywhere) and may use shell wildcards."""
    if not patterns:
        return False
    exact, wildcards = _pattern_matcher(patterns)
    return (
        path in exact
        or (bool(name) and name in exact)
        or (
            wildcards is not None
            and (
                wildcards.match(path) is not None
                or (bool(name) and wildcards.match(name) is not None)
            )
        )
    )


# --- walking the tree ----------------------------------------------------------------------


class _File(NamedTuple):
    """A file met walking the tree: its path, its path from the source in / form, whether it
    is a regular file (not a link), and which of the two walks below reach it."""

    path: Path
    rel: str
    parts: tuple[str, ...]  # of rel
    regular: bool
    #: Jekyll reads it: no folder above it is hidden (_hidden_parts), or include: names it
    published_walk: bool
    report_walk: bool  # no folder above it is one not worth looking into (_never_walked)


def _tree_files(settings: Settings) -> list[_File]:
    """Every file under docs_dir that the pages, the static files or the note on what
    Jekyll leaves out may name, in a stable order (a folder's files by name, then its
    folders by name), from one walk: at 10,000 pages each further walk cost a second.

    Folders both rules refuse are not entered (node_modules or vendor/ of a Jekyll site can
    hold more files than the site itself), nor links to folders. With a file memo the
    listing is kept for the run (the model, the check and the note ask for it)."""
    walks = getattr(settings.memo, "walks", None)
    if walks is not None and "files" in walks:
        return cast(list[_File], walks["files"])
    root = settings.docs_dir
    skip = _never_walked_rule(settings)
    found: list[_File] = []

    def scan(folder: Path, parts: tuple[str, ...], published: bool, reported: bool) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            return
        folders = []
        for entry in entries:
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if is_folder:
                folders.append(entry)
                continue
            try:
                regular = entry.is_file(follow_symlinks=False)
            except OSError:
                regular = False
            names = (*parts, entry.name)
            found.append(
                _File(folder / entry.name, "/".join(names), names, regular, published, reported)
            )
        for entry in folders:
            sub = (*parts, entry.name)
            sub_published = published and not _hidden_parts(settings.include, settings.exclude, sub)
            if entry.is_symlink():  # not entered (it may lead out of the tree): named
                if sub_published:
                    linked.append("/".join(sub))
                continue
            sub_reported = reported and not skip(sub)
            if sub_published or sub_reported:
                scan(folder / entry.name, sub, sub_published, sub_reported)

    linked: list[str] = []
    scan(root, (), True, True)
    listed = {file.rel for file in found if file.published_walk}
    real_root = os.path.realpath(root)
    for name in sorted(_named_files(settings.include) - listed):
        path = root / name  # read after the walk, as Jekyll does (its site.pages order)
        # a regular file where its name says, in the tree: no link on the way, no '..'
        if path.is_file() and os.path.realpath(path) == os.path.join(real_root, name):
            parts = tuple(name.split("/"))
            found.append(_File(path, name, parts, True, True, True))
    if walks is not None:
        walks["files"] = found
        walks["linked folders"] = linked
    return found


def _walk_pages(settings: Settings, more: tuple[str, ...] = ()) -> list[Path]:
    """Markdown files (and files with the suffixes ``more``) Jekyll renders as pages."""
    walks = getattr(settings.memo, "walks", None)
    found = walks.get("pages") if walks is not None else None
    if found is None:
        wanted = PAGE_SUFFIXES + (".html", ".htm")
        found = [
            file.path
            for file in _tree_files(settings)
            if file.published_walk
            and file.rel.endswith(wanted)
            and file.path.suffix in wanted
            and _publishes_parts(settings, file.path, file.parts, file.parts)
        ]
        if walks is not None:
            walks["pages"] = found
    return [path for path in found if path.suffix in PAGE_SUFFIXES + more]


def published_pages(settings: Settings) -> list[Path]:
    """The pages of a Jekyll tree, as Jekyll publishes them (see publishes):
    not those whose front matter says ``published: false``."""
    unpublished = settings.jekyll_unpublished
    if not unpublished:
        return _walk_pages(settings)
    return [
        path
        for path in _walk_pages(settings)
        if path.relative_to(settings.docs_dir).as_posix() not in unpublished
    ]


# --- what Jekyll does not publish ----------------------------------------------------------


def _never_walked_rule(settings: Settings) -> Callable[[tuple[str, ...]], bool]:
    """Folders (by their parts from docs_dir) not worth looking into even to say what is
    left out: hidden ones, Jekyll's default excludes, _site, and the partials and data.

    The walk starts at the real path of docs_dir and enters no link, so a folder's real
    path is the root's joined with its parts (resolving each folder cost 0.7 s at 10,000
    pages)."""
    root = os.path.realpath(settings.docs_dir)
    special = {os.path.realpath(settings.includes_dir), os.path.realpath(settings.data_dir)}

    def never(parts: tuple[str, ...]) -> bool:
        name = parts[-1]
        return (
            name.startswith(".")
            or "/".join(parts) in DEFAULT_EXCLUDES
            or name == "_site"
            or os.path.join(root, *parts) in special
        )

    return never


def unpublished_pages(settings: Settings) -> dict[str, int]:
    """Markdown files of the tree that Jekyll does not publish, counted by why:
    {"_archive/ (folders starting with '_')": 9, ...}. Partials and data are left out."""
    counts: Counter[str] = Counter()
    pages = set(_walk_pages(settings))  # asked already: not asked again of each page
    for file in _tree_files(settings):
        if not file.report_walk or not file.rel.endswith(PAGE_SUFFIXES):
            continue
        if file.path in pages or _publishes_parts(settings, file.path, file.parts, file.parts):
            if file.rel in settings.jekyll_unpublished:
                counts[settings.jekyll_unpublished[file.rel]] += 1
            continue
        counts[_why_unpublished(file, settings)] += 1
    return dict(counts)


def _why_unpublished(file: _File, settings: Settings) -> str:
    parts = file.parts
    for index, part in enumerate(parts[:-1]):
        if part.startswith(("_", ".", "#")):
            return f"{'/'.join(parts[: index + 1])}/ (folders starting with '{part[0]}')"
    if not parts[-1].startswith(("_", ".", "#")) and not _opens_with_front_matter(
        file.path, settings
    ):
        return "files without front matter (Jekyll copies them unrendered)"
    if parts[-1].startswith(("_", ".", "#")):
        return f"files starting with '{parts[-1][0]}'"
    return "paths under exclude: in _config.yml"


def describe_unpublished(settings: Settings) -> str:
    counts = unpublished_pages(settings)
    if not counts:
        return ""
    items = ", ".join(f"{why}: {n} page{'s' * (n != 1)}" for why, n in sorted(counts.items()))
    return f"not checked, as Jekyll does not publish them: {items}"


#: Files Jekyll renders as pages when they open with front matter, beside Markdown (feeds,
#: search indexes, HTML pages...): their Liquid runs in Jekyll, but we check Markdown pages
#: only, so they are named instead. (Other suffixes are images and the like.)
OTHER_PAGE_SUFFIXES = (
    ".html",
    ".htm",
    ".xml",
    ".json",
    ".txt",
    ".css",
    ".scss",
    ".sass",
    ".js",
    ".svg",
    ".rss",
    ".atom",
    ".ics",
    ".webmanifest",
    "",
)


def other_pages(settings: Settings) -> list[str]:
    """The files other than Markdown that Jekyll renders as pages, by path from the root."""
    found = []
    for file in _tree_files(settings):
        if (
            file.published_walk
            and file.rel != CONFIG_FILE
            and not file.rel.endswith(PAGE_SUFFIXES)
            and file.path.suffix in OTHER_PAGE_SUFFIXES
            and _publishes_parts(settings, file.path, file.parts, file.parts)
        ):
            found.append(file.rel)
    return found


def linked_folders(settings: Settings) -> list[str]:
    """Folders of the tree Jekyll would enter that are links: the walk does not follow
    them (one could lead out of the tree), so what they hold is not checked."""
    walks = getattr(settings.memo, "walks", None)
    if walks is None:
        return []
    if "linked folders" not in walks:
        _tree_files(settings)
    return list(walks.get("linked folders", []))


def describe_unchecked(settings: Settings) -> str:
    """A note naming what Jekyll renders that the check does not read: pages that are not
    Markdown, and folders that are links."""
    parts = []
    others = other_pages(settings)
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        parts.append(
            f"{len(others)} page{'s' * (len(others) != 1)} Jekyll renders that "
            f"{'are' if len(others) != 1 else 'is'} not Markdown ({shown}); the check reads "
            "the Liquid and examples of Markdown pages"
        )
    linked = linked_folders(settings)
    if linked:
        shown = ", ".join(f"{name}/" for name in linked[:3]) + (
            f" and {len(linked) - 3} more" if len(linked) > 3 else ""
        )
        parts.append(
            f"what lies in {shown}: {'they are links' if len(linked) > 1 else 'it is a link'} "
            "to a folder, which Jekyll follows and the check does not (a link may lead out "
            "of the tree)"
        )
    return "not checked: " + "; ".join(parts) if parts else ""


# --- what Jekyll copies as it is (static files) --------------------------------------------


def published_files(settings: Settings) -> list[Path]:
    """Every file Jekyll would publish (pages, Markdown without front matter, static
    files), in a stable order; partials and data files are imported on their own."""
    skip = tuple(
        os.path.realpath(folder) + os.sep for folder in (settings.includes_dir, settings.data_dir)
    )
    root = os.path.realpath(settings.docs_dir)
    files = []
    for file in _tree_files(settings):
        if not file.published_walk or not file.regular:
            continue
        # the walk follows no link to a folder: below the tree's real path, a file that is
        # no link is where its path says (realpath of each file cost a second at 10,000)
        real = root + os.sep + file.rel if os.sep == "/" else os.path.realpath(file.path)
        if (
            file.rel == CONFIG_FILE
            or (
                _hidden_parts(settings.include, settings.exclude, file.parts)
                and file.rel not in _named_files(settings.include)
            )
            or real.startswith(skip)
        ):
            continue
        files.append(file.path)
    return files


@functools.lru_cache(maxsize=16384)
def _hidden_parts(
    include: tuple[str, ...], exclude: tuple[str, ...], parts: tuple[str, ...]
) -> bool:
    """Jekyll's path rules for a path by its parts from docs_dir (without the front-matter
    rule: static files have none), remembered so that the files of a folder share its
    folders' answers (at 10,000 pages, testing each part of each path took 3.4 s)."""
    if not parts:
        return False
    if len(parts) > 1 and _hidden_parts(include, exclude, parts[:-1]):
        return True
    part, so_far = parts[-1], "/".join(parts)
    if _listed(include, part, so_far):
        return False
    return part.startswith(("_", ".", "#")) or part.endswith("~") or _listed(exclude, "", so_far)
