"""Project settings: one frozen object, read from ``mkdocs.yml`` the same way for the CLI
and the MkDocs plugin, with the one strictness switch (strict unless told otherwise)."""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, cast

import yaml
from yaml_env_tag import construct_env_tag

from generator.errors import ConfigError, Diagnostic, SourceLocation

DEFAULT_CONFIG_FILE = "mkdocs.yml"
PLUGIN_NAME = "element-docs"


#: Jekyll's ``defaults:``: (scope path, scope type or None, values), least specific first.
Defaults = tuple[tuple[str, str | None, Mapping[str, Any]], ...]


def defaults_for(defaults: Defaults, rel: str, kind: str) -> dict[str, Any]:
    """The values of ``defaults`` whose scope covers the file at ``rel`` (from the tree's
    root) of type ``kind`` ("pages", "posts" or a collection's label), the more specific
    ones last, as Jekyll merges them."""
    values: dict[str, Any] = {}
    for scope, wanted, given in defaults:
        if wanted is not None and wanted != kind:
            continue
        scope = scope.strip("/")
        if (
            not scope
            or rel == scope
            or rel.startswith(scope + "/")
            or fnmatch.fnmatchcase(rel, scope)
        ):
            values.update(given)
    return values


@dataclass(frozen=True)
class Option:
    """One option of the plugin in mkdocs.yml: the plugin's typed config (plugin/events.py builds
    its MkDocs config options from OPTIONS), the CLI's reader (``plugin_values``) and the
    configuration reference (``options_markdown``) all come from this one table."""

    name: str
    type: type
    default: Any
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("strict", bool, True, "Undefined variables are errors (true) or warnings (false)."),
    Option(
        "includes_dir",
        str,
        "includes",
        "Folder of partials, relative to mkdocs.yml; its `_data/` folder becomes `site.data`.",
    ),
    Option(
        "schemas_dir",
        str,
        "schemas",
        "Folder of the project's own JSON Schemas, which add to or override the shipped "
        "ones (empty: none).",
    ),
    Option(
        "cache_dir",
        str,
        ".element-docs-cache",
        "Folder for cached rendered pages; safe to delete (empty: no cache).",
    ),
    Option("max_include_depth", int, 16, "How deeply partials may include partials."),
    Option(
        "fail_on_errors",
        bool,
        True,
        "Stop `mkdocs build` when a page has an error. Off only while migrating a tree "
        "with known defects: the problems are reported either way.",
    ),
    Option(
        "check_ahead",
        bool,
        True,
        "Check pages in a second process while MkDocs converts the pages already "
        "checked (only with a spare core and enough pages to pay for it). The result is "
        "the same.",
    ),
    Option(
        "quick_serve",
        bool,
        True,
        "Under `mkdocs serve`, an edit of page bodies, partials or data files redoes only "
        "the pages that read them; anything else gets MkDocs' rebuild of the whole site.",
    ),
    Option(
        "permalinks",
        dict,
        {},
        "Page (path under docs_dir) -> URL it is written at instead of MkDocs' own, as "
        "`generator import-jekyll` writes them: the URLs the Jekyll site had, so links "
        "written against them keep working. When set, a link from the site's root "
        "(`/x/`) that names no page or file of the site is a warning (ED322).",
    ),
)
DEFAULTS: Mapping[str, Any] = {option.name: option.default for option in OPTIONS}


def plugin_values(
    options: Mapping[str, Any], source: str = DEFAULT_CONFIG_FILE, text: str = ""
) -> dict[str, Any]:
    """Every option's value as the plugin's config holds it once MkDocs has validated it:
    a missing or null option takes its default, a value of the wrong type is an error
    (ConfigError, at its line of ``text``, the config file's) and options the table does
    not know are left out."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        value = options.get(option.name)
        if value is None:
            value = option.default
        elif not isinstance(value, option.type):
            raise ConfigError(
                Diagnostic(
                    "ED401",
                    f"the {PLUGIN_NAME} option '{option.name}' must be "
                    f"of type {option.type.__name__}, not {type(value).__name__} ({value!r})",
                    SourceLocation(source, _option_line(text, option.name)),
                    f"write a value of type {option.type.__name__} there, or remove the line "
                    f"for the default ({json.dumps(option.default)})",
                )
            )
        values[option.name] = value
    return values


def _option_line(text: str, name: str) -> int:
    """The line of option ``name`` under the plugin in a config file's ``text`` (0: unknown)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if PLUGIN_NAME in line), 0)
    pattern = re.compile(rf"[ \t]+{re.escape(name)}[ \t]*:")
    for number in range(start, len(lines)):
        if pattern.match(lines[number]):
            return number + 1
    return 0


def options_markdown() -> str:
    """The configuration reference: a Markdown table of OPTIONS (docs/configuration.md
    holds it; a test keeps the two the same)."""
    rows = ["| option | type | default | what it does |", "| --- | --- | --- | --- |"]
    for option in OPTIONS:
        default = json.dumps(option.default)
        rows.append(f"| `{option.name}` | {option.type.__name__} | `{default}` | {option.help} |")
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class Settings:
    root: Path
    docs_dir: Path
    includes_dir: Path
    schemas_dir: Path | None = None
    cache_dir: Path | None = None
    #: Undefined variables and other lax-able problems are errors (True) or warnings.
    strict: bool = DEFAULTS["strict"]
    site: Mapping[str, Any] = field(default_factory=dict)
    max_include_depth: int = DEFAULTS["max_include_depth"]
    max_output_chars: int = 5_000_000
    max_render_seconds: float = 10.0
    #: Folder of the YAML files that become ``site.data`` (default: includes_dir/_data).
    data_dir: Path = cast(Path, None)
    #: A Jekyll tree checked in place: templates are Liquid, pages are what Jekyll publishes.
    jekyll: bool = False
    #: Jekyll's ``exclude:`` and ``include:`` patterns, relative to docs_dir.
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    #: MkDocs' exclude_docs (gitignore-style lines, relative to docs_dir): files there are
    #: not pages (MkDocs builds none of them, so none is checked as one).
    exclude_docs: str = ""
    #: Jekyll's ``defaults:`` as (path, type or None, values), least specific first.
    page_defaults: Defaults = ()
    #: A Jekyll tree's pages, posts and collection documents as Liquid sees them (url,
    #: path, date...), by path from the source; see jekyll_site.
    jekyll_items: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: Every URL ``{% link %}`` and ``{% post_url %}`` may give, by path from the source.
    jekyll_urls: Mapping[str, str] = field(default_factory=dict)
    #: Pages Jekyll writes nowhere (``published: false``, a post dated in the future...),
    #: by path, with why.
    jekyll_unpublished: Mapping[str, str] = field(default_factory=dict)
    #: The keys of ``site`` that hold the site model (pages, posts, collections...): a page
    #: depends on them only when it reads them (see Project._fingerprint).
    jekyll_model_keys: frozenset[str] = frozenset()
    #: What was learnt from files' contents in earlier runs, by file state (a
    #: filememo.FileMemo, or None): a repeated run stats files instead of reading them.
    memo: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.data_dir is None:
            object.__setattr__(self, "data_dir", self.includes_dir / "_data")

    def publishes(self, path: Path) -> bool:
        """True when ``path`` is a page of our own layout: not under MkDocs'
        ``exclude_docs``. (A Jekyll tree's rules are load/jekyll_tree.publishes.)"""
        return not self.exclude_docs or not _excluded_doc(self.exclude_docs, path, self.docs_dir)

    def page_values(self, rel: str) -> dict[str, Any]:
        """What a Jekyll page holds beside its front matter: the ``defaults:`` of
        _config.yml whose scope covers it (its path, and its type: pages, posts or a
        collection's label), and its name, dir and url as Jekyll gives them. Nothing for
        our own layout."""
        if not self.jekyll:
            return {}
        item = self.jekyll_items.get(rel, {})
        values = defaults_for(self.page_defaults, rel, str(item.get("collection") or "pages"))
        posix = PurePosixPath(rel)
        folder = "" if posix.parent.as_posix() == "." else posix.parent.as_posix() + "/"
        url = f"/{folder}" if posix.stem == "index" else f"/{folder}{posix.stem}.html"
        values.update(name=posix.name, dir=f"/{folder}", url=url)
        values.update(item)
        return values

    def rel(self, path: Path) -> str:
        """The path as diagnostics show it: relative to the project root when inside it.

        Lexical (no symlinks followed): a link inside the project is shown where it is."""
        inside = relative_posix(path, self.root)
        if inside is not None:
            return inside
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except (ValueError, OSError):
            return path.as_posix()

    def with_strict(self, strict: bool) -> Settings:
        return replace(self, strict=strict)


class _LenientLoader(yaml.SafeLoader):  # type: ignore[misc]
    """Reads mkdocs.yml as MkDocs does, without executing anything: ``!ENV`` reads the
    environment through pyyaml-env-tag (MkDocs' own reader of that tag), other tags such as
    ``!!python/name`` are read as plain data, never run."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_LenientLoader.add_multi_constructor("!", _ignore_tag)
_LenientLoader.add_constructor("!ENV", construct_env_tag)
_LenientLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def read_config_yaml(text: str) -> Any:
    """A configuration file (mkdocs.yml, _config.yml) as data; tags are read, never run.

    Raises yaml.YAMLError; the caller reports it with ``yaml_error_position``."""
    return yaml.load(text, Loader=_LenientLoader) or {}


def plugin_options(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """Our plugin's options from a parsed mkdocs.yml, or None when it is not enabled."""
    for entry in config.get("plugins") or []:
        if entry == PLUGIN_NAME:
            return {}
        if isinstance(entry, Mapping) and PLUGIN_NAME in entry:
            return dict(entry[PLUGIN_NAME] or {})
    return None


@lru_cache(maxsize=8)
def relative_posix(path: Path, folder: Path) -> str | None:
    """``path`` from ``folder`` in / form ("." for the folder itself), both made absolute
    without following links; None when ``path`` lies elsewhere. What
    ``absolute(path).relative_to(absolute(folder)).as_posix()`` gives, at a tenth of the
    cost (it runs several times for every page)."""
    full, base = os.path.abspath(path), os.path.abspath(folder)
    if full == base:
        return "."
    prefix = base if base.endswith(os.sep) else base + os.sep
    if not full.startswith(prefix):
        return None
    rest = full[len(prefix) :]
    return rest if os.sep == "/" else rest.replace(os.sep, "/")


def user_cache_base() -> Path:
    """The user's cache folder: ``$XDG_CACHE_HOME``, else ``~/.cache``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"))


def user_cache_folder(tree: Path) -> Path:
    """Where the cache of a tree checked in place lives: in the user's cache folder, one
    folder per tree path, so that a check in place writes nothing into the tree."""
    real = os.path.realpath(tree)
    key = hashlib.sha256(real.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", os.path.basename(real))[:40] or "root"
    return user_cache_base() / "element-docs" / f"{name}-{key}"


def yaml_error_position(exc: yaml.YAMLError, text: str) -> tuple[int, int] | None:
    """0-based (line, column) of a YAML error: where the problem is, or, when the parser
    only found out at the end of the text, where the unclosed bracket or quote opened."""
    mark = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    if context is not None and (mark is None or mark.index >= len(text.rstrip())):
        mark = context
    return (mark.line, mark.column) if mark is not None else None


@functools.lru_cache(maxsize=8)
def _exclude_spec(patterns: str) -> Any:
    import pathspec.gitignore  # MkDocs' own dependency, read the way MkDocs reads it

    return pathspec.gitignore.GitIgnoreSpec.from_lines(patterns.splitlines())


def _excluded_doc(patterns: str, path: Path, docs_dir: Path) -> bool:
    try:
        rel = path.relative_to(docs_dir).as_posix()
    except ValueError:
        return False
    return bool(_exclude_spec(patterns).match_file(rel))


def _config_error(path: str, message: str, line: int = 0) -> ConfigError:
    return ConfigError(Diagnostic("ED401", message, SourceLocation(path, line)))


def load_settings(
    root: Path, config_file: str = DEFAULT_CONFIG_FILE, strict: bool | None = None
) -> Settings:
    """Settings of the project at ``root``; raises ConfigError with the file's own line."""
    root = root.resolve()
    config_path = root / config_file
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _config_error(config_file, f"no {config_file} in {root.name or root}/") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _config_error(config_file, f"cannot read {config_file}: {exc}") from None
    try:
        config = read_config_yaml(text)
    except yaml.YAMLError as exc:
        position = yaml_error_position(exc, text)
        line = position[0] + 1 if position else 0
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise _config_error(
            config_file, f"{config_file} is not valid YAML: {problem}", line
        ) from None
    if not isinstance(config, Mapping):
        raise _config_error(config_file, f"{config_file} must be a mapping of settings")
    options = plugin_options(config) or {}
    return settings_from(root, config, plugin_values(options, config_file, text), strict)


def settings_from(
    root: Path, config: Mapping[str, Any], options: Mapping[str, Any], strict: bool | None = None
) -> Settings:
    """Build settings from an mkdocs config mapping and our plugin's option values (as
    ``plugin_values`` or the plugin's validated config gives them: every option set)."""
    docs_dir = root / str(config.get("docs_dir") or "content")
    includes_dir = root / str(options["includes_dir"] or DEFAULTS["includes_dir"])
    schemas, cache = options["schemas_dir"], options["cache_dir"]
    extra = config.get("extra") or {}
    if not isinstance(extra, Mapping):
        raise _config_error(DEFAULT_CONFIG_FILE, "'extra:' in mkdocs.yml must be a mapping")
    return Settings(
        root=root,
        docs_dir=docs_dir,
        includes_dir=includes_dir,
        schemas_dir=root / str(schemas) if schemas else None,
        cache_dir=root / str(cache) if cache else None,
        strict=bool(options["strict"]) if strict is None else strict,
        site=dict(extra),
        exclude_docs=str(config.get("exclude_docs") or ""),
        max_include_depth=int(options["max_include_depth"]),
    )
