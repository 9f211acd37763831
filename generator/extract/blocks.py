"""Extract stage: every code block of a rendered page, classified, with its place.

markdown-it-py is the parser of record: each block token has ``map = [start, end)`` in
rendered lines, and the render stage's source map turns those into file lines of the page or of
the partial it came from. Most pages are read first by the fast scanner (``scanner.py``);
both routes give the same plain records, which one function here turns into ``Example`` and
``Table`` objects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from generator.extract.jsonlocate import JSONLocateError, LocatedJSON, parse_lazily
from generator.extract.scanner import Code, Heading, Record, TableRows, scan

REQUEST, RESPONSE, OAUTH_URL, CURL, OTHER = "request", "response", "oauth-url", "curl", "other"
KINDS = (REQUEST, RESPONSE, OAUTH_URL, CURL, OTHER)
_OVERRIDE_RE = re.compile(r"(?:^|\s)example=([\w.-]*)")
# ```json invalid="why": the author shows a wrong example on purpose, and says why
_INVALID_RE = re.compile(r"""(?:^|\s)invalid(?:=(?:"([^"]*)"|'([^']*)'|(\S*)))?(?=\s|$)""")
# or an HTML comment on the line just above the fence: <!-- invalid: why -->
_INVALID_COMMENT_RE = re.compile(
    r"<!--\s*(?:element-docs:\s*)?invalid\b:?\s*(.*?)\s*-->", re.IGNORECASE
)
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
    invalid: str | None = None  # marked invalid on purpose: the reason given ("" if none)
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
    spans: list[str] = []
    if "`" not in text:
        return spans
    for match in _CODE_SPAN_RE.finditer(text):
        content = match.group(2).replace("\n", " ")
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]
        spans.append(content)
    return spans


# What either parser reports about a page, before it becomes Examples and Tables --------------


def extract(rendered: str) -> PageBlocks:
    """All code blocks and tables of a rendered page (one block-level parse)."""
    lines = rendered.split("\n")
    records = scan(rendered, lines)
    too_deep: list[int] = []
    if records is None:
        records = _records(_block_tokens(lines, too_deep))
    return _assemble(records, lines, too_deep)


def extract_fast(rendered: str) -> PageBlocks | None:
    """What ``extract`` gives when the line scanner can read the page alone, else None."""
    lines = rendered.split("\n")
    records = scan(rendered, lines)
    return None if records is None else _assemble(records, lines, [])


def extract_with_markdown_it(rendered: str) -> PageBlocks:
    """What ``extract`` gives, always through markdown-it (the reference for the scanner)."""
    lines = rendered.split("\n")
    too_deep: list[int] = []
    return _assemble(_records(_block_tokens(lines, too_deep)), lines, too_deep)


def _assemble(records: list[Record], lines: list[str], too_deep: list[int]) -> PageBlocks:
    """The one place where records become Examples and Tables, whichever parser read them."""
    examples: list[Example] = []
    tables: list[Table] = []
    heading = ""
    for record in records:
        if isinstance(record, Heading):
            heading = record.text.strip()
        elif isinstance(record, Code):
            examples.append(_example(record, lines, heading))
        else:
            rows = [
                (line, [cell.strip() for cell in cells], [code_spans(cell) for cell in cells])
                for line, cells in record.rows
            ]
            tables.append(Table([cell.strip() for cell in record.header], rows, heading))
    return PageBlocks(examples, tables, too_deep)


def _first_text(content: str) -> str:
    """The first line of ``content`` that is not blank, or "" (without splitting it all)."""
    start = 0
    while start <= len(content):
        end = content.find("\n", start)
        if end < 0:
            end = len(content)
        line = content[start:end]
        if line.strip():
            return line
        start = end + 1
    return ""


def _example(code: Code, lines: list[str], heading: str) -> Example:
    start = code.start
    first = start + 1 if code.fenced else start
    content = code.content
    indent = 0
    first_text = _first_text(content)
    for offset, rendered in enumerate(lines[first : first + 50]):
        if first_text and rendered.endswith(first_text):
            indent = len(rendered) - len(first_text)
            first += offset
            break
    info = code.info.strip() if code.fenced else ""
    lang = info.split()[0].lower() if info else ""
    if lang.startswith("{"):  # attribute-style info string: { .json }
        lang = lang.strip("{}.")
    match = _OVERRIDE_RE.search(info)
    override = match.group(1) if match else None
    invalid = _invalid_mark(info, lines, start)
    example = Example(
        kind=OTHER,
        lang=lang,
        info=info,
        text=content,
        first_line=first,
        fence_line=start,
        indent=indent,
        heading=heading,
        override=override,
        invalid=invalid,
    )
    example.kind = classify(example)
    return example


def _invalid_mark(info: str, lines: list[str], fence_line: int) -> str | None:
    """The reason given for a deliberately invalid example ("" when none is given), or None
    when the block is not marked: ``invalid="..."`` in the info string, or a comment
    ``<!-- invalid: ... -->`` on the line above the fence (blank lines between allowed)."""
    match = _INVALID_RE.search(info)
    if match is not None and not info.startswith("invalid"):
        return next((g for g in match.groups() if g is not None), "").strip()
    above = min(fence_line, len(lines)) - 1  # (markdown-it counts CR-only lines too)
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above >= 0 and "<!--" in lines[above]:
        comment = _INVALID_COMMENT_RE.search(lines[above])
        if comment is not None:
            return comment.group(1).strip()
    return None


# The reference path: markdown-it's tokens -----------------------------------------------------


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
        start = next(
            (i for i in range(deepest + 1, len(lines)) if lines[i][:1] not in ("", " ", "\t", ">")),
            len(lines),
        )
    return tokens


def _records(tokens: list[Token]) -> list[Record]:
    records: list[Record] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open" and index + 1 < len(tokens):
            records.append(Heading(tokens[index + 1].content))
        elif token.type in ("fence", "code_block") and token.map:
            records.append(Code(token.map[0], token.type == "fence", token.info, token.content))
        elif token.type == "table_open":
            table, index = _table_record(tokens, index)
            records.append(table)
            continue
        index += 1
    return records


def _table_record(tokens: list[Token], index: int) -> tuple[TableRows, int]:
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    row: list[str] = []
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
            row = []
            row_line = token.map[0] if token.map else 0
        elif token.type == "inline":
            row.append(token.content)
        elif token.type == "tr_close":
            if in_head:
                header = row
            else:
                rows.append((row_line, row))
        elif token.type == "table_close":
            break
    return TableRows(header, rows), index


# Classification -------------------------------------------------------------------------------


def _parse_json(example: Example) -> None:
    if example.json is None and example.json_error is None:
        try:
            example.json = parse_lazily(example.text)  # positions only for a diagnostic
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
        return classify_object(value, example.heading)
    if example.json_error is not None:  # unparsable: let the heading decide what it meant
        return _kind_from_heading(example.heading)
    return OTHER


def classify_object(value: dict[str, Any], heading: str) -> str:
    if "oauthUrl" in value:
        return OAUTH_URL
    element = value.get("element")
    if (isinstance(element, dict) and "id" in element and "id" in value) or (
        "token" in value and ("element" in value or "id" in value)
    ):
        return RESPONSE
    if "token" in value and "secret" in value and element is None:
        return OTHER  # an OAuth 1 request-token answer: {token, secret}, not an instance
    if isinstance(element, dict) and ({"configuration", "providerData", "name"} & value.keys()):
        return REQUEST
    return _kind_from_heading(heading)


def _kind_from_heading(heading: str) -> str:
    lowered = heading.lower()
    if "instance" in lowered and "response" in lowered:
        return RESPONSE
    return OTHER


def strip_overrides(markdown: str) -> str:
    """Remove our ``example=...`` and ``invalid="..."`` words from fence info strings before
    MkDocs sees them."""
    markdown = re.sub(
        r"^(\s*(?:`{3,}|~{3,})[^\n`]*?)\s+example=[\w.-]*", r"\1", markdown, flags=re.MULTILINE
    )
    if "invalid" not in markdown:
        return markdown
    return re.sub(
        r"""^(\s*(?:`{3,}|~{3,})[^\n`]*?)\s+invalid(?:=(?:"[^"\n]*"|'[^'\n]*'|\S*))?"""
        r"(?=\s|$)",
        r"\1",
        markdown,
        flags=re.MULTILINE,
    )
