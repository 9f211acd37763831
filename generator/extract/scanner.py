"""The fast scanner: the code blocks, headings and tables of a simple page, read line by line.

A full markdown-it parse was the most expensive step of checking a page, so pages first go
through ``_Scanner`` below, a line scanner that follows markdown-it's own block rules for what real
pages are made of: paragraphs, ATX headings, fenced and indented code, HTML blocks, lists and
tables. It is no general Markdown parser: the moment it meets anything else (a block quote, a
thematic break, a setext heading, a link reference definition, an empty list item, deep
nesting, carriage returns) it gives up on the whole page, and markdown-it parses the page as
before. markdown-it stays the reference: both paths produce the same plain records, a single
function turns those into ``Example`` and ``Table`` objects, and the tests compare the two
paths on generated and real pages.
"""

from __future__ import annotations

import re
from typing import NamedTuple, TypeAlias

import markdown_it
from markdown_it.common.utils import mdTrim
from markdown_it.rules_block.html_block import HTML_SEQUENCES
from markdown_it.rules_block.table import MAX_AUTOCOMPLETED_CELLS, escapedSplit, headerLineRe


class Code(NamedTuple):
    start: int  # rendered line of the opening fence, or of the first line of indented code
    fenced: bool
    info: str  # the info string after the fence, untrimmed, as markdown-it gives it
    content: str


class Heading(NamedTuple):
    text: str  # as markdown-it gives it: trimmed, closing hashes removed


class TableRows(NamedTuple):
    header: list[str]  # cell texts, as markdown-it gives them
    rows: list[tuple[int, list[str]]]  # (rendered line, cell texts)


Record: TypeAlias = Code | Heading | TableRows


# The scanner copies the block rules of markdown-it-py 4.3, quirks included, and imports helpers
# that 4.3 introduced (mdTrim): pyproject.toml allows 4.3.x only. Under another release every page
# goes to markdown-it; move both on once tests/extract/test_extract_fast.py passes with it.
SCANNER_CHECKED_WITH = "4.3."


SCANNER_ON = markdown_it.__version__.startswith(SCANNER_CHECKED_WITH)


_MAX_LIST_DEPTH = 10  # lists in lists; far below markdown-it's nesting limit


_BULLET_RE = re.compile(r"[*+-](?![^ \t])")


_ORDERED_RE = re.compile(r"([0-9]{1,9})[.)](?![^ \t])")


_UNDERLINE_RE = re.compile(r"(?:-+|=+)[ \t]*\Z")


class _NotSimple(Exception):
    """The page holds something the scanner does not handle: markdown-it reads it instead."""


def scan(rendered: str, lines: list[str]) -> list[Record] | None:
    """The page's records from the line scanner, or None when markdown-it has to read it."""
    # markdown-it turns CR and CR LF into LF and NUL into U+FFFD before parsing: lines would
    # then differ from the page's own
    if not SCANNER_ON or "\r" in rendered or "\0" in rendered:
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
            self.cols = [
                _columns(line, shift) for line, shift in zip(self.lines, self.shift, strict=True)
            ]
        else:
            self.cols = list(self.shift)
        self.block_indent = 0  # markdown-it's blkIndent: the indentation of the open item
        self.list_indent = -1  # markdown-it's listIndent
        self.parent = "root"  # markdown-it's parentType
        self.depth = 0
        self.records: list[Record] = []

    def run(self) -> list[Record]:
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
            return self.code(line)
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
                self.records.append(Heading(self.heading_text(line, after)))
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
        head = mdTrim(self.lines[line][self.shift[line] :])
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
            text = mdTrim(lines[below][shift[below] :])
            if not text or cols[below] - indent >= 4:
                break
            cells = _split_row(text)
            autocompleted += width - len(cells)
            if autocompleted > MAX_AUTOCOMPLETED_CELLS:
                break
            rows.append((below, [mdTrim(cells[i]) if i < len(cells) else "" for i in range(width)]))
            below += 1
        self.records.append(TableRows([mdTrim(cell) for cell in head], rows))
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
        self.records.append(Code(line, True, info, self.content(line + 1, below, cols[line])))
        return below + 1 if closed else below

    # markdown-it's code rule
    def code(self, line: int) -> int:
        """Indented code: the lines from ``line`` indented four columns or more past the open
        block's indentation, with the blank lines between them. (A third of the pages of
        real-shaped trees have some, as the request line of a step in a list: before the
        scanner read it, they all went to markdown-it, a sixth of a clean check's time.)"""
        shift, size, cols = self.shift, self.size, self.cols
        text = self.lines[line]
        if shift[line] != len(text) - len(text.lstrip(" \t")):
            # the first line of a list item ("-     code"): markdown-it counts the marker
            # into the indentation it removes
            raise _NotSimple("indented code after a list marker")
        indent = self.block_indent
        last = below = line + 1
        while below < self.count:
            if shift[below] >= size[below]:
                below += 1  # blank lines inside, not after, belong to the block
            elif cols[below] - indent >= 4:
                below += 1
                last = below
            else:
                break
        self.records.append(Code(line, False, "", self.content(line, last, 4 + indent, True)))
        return last

    def content(self, begin: int, end: int, indent: int, code: bool = False) -> str:
        """markdown-it's getLines for a fence (or, ``code``, for indented code, which always
        ends with a line break): lines with up to ``indent`` columns removed."""
        if begin >= end:
            return ""
        lines = self.lines
        last = "" if end == self.count and self.unterminated and not code else "\n"
        if indent == 0:
            return "\n".join(lines[begin:end]) + last
        shift, cols = self.shift, self.cols
        parts = []
        for line in range(begin, end):
            text = lines[line]
            if cols[line] == shift[line]:  # every leading blank is one column wide
                parts.append(text[min(shift[line], indent) :])
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
        text = self.lines[line][self.shift[line] :]
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
        if not closing.search(lines[line][shift[line] :]):
            while below < self.count:
                text = lines[below][shift[below] :]
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
        text = self.lines[line][self.shift[line] :]
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


# Which block starts end the block being read, as markdown-it's terminator lists have them.
_IN_PARAGRAPH, _IN_TABLE, _IN_LIST = 0, 1, 2
