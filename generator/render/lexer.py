"""A template's tags found without Jinja: its skeleton (text and tags apart), and where an unclosed
tag opened.
"""

from __future__ import annotations

import re
from functools import lru_cache

from generator.render.sourcemap import QUOTE_RE, clean_marker_text, scan_tags

_OPENERS_RE = re.compile(r"\{\{-?|\{%-?|\{#-?")


_RAW_OPEN_RE = re.compile(r"\{%(-?)\s*raw\s*(-?)%\}")


_RAW_CLOSE_RE = re.compile(r"\{%(-?)\s*endraw\s*(-?)%\}")


_STRING_RE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", re.DOTALL)


# What lets a template look at the strings its own output is made of: whitespace control
# (it trims across the places where line markers stand), and the tags that capture output
# into a value (a block set, which Liquid's capture becomes, macros, call and filter blocks,
# template blocks) or load templates by Jinja's own ways (extends, import, from).
_SEES_OUTPUT_RE = re.compile(
    r"\{[%{#]-|-[%}#]\}"
    r"|\{%\s*(?:macro|call|filter|block|extends|import|from)\b"
    r"|\{%\s*set\s[^=%]*%\}"
)


@lru_cache(maxsize=1024)
def markers_unseen(skeleton: str) -> bool:
    """Whether a template with this skeleton (``skeleton_of``) renders the same text with
    the source map's markers as without them, once they are stripped: none of its tags
    can look into the strings that carry the markers."""
    return _SEES_OUTPUT_RE.search(skeleton) is None


def skeleton_of(pieces: list[tuple[bool, str]]) -> tuple[str, tuple[str, ...]]:
    """A template's tags with each static run replaced by ``{{ _ed_s[i] }}``, and the runs.

    String literals inside tags become ``_ed_s[i]`` too: a page's include path and
    parameters differ from its neighbours' while its tags are the same."""
    statics: list[str] = []
    skeleton: list[str] = []

    def lift(match: re.Match[str]) -> str:
        literal = match.group(0)
        if "\\" in literal:
            return literal  # escapes: left to Jinja's own reading
        statics.append(literal[1:-1])
        return f"_ed_s[{len(statics) - 1}]"

    for is_tag, text in pieces:
        if not is_tag:
            skeleton.append(f"{{{{ _ed_s[{len(statics)}] }}}}")
            statics.append(text)
        elif text.startswith("{#"):
            skeleton.append(text)
        else:
            skeleton.append(_STRING_RE.sub(lift, text))
    return "".join(skeleton), tuple(statics)


_TAG_NAME_RE = re.compile(r"\{%-?\s*(\w+)")
_PART_BLOCKS = {"if": "endif", "for": "endfor", "with": "endwith"}
_PART_INNER = frozenset(["elif", "else", "break", "continue"])
# Liquid's assign and capture, as translated (liquid.translate): they write to ``vars``, an
# object every part of the page shares, never to a name of the template's own
_VARS_ASSIGN_RE = re.compile(r"\{%-?\s*set\s+vars\.\w+\s*=")
_VARS_CAPTURE_RE = re.compile(r"\{%-?\s*set\s+vars\.\w+\s*-?%\}\Z")

PartPieces = list[tuple[bool, str]]


def top_level_parts(pieces: list[tuple[bool, str]]) -> list[str | PartPieces] | None:
    """A template's pieces (``split_template``) as its top-level parts, in order: static
    text as it is, and the pieces of each top-level tag, comment or block (``{% if %}`` to
    ``{% endif %}``, say). Rendered one after the other in one context, the parts make what
    the whole template makes, so each part can be compiled once for every page that has it
    (``skeleton_of`` of a part lifts its text and strings out).

    That holds only where no part hands a name to a later one. The pieces are Liquid as
    translated (liquid.translate): it sets only ``vars`` (assign, capture), an object every
    part reads when it runs, and reads every other name from it too. A ``{% set %}`` of
    the template's own name would not carry over (Jinja scopes it to the whole template
    and resolves every top-level name once, when the template starts): it, or any tag other
    than if, for, with, include and the inner tags of loops and conditions (macros, blocks,
    imports, Liquid's case, which sets a name of its own), gives None: the template is
    compiled whole."""
    parts: list[str | PartPieces] = []
    current: PartPieces = []
    closers: list[str] = []
    for is_tag, text in pieces:
        if is_tag and text.startswith("{%"):
            match = _TAG_NAME_RE.match(text)
            name = match.group(1) if match else ""
            if name in _PART_BLOCKS:
                closers.append(_PART_BLOCKS[name])
            elif name == "set" and _VARS_ASSIGN_RE.match(text):
                pass
            elif name == "set" and _VARS_CAPTURE_RE.match(text):
                closers.append("endset")
            elif name in _PART_INNER:
                if not closers:
                    return None
            elif closers and name == closers[-1]:
                closers.pop()
            elif name != "include":
                return None
        elif not closers and not is_tag:
            parts.append(text)
            continue
        current.append((is_tag, text))
        if not closers:
            parts.append(current)
            current = []
    return None if closers else parts


def split_template(
    source: str, keep_trailing_newline: bool = True
) -> list[tuple[bool, str]] | None:
    """Split preprocessed template source into (is_tag, text) pieces as Jinja's lexer would:
    tags verbatim, static text with whitespace control and raw blocks already applied.
    None for anything unusual (an unclosed tag, say): the caller compiles the whole page."""
    pieces: list[tuple[bool, str]] = []
    static: list[str] = []
    pos = 0
    strip_next = False
    length = len(source)
    while pos < length:
        match = _OPENERS_RE.search(source, pos)
        if match is None:
            static.append(source[pos:])
            break
        text = source[pos : match.start()]
        opener = match.group(0)
        raw = _RAW_OPEN_RE.match(source, match.start()) if opener.startswith("{%") else None
        if opener.endswith("-") or (raw and raw.group(1)):
            text = text.rstrip()
        if strip_next:
            text = text.lstrip() if not static else text
            strip_next = False
        static.append(text)
        if raw:
            close = _RAW_CLOSE_RE.search(source, raw.end())
            if close is None:
                return None
            inner = source[raw.end() : close.start()]
            if raw.group(2):
                inner = inner.lstrip()
            if close.group(1):
                inner = inner.rstrip()
            static.append(inner)
            pos = close.end()
            strip_next = bool(close.group(2))
            if strip_next:
                rest = source[pos:]
                pos += len(rest) - len(rest.lstrip())
                strip_next = False
            continue
        closer = {"{{": "}}", "{%": "%}", "{#": "#}"}[opener[:2]]
        scan = match.end()
        while True:
            end = source.find(closer, scan)
            if end < 0:
                return None
            if closer != "#}":
                string = _string_before(source, scan, end)
                if string is not None:
                    scan = string.end()
                    continue
            break
        tag_end = end + 2
        if static:
            pieces.append((False, "".join(static)))
            static = []
        pieces.append((True, source[match.start() : tag_end]))
        pos = tag_end
        if source[end - 1] == "-" and end - 1 >= match.end():
            rest = source[pos:]
            pos += len(rest) - len(rest.lstrip())
    tail = "".join(static)
    if tail.endswith("\n") and not keep_trailing_newline:
        tail = tail[:-1]  # as Jinja does with keep_trailing_newline=False
    pieces.append((False, tail))
    return [(is_tag, text) for is_tag, text in pieces if is_tag or text]


def _string_before(source: str, start: int, end: int) -> re.Match[str] | None:
    """The first string literal that begins in ``source[start:end]`` (it may end later)."""
    while True:
        quote = QUOTE_RE.search(source, start, end)
        if quote is None:
            return None
        string = _STRING_RE.match(source, quote.start())
        if string is not None:
            return string
        start = quote.start() + 1


def unclosed_opener(source: str, upto: int) -> tuple[int, str] | None:
    """(line, opener) of a tag still open at line ``upto`` of ``source``, if any."""
    inside: str | None = None
    in_raw = False
    opened: tuple[int, str] | None = None
    for number, line in enumerate(clean_marker_text(source).split("\n")[:upto], start=1):
        before = inside
        inside, in_raw = scan_tags(line, inside, in_raw)
        if inside is not None and before is None:
            opener = {"}}": "{{", "%}": "{%", "#}": "{#"}[inside]
            opened = (number, opener)
        elif inside is None:
            opened = None
    return opened if inside is not None else None
