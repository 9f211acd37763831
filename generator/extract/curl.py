"""The cURL parser: a shell command read the way a shell reads it, every word with its place.

``shlex`` would split the words but forget where they were; diagnostics about a header or a
``-d`` body must point at the block's line and column, so the tokenizer here keeps the
source offset of every character of every word.

Shell rules implemented: single quotes (literal, may span lines), double quotes (backslash
escapes only ``\\" \\\\ \\$ \\``` and newline), backslash escapes and backslash-newline
outside quotes, ``#`` comments at the start of a word, and ``;`` ``&`` ``|`` ``(`` ``)`` and
an unescaped line break ending the command. Deliberate tolerances for docs: a ``$ `` prompt,
a lone backslash at the very end, CRLF line endings, and ``<placeholder>`` inside a word
(a shell would see a redirection; an author means "fill this in").
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import overload

from generator.errors import PositionedError


class CurlParseError(PositionedError):
    """The block cannot be read as a curl command; 1-based ``line``/``col`` in the block."""


class Positions(Sequence[tuple[int, int]]):
    """(line, col) in the block of each character of a word, worked out only when asked:
    a checker needs the position of one character in a thousand."""

    __slots__ = ("offsets", "newlines")

    def __init__(self, offsets: Sequence[int], newlines: Sequence[int]) -> None:
        self.offsets = offsets  # source offset of each character
        self.newlines = newlines  # offsets of the block's line breaks

    def __len__(self) -> int:
        return len(self.offsets)

    @overload
    def __getitem__(self, index: int) -> tuple[int, int]: ...

    @overload
    def __getitem__(self, index: slice) -> Positions: ...

    def __getitem__(self, index: int | slice) -> tuple[int, int] | Positions:
        if isinstance(index, slice):
            return Positions(self.offsets[index], self.newlines)
        offset = self.offsets[index]
        line = bisect_left(self.newlines, offset)
        line_start = self.newlines[line - 1] + 1 if line else 0
        return line + 1, offset - line_start + 1


@dataclass
class CurlArg:
    """One shell word after quote removal, and where it starts in the block."""

    text: str
    line: int
    col: int
    # (line, col) in the block of each character of ``text``: escapes and quotes make the
    # two differ, e.g. in a double-quoted -d body.
    char_positions: Sequence[tuple[int, int]] = field(default=(), repr=False, compare=False)

    def source_position(self, line: int, col: int) -> tuple[int, int]:
        """Where 1-based ``line``/``col`` of ``text`` is written in the block.

        Maps an error found inside the argument (say a JSON error in a ``-d`` body) back
        onto the block, exactly even when the body is double-quoted with ``\\"`` escapes.
        """
        index = 0
        for _ in range(line - 1):
            newline = self.text.find("\n", index)
            if newline == -1:
                break
            index = newline + 1
        index += max(col, 1) - 1
        if not self.char_positions:
            return (self.line, self.col)
        if index < len(self.char_positions):
            return self.char_positions[index]
        last_line, last_col = self.char_positions[-1]  # past the end: just after the text
        return (last_line, last_col + 1 + index - len(self.char_positions))


@dataclass
class CurlCommand:
    """What a curl command line asks for."""

    method: str | None = None  # from -X/--request
    url: str | None = None  # the first non-option argument, or --url
    url_arg: CurlArg | None = None
    headers: list[tuple[str, str, CurlArg]] = field(default_factory=list)  # (name, value, arg)
    data: CurlArg | None = None  # every -d/--data* and --json value, joined as curl does
    data_body_line: int | None = None  # where the data's first character is written
    data_body_col: int | None = None
    user: str | None = None  # -u/--user
    other_options: list[CurlArg] = field(default_factory=list)
    # The method -G, -I, -F, --data-urlencode or -T make curl use when -X is absent.
    implied_method: str | None = None

    @property
    def effective_method(self) -> str:
        """The HTTP method curl sends: -X, else what the options imply, else POST with data."""
        if self.method:
            return self.method
        if self.implied_method:
            return self.implied_method
        return "POST" if self.data is not None else "GET"


def parse_curl(text: str) -> CurlCommand:
    """Parse the first command of ``text``; raise ``CurlParseError`` if it is not curl."""
    words = _Tokenizer(text).words()
    if words and words[0].text == "$" and text[words[0].start] == "$":
        words = words[1:]  # a shell prompt, not part of the command
    if not words or words[0].text != "curl":
        if words:
            first = words[0]
            raise CurlParseError(
                f"not a curl command (it starts with {first.text[:30]!r})",
                first.line,
                first.col,
                "start the block with 'curl'",
            )
        raise CurlParseError(
            "not a curl command (the block is empty)", 1, 1, "start the block with 'curl'"
        )
    return _Interpreter(words[1:]).command()


def command_end_line(text: str) -> int | None:
    """The 1-based line of ``text`` where its first command's last word ends (a line break
    without ``\\`` ends a command; what follows it is another command), or None."""
    words = _Tokenizer(text).words()
    return words[-1].positions[-1][0] if words and words[-1].positions else None


# --- the shell tokenizer --------------------------------------------------------------------


@dataclass
class _Word:
    text: str
    start: int  # offset of the word's first source character
    line: int
    col: int
    positions: Positions  # (line, col) of each character of text

    def arg(self, skip: int = 0) -> CurlArg:
        """The word as a CurlArg; ``skip`` drops an attached option such as the -d of -d'{'."""
        if skip:
            # The argument starts right after the option letter (at a quote, if any).
            line, col = self.positions[skip - 1]
            return CurlArg(self.text[skip:], line, col + 1, self.positions[skip:])
        return CurlArg(self.text, self.line, self.col, self.positions)


_BLANKS = " \t\r"  # \r too, so CRLF blocks read like LF ones
_ENDS_COMMAND = ";&|()"
_ENDS_WORD = set(_BLANKS + "\n" + _ENDS_COMMAND + "<>")
_PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z0-9_.:-]*>")
# A run of characters that stand for themselves in a word: no quote, backslash or _ENDS_WORD
_PLAIN_RUN = re.compile(r"[^'\"\\ \t\r\n;&|()<>]+")
# The common word: such runs and complete '...' strings, up to a blank, line break or the
# end of the command (anything else after it takes the careful path in _Tokenizer.word)
# (possessive: a word that fails the look-ahead must not be retried split up differently,
# which took exponential time on a long run of plain characters)
_SIMPLE_WORD = re.compile(r"(?:[^'\"\\ \t\r\n;&|()<>]++|'[^']*+')++(?=[ \t\r\n;&|()]|\Z)")
# Blanks and backslash-newlines (CRLF too) between words
_GAP = re.compile(r"(?:[ \t\r]|\\\r?\n)+")
_GAP_STARTS = set(_BLANKS + "\\")
_OPTION_LINE = re.compile(r"[ \t]*-{1,2}[A-Za-z]")
_QUERY_CHAR_RE = re.compile(r"[A-Za-z0-9_%<{\[]")  # what follows '&' in a query string
_EXPANSION_RE = re.compile(r"\$(?:\{[^}\s]*\}?|\([^)\s]*\)?|[A-Za-z_]\w*)")


class _Tokenizer:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.newlines = [m.start() for m in re.finditer("\n", text)]

    def pos(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of ``offset``, as ``Positions`` works it out."""
        line = bisect_left(self.newlines, offset)
        line_start = self.newlines[line - 1] + 1 if line else 0
        return line + 1, offset - line_start + 1

    def error(self, offset: int, message: str, hint: str = "") -> CurlParseError:
        line, col = self.pos(offset)
        return CurlParseError(message, line, col, hint)

    def continuation(self, i: int) -> int:
        """Length of a backslash-newline (CRLF too) at ``i``, or 0."""
        if self.text.startswith("\\\n", i):
            return 2
        if self.text.startswith("\\\r\n", i):
            return 3
        return 0

    def words(self) -> list[_Word]:
        """The words of the first command."""
        text, n = self.text, self.n
        words: list[_Word] = []
        i = 0
        while i < n:
            char = text[i]
            gap = _GAP.match(text, i) if char in _GAP_STARTS else None
            if gap is not None:
                i = gap.end()  # blanks and line continuations, as many as there are
            elif char == "\\" and i + 1 == n:
                i += 1  # a lone backslash at the very end continues into nothing
            elif char == "\n":
                if words:
                    self.check_next_line(i)
                    break
                i += 1  # blank or comment lines before the command
            elif char == "#":
                newline = text.find("\n", i)
                i = n if newline == -1 else newline
            elif char in _ENDS_COMMAND:
                if (
                    char == "&"
                    and words
                    and 0 < i < n - 1
                    and text[i - 1] not in _BLANKS
                    and _QUERY_CHAR_RE.match(text[i + 1])
                ):
                    raise self.error(
                        i,
                        "unquoted '&' in the URL: the shell ends the command "
                        "here and runs it in the background",
                        "put the URL in single quotes: '...?a=1&b=2'",
                    )
                break  # '&&', ';', '|': only the first command counts
            elif char in "<>" and not _PLACEHOLDER.match(text, i):
                i = self.skip_redirection(i)
            else:
                word, i = self.word(i)
                if word is not None:
                    words.append(word)
        return words

    def check_next_line(self, newline: int) -> None:
        """A line break ends the command; if the next line is an option, say why it broke."""
        if not _OPTION_LINE.match(self.text, newline + 1):
            return
        line_start = self.text.rfind("\n", 0, newline) + 1
        current = self.text[line_start:newline].rstrip("\r")
        spaces = re.search(r"\\([ \t]+)$", current)
        if spaces:
            raise self.error(
                line_start + spaces.start(1),
                "space after the line-continuation backslash",
                "delete the spaces after '\\' so the command continues on the next line",
            )
        if current.rstrip().endswith("^"):
            hint = "end the line with '\\' ('^' continues lines only in Windows cmd)"
        else:
            hint = "end the line with ' \\' so the command continues on the next line"
        raise self.error(
            line_start + len(current.rstrip()),
            "missing backslash at the end of the line: the command ends here "
            "but the next line continues it",
            hint,
        )

    def skip_redirection(self, i: int) -> int:
        """Skip ``>file``, ``2>&1``, ``< in`` and the like: they are not curl's arguments."""
        while i < self.n and self.text[i] in "<>&":
            i += 1
        while i < self.n and self.text[i] in " \t":
            i += 1
        if i < self.n and self.text[i] not in _ENDS_WORD:
            _, i = self.word(i)
        return i

    def word(self, start: int) -> tuple[_Word | None, int]:
        """The word starting at ``start``, or None for a file-descriptor number such as 2>."""
        text, n = self.text, self.n
        simple = _SIMPLE_WORD.match(text, start)
        if simple is not None:
            raw, end = simple.group(), simple.end()
            offsets: Sequence[int]
            if "'" not in raw:
                offsets = range(start, end)
            elif raw.count("'") == 2 and raw[0] == raw[-1] == "'":  # one '...' string
                raw, offsets = raw[1:-1], range(start + 1, end - 1)
            else:
                # the quotes go; the characters between them are taken as they are
                pieces = raw.split("'")
                self.check_expansion(start, pieces[2:-1:2], raw)
                offsets = []
                at = start
                for piece in pieces:
                    offsets.extend(range(at, at + len(piece)))
                    at += len(piece) + 1
                raw = "".join(pieces)
            line, col = self.pos(start)
            return _Word(raw, start, line, col, Positions(offsets, self.newlines)), end
        chars: list[str] = []
        offsets = []
        quoted = False
        i = start
        while i < n:
            char = text[i]
            if char == "'":
                quoted = True
                close = text.find("'", i + 1)
                if close == -1:
                    raise self.error(
                        i,
                        "unterminated single-quoted string",
                        "close the quote; inside '...' an apostrophe ends the "
                        "quoting, write '\\'' for a literal one",
                    )
                chars.append(text[i + 1 : close])
                offsets.extend(range(i + 1, close))
                i = close + 1
            elif char == '"':
                i = self.double_quoted(i, chars, offsets, after_single=quoted)
                quoted = True
            elif char == "\\":
                if self.continuation(i):
                    i += self.continuation(i)
                elif i + 1 == n:
                    i += 1  # tolerated trailing backslash
                else:
                    chars.append(text[i + 1])
                    offsets.append(i + 1)
                    i += 2
            elif char in _ENDS_WORD:
                placeholder = _PLACEHOLDER.match(text, i) if char == "<" else None
                if placeholder is None:
                    break
                chars.append(placeholder.group())
                offsets.extend(range(i, placeholder.end()))
                i = placeholder.end()
            else:
                run = _PLAIN_RUN.match(text, i)  # at least this character
                assert run is not None
                end = run.end()
                if quoted and "$" in run.group():
                    self.check_expansion(i, [run.group()], run.group())
                chars.append(run.group())
                offsets.extend(range(i, end))
                i = end
        word_text = "".join(chars)
        if i < n and text[i] in "<>" and not quoted and word_text.isdigit():
            return None, i  # "2" of "2>&1": a file descriptor, not an argument
        line, col = self.pos(start)
        return _Word(word_text, start, line, col, Positions(offsets, self.newlines)), i

    def check_expansion(self, start: int, unquoted: list[str], raw: str) -> None:
        """``'...'${date}'...'``: an apostrophe meant as text ends the single quotes early,
        and the shell expands what follows before curl sees it."""
        for piece in unquoted:
            found = _EXPANSION_RE.search(piece)
            if found is not None:
                offset = self.text.find(found.group(), start)
                raise self.error(
                    offset if offset >= 0 else start,
                    f"the shell expands {found.group()!r} here: an apostrophe "
                    "before it ends the single-quoted text",
                    "write '\\'' for each apostrophe inside '...'",
                )

    def double_quoted(
        self, quote: int, chars: list[str], offsets: list[int], after_single: bool = False
    ) -> int:
        """Read "..." opened at ``quote``; return the offset after the closing quote."""
        text, n = self.text, self.n
        i = quote + 1
        while True:
            if i >= n:
                # '{"name": "Joe's"}': the apostrophe ends the '...' early, and the JSON's
                # next '"' then opens a shell quote that never closes.
                hint = (
                    "an apostrophe inside '...' ends the quoting early; write '\\'' "
                    "for a literal one"
                    if after_single
                    else 'close the quote; write \\" for a quote inside "..."'
                )
                raise self.error(quote, "unterminated double-quoted string", hint)
            char = text[i]
            if char == '"':
                return i + 1
            if char == "\\" and i + 1 < n:
                if text[i + 1] in '"\\$`':
                    chars.append(text[i + 1])
                    offsets.append(i + 1)
                    i += 2
                    continue
                if self.continuation(i):
                    i += self.continuation(i)
                    continue
            chars.append(char)  # any other backslash stays, as in sh
            offsets.append(i)
            i += 1


# --- curl's options -------------------------------------------------------------------------

# Short options that take a value (curl 8); all others are flags and may be bundled (-sSL).
_SHORT_WITH_VALUE = set("AbcCdDeEFHKmoPQrtTuUwxXyYz")

# Long options that take a value (curl 8). Unknown long options are taken as flags.
_LONG_WITH_VALUE_NAMES = """
abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config
connect-timeout connect-to continue-at cookie cookie-jar create-file-mode crlfile curves
data data-ascii data-binary data-raw data-urlencode delegation dns-interface dns-ipv4-addr
dns-ipv6-addr dns-servers doh-url dump-header ech egd-file engine etag-compare etag-save
expect100-timeout form form-string ftp-account ftp-alternative-to-user ftp-method ftp-port
ftp-ssl-ccc-mode happy-eyeballs-timeout-ms haproxy-clientip header hostpubmd5 hostpubsha256
hsts interface ip-tos ipfs-gateway json keepalive-cnt keepalive-time key key-type krb libcurl
limit-rate local-port login-options mail-auth mail-from mail-rcpt max-filesize max-redirs
max-time netrc-file noproxy oauth2-bearer output output-dir parallel-max pass pinnedpubkey
preproxy proto proto-default proto-redir proxy proxy-cacert proxy-capath proxy-cert
proxy-cert-type proxy-ciphers proxy-crlfile proxy-header proxy-key proxy-key-type proxy-pass
proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers proxy-tlsauthtype
proxy-tlspassword proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file range rate
referer request request-target resolve retry retry-delay retry-max-time sasl-authzid
service-name socks4 socks4a socks5 socks5-gssapi-service socks5-hostname speed-limit
speed-time stderr telnet-option tftp-blksize time-cond tls-max tls13-ciphers tlsauthtype
tlspassword tlsuser trace trace-ascii trace-config unix-socket upload-file url url-query
user user-agent variable vlan-priority write-out
"""
_LONG_WITH_VALUE = set(_LONG_WITH_VALUE_NAMES.split())

_LONG_NAMES = {
    "X": "request",
    "H": "header",
    "d": "data",
    "u": "user",
    "G": "get",
    "I": "head",
    "F": "form",
    "T": "upload-file",
}
_DATA = {"data", "data-raw", "data-binary", "data-ascii", "json"}
_POST_LIKE = {"form", "form-string", "data-urlencode"}  # send a body, so POST by default


class _Interpreter:
    def __init__(self, words: list[_Word]) -> None:
        self.words = words
        self.cmd = CurlCommand()
        self.data_parts: list[tuple[CurlArg, bool]] = []  # (value, from --json)
        self.flags: set[str] = set()

    def command(self) -> CurlCommand:
        words = self.words
        options_done = False
        i = 0
        while i < len(words):
            word = words[i]
            text = word.text
            i += 1
            if options_done or not text.startswith("-") or text == "-":
                self.positional(word.arg())
            elif text == "--":
                options_done = True
            elif text.startswith("--"):
                name = text[2:]
                # --expand-data and friends (curl 8.3) take what the plain option takes.
                base = name[len("expand-") :] if name.startswith("expand-") else name
                if base in _LONG_WITH_VALUE:
                    if i >= len(words):
                        raise self.missing_value(word, text)
                    self.option(base, word.arg(), words[i].arg())
                    i += 1
                else:
                    self.option(base, word.arg(), None)
            else:
                i = self.short_options(word, i)
        return self.finish()

    def short_options(self, word: _Word, i: int) -> int:
        """A bundle such as -sSL or -XPOST; return the index of the next unused word."""
        text = word.text
        for index in range(1, len(text)):
            letter = text[index]
            where = word.positions[index]
            option_arg = CurlArg("-" + letter, *where, (where,))
            name = _LONG_NAMES.get(letter, letter)
            if letter not in _SHORT_WITH_VALUE:
                self.option(name, option_arg, None)
                continue
            if index + 1 < len(text):
                self.option(name, option_arg, word.arg(index + 1))
                return i
            if i >= len(self.words):
                raise self.missing_value(word, "-" + letter)
            self.option(name, option_arg, self.words[i].arg())
            return i + 1
        return i

    def missing_value(self, word: _Word, option: str) -> CurlParseError:
        return CurlParseError(
            f"option {option} needs a value",
            word.line,
            word.col,
            f"write the value after {option}, e.g. {option} 'value'",
        )

    def positional(self, arg: CurlArg) -> None:
        if self.cmd.url is None:
            self.cmd.url, self.cmd.url_arg = arg.text, arg
        else:
            self.cmd.other_options.append(arg)

    def option(self, name: str, option: CurlArg, value: CurlArg | None) -> None:
        cmd = self.cmd
        if value is not None and name == "request":
            cmd.method = value.text  # the last -X wins, as in curl
        elif value is not None and name == "header":
            cmd.headers.append((*_split_header(value.text), value))
        elif value is not None and name in _DATA:
            self.data_parts.append((value, name == "json"))
        elif value is not None and name == "user":
            cmd.user = value.text
        elif value is not None and name == "url":
            self.positional(value)
        else:
            self.flags.add(name)
            cmd.other_options.append(option)
            if value is not None:
                cmd.other_options.append(value)

    def finish(self) -> CurlCommand:
        cmd = self.cmd
        if self.data_parts:
            first = self.data_parts[0][0]
            text, positions = first.text, first.char_positions
            for part, is_json in self.data_parts[1:]:
                joined = list(positions)
                if not is_json:  # curl joins -d values with '&' but --json ones directly
                    text += "&"
                    joined.append(joined[-1] if joined else (first.line, first.col))
                text += part.text
                positions = [*joined, *part.char_positions]
            cmd.data = CurlArg(text, first.line, first.col, positions)
            cmd.data_body_line, cmd.data_body_col = (
                first.char_positions[0] if first.char_positions else (first.line, first.col)
            )
        flags = self.flags
        if "head" in flags:
            cmd.implied_method = "HEAD"
        elif "get" in flags:
            cmd.implied_method = "GET"
        elif cmd.data is not None or flags & _POST_LIKE:
            cmd.implied_method = "POST"
        elif "upload-file" in flags:
            cmd.implied_method = "PUT"
        return cmd


def _split_header(header: str) -> tuple[str, str]:
    """(lower-cased name, stripped value) of ``Name: value``; ``Name;`` sends an empty value."""
    name, colon, value = header.partition(":")
    if not colon:
        name, _, value = header.partition(";")
        value = ""
    return name.strip().lower(), value.strip()
