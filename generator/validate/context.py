"""What every example check works with: the page, its render, its source lines and schemas; and how
a place in a block becomes the file's line and column.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from generator.errors import Diagnostic, Mention, SourceLocation, Text, spell
from generator.extract.blocks import (
    Example,
)
from generator.extract.jsonlocate import (
    JSONPath,
    LocatedJSON,
)
from generator.load.documents import Document
from generator.render.sourcemap import RenderResult
from generator.validate.schemas import SchemaStore

SourceLines = Callable[[str, int], str | None]  # (path, line) -> the line's text


Within = Callable[[int, int], tuple[int, int]] | None


@dataclass
class PageContext:
    doc: Document
    rendered: RenderResult
    source_line: SourceLines
    schemas: SchemaStore

    @cached_property
    def lines(self) -> list[str]:
        """The rendered page's lines (0-based), split once per page."""
        return self.rendered.text.split("\n")

    def where(
        self, example: Example, line_in_block: int, col: int = 0
    ) -> tuple[SourceLocation, tuple[SourceLocation, ...]]:
        """Source location of a 1-based line/col inside an example's content."""
        rendered_line = example.first_line + max(line_in_block, 1) - 1
        origin = self.rendered.origin(rendered_line)
        lines = self.lines
        out_text = lines[rendered_line] if 0 <= rendered_line < len(lines) else ""
        source = self.source_line(origin.path, origin.line) if origin.line else None
        source_col = source_column(out_text, source, col + example.indent) if col else 0
        return SourceLocation(origin.path, origin.line, source_col), origin.chain

    def at(
        self, example: Example, line: int, col: int, code: str, message: str, hint: str = ""
    ) -> Diagnostic:
        location, chain = self.where(example, line, col)
        return Diagnostic(code, message, location, hint, chain)

    def file_lines(self, example: Example, text: Text, within: Within = None) -> str:
        """``text`` (a parser's message or hint) with the places it names, given in the
        block's lines, shown as the file's own lines, as the diagnostic's location is."""

        home = self.where(example, 1)[0].path  # the file the block is in

        def to_file(mention: Mention) -> str:
            line, col = mention
            if within is not None:
                line, mapped_col = within(line, max(col, 1))
                col = mapped_col if col else 0
            location, _ = self.where(example, line, col)
            where = (
                f"line {location.line}"
                if location.path == home
                else f"{location.path}:{location.line}"
            )
            return f"{where}, col {location.col}" if col and location.col else where

        return spell(text, to_file)

    def at_path(
        self,
        example: Example,
        located: LocatedJSON,
        path: JSONPath,
        code: str,
        message: str,
        hint: str = "",
        key: bool = False,
        within: Within = None,
    ) -> Diagnostic:
        """At the value (or key) of ``path``; ``within`` maps positions inside a cURL
        argument to positions in the block."""
        position = (located.key_positions.get(path) if key else None) or located.position_of(path)
        line, col = position.line, position.col
        if within is not None:
            line, col = within(line, col)
        return self.at(example, line, col, code, message, hint)

    def at_rendered_line(
        self, rendered_line: int, code: str, message: str, hint: str = ""
    ) -> Diagnostic:
        origin = self.rendered.origin(rendered_line)
        return Diagnostic(code, message, origin.location(1), hint, origin.chain)


def source_column(out_text: str, source: str | None, out_col: int) -> int:
    """The source column of rendered column ``out_col`` (they differ after templating)."""
    if source is None or source == out_text:
        return out_col
    token = re.match(r"\S{1,40}", out_text[out_col - 1 :]) if out_col >= 1 else None
    if token:
        found = source.find(token.group(0))
        if found >= 0:
            return found + 1
    return len(source) - len(source.lstrip()) + 1


def lookup(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value
