"""What a page reads of site and site.data, recorded as it reads it, so that a change renders again
only the pages that read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.render.sourcemap import ALL_DATA, SITE_MODEL
from generator.render.state import current_state


class TrackedSite(dict[str, Any]):
    """``site``: records reads of the generated catalog (site.elements, site.hubs) and of
    a Jekyll tree's site model (``model_keys``: site.pages, site.posts..., recorded as
    ``@site:KEY``). A template that uses ``site`` whole (prints it, passes it on) is found
    in its source instead: see ``reads_whole_site``."""

    model_keys: frozenset[str] = frozenset()

    def _record(self, key: Any) -> None:
        if key in ("elements", "hubs"):
            current_state().data_files.add("@catalog")
        elif key in self.model_keys:
            current_state().data_files.add(SITE_MODEL + key)

    def __getitem__(self, key: str) -> Any:
        self._record(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._record(key)
        return super().get(key, default)


_TEMPLATE_TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)


# ``site`` not followed by ``.name`` or ``[``: used whole (printed, filtered, passed on), or
# through a dict method that reads every value
_WHOLE_SITE_RE = re.compile(
    r"(?<![\w.])site\b(?!\s*(?:\.\s*(?!(?:items|values|keys|copy|__\w*)\b)[A-Za-z_]|\[))"
)


def reads_whole_site(source: str) -> bool:
    """True when a tag of the template ``source`` may read ``site`` whole."""
    return any(_WHOLE_SITE_RE.search(tag.group()) for tag in _TEMPLATE_TAG_RE.finditer(source))


class TrackedData(dict[str, Any]):
    """``site.data``: records which data files a page reads (for dependency tracking)."""

    def __getitem__(self, key: str) -> Any:
        if isinstance(key, str):  # (a key of another kind names no data file)
            current_state().data_files.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if isinstance(key, str):
            current_state().data_files.add(key)
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):  # asked for, present or not: a dependency either way
            current_state().data_files.add(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        current_state().data_files.add(ALL_DATA)  # every file's name: a file added counts too
        return super().__iter__()
