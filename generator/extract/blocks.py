"""Extract stage: every code block of a rendered page, classified, with its place.

markdown-it-py is the parser of record: each block token has ``map = [start, end)`` in
rendered lines, and the render stage's source map turns those into file lines of the page or of
the partial it came from.

A full markdown-it parse was the most expensive step of checking a page, so pages first go
through ``_Scanner``, a line scanner that follows markdown-it's own block rules for what real
pages are made of: paragraphs, ATX headings, fenced code, HTML blocks, lists and tables. It is
no general Markdown parser: the moment it meets anything else (indented code, a block quote, a
thematic break, a setext heading, a link reference definition, an empty list item, deep
nesting, carriage returns) it gives up on the whole page, and markdown-it parses the page as
before. markdown-it stays the reference: both paths produce the same plain records, a single
function turns those into ``Example`` and ``Table`` objects, and the tests compare the two
paths on generated and real pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple, TypeAlias

import markdown_it
from markdown_it import MarkdownIt
from markdown_it.common.utils import mdTrim
from markdown_it.rules_block.html_block import HTML_SEQUENCES
from markdown_it.rules_block.table import MAX_AUTOCOMPLETED_CELLS, escapedSplit, headerLineRe
from markdown_it.token import Token

from generator.extract.jsonlocate import JSONLocateError, LocatedJSON, parse_lazily

REQUEST, RESPONSE, OAUTH_URL, CURL, OTHER = "request", "response", "oauth-url", "curl", "other"
KINDS = (REQUEST, RESPONSE, OAUTH_URL, CURL, OTHER)
_OVERRIDE_RE = re.compile(r"(?:^|\s)example=([\w.-]*)")
# ```json invalid="why": the author shows a wrong example on purpose, and says why
_INVALID_RE = re.compile(r"""(?:^|\s)invalid(?:=(?:"([^"]*)"|'([^']*)'|(\S*)))?(?=\s|$)""")
# or an HTML comment on the line just above the fence: <!-- invalid: why -->
_INVALID_COMMENT_RE = re.compile(r"<!--\s*(?:element-docs:\s*)?invalid\b:?\s*(.*?)\s*-->",
                                 re.IGNORECASE)
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

class _Code(NamedTuple):
    start: int  # rendered line of the opening fence, or of the first line of indented code
    fenced: bool
    info: str  # the info string after the fence, untrimmed, as markdown-it gives it
    content: str


class _Heading(NamedTuple):
    text: str  # as markdown-it gives it: trimmed, closing hashes removed


class _TableRows(NamedTuple):
    header: list[str]  # cell texts, as markdown-it gives them
    rows: list[tuple[int, list[str]]]  # (rendered line, cell texts)


_Record: TypeAlias = _Code | _Heading | _TableRows


def extract(rendered: str) -> PageBlocks:
    """All code blocks and tables of a rendered page (one block-level parse)."""
    lines = rendered.split("\n")
    records = _scan(rendered, lines)
    too_deep: list[int] = []
    if records is None:
        records = _records(_block_tokens(lines, too_deep))
    return _assemble(records, lines, too_deep)


def extract_fast(rendered: str) -> PageBlocks | None:
    """What ``extract`` gives when the line scanner can read the page alone, else None."""
    lines = rendered.split("\n")
    records = _scan(rendered, lines)
    return None if records is None else _assemble(records, lines, [])


def extract_with_markdown_it(rendered: str) -> PageBlocks:
    """What ``extract`` gives, always through markdown-it (the reference for the scanner)."""
    lines = rendered.split("\n")
    too_deep: list[int] = []
    return _assemble(_records(_block_tokens(lines, too_deep)), lines, too_deep)


def _assemble(records: list[_Record], lines: list[str], too_deep: list[int]) -> PageBlocks:
    """The one place where records become Examples and Tables, whichever parser read them."""
    examples: list[Example] = []
    tables: list[Table] = []
    heading = ""
    for record in records:
        if isinstance(record, _Heading):
            heading = record.text.strip()
        elif isinstance(record, _Code):
            examples.append(_example(record, lines, heading))
        else:
            rows = [(line, [cell.strip() for cell in cells], [code_spans(cell) for cell in cells])
                    for line, cells in record.rows]
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


def _example(code: _Code, lines: list[str], heading: str) -> Example:
    start = code.start
    first = start + 1 if code.fenced else start
    content = code.content
    indent = 0
    first_text = _first_text(content)
    for offset, rendered in enumerate(lines[first:first + 50]):
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
    example = Example(kind=OTHER, lang=lang, info=info, text=content, first_line=first,
                      fence_line=start, indent=indent, heading=heading, override=override,
                      invalid=invalid)
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
        start = next((i for i in range(deepest + 1, len(lines))
                      if lines[i][:1] not in ("", " ", "\t", ">")), len(lines))
    return tokens


def _records(tokens: list[Token]) -> list[_Record]:
    records: list[_Record] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "heading_open" and index + 1 < len(tokens):
            records.append(_Heading(tokens[index + 1].content))
        elif token.type in ("fence", "code_block") and token.map:
            records.append(_Code(token.map[0], token.type == "fence", token.info, token.content))
        elif token.type == "table_open":
            table, index = _table_record(tokens, index)
            records.append(table)
            continue
        index += 1
    return records


def _table_record(tokens: list[Token], index: int) -> tuple[_TableRows, int]:
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
    return _TableRows(header, rows), index


# The fast path: a line scanner for simple pages ----------------------------------------------

# The scanner copies the block rules of markdown-it-py 4.3, quirks included, and imports helpers
# that 4.3 introduced (mdTrim): pyproject.toml allows 4.3.x only. Under another release every page
# goes to markdown-it; move both on once tests/test_extract_fast.py passes with the new release.
_SCANNER_CHECKED_WITH = "4.3."
_SCANNER_ON = markdown_it.__version__.startswith(_SCANNER_CHECKED_WITH)
_MAX_LIST_DEPTH = 10  # lists in lists; far below markdown-it's nesting limit

_BULLET_RE = re.compile(r"[*+-](?![^ \t])")
_ORDERED_RE = re.compile(r"([0-9]{1,9})[.)](?![^ \t])")
_UNDERLINE_RE = re.compile(r"(?:-+|=+)[ \t]*\Z")

# Which block starts end the block being read, as markdown-it's terminator lists have them.
_IN_PARAGRAPH, _IN_TABLE, _IN_LIST = 0, 1, 2


class _NotSimple(Exception):
    """The page holds something the scanner does not handle: markdown-it reads it instead."""


def _scan(rendered: str, lines: list[str]) -> list[_Record] | None:
    """The page's records from the line scanner, or None when markdown-it has to read it."""
    # markdown-it turns CR and CR LF into LF and NUL into U+FFFD before parsing: lines would
    # then differ from the page's own
    if not _SCANNER_ON or "\r" in rendered or "\0" in rendered:
        return None
    try:
        return _Scanner(lines, "\t" in rendered).run()
    except _NotSimple:
        return None


def _split_row(text: str) -> list[str]:
    columns = escapedSplit(text) if "\\" in text else text.split("|")
    if columns and columns[0] == "":
        columns.pop(0)
    if columns and columns[-1] == "":
        columns.pop()
    return columns


class _Scanner:
    """Block structure of a page the way markdown-it's block rules find it, for simple pages.

    The methods mirror markdown-it's rules (table, fence, list, html_block, heading, paragraph)
    and keep its per-line state: ``shift`` is the offset of a line's first non-blank
    character, ``cols`` its indentation in columns (tabs expanded), and both are rewritten for
    the first line of an open list item, just as markdown-it does. Rules the scanner does not
    implement raise ``_NotSimple`` as soon as they could apply."""

    def __init__(self, lines: list[str], tabs: bool) -> None:
        count = len(lines)
        if not lines[-1].strip(" \t"):
            count -= 1  # markdown-it has no line for blanks after the last line break
        self.lines = lines[:count]
        self.lines.append("")  # markdown-it's empty line past the end
        self.count = count
        # the last line of a page that does not end with a line break has none to give a block
        self.unterminated = count == len(lines)
        self.size = list(map(len, self.lines))
        self.shift = [len(line) - len(line.lstrip(" \t")) for line in self.lines]
        if tabs:
            self.cols = [_columns(line, shift)
                         for line, shift in zip(self.lines, self.shift, strict=True)]
        else:
            self.cols = list(self.shift)
        self.block_indent = 0  # markdown-it's blkIndent: the indentation of the open item
        self.list_indent = -1  # markdown-it's listIndent
        self.parent = "root"  # markdown-it's parentType
        self.depth = 0
        self.records: list[_Record] = []

    def run(self) -> list[_Record]:
        self.tokenize(0)
        return self.records

    def tokenize(self, line: int) -> int:
        """Read blocks from ``line`` until the end or an outdented line; where reading stopped."""
        shift, size, count = self.shift, self.size, self.count
        while line < count:
            while line < count and shift[line] >= size[line]:
                line += 1
            if line >= count or self.cols[line] < self.block_indent:
                break
            line = self.block(line)
            if line < count and shift[line] >= size[line]:
                line += 1
        return line

    def block(self, line: int) -> int:
        """Read the block that starts at ``line`` (not blank); the line after it."""
        text = self.lines[line]
        if "|" in text:
            head = self.table_head(line)
            if head is not None:
                return self.table(line, head)
        if self.cols[line] - self.block_indent >= 4:
            raise _NotSimple("indented code")
        char = text[self.shift[line]]
        if char in "`~":
            opening = self.fence_open(line)
            if opening is not None:
                return self.fence(line, *opening)
        elif char == ">":
            raise _NotSimple("block quote")
        if char in "*-_" and self.is_rule(line):
            raise _NotSimple("thematic break")
        if char in "*+-" or "0" <= char <= "9":
            marker = self.list_marker(line, False)
            if marker is not None:
                return self.list(line, *marker)
        if char == "[" and self.may_define_reference(line):
            raise _NotSimple("link reference definition")
        if char == "<":
            html = self.html_open(line)
            if html is not None:
                return self.html(line, html[1])
        if char == "#":
            after = self.heading_open(line)
            if after is not None:
                self.records.append(_Heading(self.heading_text(line, after)))
                return line + 1
        return self.paragraph(line)

    def starts_block(self, line: int, context: int) -> bool:
        """Whether a block starting at ``line`` ends the paragraph, table row run or list."""
        text = self.lines[line]
        pos = self.shift[line]
        if pos >= len(text) or self.cols[line] - self.block_indent >= 4:
            return False
        if context == _IN_PARAGRAPH and "|" in text and self.table_head(line) is not None:
            return True
        char = text[pos]
        if char in "`~":
            return self.fence_open(line) is not None
        if char == ">":
            raise _NotSimple("block quote")
        if char in "*-_" and self.is_rule(line):
            raise _NotSimple("thematic break")
        if context == _IN_LIST:
            return False
        if char in "*+-" or "0" <= char <= "9":
            return self.list_marker(line, True) is not None
        if char == "<":
            html = self.html_open(line)
            return html is not None and html[2]
        if char == "#":
            return self.heading_open(line) is not None
        return False

    # markdown-it's table rule
    def table_head(self, line: int) -> list[str] | None:
        """The header cells when a table starts at ``line``."""
        if line + 2 > self.count:
            return None
        below = line + 1
        indent = self.block_indent
        if self.cols[below] < indent or self.cols[below] - indent >= 4:
            return None
        text = self.lines[below]
        pos = self.shift[below]
        if pos + 1 >= len(text):
            return None
        first, second = text[pos], text[pos + 1]
        if first not in "|-:" or second not in "|-: \t" or (first == "-" and second in " \t"):
            return None
        delimiter = text[pos:]
        if delimiter.strip("|-: \t"):
            return None
        columns = delimiter.split("|")
        aligned = 0
        for number, column in enumerate(columns):
            cell = mdTrim(column)
            if not cell:
                if number == 0 or number == len(columns) - 1:
                    continue
                return None
            if not headerLineRe.search(cell):
                return None
            aligned += 1
        head = mdTrim(self.lines[line][self.shift[line]:])
        if "|" not in head or self.cols[line] - indent >= 4:
            return None
        cells = _split_row(head)
        if not cells or len(cells) != aligned:
            return None
        return cells

    def table(self, line: int, head: list[str]) -> int:
        lines, shift, cols, indent = self.lines, self.shift, self.cols, self.block_indent
        parent, self.parent = self.parent, "table"
        width = len(head)
        rows: list[tuple[int, list[str]]] = []
        autocompleted = 0
        below = line + 2
        while below < self.count:
            if cols[below] < indent or self.starts_block(below, _IN_TABLE):
                break
            text = mdTrim(lines[below][shift[below]:])
            if not text or cols[below] - indent >= 4:
                break
            cells = _split_row(text)
            autocompleted += width - len(cells)
            if autocompleted > MAX_AUTOCOMPLETED_CELLS:
                break
            rows.append((below, [mdTrim(cells[i]) if i < len(cells) else ""
                                 for i in range(width)]))
            below += 1
        self.records.append(_TableRows([mdTrim(cell) for cell in head], rows))
        self.parent = parent
        return below

    # markdown-it's fence rule
    def fence_open(self, line: int) -> tuple[str, int, str] | None:
        """Marker, marker length and info string when a code fence opens at ``line``."""
        if self.cols[line] - self.block_indent >= 4:
            return None
        text = self.lines[line]
        pos = self.shift[line]
        if pos + 3 > len(text):
            return None
        marker = text[pos]
        if marker not in "`~":
            return None
        after = len(text) - len(text[pos:].lstrip(marker))
        if after - pos < 3:
            return None
        info = text[after:]
        if marker == "`" and "`" in info:
            return None
        return marker, after - pos, info

    def fence(self, line: int, marker: str, length: int, info: str) -> int:
        lines, shift, cols, size = self.lines, self.shift, self.cols, self.size
        indent = self.block_indent
        count = self.count
        closed = False
        below = line + 1
        while below < count:
            pos = shift[below]
            if pos < size[below]:  # blank lines never end a fence
                if cols[below] < indent:
                    break  # an outdented line ends the list item, and the fence with it
                text = lines[below]
                if text[pos] == marker and cols[below] - indent < 4:
                    rest = text[pos:].lstrip(marker)
                    if size[below] - pos - len(rest) >= length and not rest.strip(" \t"):
                        closed = True
                        break
            below += 1
        self.records.append(_Code(line, True, info, self.content(line + 1, below, cols[line])))
        return below + 1 if closed else below

    def content(self, begin: int, end: int, indent: int) -> str:
        """markdown-it's getLines for a fence: lines with up to ``indent`` columns removed."""
        if begin >= end:
            return ""
        lines = self.lines
        last = "" if end == self.count and self.unterminated else "\n"
        if indent == 0:
            return "\n".join(lines[begin:end]) + last
        shift, cols = self.shift, self.cols
        parts = []
        for line in range(begin, end):
            text = lines[line]
            if cols[line] == shift[line]:  # every leading blank is one column wide
                parts.append(text[min(shift[line], indent):])
                continue
            column = pos = 0
            while pos < len(text) and column < indent:
                char = text[pos]
                if char == "\t":
                    column += 4 - column % 4
                elif char == " " or pos < shift[line]:
                    column += 1
                else:
                    break
                pos += 1
            # a tab that reaches past the indentation keeps its remaining columns as spaces
            parts.append(" " * (column - indent) + text[pos:] if column > indent else text[pos:])
        return "\n".join(parts) + last

    # markdown-it's list rule
    def list_marker(self, line: int, silent: bool) -> tuple[bool, int, str] | None:
        """Ordered or not, the offset after the marker, and the marker's last character."""
        column = self.cols[line]
        if column - self.block_indent >= 4:
            return None
        if 0 <= self.list_indent <= column - 4 and column < self.block_indent:
            return None  # deeper than a nested list may go: paragraph continuation text
        interrupts = silent and self.parent == "paragraph" and column >= self.block_indent
        text = self.lines[line]
        pos = self.shift[line]
        match = _ORDERED_RE.match(text, pos)
        if match is not None:
            if interrupts and int(match.group(1)) != 1:
                return None
        else:
            match = _BULLET_RE.match(text, pos)
            if match is None:
                return None
        after = match.end()
        if interrupts and not text[after:].strip(" \t"):
            return None
        return match.re is _ORDERED_RE, after, text[after - 1]

    def list(self, line: int, ordered: bool, after: int, marker: str) -> int:
        if self.depth >= _MAX_LIST_DEPTH:
            raise _NotSimple("lists nested too deep")
        self.depth += 1
        parent, self.parent = self.parent, "list"
        lines, shift, cols = self.lines, self.shift, self.cols
        marker_re = _ORDERED_RE if ordered else _BULLET_RE
        item = line
        while True:
            text = lines[item]
            start = column = cols[item] + after - shift[item]
            pos = after
            while pos < len(text):
                char = text[pos]
                if char == "\t":
                    column += 4 - column % 4
                elif char == " ":
                    column += 1
                else:
                    break
                pos += 1
            if pos >= len(text):
                raise _NotSimple("empty list item")
            gap = column - start
            outer_list_indent = self.list_indent
            self.list_indent = self.block_indent
            self.block_indent = start + (gap if gap <= 4 else 1)
            saved = shift[item], cols[item]
            shift[item], cols[item] = pos, column
            item_end = self.tokenize(item)
            self.block_indent = self.list_indent
            self.list_indent = outer_list_indent
            shift[item], cols[item] = saved
            item = item_end
            if item >= self.count or cols[item] < self.block_indent:
                break
            if cols[item] - self.block_indent >= 4 or self.starts_block(item, _IN_LIST):
                break
            match = marker_re.match(lines[item], shift[item])
            if match is None:
                break
            after = match.end()
            if lines[item][after - 1] != marker:
                break
        self.depth -= 1
        self.parent = parent
        return item

    # markdown-it's html_block rule
    def html_open(self, line: int) -> tuple[re.Pattern[str], re.Pattern[str], bool] | None:
        """The matching (opening, closing, can interrupt a paragraph) sequence, if any."""
        if self.cols[line] - self.block_indent >= 4:
            return None
        text = self.lines[line][self.shift[line]:]
        if not text.startswith("<"):
            return None
        for sequence in HTML_SEQUENCES:
            if sequence[0].search(text):
                return sequence
        return None

    def html(self, line: int, closing: re.Pattern[str]) -> int:
        lines, shift, cols = self.lines, self.shift, self.cols
        below = line + 1
        ends_on_blank = bool(closing.search(""))
        if not closing.search(lines[line][shift[line]:]):
            while below < self.count:
                text = lines[below][shift[below]:]
                if cols[below] < self.block_indent and (ends_on_blank or text):
                    break
                if closing.search(text):
                    if text:
                        below += 1
                    break
                below += 1
        return below

    # markdown-it's heading rule
    def heading_open(self, line: int) -> int | None:
        """The offset after the hashes when an ATX heading starts at ``line``."""
        if self.cols[line] - self.block_indent >= 4:
            return None
        text = self.lines[line]
        pos = self.shift[line]
        if pos >= len(text) or text[pos] != "#":
            return None
        level = 1
        pos += 1
        while pos < len(text) and text[pos] == "#" and level <= 6:
            level += 1
            pos += 1
        if level > 6 or (pos < len(text) and text[pos] not in " \t"):
            return None
        return pos

    def heading_text(self, line: int, pos: int) -> str:
        text = self.lines[line]
        end = pos + len(text[pos:].rstrip(" \t"))
        hashes = pos + len(text[pos:end].rstrip("#"))
        if hashes > pos and text[hashes - 1] in " \t":
            end = hashes
        return mdTrim(text[pos:end])

    # markdown-it's hr, reference and lheading rules: only recognised, to give up
    def is_rule(self, line: int) -> bool:
        if self.cols[line] - self.block_indent >= 4:
            return False
        text = self.lines[line][self.shift[line]:]
        marker = text[:1]
        if not marker or marker not in "*-_":
            return False
        return not text.replace(marker, "").strip(" \t") and text.count(marker) >= 3

    def may_define_reference(self, line: int) -> bool:
        # "[label]:" cannot span a line break and a definition cannot cross a blank line
        while line < self.count and self.shift[line] < len(self.lines[line]):
            if "]:" in self.lines[line]:
                return True
            line += 1
        return False

    # markdown-it's paragraph rule (and the lheading rule tried just before it)
    def paragraph(self, line: int) -> int:
        lines, shift, cols, size = self.lines, self.shift, self.cols, self.size
        indent = self.block_indent
        parent, self.parent = self.parent, "paragraph"
        below = line + 1
        while below < self.count:
            pos = shift[below]
            if pos >= size[below]:
                break
            text = lines[below]
            if cols[below] - indent > 3:
                below += 1  # lazy continuation, whatever it holds
                continue
            if cols[below] >= indent and text[pos] in "-=" and _UNDERLINE_RE.match(text, pos):
                raise _NotSimple("setext heading")
            if self.starts_block(below, _IN_PARAGRAPH):
                break
            below += 1
        self.parent = parent
        return below


def _columns(line: str, shift: int) -> int:
    """The width of a line's leading blanks, tabs expanded to the next multiple of four."""
    column = 0
    for char in line[:shift]:
        column += 4 - column % 4 if char == "\t" else 1
    return column


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
        return _classify_object(value, example.heading)
    if example.json_error is not None:  # unparsable: let the heading decide what it meant
        return _kind_from_heading(example.heading)
    return OTHER


def _classify_object(value: dict[str, Any], heading: str) -> str:
    if "oauthUrl" in value:
        return OAUTH_URL
    element = value.get("element")
    if (isinstance(element, dict) and "id" in element and "id" in value) or \
            ("token" in value and ("element" in value or "id" in value)):
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
    markdown = re.sub(r"^(\s*(?:`{3,}|~{3,})[^\n`]*?)\s+example=[\w.-]*", r"\1", markdown,
                      flags=re.MULTILINE)
    if "invalid" not in markdown:
        return markdown
    return re.sub(r"""^(\s*(?:`{3,}|~{3,})[^\n`]*?)\s+invalid(?:=(?:"[^"\n]*"|'[^'\n]*'|\S*))?"""
                  r"(?=\s|$)", r"\1", markdown, flags=re.MULTILINE)
