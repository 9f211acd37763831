"""A JSON parser that remembers where every value starts and explains mistakes in plain words.

``json.loads`` says "Expecting ',' delimiter: line 4 column 3"; a documentation author needs
"missing comma between object members" at the start of the member that follows, and schema
errors need the line of the value they are about. The parser accepts exactly the documents
``json.loads`` accepts and returns the same value, with two deliberate exceptions: the
non-standard ``NaN``/``Infinity`` literals are rejected, and nesting is capped (see
``MAX_DEPTH``). It is iterative, so no input can raise ``RecursionError``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from generator.errors import Mention, PositionedError, Text

#: Deeper nesting is refused; no example in API docs comes close, and json.loads itself
#: fails with RecursionError somewhere near 1000 levels.
MAX_DEPTH = 500

JSONPath: TypeAlias = tuple[str | int, ...]


class JSONLocateError(PositionedError):
    """A JSON syntax error: a one-line ``message``, 1-based ``line``/``col`` and a ``hint``."""


@dataclass(frozen=True)
class Position:
    """1-based line and column of a character in the parsed text."""

    line: int
    col: int


@dataclass
class LocatedJSON:
    """A parsed value plus where each of its parts is written."""

    value: object
    positions: dict[JSONPath, Position] = field(default_factory=dict)
    key_positions: dict[JSONPath, Position] = field(default_factory=dict)
    duplicate_keys: list[tuple[JSONPath, Position]] = field(default_factory=list)

    def position_of(self, path: JSONPath) -> Position:
        """Where ``path`` starts, or its nearest existing ancestor (for missing members)."""
        path = tuple(path)  # callers pass jsonschema's deques too
        for end in range(len(path), -1, -1):
            found = self.positions.get(path[:end])
            if found is not None:
                return found
        return Position(1, 1)


# Positions are immutable and the same few (line, col) pairs turn up in every document, so
# they are made once and shared; this saves most of the cost of recording them.
_SHARED_POSITIONS: dict[int, Position] = {}
_SHARED_POSITIONS_LIMIT = 1 << 16
_COL_BITS = 12  # columns below 2**12 share; wider lines get positions of their own


def _position(line: int, col: int) -> Position:
    """``Position(line, col)``, shared with every other use of the same place."""
    if col >= 1 << _COL_BITS:
        return Position(line, col)
    key = line << _COL_BITS | col
    found = _SHARED_POSITIONS.get(key)
    if found is None:
        found = Position(line, col)
        if len(_SHARED_POSITIONS) < _SHARED_POSITIONS_LIMIT:
            _SHARED_POSITIONS[key] = found
    return found


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def format_path(path: JSONPath) -> str:
    """``$.element.key``, ``$.tags[0]``; keys that are not identifiers as ``$["a.b"]``."""
    parts = ["$"]
    for step in path:
        if isinstance(step, int):
            parts.append(f"[{step}]")
        elif _IDENTIFIER.fullmatch(step):
            parts.append(f".{step}")
        else:
            parts.append(f"[{json.dumps(step, ensure_ascii=False)}]")
    return "".join(parts)


def parse(text: str) -> LocatedJSON:
    """Parse ``text`` like ``json.loads``; raise ``JSONLocateError`` pointing at the mistake."""
    return _Parser(text).run()


def parse_lazily(text: str) -> LocatedJSON:
    """``parse(text)``, with the positions worked out only when they are first asked for.

    For callers that mostly need the value: ``json.loads`` reads it (the same documents
    give the same value, see the module docstring), and this parser runs only for the
    positions or, when ``json.loads`` refuses the text, to explain the error.
    """
    # More than MAX_DEPTH brackets could nest too deep: the careful parser decides.
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        try:
            value = json.loads(
                text, parse_constant=_refuse_constant, object_pairs_hook=_object_without_duplicates
            )
        except (ValueError, RecursionError):
            pass  # parse() explains it, or lists the duplicate keys with their places
        else:
            return _LazilyLocatedJSON(value, text)
    return parse(text)


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: see the module docstring


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise ValueError("duplicate key")  # parse() records where each one is
    return value


class _LazilyLocatedJSON(LocatedJSON):
    """A LocatedJSON whose positions are parsed from its text the first time one is read."""

    def __init__(self, value: object, text: str) -> None:  # positions: see __getattr__
        self.value = value
        self._text = text
        self.duplicate_keys = []  # json.loads read it without any (parse_lazily)

    def __getattr__(self, name: str) -> Any:  # only for attributes not set yet
        text = self.__dict__.get("_text")
        if text is None or name not in ("positions", "key_positions"):
            raise AttributeError(name)
        located = parse(text)
        self.positions = located.positions
        self.key_positions = located.key_positions
        return getattr(self, name)

    def __eq__(self, other: object) -> bool:  # equal to what parse() returns for the text
        if not isinstance(other, LocatedJSON):
            return NotImplemented
        return (self.value, self.positions, self.key_positions, self.duplicate_keys) == (
            other.value,
            other.positions,
            other.key_positions,
            other.duplicate_keys,
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, as LocatedJSON is


# --- implementation ------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_SIMPLE_STRING = re.compile(r'"([^"\\\x00-\x1f]*)"')  # the common case, in one regex step
_STRING_CHUNK = re.compile(r'[^"\\\x00-\x1f]*')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
# Everything that could be meant as one number, so "01" or "1.e5" is reported as a whole.
_NUMBERISH = re.compile(r"[-+.0-9][-+.0-9A-Za-z_]*")
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
# After a raw line break, a later '"' followed by one of these suggests a multi-line string.
_STRING_END_CONTEXT = re.compile(r"[ \t\r\n]*(?:[,:}\]]|\Z)")
# Fast paths: blanks, a plain scalar and the blanks and delimiter after it in one match;
# blanks and a plain '"key":' in another. Anything else takes the careful path, which also
# explains errors, so these only need to be right about what they accept.
_FAST_SCALAR = re.compile(
    r'[ \t\n\r]*(?:"([^"\\\x00-\x1f]*)"'
    r"|(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?"
    r"|(true|false|null))[ \t\n\r]*([,\]}]|\Z)?"
)
_FAST_MEMBER = re.compile(r'[ \t\n\r]*"([^"\\\x00-\x1f]*)"[ \t\n\r]*:')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_LITERALS: dict[str, object] = {"true": True, "false": False, "null": None}
_CURLY_QUOTES = "\u201c\u201d\u201e\u201f\u2018\u2019\u00ab\u00bb"
_VALUE_START = set("\"{[-0123456789'") | set(_CURLY_QUOTES)


@dataclass(slots=True)
class _Frame:
    """An open object or array."""

    container: dict[str, object] | list[object]
    start: int  # offset of the opening bracket
    path: JSONPath
    is_object: bool  # fields, not properties: they are read for every value
    closer: str
    key: str = ""  # key of the member being parsed (objects)
    member_path: JSONPath = ()  # path + (key,)
    comma: int = -1  # offset of the last comma, for "trailing comma" errors

    @property
    def opener(self) -> str:
        return "{" if self.is_object else "["


def _show(char: str) -> str:
    """A character as the user should see it in a message."""
    if char.isprintable() and not char.isspace() and char.isascii():
        return f"'{char}'"
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.located = LocatedJSON(None)

    # positions ---------------------------------------------------------------------------

    def pos(self, offset: int) -> Position:
        line = bisect_left(self.newlines, offset)  # newlines strictly before offset
        line_start = self.newlines[line - 1] + 1 if line else 0
        return _position(line + 1, offset - line_start + 1)

    def error(self, offset: int, message: Text, hint: Text = "") -> JSONLocateError:
        where = self.pos(offset)
        return JSONLocateError(message, where.line, where.col, hint)

    def skip(self, i: int) -> int:
        if i < self.n and self.text[i] in " \t\n\r":
            match = _WS.match(self.text, i)
            assert match is not None  # the pattern matches the empty string
            return match.end()
        return i

    # the main loop -------------------------------------------------------------------------

    def run(self) -> LocatedJSON:
        # The loop is written for speed: common tokens go through one regex match each,
        # everything unusual (including every error) through the careful methods below.
        text, n = self.text, self.n
        positions = self.located.positions
        newlines = self.newlines
        fast_scalar = _FAST_SCALAR.match
        stack: list[_Frame] = []
        expect_value = True
        i = 0
        while True:
            value: object
            if expect_value:
                if not stack:
                    path: JSONPath = ()
                elif stack[-1].is_object:
                    path = stack[-1].member_path
                else:
                    path = stack[-1].path + (len(stack[-1].container),)
                fast = fast_scalar(text, i)
                if fast is not None and fast.group(6) is not None:
                    value = fast.group(1)
                    if value is not None:
                        start = fast.start(1) - 1
                    else:
                        value, start = self.fast_scalar(fast)
                    line = bisect_left(newlines, start)  # inlined self.pos(start)
                    positions[path] = _position(
                        line + 1, start - (newlines[line - 1] + 1 if line else 0) + 1
                    )
                    if stack and fast.group(6) == ",":
                        # Store the value and take the comma now: saves a loop round.
                        frame = stack[-1]
                        frame.comma = fast.start(6)
                        container = frame.container
                        if isinstance(container, dict):
                            container[frame.key] = value
                            i = self.member_key(fast.end(6), frame, stack)
                        else:
                            container.append(value)
                            i = fast.end(6)
                        continue
                    i = fast.start(6)
                else:
                    i = self.skip(i)
                    char = text[i] if i < n else ""
                    if char != "{" and char != "[":
                        start = i
                        value, i = self.scalar(i, char, stack)
                        positions[path] = self.pos(start)
                    else:
                        if len(stack) >= MAX_DEPTH:
                            raise self.error(
                                i,
                                f"nesting deeper than {MAX_DEPTH} levels",
                                "flatten the document; no API example needs this",
                            )
                        positions[path] = self.pos(i)
                        is_object = char == "{"
                        opened = _Frame(
                            {} if is_object else [], i, path, is_object, "}" if is_object else "]"
                        )
                        stack.append(opened)
                        i = self.skip(i + 1)
                        if i < n and text[i] == opened.closer:
                            stack.pop()
                            value, i = opened.container, i + 1
                        else:
                            if is_object:
                                i = self.member_key(i, opened, stack)
                            continue
            else:
                if i < n and text[i] in " \t\n\r":
                    i = self.skip(i)
                char = text[i] if i < n else ""
                if not stack:
                    if i >= n:
                        break
                    raise self.after_root(i)
                frame = stack[-1]
                if char == ",":
                    frame.comma = i
                    if frame.is_object:
                        i = self.member_key(i + 1, frame, stack)
                    else:
                        i += 1
                    expect_value = True
                    continue
                if char != frame.closer:
                    raise self.after_member(i, char, frame, stack)
                stack.pop()
                value, i = frame.container, i + 1
            # A value is complete: hand it to its container, or it is the document.
            if stack:
                container = stack[-1].container
                if isinstance(container, dict):
                    container[stack[-1].key] = value
                else:
                    container.append(value)
            else:
                self.located.value = value
            expect_value = False
        return self.located

    def fast_scalar(self, match: re.Match[str]) -> tuple[object, int]:
        """The value and start offset of a ``_FAST_SCALAR`` match."""
        if match.group(1) is not None:
            return match.group(1), match.start(1) - 1
        if match.group(5) is not None:
            return _LITERALS[match.group(5)], match.start(5)
        start = match.start(2)
        if match.group(3) is None and match.group(4) is None:
            try:
                return int(match.group(2)), start
            except ValueError:  # too many digits: let the careful path explain
                return self.number(start)[0], start
        return float(self.text[start : match.end(4 if match.group(4) else 3)]), start

    # pieces ------------------------------------------------------------------------------------

    def member_key(self, i: int, frame: _Frame, stack: list[_Frame]) -> int:
        """Parse ``"key" :`` at ``i`` (blanks allowed before); return the offset after ':'."""
        text, n = self.text, self.n
        fast = _FAST_MEMBER.match(text, i)
        if fast is not None:
            key, i, colon = fast.group(1), fast.start(1) - 1, fast.end() - 1
        else:
            i = self.skip(i)
            char = text[i] if i < n else ""
            if char != '"':
                raise self.bad_key(i, char, frame, stack)
            key, end = self.string(i)
            colon = self.skip(end)
            if colon >= n:
                raise self.unclosed(stack)
            if text[colon] != ":":
                if self.is_comment(colon):
                    raise self.comment(colon)
                shown = json.dumps(key, ensure_ascii=False)  # escapes keep it on one line
                raise self.error(
                    colon,
                    f"missing ':' after the object key {shown}",
                    'write a member as "key": value',
                )
        path = frame.path + (key,)
        line = bisect_left(self.newlines, i)  # inlined self.pos(i)
        where = _position(line + 1, i - (self.newlines[line - 1] + 1 if line else 0) + 1)
        if key in frame.container:
            assert isinstance(frame.container, dict)
            self.forget(path, frame.container[key])
            self.located.duplicate_keys.append((path, where))
        self.located.key_positions[path] = where
        frame.key, frame.member_path = key, path
        return colon + 1

    def forget(self, path: JSONPath, old: object) -> None:
        """Drop the positions of a duplicate key's earlier value: its later value wins."""
        todo = [(path, old)]
        while todo:
            prefix, value = todo.pop()
            children: list[tuple[str | int, object]]
            if isinstance(value, dict):
                children = list(value.items())
            elif isinstance(value, list):
                children = list(enumerate(value))
            else:
                continue
            for step, child in children:
                child_path = (*prefix, step)
                self.located.positions.pop(child_path, None)
                self.located.key_positions.pop(child_path, None)
                todo.append((child_path, child))

    def scalar(self, i: int, char: str, stack: list[_Frame]) -> tuple[object, int]:
        if char == '"':
            return self.string(i)
        if char and (char in "-+." or "0" <= char <= "9"):
            return self.number(i)
        if char.isalpha() or char == "_":
            return self.word(i)
        raise self.bad_value(i, char, stack)

    def string(self, start: int) -> tuple[str, int]:
        """The string whose opening quote is at ``start``, and the offset after it."""
        text, n = self.text, self.n
        simple = _SIMPLE_STRING.match(text, start)
        if simple:
            return simple.group(1), simple.end()
        parts: list[str] = []
        i = start + 1
        while True:
            chunk = _STRING_CHUNK.match(text, i)
            assert chunk is not None
            parts.append(chunk.group())
            i = chunk.end()
            if i >= n:
                raise self.error(
                    start,
                    'unterminated string (the closing " is missing)',
                    "add the closing double quote",
                )
            char = text[i]
            if char == '"':
                return "".join(parts), i + 1
            if char == "\\":
                escape = text[i + 1 : i + 2]
                if escape in _ESCAPES:
                    parts.append(_ESCAPES[escape])
                    i += 2
                elif escape == "u":
                    code, i = self.unicode_escape(i)
                    parts.append(chr(code))
                elif escape == "":
                    raise self.error(
                        start,
                        'unterminated string (the closing " is missing)',
                        "add the closing double quote",
                    )
                else:
                    shown = (
                        f"'\\{escape}'"
                        if escape.isprintable()
                        else f"(backslash before {_show(escape)})"
                    )
                    raise self.error(
                        i,
                        f"invalid escape {shown} in a string",
                        'JSON escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t and '
                        "\\uXXXX; write \\\\ for a backslash",
                    )
            elif char in "\n\r":
                raise self.line_break(start, i)
            else:
                raise self.error(
                    i,
                    f"control character {_show(char)} in string",
                    "write it as an escape, e.g. \\t for a tab or \\u0000",
                )

    def unicode_escape(self, i: int) -> tuple[int, int]:
        """``\\uXXXX`` at ``i`` (joined with a following low surrogate, as json does)."""
        digits = _HEX4.match(self.text, i + 2)
        if not digits:
            raise self.error(
                i,
                "invalid escape: \\u needs exactly four hex digits",
                "write \\u followed by four digits 0-9/a-f, e.g. \\u00e9",
            )
        code, i = int(digits.group(), 16), i + 6
        if 0xD800 <= code <= 0xDBFF and self.text.startswith("\\u", i):
            low = _HEX4.match(self.text, i + 2)
            if low and 0xDC00 <= int(low.group(), 16) <= 0xDFFF:
                code = 0x10000 + ((code - 0xD800) << 10) + (int(low.group(), 16) - 0xDC00)
                i += 6
        return code, i

    def line_break(self, start: int, i: int) -> JSONLocateError:
        # Either a string meant to span lines, or one whose closing quote was forgotten:
        # if a later quote is followed by ',', ':', '}', ']' or the end, the string
        # plausibly ends there, so the line break is the mistake.
        later = self.text.find('"', i)
        if later != -1 and _STRING_END_CONTEXT.match(self.text, later + 1):
            return self.error(
                i,
                "raw line break inside a string (write \\n)",
                "JSON strings stay on one line; use \\n for a line break",
            )
        return self.error(
            start,
            'unterminated string (the closing " is missing)',
            ("add the closing double quote on ", Mention(self.pos(start).line)),
        )

    def number(self, i: int) -> tuple[object, int]:
        token_match = _NUMBERISH.match(self.text, i)
        assert token_match is not None
        token = token_match.group()
        match = _NUMBER.fullmatch(token)
        if match is None:
            raise self.bad_number(i, token)
        try:
            if match.group(1) is None and match.group(2) is None:
                return int(token), token_match.end()
            return float(token), token_match.end()
        except ValueError:  # more digits than int() converts (sys.get_int_max_str_digits)
            raise self.error(
                i, "invalid number: too many digits", "write it as a string, or with an exponent"
            ) from None

    def bad_number(self, i: int, token: str) -> JSONLocateError:
        bare = token.lstrip("+-")
        if bare in ("Infinity", "NaN"):
            return self.error(
                i, "NaN and Infinity are not valid JSON", "use null, or write the value as a string"
            )
        if token.startswith("+"):
            hint = "remove the '+': JSON numbers have no plus sign"
        elif bare[:2].lower() == "0x":
            hint = "hexadecimal is not JSON; write the number in decimal"
        elif bare.startswith("."):
            hint = "write a digit before the decimal point, e.g. 0.5"
        elif re.match(r"0[0-9]", bare):
            hint = "numbers cannot start with 0; write it as a string if it is a code"
        elif re.search(r"\.($|[^0-9])", bare):
            hint = "write digits after the decimal point, e.g. 1.0"
        else:
            hint = "a JSON number looks like 42, -7, 3.14 or 1e-9"
        shown = token if len(token) <= 24 else token[:21] + "..."
        return self.error(i, f"invalid number '{shown}'", hint)

    def word(self, i: int) -> tuple[object, int]:
        match = _WORD.match(self.text, i)
        token = match.group() if match else self.text[i]
        if token in _LITERALS:
            return _LITERALS[token], i + len(token)
        lower = token.lower()
        if token in ("NaN", "Infinity"):
            raise self.error(
                i, "NaN and Infinity are not valid JSON", "use null, or write the value as a string"
            )
        if lower in _LITERALS or token == "None":
            meant = "null" if token == "None" else lower
            raise self.error(
                i, "invalid literal (true, false and null are lowercase)", f"write {meant}"
            )
        if len(lower) >= 2 and any(name.startswith(lower) for name in _LITERALS):
            meant = next(name for name in _LITERALS if name.startswith(lower))
            raise self.error(
                i, "invalid literal (true, false and null are lowercase)", f"write {meant}"
            )
        if token == "undefined":
            raise self.error(
                i, "undefined is not a JSON value", "use null, or leave the member out"
            )
        raise self.error(
            i, f"unquoted text {token!r}: strings must be in double quotes", f'write "{token}"'
        )

    # error explanations ----------------------------------------------------------------------

    def is_comment(self, i: int) -> bool:
        return self.text.startswith("//", i) or self.text.startswith("/*", i)

    def comment(self, i: int) -> JSONLocateError:
        return self.error(
            i,
            "comments are not allowed in JSON",
            "remove the comment, or put the note in the surrounding text",
        )

    def unclosed(self, stack: list[_Frame]) -> JSONLocateError:
        # Reported just after the last non-blank character: where the closer belongs.
        end = len(self.text.rstrip(" \t\n\r"))
        frame = stack[-1]
        opened = self.pos(frame.start)
        closers = "".join(f.closer for f in reversed(stack))
        hint = (
            f"add '{frame.closer}' to close it"
            if len(closers) == 1
            else f"add '{closers}' to close the {len(closers)} open brackets"
        )
        return self.error(
            end,
            (
                f"unexpected end of input: '{frame.opener}' opened at ",
                Mention(opened.line),
                " is not closed",
            ),
            hint,
        )

    def quote_problem(self, i: int, char: str) -> JSONLocateError | None:
        if char == "'":
            return self.error(
                i,
                "strings use double quotes in JSON, not single quotes",
                "replace the ' quotes with \"",
            )
        if char in _CURLY_QUOTES:
            return self.error(
                i,
                f"typographic quote {_show(char)}: JSON strings use straight double quotes",
                'replace it with a plain " (turn off smart quotes)',
            )
        return None

    def stray_char(self, i: int, char: str, expected: str) -> JSONLocateError:
        if char.isspace():
            return self.error(
                i,
                f"unexpected character {_show(char)}: JSON whitespace is "
                "space, tab and line breaks only",
                "replace it with a normal space",
            )
        if char == "\ufeff":
            return self.error(
                i, "unexpected byte order mark (U+FEFF)", "save the file as UTF-8 without BOM"
            )
        return self.error(i, f"unexpected character {_show(char)}", expected)

    def mismatched(self, i: int, char: str, frame: _Frame) -> JSONLocateError:
        opened = self.pos(frame.start)
        return self.error(
            i,
            (
                f"unexpected '{char}': the '{frame.opener}' opened at ",
                Mention(opened.line, opened.col),
                " must be closed first",
            ),
            f"add '{frame.closer}' before it, or remove the '{char}'",
        )

    def extra_closer(self, i: int, char: str) -> JSONLocateError:
        if char == "}":
            return self.error(
                i, "unexpected '}': no object is open (extra closing brace)", "remove the extra '}'"
            )
        return self.error(
            i, "unexpected ']': no array is open (extra closing bracket)", "remove the extra ']'"
        )

    def bad_value(self, i: int, char: str, stack: list[_Frame]) -> JSONLocateError:
        frame = stack[-1] if stack else None
        if char == "":
            if frame is not None:
                return self.unclosed(stack)
            empty = self.text.strip(" \t\n\r") == ""
            return self.error(
                len(self.text.rstrip(" \t\n\r")),
                "empty document: expected a JSON value"
                if empty
                else "unexpected end of input: expected a JSON value",
                "write a value: an object {...}, an array [...], a string, "
                "a number, true, false or null",
            )
        if self.is_comment(i):
            return self.comment(i)
        quote = self.quote_problem(i, char)
        if quote is not None:
            return quote
        if char in "}]":
            if frame is None:
                return self.extra_closer(i, char)
            if char != frame.closer:
                return self.mismatched(i, char, frame)
            if frame.is_object:
                return self.error(i, "missing value after ':'", "write a value, or null")
            return self.error(
                frame.comma,
                f"trailing comma before '{char}'",
                "remove the comma after the last element",
            )
        if char == ",":
            if frame is not None and frame.is_object:
                return self.error(i, "missing value after ':'", "write a value, or null")
            return self.error(
                i,
                "unexpected ',': a value is missing",
                "remove the extra comma, or write the missing value",
            )
        return self.stray_char(
            i, char, 'a JSON value starts with {, [, ", a digit, -, true, false or null'
        )

    def bad_key(self, i: int, char: str, frame: _Frame, stack: list[_Frame]) -> JSONLocateError:
        if char == "":
            return self.unclosed(stack)
        if char == "}" and frame.comma >= 0:
            return self.error(
                frame.comma, "trailing comma before '}'", "remove the comma after the last member"
            )
        if char == "]":
            return self.mismatched(i, char, frame)
        if self.is_comment(i):
            return self.comment(i)
        quote = self.quote_problem(i, char)
        if quote is not None:
            return quote
        word = _WORD.match(self.text, i) or _NUMBERISH.match(self.text, i)
        if char == ",":
            hint = "remove the extra comma"
        elif word:
            hint = f'write "{word.group()}"'
        else:
            hint = 'a member is written "key": value'
        return self.error(i, "object key must be a double-quoted string", hint)

    def after_member(
        self, i: int, char: str, frame: _Frame, stack: list[_Frame]
    ) -> JSONLocateError:
        """Something other than ',' or the closer follows a value inside ``frame``."""
        if char == "":
            return self.unclosed(stack)
        if self.is_comment(i):
            return self.comment(i)
        if char in "}]":
            return self.mismatched(i, char, frame)
        kind = "object members" if frame.is_object else "array elements"
        if char in _VALUE_START or char.isalpha():
            previous = self.pos(len(self.text[:i].rstrip(" \t\n\r")) - 1)
            where: Text = (
                ("add ',' at the end of ", Mention(previous.line))
                if previous.line < self.pos(i).line
                else "add ',' before it"
            )
            return self.error(i, f"missing comma between {kind}", where)
        if char == ":":
            if frame.is_object:
                return self.error(
                    i,
                    "unexpected ':' after a value",
                    "add a comma between members, or remove the extra ':'",
                )
            return self.error(
                i, "unexpected ':' inside an array", 'use an object {...} for "key": value pairs'
            )
        return self.stray_char(i, char, f"expected ',' or '{frame.closer}' after the {kind[:-1]}")

    def after_root(self, i: int) -> JSONLocateError:
        char = self.text[i]
        if self.is_comment(i):
            return self.comment(i)
        if char in "}]":
            return self.extra_closer(i, char)
        ended = self.pos(len(self.text[:i].rstrip(" \t\n\r")) - 1)
        return self.error(
            i,
            "unexpected text after the JSON value",
            (
                "the JSON value ended at ",
                Mention(ended.line, ended.col),
                "; remove what follows, or wrap several values in [...]",
            ),
        )
