"""Extract stage: every code block of a rendered page, classified, with its place.

markdown-it-py gives each block token ``map = [start, end)`` in rendered lines; the render
stage's source map turns those into file lines of the page or of the partial it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .jsonlocate import JSONLocateError, LocatedJSON, parse

REQUEST, RESPONSE, OAUTH_URL, CURL, OTHER = "request", "response", "oauth-url", "curl", "other"
KINDS = (REQUEST, RESPONSE, OAUTH_URL, CURL, OTHER)
_OVERRIDE_RE = re.compile(r"(?:^|\s)example=([\w.-]*)")
_JSON_LANGS = {"json", "json5", "javascript", "js", ""}
_SHELL_LANGS = {"bash", "sh", "shell", "console", "curl", "zsh", ""}


@dataclass
class Example:
    kind: str
    lang: str
    info: str
    text: str  # the block's content as markdown-it gives it (list indentation removed)
    first_line: int  # 0-based rendered line of the content's first line
    fence_line: int  # 0-based rendered line of the opening fence (or first line)
    indent: int  # columns of indentation removed from each content line
    heading: str  # the nearest heading above
    override: str | None = None  # the kind named in the info string, as written
    json: LocatedJSON | None = None
    json_error: JSONLocateError | None = None

    @property
    def looks_like_json(self) -> bool:
        return self.lang.lower() in ("json", "json5") or self.text.lstrip()[:1] in ("{", "[")


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, list[str], list[list[str]]]]  # (rendered line, cell texts, code spans)
    heading: str


@dataclass
class PageBlocks:
    examples: list[Example]
    tables: list[Table]
    too_deep: list[int] = field(default_factory=list)  # rendered lines where nesting gave out


MAX_NESTING = 100  # levels of lists and quotes; deeper than any real page
_CODE_SPAN_RE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Block structure is all the checks need: inline parsing would double the cost.
    parser = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING})
    return parser.enable("table").disable("inline")


def code_spans(text: str) -> list[str]:
    """The inline code spans of a table cell or heading (CommonMark's backtick rule)."""
    spans = []
    for match in _CODE_SPAN_RE.finditer(text):
        content = match.group(2).replace("\n", " ")
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        spans.append(content)
    return spans


def _block_tokens(lines: list[str], too_deep: list[int]) -> list[Token]:
    """Block tokens of the page, with maps in page lines.

    markdown-it stops at ``maxNesting`` and silently swallows the rest of the document;
    here the parse resumes at the next unindented line, and the place is reported."""
    tokens: list[Token] = []
    start = 0
    while start < len(lines):
        chunk = _parser().parse("\n".join(lines[start:]))
        deepest = None
        for token in chunk:
            if token.map:
                token.map = [token.map[0] + start, token.map[1] + start]
                if token.level >= MAX_NESTING - 2:
                    deepest = token.map[0]
        tokens.extend(chunk)
        if deepest is None:
            break
        too_deep.append(deepest)
        start = next((i for i in range(deepest + 1, len(lines))
                      if lines[i][:1] not in ("", " ", "\t", ">")), len(lines))
    return tokens


def extract(rendered: str) -> PageBlocks:
    """All code blocks and tables of a rendered page (one block-level parse)."""
    lines = rendered.split("\n")
    too_deep: list[int] = []
    tokens = _block_tokens(lines, too_deep)
    examples: list[Example] = []
    tables: list[Table] = []
    heading = ""
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open" and index + 1 < len(tokens):
            heading = tokens[index + 1].content.strip()
        elif token.type in ("fence", "code_block") and token.map:
            examples.append(_example(token, lines, heading))
        elif token.type == "table_open":
            table, index = _table(tokens, index, heading)
            tables.append(table)
            continue
        index += 1
    return PageBlocks(examples, tables, too_deep)


def _example(token: Token, lines: list[str], heading: str) -> Example:
    start = token.map[0] if token.map else 0
    first = start + 1 if token.type == "fence" else start
    content = token.content
    indent = 0
    first_text = next((line for line in content.split("\n") if line.strip()), "")
    for offset, rendered in enumerate(lines[first:first + 50]):
        if first_text and rendered.endswith(first_text):
            indent = len(rendered) - len(first_text)
            first += offset
            break
    info = token.info.strip() if token.type == "fence" else ""
    lang = info.split()[0].lower() if info else ""
    if lang.startswith("{"):  # attribute-style info string: { .json }
        lang = lang.strip("{}.")
    match = _OVERRIDE_RE.search(info)
    override = match.group(1) if match else None
    example = Example(kind=OTHER, lang=lang, info=info, text=content, first_line=first,
                      fence_line=start, indent=indent, heading=heading, override=override)
    example.kind = classify(example)
    return example


def _parse_json(example: Example) -> None:
    if example.json is None and example.json_error is None:
        try:
            example.json = parse(example.text)
        except JSONLocateError as exc:
            example.json_error = exc


def classify(example: Example) -> str:
    """The kind of a block, from its info string, shape and the heading above it."""
    if example.override is not None:
        if example.looks_like_json and example.override != CURL:
            _parse_json(example)
        return example.override
    text = example.text.lstrip()
    if example.lang in _SHELL_LANGS and re.match(r"(\$\s+)?curl\b", text):
        return CURL
    if not (example.lang in _JSON_LANGS and example.looks_like_json):
        return OTHER
    _parse_json(example)
    value = example.json.value if example.json else None
    if isinstance(value, dict):
        return _classify_object(value, example.heading)
    if example.json_error is not None:  # unparsable: let the heading decide what it meant
        return _kind_from_heading(example.heading)
    return OTHER


def _classify_object(value: dict[str, Any], heading: str) -> str:
    if "oauthUrl" in value:
        return OAUTH_URL
    element = value.get("element")
    if "token" in value or (isinstance(element, dict) and "id" in element and "id" in value):
        return RESPONSE
    if isinstance(element, dict) and ({"configuration", "providerData", "name"} & value.keys()):
        return REQUEST
    return _kind_from_heading(heading)


def _kind_from_heading(heading: str) -> str:
    lowered = heading.lower()
    if "instance" in lowered and "response" in lowered:
        return RESPONSE
    return OTHER


def _table(tokens: list[Token], index: int, heading: str) -> tuple[Table, int]:
    header: list[str] = []
    rows: list[tuple[int, list[str], list[list[str]]]] = []
    row: list[str] = []
    spans: list[list[str]] = []
    row_line = 0
    in_head = False
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token.type == "thead_open":
            in_head = True
        elif token.type == "thead_close":
            in_head = False
        elif token.type == "tr_open":
            row, spans = [], []
            row_line = token.map[0] if token.map else 0
        elif token.type == "inline":
            row.append(token.content.strip())
            spans.append(code_spans(token.content))
        elif token.type == "tr_close":
            if in_head:
                header = row
            else:
                rows.append((row_line, row, spans))
        elif token.type == "table_close":
            break
    return Table(header, rows, heading), index


def strip_overrides(markdown: str) -> str:
    """Remove our ``example=...`` words from fence info strings before MkDocs sees them."""
    return re.sub(r"^(\s*(?:`{3,}|~{3,})[^\n`]*?)\s+example=[\w.-]*", r"\1", markdown,
                  flags=re.MULTILINE)
