"""A Jekyll tree, read as Jekyll reads it, for ``generator check --jekyll SRC`` (or ``check`` in a
folder holding ``_config.yml`` and ``_includes/`` but no ``mkdocs.yml``).

Settings come from ``_config.yml``: the pages are the files Jekyll publishes (no ``_``, ``.``
or ``#`` folders unless under ``include:``, nothing under ``exclude:``, front matter
required), partials come from ``_includes/``, ``site.data`` from ``_data/``, ``site.*`` is
``_config.yml`` itself, and every template is Liquid (``render/liquid/translate.py``).
Diagnostics name the tree's own files and lines. Importing a tree is ``cli/import_jekyll.py``.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from generator.errors import ConfigError, Diagnostic, SourceLocation
from generator.load.filememo import FileMemo
from generator.load.jekyll_site import build_model, read_meta
from generator.settings import (
    Settings,
    has_front_matter,
    read_config_yaml,
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
    """A Jekyll site that is not (yet) one of ours."""
    return (
        (root / CONFIG_FILE).is_file()
        and (root / "_includes").is_dir()
        and not (root / "mkdocs.yml").exists()
    )


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


def jekyll_settings(src: Path, strict: bool | None = None, cache: bool = True) -> Settings:
    """Settings that check the Jekyll tree at ``src`` in place, as Jekyll would render it.

    What is read of each file (its first line, its front matter) is remembered in the
    user's cache folder by the file's state (see filememo), unless ``cache`` is False."""
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
    memo.prefetch(pages, "meta")  # one query, not one per page
    model = build_model(
        src, config, pages, lambda path: memo.cached(path, "meta", lambda: read_meta(path))
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
        jekyll_unpublished=frozenset(model.unpublished),
        jekyll_model_keys=frozenset(values),
    )


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


def _page_defaults(config: Mapping[str, Any]) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    """``defaults:`` that apply to pages, least specific path first (a longer path wins,
    then the later entry, as in Jekyll)."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    for entry in config.get("defaults") or []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("values"), Mapping):
            continue
        scope: Mapping[str, Any] = entry["scope"] if isinstance(entry.get("scope"), Mapping) else {}
        if scope.get("type") not in (None, "pages"):
            continue
        found.append((str(scope.get("path") or ""), dict(entry["values"])))
    return tuple(sorted(found, key=lambda item: len(item[0].strip("/"))))


# --- walking the tree ----------------------------------------------------------------------


def _walk(root: Path, skip_folder: Callable[[Path], bool]) -> Iterator[Path]:
    """Files under ``root`` in a stable order, not descending into the folders
    ``skip_folder(relative path)`` refuses (node_modules or vendor/ of a Jekyll site can
    hold more files than the site itself), nor following links to folders."""
    for folder, folders, files in os.walk(root):
        here = Path(folder)
        folders[:] = sorted(f for f in folders if not skip_folder((here / f).relative_to(root)))
        for name in sorted(files):
            yield here / name


def _walk_pages(settings: Settings, more: tuple[str, ...] = ()) -> list[Path]:
    """Markdown files (and files with the suffixes ``more``) Jekyll renders as pages.

    With a file memo, the tree is walked once per run (the model and the check list the
    same pages): the memo keeps the list of pages and HTML files for the run."""
    walks = getattr(settings.memo, "walks", None)
    found = walks.get("pages") if walks is not None else None
    if found is None:
        wanted = PAGE_SUFFIXES + (".html", ".htm")
        found = [
            path
            for path in _walk(settings.docs_dir, lambda rel: _hidden(rel, settings))
            if path.suffix in wanted and settings.publishes(path)
        ]
        if walks is not None:
            walks["pages"] = found
    return [path for path in found if path.suffix in PAGE_SUFFIXES + more]


def published_pages(settings: Settings) -> list[Path]:
    """The pages of a Jekyll tree, as Jekyll publishes them (see Settings.publishes):
    not those whose front matter says ``published: false``."""
    unpublished = settings.jekyll_unpublished
    return [
        path
        for path in _walk_pages(settings)
        if path.relative_to(settings.docs_dir).as_posix() not in unpublished
    ]


# --- what Jekyll does not publish ----------------------------------------------------------


def _never_walked(rel: Path, settings: Settings) -> bool:
    """Folders not worth looking into even to say what is left out."""
    name = rel.name
    return (
        name.startswith(".")
        or rel.as_posix() in DEFAULT_EXCLUDES
        or name == "_site"
        or (settings.docs_dir / rel).resolve()
        in (settings.includes_dir.resolve(), settings.data_dir.resolve())
    )


def unpublished_pages(settings: Settings) -> dict[str, int]:
    """Markdown files of the tree that Jekyll does not publish, counted by why:
    {"_archive/ (folders starting with '_')": 9, ...}. Partials and data are left out."""
    counts: Counter[str] = Counter()
    for path in _walk(settings.docs_dir, lambda rel: _never_walked(rel, settings)):
        if path.suffix not in PAGE_SUFFIXES:
            continue
        if settings.publishes(path):
            if path.relative_to(settings.docs_dir).as_posix() in settings.jekyll_unpublished:
                counts["pages with 'published: false'"] += 1
            continue
        counts[_why_unpublished(path, settings)] += 1
    return dict(counts)


def _why_unpublished(path: Path, settings: Settings) -> str:
    parts = path.relative_to(settings.docs_dir).parts
    for index, part in enumerate(parts[:-1]):
        if part.startswith(("_", ".", "#")):
            return f"{'/'.join(parts[: index + 1])}/ (folders starting with '{part[0]}')"
    if not has_front_matter(path) and not parts[-1].startswith(("_", ".", "#")):
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


# --- what Jekyll copies as it is (static files) --------------------------------------------


def published_files(settings: Settings) -> list[Path]:
    """Every file Jekyll would publish (pages, Markdown without front matter, static
    files), in a stable order; partials and data files are imported on their own."""
    skip = tuple(
        os.path.realpath(folder) + os.sep for folder in (settings.includes_dir, settings.data_dir)
    )
    root = os.path.realpath(settings.docs_dir)
    files = []
    for path in _walk(settings.docs_dir, lambda rel: _hidden(rel, settings)):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(settings.docs_dir)
        # the walk follows no link to a folder: below the tree's real path, a file that is
        # no link is where its path says (realpath of each file cost a second at 10,000)
        real = root + os.sep + rel.as_posix() if os.sep == "/" else os.path.realpath(path)
        if rel.as_posix() == CONFIG_FILE or _hidden(rel, settings) or real.startswith(skip):
            continue
        files.append(path)
    return files


def _hidden(rel: Path, settings: Settings) -> bool:
    """Jekyll's path rules (without the front-matter one: static files have none)."""
    return _hidden_parts(settings.include, settings.exclude, rel.parts)


@functools.lru_cache(maxsize=16384)
def _hidden_parts(
    include: tuple[str, ...], exclude: tuple[str, ...], parts: tuple[str, ...]
) -> bool:
    """``_hidden`` by path parts, remembered so that the files of a folder share its
    folders' answers (at 10,000 pages, testing each part of each path took 3.4 s)."""
    if not parts:
        return False
    if len(parts) > 1 and _hidden_parts(include, exclude, parts[:-1]):
        return True
    part, so_far = parts[-1], "/".join(parts)
    if Settings._listed(include, part, so_far):
        return False
    return (
        part.startswith(("_", ".", "#"))
        or part.endswith("~")
        or Settings._listed(exclude, "", so_far)
    )
