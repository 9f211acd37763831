"""The state of the render under way (one per thread), and the error a limit raises."""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from generator.errors import CODES
from generator.render.sourcemap import END, PROBLEM, clean_marker_text


@dataclass
class RenderState:
    # (code, message, hint, text to look for on the source line to find the column)
    problems: list[tuple[str, str, str, str]] = field(default_factory=list)
    partials: set[str] = field(default_factory=set)
    data_files: set[str] = field(default_factory=set)
    roots: dict[int, str] = field(default_factory=dict)  # id(mapping) -> its dotted name
    deadline: float = 0.0
    calls: int = 0
    counters: dict[Any, int] = field(default_factory=dict)  # increment/decrement, cycle
    plain: bool = False  # compile partials whole (for exact line numbers in errors)
    #: preprocess with the source-map markers (line, include); without them the text is
    #: all there is, and where a line came from is learnt by rendering again with them
    marked: bool = True
    #: one render serves for the text and the source map (see Renderer._render_once): a
    #: template that could see the markers stops it (MarkersVisible)
    once: bool = False

    def problem(self, code: str, message: str, hint: str = "", needle: Any = "") -> str:
        if code not in CODES:  # never from a page (internal names are out of its reach)
            code, message = "ED309", f"{code}: {message}"
        self.problems.append(
            (
                code,
                clean_marker_text(str(message)),
                str(hint),
                needle if isinstance(needle, str) else "",
            )
        )
        return f"{PROBLEM}{len(self.problems) - 1}{END}"


RENDER_STATE: ContextVar[RenderState | None] = ContextVar("element_docs_render_state", default=None)


#: set while the renderer itself loads a partial by an internal name (see _load_template)
TRUSTED_LOAD: ContextVar[bool] = ContextVar("element_docs_trusted_load", default=False)


def current_state() -> RenderState:
    state = RENDER_STATE.get()
    if state is None:  # rendering outside Renderer.render(): keep working, record nothing
        state = RenderState(deadline=time.monotonic() + 3600)
        RENDER_STATE.set(state)
    return state


def marking() -> bool:
    """Whether templates compiled now get the source-map markers (outside a render: yes)."""
    state = RENDER_STATE.get()
    return state is None or state.marked


class MarkersVisible(Exception):
    """A render with ``once`` met a template that could see the markers in its strings."""


class RenderLimitError(Exception):
    """A template ran past a resource limit."""
