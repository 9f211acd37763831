"""The source map: invisible line markers carried through rendering, then read back into the
file:line (and include chain) of every output line; what a render gives.

How the source map works: before Jinja lexes a template, every source line that starts
outside a tag gets an invisible *line marker* (file id and line). Each include is wrapped in
*push*/*pop* markers. Rendering carries the markers through to the output, where one pass
strips them and records, for every output line, the file:line it came from and the chain of
includes that led there. Undefined variables and refused includes render as *problem
markers*, so one render reports all of them at the exact place they appear.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from generator.errors import Diagnostic, SourceLocation

LINE, END, PUSH, POP, PROBLEM = "\ue000", "\ue001", "\ue002", "\ue003", "\ue004"


_MARKER_SPLIT_RE = re.compile(f"([{LINE}{PROBLEM}][^{END}]*{END}|[{PUSH}{POP}])")


_STRIP_RE = re.compile(f"[{LINE}{PROBLEM}][^{END}]*{END}|[{PUSH}{POP}{END}]")


ALL_DATA = "@all"  # in RenderResult.data_files: the page listed site.data (which files)


class Origin(NamedTuple):
    """Where an output line came from (a tuple: pages have hundreds of lines)."""

    path: str
    line: int
    chain: tuple[SourceLocation, ...] = ()

    def location(self, col: int = 0) -> SourceLocation:
        return SourceLocation(self.path, self.line, col)


@dataclass
class RenderResult:
    text: str
    source_map: SourceMap | None  # where each output line came from, or None (not kept)
    diagnostics: list[Diagnostic]
    partials: set[str] = field(default_factory=set)  # include names read, at any depth
    data_files: set[str] = field(default_factory=set)  # stems of includes/_data files read
    failed: bool = False  # rendering stopped early; ``text`` is what was produced

    def without_origins(self) -> RenderResult:
        """The same result without its source map: what the cache keeps and a forked
        checker sends back (only the check of the page itself needs the map)."""
        return RenderResult(
            self.text, None, self.diagnostics, self.partials, self.data_files, self.failed
        )

    @property
    def origins(self) -> list[Origin]:
        """One origin per output line."""
        return self.source_map.origins() if self.source_map is not None else []

    def origin(self, output_line: int) -> Origin:
        """Origin of a 0-based output line (clamped)."""
        origins = self.origins
        if not origins:
            return Origin("", 0)
        return origins[max(0, min(output_line, len(origins) - 1))]


class SourceMap:
    """The rendered text with its line markers still in, read into per-line origins only
    when a diagnostic asks where a line came from; or (``later``) the render that makes
    that text, run when a diagnostic first asks."""

    __slots__ = ("_marked", "_files", "_origins", "_render", "_text")

    def __init__(self, marked: str, files: Mapping[int, str]) -> None:
        self._marked = marked
        self._files = files
        self._origins: list[Origin] | None = None
        self._render: Callable[[], RenderResult] | None = None
        self._text = ""  # (later) the text rendered without markers

    @classmethod
    def later(cls, render: Callable[[], RenderResult], text: str) -> SourceMap:
        """The map of ``text``, a page rendered without markers: ``render`` renders it
        with them."""
        source_map = cls("", {})
        source_map._render, source_map._text = render, text
        return source_map

    def keep(self, origins: list[Origin]) -> None:
        """``origins``, read from the marked text already: not read again."""
        self._origins, self._marked = origins, ""

    def origins(self) -> list[Origin]:
        if self._origins is None:
            if self._render is not None:
                again = self._render()
                self._render = None  # what it held (the page's values) is let go
                text, self._text = self._text, ""
                self._origins = (
                    again.origins if again.text == text else _aligned_origins(text, again)
                )
            else:
                self._origins = origins_of(self._marked, self._files)
        return self._origins


def _aligned_origins(text: str, marked: RenderResult) -> list[Origin]:
    """Origins for the lines of ``text`` from a render with markers that gave other text.

    The markers sit inside the strings a template handles, so a template that looks into
    them (``strip`` or ``size`` of a capture, a comparison of one, a ``{%-`` trim after a
    blank line) can come out differently with them. Lines the two texts share take the
    marked line's origin; the others the origin of the shared line above them."""

    lines, theirs = text.split("\n"), marked.text.split("\n")
    found: list[Origin | None] = [None] * len(lines)
    matcher = difflib.SequenceMatcher(None, theirs, lines, autojunk=False)
    for block in matcher.get_matching_blocks():
        for offset in range(block.size):
            found[block.b + offset] = marked.origin(block.a + offset)
    origins: list[Origin] = []
    last = next((o for o in found if o is not None), Origin("", 0))
    for origin in found:
        last = origin if origin is not None else last
        origins.append(last)
    return origins


SITE_MODEL = "@site:"  # in RenderResult.data_files: the page read site.KEY of the model


def add_line_markers(source: str, fid: int, offset: int) -> str:
    """Put a line marker at the start of each line that begins outside a Jinja tag, except
    where the line before is plain text: the source map counts those lines on from the
    last marker (their text reaches the output as it is), so a page of prose and examples
    with one include gets a handful of markers, not one a line."""
    out: list[str] = []
    inside: str | None = None  # the closing delimiter we are waiting for
    in_raw = False
    trimmed = False  # the line before ended with -%} or -}}: Jinja strips this line's indent
    lines = source.split("\n")
    last = len(lines) - 1
    special = _special_lines(source)  # the lines that can open a tag or end a trim
    next_special = 0
    index = 0
    while index <= last:
        if inside is None and not in_raw and not trimmed:
            while next_special < len(special) and special[next_special] < index:
                next_special += 1
            stop = special[next_special] if next_special < len(special) else last + 1
            if stop > index:  # plain lines: one marker, at the first (the final empty
                line = lines[index]  # piece after a last newline stays bare, for Jinja)
                out.append(
                    f"{LINE}{fid}:{index + 1 + offset}{END}{line}" if line or index < last else line
                )
                out.extend(lines[index + 1 : stop])
                index = stop
                continue
        line = lines[index]
        stripped = line.lstrip()
        trims_left = stripped.startswith(("{%-", "{{-", "{#-"))
        if trimmed and inside is None and not stripped:
            out.append(line)  # blank: stripped away whole, as the trim goes on
            index += 1
            continue
        if inside is None and not trims_left and (line or index < last):
            indent = len(line) - len(stripped) if trimmed else 0
            out.append(f"{line[:indent]}{LINE}{fid}:{index + 1 + offset}{END}{line[indent:]}")
        else:
            out.append(line)
        inside, in_raw = scan_tags(line, inside, in_raw)
        trimmed = inside is None and not in_raw and line.rstrip().endswith(("-%}", "-}}", "-#}"))
        index += 1
    return "\n".join(out)


def _special_lines(source: str) -> list[int]:
    """The 0-based numbers of the lines holding a tag opener ({{, {%, {#) or a trimming
    closer (-%}, -}}, -#})."""
    found: list[int] = []
    line = pos = 0
    for match in _SPECIAL_RE.finditer(source):
        line += source.count("\n", pos, match.start())
        pos = match.start()
        if not found or found[-1] != line:
            found.append(line)
    return found


_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}


def scan_tags(line: str, inside: str | None, in_raw: bool) -> tuple[str | None, bool]:
    """Track whether the end of ``line`` is still inside a tag (skipping strings)."""
    pos = 0
    length = len(line)
    while pos < length:
        if inside is None:
            if in_raw:
                end = _ENDRAW_RE.search(line, pos)
                if not end:
                    return None, True
                pos = end.end()
                in_raw = False
                continue
            match = _TAG_OPEN_RE.search(line, pos)
            if not match:
                return None, False
            opener = match.group(0)
            inside = _CLOSERS[opener]
            if opener == "{%" and _RAW_TAG_RE.match(line, match.end()):
                in_raw = True
            pos = match.end()
            continue
        close = line.find(inside, pos)
        quote = (
            QUOTE_RE.search(line, pos, close if close >= 0 else length) if inside != "#}" else None
        )
        if quote:
            qpos = quote.start()
            quote_end = line.find(line[qpos], qpos + 1)
            if quote_end < 0:
                return inside, in_raw  # string continues on the next line
            pos = quote_end + 1
            continue
        if close < 0:
            return inside, in_raw
        pos = close + len(inside)
        inside = None
    return inside, in_raw


_ENDRAW_RE = re.compile(r"\{%-?\s*endraw\s*-?%\}")


_RAW_TAG_RE = re.compile(r"-?\s*raw\s*-?%\}")


def clean_marker_text(text: str) -> str:
    return _STRIP_RE.sub("", text)


def strip_markers(raw: str) -> str:
    """``raw`` without its markers: what ``_STRIP_RE.sub("", raw)`` gives for the markers
    the renderer writes, at a third of the cost. (A stray line-marker character with no
    end after it, which no page can hold, takes the rest of the text with it here.)"""
    pieces = raw.split(LINE)
    text = pieces[0] + "".join([piece.partition(END)[2] for piece in pieces[1:]])
    if PROBLEM in text:
        text = _STRIP_RE.sub("", text)
    return text.replace(PUSH, "").replace(POP, "").replace(END, "")


def origins_of(
    raw: str,
    files: Mapping[int, str],
    problem: Callable[[int, str, int, tuple[SourceLocation, ...]], None] | None = None,
) -> list[Origin]:
    """The origin of each line of the text that ``raw`` is with its markers stripped; each
    problem marker is passed to ``problem`` with the place in effect where it stands.

    A line's origin is the place in effect where its first text was written (or where it
    ended, for a line with no text)."""
    pieces = _MARKER_SPLIT_RE.split(raw)  # text, marker, text, marker, ..., text
    origins: list[Origin] = []
    path, line = "", 0
    chain: tuple[SourceLocation, ...] = ()
    stack: list[tuple[str, int, tuple[SourceLocation, ...]]] = []
    placed = False  # the current output line has its origin
    append = origins.append
    for index, piece in enumerate(pieces):
        if not index & 1:  # text
            if not piece:
                continue
            if "\n" not in piece:
                if not placed:
                    append(Origin(path, line, chain))
                    placed = True
                continue
            breaks = piece.count("\n")
            if not placed:
                append(Origin(path, line, chain))
            if breaks > 1:  # the lines between: counted on (a list, not a loop)
                origins.extend([Origin(path, n, chain) for n in range(line + 1, line + breaks)])
            line += breaks
            placed = piece[-1] != "\n"
            if placed:
                append(Origin(path, line, chain))
            continue
        kind = piece[0]
        if kind == LINE:
            fid, _, number = piece[1:-1].partition(":")
            path, line = files.get(int(fid), "?"), int(number)
        elif kind == PUSH:
            stack.append((path, line, chain))
            chain = (SourceLocation(path, line), *chain)
        elif kind == POP:
            if stack:
                path, line, chain = stack.pop()
        elif problem is not None:  # PROBLEM
            problem(int(piece[1:-1]), path, line, chain)
    if not placed:
        append(Origin(path, line, chain))
    return origins


def column_of(path: Path, line: int, needle: str) -> int:
    """1-based column of ``needle`` inside a {{ }} on the given line, else of the line."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    # the start of the dotted name that ends in needle: page.x, not x
                    match = re.search(r"(?:[A-Za-z_][\w-]*\.)*" + re.escape(needle) + r"\b", text)
                    if match:
                        return match.start() + 1
                    found = text.find(needle)
                    return found + 1 if found >= 0 else 1
    except OSError:
        pass
    return 1


_SPECIAL_RE = re.compile(r"\{[{%#]|-[%}#]\}")


QUOTE_RE = re.compile(r"[\"']")


_TAG_OPEN_RE = re.compile(r"\{\{|\{%|\{#")
