"""How the renderer names templates that are not partials of includes/, and where a recorded
partial's file is: light on purpose (no Jinja), as a check whose pages all come from the
cache asks only this of the renderer."""

from __future__ import annotations

from pathlib import Path

from generator.settings import Settings

PAGE_PREFIX = "@page/"
SKELETON_PREFIX = "@skeleton/"
ROOT_PREFIX = "@root/"  # include_relative: a file of the tree, by its path from the root


def partial_path(settings: Settings, name: str) -> Path:
    """The file of a partial as recorded in ``RenderResult.partials``."""
    if name.startswith(ROOT_PREFIX):
        return settings.root / name[len(ROOT_PREFIX) :]
    return settings.includes_dir / name
