"""Every use of MkDocs' private parts, in one place, and only on the MkDocs line it was tested on.

MkDocs offers no public way to build one page, to ask its ``serve`` server for a rebuild, to
move a watched folder from its polling to a native watcher, or to keep a page's converted
content; the plugin's quick rebuilds, its native watcher and its site cache need those. A
MkDocs release may change any of them, and a port to another MkDocs-like tool replaces this
module. On another MkDocs line than ``TESTED_LINE`` every function here says "not available"
and the features that need them turn themselves off (MkDocs' own full rebuilds, polling, no
reuse of converted pages): slower, never wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import mkdocs
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

#: The MkDocs releases these hooks were read in and are tested with.
TESTED_LINE = "1.6."
ON_TESTED_LINE = mkdocs.__version__.startswith(TESTED_LINE)

try:  # MkDocs' own steps for one page (mkdocs.commands.build)
    from mkdocs.commands.build import _build_page, _populate_page
except ImportError:  # pragma: no cover - another MkDocs than the tested line
    _build_page = _populate_page = None  # type: ignore[assignment]

_SERVER_PARTS = ("_rebuild_cond", "_want_rebuild", "_watch_refs", "observer")


# --- one page ----------------------------------------------------------------------------


def can_build_one_page() -> bool:
    return ON_TESTED_LINE and _build_page is not None and _populate_page is not None


def populate_page(page: Page, config: MkDocsConfig, files: Files) -> None:
    """Read the page's source and convert it, running every plugin's page events."""
    _populate_page(page, config, files)


def build_page(
    page: Page,
    config: MkDocsConfig,
    doc_files: Sequence[File],
    nav: Navigation,
    env: Any,
    excluded: bool,
) -> None:
    """Render the page into the theme and write it."""
    _build_page(page, config, doc_files, nav, env, excluded=excluded)


def can_keep_conversions() -> bool:
    """True when a page's conversion can be replaced and its result stored and restored."""
    return ON_TESTED_LINE


def original_render(page: Page) -> Callable[[MkDocsConfig, Files], None]:
    """The page's own conversion, under any ``render`` put in its place by ``replace_render``
    (a page converted again by a quick rebuild is wrapped once, not once per conversion)."""
    render: Callable[[MkDocsConfig, Files], None] = getattr(page.render, "__wrapped__", page.render)
    return render


def replace_render(page: Page, render: Callable[[MkDocsConfig, Files], None]) -> None:
    """Have MkDocs call ``render`` where it would convert the page's Markdown."""
    render.__wrapped__ = original_render(page)  # type: ignore[attr-defined]
    page.render = render  # type: ignore[method-assign,assignment]


def rendered_title(page: Page) -> str | None:
    """The title the conversion found in the page (its first heading)."""
    title: str | None = page._title_from_render
    return title


def set_rendered_title(page: Page, title: str | None) -> None:
    page._title_from_render = title


def move_file(file: File, dest_uri: str) -> None:
    """Give ``file`` another place in the site (MkDocs works out its URL and output path
    from ``dest_uri`` once and keeps them: those are forgotten)."""
    file.dest_uri = dest_uri
    for cached in ("url", "abs_dest_path"):
        file.__dict__.pop(cached, None)


# --- the search plugins (MkDocs' own and Material's) --------------------------------------


def search_entries(plugins: Mapping[str, Any]) -> list[tuple[Any, list[dict[str, Any]]]]:
    """The search plugins in use (MkDocs' own, Material's) with their list of entries, the
    list each page's entries are appended to and the index is written from."""
    found = []
    for name in ("search", "material/search"):
        plugin = plugins.get(name)
        index = getattr(plugin, "search_index", None)
        entries = getattr(index, "entries", getattr(index, "_entries", None))
        if plugin is not None and isinstance(entries, list):
            found.append((plugin, entries))
    return found


def search_index_text(plugin: Any, entries: list[dict[str, Any]]) -> str:
    """search/search_index.json with ``entries``, byte for byte as the search plugin
    writes it (non-ASCII characters escaped, as json.dumps does by default)."""
    index = plugin.search_index
    if hasattr(index, "_entries"):  # MkDocs' own: keys sorted, its config as it is
        return json.dumps(
            {"config": index.config, "docs": entries},
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )
    settings = {k: plugin.config[k] for k in ("lang", "separator", "pipeline", "fields")}
    return json.dumps(
        {"config": settings, "docs": entries}, separators=(",", ":"), default=str
    )  # Material's: four of its options


def wrap_search_adder(
    plugin: Any, wrap: Callable[[Callable[[Page], None]], Callable[[Page], None]]
) -> bool:
    """Put ``wrap(add)`` in place of the function that adds a page's search entries;
    False when the plugin has none of that name."""
    add = getattr(plugin.search_index, "add_entry_from_context", None)
    if add is None:
        return False
    plugin.search_index.add_entry_from_context = wrap(add)
    return True


def forget_previous_search_index(plugin: Any) -> None:
    """Material's search keeps the last build's index under ``serve --dirty`` and merges it
    in by a rule of its own; the plugin completes a dirty build's index itself."""
    if getattr(plugin, "search_index_prev", None) is not None:
        plugin.search_index_prev = None


# --- the serve server (mkdocs.livereload.LiveReloadServer) -------------------------------


def watched_paths(server: Any) -> dict[str, Any] | None:
    """The paths the server was asked to watch, or None when it does not record them."""
    known = getattr(server, "_watched_paths", None) if ON_TESTED_LINE else None
    return known if isinstance(known, dict) else None


def can_take_watches(server: Any) -> bool:
    """True when watched paths can be moved from the server's polling to another watcher."""
    return ON_TESTED_LINE and all(hasattr(server, name) for name in _SERVER_PARTS)


def is_polled(server: Any, path: str) -> bool:
    return path in server._watch_refs


def stop_polling(server: Any, path: str) -> None:
    server.observer.unschedule(server._watch_refs.pop(path))


def request_rebuild(server: Any) -> None:
    """Ask the server for a rebuild, as its own watcher does."""
    with server._rebuild_cond:
        server._want_rebuild = True
        server._rebuild_cond.notify_all()
