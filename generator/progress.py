"""A one-line progress counter on a terminal, and nothing at all anywhere else.

Long runs (`generator check`, `mkdocs build` and `generator site` on thousands of pages) say
what they are doing where a person watches; logs and pipes get no progress text."""

from __future__ import annotations

import time
from typing import TextIO

#: Runs shorter than this many steps finish before a counter would help.
MIN_STEPS = 50
_EVERY_SECONDS = 0.1


class Progress:
    """``step()`` after each item; the line is redrawn at most ten times a second and erased
    by ``close()`` (or when the last step is reached)."""

    def __init__(self, stream: TextIO, label: str, total: int) -> None:
        self.stream = stream
        self.label = label
        self.total = total
        self.done = 0
        self._shown_at = 0.0
        self.active = total >= MIN_STEPS and _is_terminal(stream)

    def step(self, count: int = 1) -> None:
        self.done += count
        if not self.active:
            return
        now = time.monotonic()
        if self.done >= self.total:
            self.close()
        elif now - self._shown_at >= _EVERY_SECONDS:
            self._shown_at = now
            self.stream.write(f"\r\033[K{self.label} {self.done}/{self.total}")
            self.stream.flush()

    def clear(self) -> None:
        """Erase the line for a moment (a log line is about to be written); the next step
        draws it again."""
        if self.active and self._shown_at:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self._shown_at = 0.0

    def close(self) -> None:
        if self.active:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.active = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stand-in stream
        return False
