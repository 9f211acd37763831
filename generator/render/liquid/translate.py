"""Liquid, as Jekyll writes it, translated source to source into Jinja that renders the same.

The translation keeps every newline where it was: a construct spread over three lines is
still three lines, so a translated file has the line numbers of the original. The source
map, every diagnostic and every imported page point at the lines the author wrote.

Two modes:

``liquid=True`` (a Jekyll tree, and ``generator import-jekyll``): everything is Liquid.
  - ``assign`` and ``capture`` write to ``vars``, the render's one variable scope. Liquid has
    a single scope shared by the page and its includes; Jinja's ``{% set %}`` would vanish at
    the end of a ``for`` body. Names a file assigns are read back as ``vars.name``; other names
    fall back to ``vars`` when nothing else defines them (see templating's context class).
  - Conditions keep Liquid's meaning: only nil and false are false (``x is truthy``),
    ``and``/``or`` group from the right, ``contains``, ``nil``/``empty``/``blank``.
  - ``for`` iterates as Liquid does (``| each``: a hash yields [key, value] pairs, nil and
    a string yield nothing and one item), with ``limit:``, ``offset:`` and ``reversed``.
  - Filters use Liquid's syntax (``x | replace: "a", "b"``); the few whose Jinja namesake
    means something else are renamed ``liquid_<name>`` (``default``, ``truncate``, ``sort``,
    ``reverse``, ``map``, ``slice``, ``round``); bare ``join`` joins with a space, as Liquid does.

``liquid=False`` (our own Jinja content): only what cannot be Jinja is translated:
  Liquid-only tags (``assign``, ``capture``, ``unless``, ``elsif``, ``case``, ``comment``, ...)
  and Liquid's filter syntax. Valid Jinja comes back unchanged, character for character.

What cannot be translated (``tablerow``, ``forloop.parentloop``, an unknown tag or filter)
becomes a call that reports it where it stands (code ED311) and keeps the rest of the page
rendering; a Liquid syntax error is reported the same way (ED301).
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Problem", "Translation", "translate", "LIQUID_FILTERS", "UNSUPPORTED_TAGS"]


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line of the source where the construct starts
    code: str
    message: str


@dataclass
class Translation:
    text: str
    constructs: Counter[str] = field(default_factory=Counter)  # kind -> times translated
    problems: list[Problem] = field(default_factory=list)


# --- filters ------------------------------------------------------------------------------

#: Liquid (and Jekyll) filters written under their own name in Jinja: either registered by
#: liquid_filters with Liquid's meaning, or Jinja built-ins that already mean the same.
_SAME_NAME = frozenset(
    [
        "abs",
        "append",
        "array_to_sentence_string",
        "at_least",
        "at_most",
        "capitalize",
        "ceil",
        "cgi_escape",
        "compact",
        "concat",
        "date",
        "date_to_long_string",
        "date_to_rfc822",
        "date_to_string",
        "date_to_xmlschema",
        "divided_by",
        "downcase",
        "escape",
        "escape_once",
        "find",
        "first",
        "floor",
        "group_by",
        "inspect",
        "join",
        "jsonify",
        "last",
        "lstrip",
        "markdownify",
        "minus",
        "modulo",
        "newline_to_br",
        "normalize_whitespace",
        "number_of_words",
        "plus",
        "pop",
        "prepend",
        "push",
        "relative_url",
        "absolute_url",
        "remove",
        "remove_first",
        "remove_last",
        "replace",
        "replace_first",
        "replace_last",
        "rstrip",
        "shift",
        "size",
        "slugify",
        "sort_natural",
        "split",
        "strip",
        "strip_html",
        "strip_newlines",
        "times",
        "to_integer",
        "truncatewords",
        "uniq",
        "unshift",
        "upcase",
        "uri_escape",
        "url_decode",
        "url_encode",
        "where",
        "xml_escape",
    ]
)
#: Liquid filters whose Jinja namesake means something else.
_RENAMED = {
    name: f"liquid_{name}"
    for name in ("default", "truncate", "sort", "reverse", "map", "slice", "round", "join")
}
_ALIASES = {"h": "escape"}
#: Known Liquid/Jekyll filters we do not translate (they need Ruby, randomness or a second
#: expression language).
_UNSUPPORTED_FILTERS = frozenset(
    ["where_exp", "group_by_exp", "find_exp", "sample", "smartify", "sassify", "scssify"]
)
LIQUID_FILTERS = _SAME_NAME | frozenset(_RENAMED) | frozenset(_ALIASES)

#: Liquid or Jekyll tags we know and do not translate.
UNSUPPORTED_TAGS = frozenset(
    [
        "tablerow",
        "liquid",
        "render",
        "include_cached",
        "seo",
        "feed_meta",
        "gist",
        "youtube",
        "ifchanged",
    ]
)
_BLOCK_UNSUPPORTED = frozenset({"tablerow", "ifchanged"})

# Liquid-only tag names: translated in both modes (they cannot be Jinja).
_LIQUID_ONLY_TAGS = (
    frozenset(
        [
            "assign",
            "capture",
            "endcapture",
            "unless",
            "endunless",
            "elsif",
            "case",
            "when",
            "endcase",
            "comment",
            "endcomment",
            "increment",
            "decrement",
            "cycle",
            "tablerow",
            "endtablerow",
            "echo",
            "highlight",
            "endhighlight",
            "ifchanged",
            "endifchanged",
            "link",
            "post_url",
        ]
    )
    | UNSUPPORTED_TAGS
)
_FORLOOP = {
    "index": "index",
    "index0": "index0",
    "rindex": "revindex",
    "rindex0": "revindex0",
    "first": "first",
    "last": "last",
    "length": "length",
}
#: Names Jekyll's templates read that are not Liquid variables (the rest live in vars).
_ROOTS = frozenset(["page", "site", "include"])
# Liquid's keyword values that ``==`` compares in its own way: as Jinja tests (liquid.filters)
_SPECIAL_VALUES = {"nil": "nil", "null": "nil", "empty": "empty", "blank": "blank"}
_JINJA_KEYWORDS = frozenset(
    [
        "and",
        "or",
        "not",
        "in",
        "is",
        "if",
        "else",
        "true",
        "false",
        "none",
        "True",
        "False",
        "None",
        "loop",
        "vars",
        "range",
    ]
)


class LiquidSyntaxError(Exception):
    pass


# --- expressions --------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"[^"]*"|'[^']*')
  | (?P<number>-?\d+(?:\.\d+)?(?![\w-]))
  | (?P<dotdot>\.\.)
  | (?P<op>==|!=|<>|<=|>=|<|>)
  | (?P<name>[A-Za-z_][\w-]*\??)
  | (?P<punct>[.\[\]():,|])
""",
    re.VERBOSE,
)
_IDENT_RE = re.compile(r"[A-Za-z_]\w*")


@dataclass
class _Token:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match:
            raise LiquidSyntaxError(f"unexpected character '{text[pos]}' in '{text.strip()}'")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(_Token(kind, match.group()))
        pos = match.end()
    return tokens


def _quote(text: str) -> str:
    """A Liquid string literal (no escapes in Liquid) as a Jinja literal."""
    body = text[1:-1]
    if "\\" not in body:
        return text
    return '"' + body.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Scope:
    """What the expression translator needs to know about the place it stands in."""

    def __init__(self, liquid: bool, loop_vars: list[str]) -> None:
        self.liquid = liquid
        self.loop_vars = loop_vars
        self.unsupported: list[str] = []
        self.constructs: Counter[str] = Counter()


class _Expr:
    """Recursive descent over one Liquid expression, producing Jinja text."""

    def __init__(self, text: str, scope: _Scope) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.scope = scope
        self.text = text.strip()

    # token helpers
    def peek(self, offset: int = 0) -> _Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise LiquidSyntaxError(f"'{self.text}' ends too early")
        self.pos += 1
        return token

    def accept(self, kind: str, text: str | None = None) -> _Token | None:
        token = self.peek()
        if token and token.kind == kind and (text is None or token.text == text):
            self.pos += 1
            return token
        return None

    def expect(self, kind: str, text: str | None = None) -> _Token:
        token = self.accept(kind, text)
        if token is None:
            found = self.peek()
            what = f"'{found.text}'" if found else "the end"
            raise LiquidSyntaxError(f"expected {text or kind} but found {what} in '{self.text}'")
        return token

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def done(self) -> None:
        if not self.at_end():
            raise LiquidSyntaxError(f"unexpected '{self.tokens[self.pos].text}' in '{self.text}'")

    # grammar
    def primary(self) -> str:
        token = self.take()
        if token.kind == "string":
            return _quote(token.text)
        if token.kind == "number":
            return token.text
        if token.kind == "punct" and token.text == "(":
            start = self.primary()
            self.expect("dotdot")
            end = self.primary()
            self.expect("punct", ")")
            self.scope.constructs["range"] += 1
            return _range(start, end)
        if token.kind == "punct" and token.text == "[":  # [expr] lookup at the root
            inner = self.primary()
            self.expect("punct", "]")
            return self.segments(f"vars[{inner}]")
        if token.kind == "name":
            return self.variable(token.text)
        raise LiquidSyntaxError(f"unexpected '{token.text}' in '{self.text}'")

    def variable(self, name: str) -> str:
        nxt = self.peek()
        followed = nxt is not None and nxt.kind == "punct" and nxt.text in ".["
        if not followed:
            if name in ("true", "false"):
                return name
            if name in ("nil", "null"):
                return "none"
            if name in ("empty", "blank"):
                return '""'
        if not self.scope.liquid:
            return self.segments(name)
        if name == "forloop":
            return self.forloop()
        if name in self.scope.loop_vars or name in _ROOTS:
            return self.segments(name)
        # every other name is a Liquid variable: read from vars when it is used (a page
        # reads what an include it ran assigned; Jinja would have looked it up too early)
        plain = _IDENT_RE.fullmatch(name) is not None and name not in _JINJA_KEYWORDS
        return self.segments(f"vars.{name}" if plain else f'vars["{name}"]')

    def forloop(self) -> str:
        self.scope.constructs["forloop"] += 1
        if self.accept("punct", "."):
            attr = self.take().text
            if attr in _FORLOOP:
                return self.segments(f"loop.{_FORLOOP[attr]}")
            self.scope.unsupported.append(f"forloop.{attr}")
            self.segments("none")  # read past the rest: it has no value
            return "none"
        return self.segments("loop")

    def segments(self, base: str) -> str:
        out = base
        while True:
            if self.accept("punct", "."):
                token = self.take()
                if token.kind not in ("name", "number"):
                    raise LiquidSyntaxError(f"unexpected '{token.text}' after '.' in '{self.text}'")
                segment = token.text
                if _IDENT_RE.fullmatch(segment):
                    out += f".{segment}"
                else:
                    if "-" in segment:
                        self.scope.constructs["hyphenated key"] += 1
                    out += f"[{segment}]" if segment.isdigit() else f'["{segment}"]'
            elif self.accept("punct", "["):
                inner = self.primary()
                self.expect("punct", "]")
                out += f"[{inner}]"
            else:
                return out

    def filtered(self) -> str:
        """``primary (| filter (: args)?)*`` -- an output or an assigned value."""
        out = self.primary()
        while self.accept("punct", "|"):
            name = self.expect("name").text
            args: list[str] = []
            if self.accept("punct", ":"):
                args = self.arguments()
            out = self.filter(out, name, args)
        return out

    def arguments(self) -> list[str]:
        args: list[str] = []
        while True:
            token, after = self.peek(), self.peek(1)
            if (
                token
                and token.kind == "name"
                and after
                and after.kind == "punct"
                and after.text == ":"
            ):
                self.pos += 2
                args.append(f"{token.text}={self.primary()}")
            else:
                args.append(self.primary())
            if not self.accept("punct", ","):
                return args

    def filter(self, value: str, name: str, args: list[str]) -> str:
        scope = self.scope
        scope.constructs[f"filter {name}"] += 1
        if name in _UNSUPPORTED_FILTERS or (name not in LIQUID_FILTERS):
            scope.unsupported.append(f"filter '{name}'")
            return value
        target = _ALIASES.get(name, _RENAMED.get(name, name))
        if name == "join" and not args:
            args = ['" "']
        return f"{value} | {target}({', '.join(args)})" if args else f"{value} | {target}"

    # conditions
    def condition(self) -> str:
        parts = [self.comparison()]
        operators: list[str] = []
        while True:
            token = self.peek()
            if token and token.kind == "name" and token.text in ("and", "or"):
                self.pos += 1
                operators.append(token.text)
                parts.append(self.comparison())
            else:
                break
        self.done()
        if len(set(operators)) <= 1:
            return f" {operators[0]} ".join(parts) if operators else parts[0]
        # Liquid groups from the right: a and b or c is a and (b or c)
        out = parts[-1]
        for index in range(len(parts) - 2, -1, -1):
            out = f"{parts[index]} {operators[index]} ({out})"
        return out

    def comparison(self) -> str:
        left_start = self.pos
        left = self.primary()
        left_literal = self._literal_at(left_start)
        token = self.peek()
        operator = None
        if token and token.kind == "op":
            operator = token.text
        elif token and token.kind == "name" and token.text == "contains":
            operator = "contains"
        if operator is None:
            if (
                not self.scope.liquid
                or left_literal in ("true", "false")
                or left.startswith("loop.first")
                or left.startswith("loop.last")
            ):
                return left
            if left_literal in ("nil", "null"):
                return "false"
            self.scope.constructs["truthiness"] += 1
            return f"{left} is truthy"
        self.pos += 1
        right_start = self.pos
        right = self.primary()
        right_literal = self._literal_at(right_start)
        if operator == "contains":
            self.scope.constructs["contains"] += 1
            return f"{left} is containing {right}"
        if operator == "<>":
            operator = "!="
        if operator in ("==", "!="):
            negate = " not" if operator == "!=" else ""
            if right_literal in _SPECIAL_VALUES:
                self.scope.constructs[f"== {right_literal}"] += 1
                return f"{left} is{negate} {_SPECIAL_VALUES[right_literal]}"
            if left_literal in _SPECIAL_VALUES:
                self.scope.constructs[f"== {left_literal}"] += 1
                return f"{right} is{negate} {_SPECIAL_VALUES[left_literal]}"
        return f"{left} {operator} {right}"

    def _literal_at(self, index: int) -> str | None:
        """The keyword literal (nil, empty, true...) that starts at token ``index``, if the
        operand was only that."""
        if self.pos - index != 1:
            return None
        token = self.tokens[index]
        if token.kind == "name" and token.text in (
            "nil",
            "null",
            "empty",
            "blank",
            "true",
            "false",
        ):
            return token.text
        return None


def _range(start: str, end: str) -> str:
    if re.fullmatch(r"-?\d+", start) and re.fullmatch(r"-?\d+", end):
        return f"range({start}, {int(end) + 1})"
    return f"range({start} | int, {end} | int + 1)"


# --- the translator -----------------------------------------------------------------------

_OPEN_RE = re.compile(r"\{%|\{\{|\{#")
_QUOTE_RE = re.compile(r"[\"']")
_STRING_END = {
    '"': re.compile(r'(?:[^"\\]|\\.)*"', re.DOTALL),
    "'": re.compile(r"(?:[^'\\]|\\.)*'", re.DOTALL),
}
#: Liquid's strings have no escapes: "\" is a backslash
_LIQUID_STRING_END = {'"': re.compile(r'[^"]*"'), "'": re.compile(r"[^']*'")}
_TAG_NAME_RE = re.compile(r"\s*(#|[A-Za-z_]\w*)")
_RAW_END_RE = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_COMMENT_TAG_RE = re.compile(r"\{%-?\s*(comment|endcomment)\b[^%]*?-?%\}")
_QUICK_LIGHT_RE = re.compile(
    r"\{%-?\s*(?:" + "|".join(sorted(_LIQUID_ONLY_TAGS | {"#"})) + r")\b"
    r"|\|\s*[A-Za-z_]\w*\s*:"
)
_OUTPUT_IN_CONDITION_RE = re.compile(r"\{\{-?\s*([A-Za-z_][\w.-]*)\s*-?\}\}")
_ASSIGN_RE = re.compile(r"\s*([\w-]+\??)\s*=(.*)", re.DOTALL)
_FOR_RE = re.compile(r"\s*([A-Za-z_][\w-]*)\s+in\s+(.*)", re.DOTALL)
_INCLUDE_PARAM_RE = re.compile(
    r"(?P<sp>\s*)(?P<key>[A-Za-z_][\w-]*)(?P<eq>\s*=\s*)"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s\"']+)"
)


@dataclass
class _Block:
    kind: str  # if, unless, for, case, capture, unsupported, highlight
    loop_var: str = ""
    case_var: str = ""
    when_tests: list[str] = field(default_factory=list)  # a case's, so far


def translate(source: str, *, liquid: bool = True) -> Translation:
    """Translate Liquid in ``source`` to Jinja; the result has the same newlines."""
    if "{" not in source:
        return Translation(source)
    if not liquid and not _QUICK_LIGHT_RE.search(source):
        return Translation(source)
    translation = _Translator(source, liquid).run()
    if translation.text.count("\n") != source.count("\n"):  # pragma: no cover - a bug
        raise AssertionError("Liquid translation changed the line count")
    return translation


def _find_close(source: str, start: int, closer: str, liquid: bool = False) -> int:
    """Index of ``closer`` after ``start``, skipping quoted strings (as Jinja's lexer does,
    or Liquid's, whose strings have no escapes); without string skipping when a quote is
    never closed (as Liquid's lexer does)."""
    ends = _LIQUID_STRING_END if liquid else _STRING_END
    pos = start
    while True:
        end = source.find(closer, pos)
        if end < 0:
            return -1
        quote = _QUOTE_RE.search(source, pos, end)
        if quote is None:
            return end
        string = ends[quote.group()].match(source, quote.end())
        if string is None:
            return source.find(closer, start)
        pos = string.end()


class _Translator:
    def __init__(self, source: str, liquid: bool) -> None:
        self.src = source
        self.liquid = liquid
        self.out: list[str] = []
        self.constructs: Counter[str] = Counter()
        self.problems: list[Problem] = []
        self.blocks: list[_Block] = []
        self.case_count = 0
        self._newlines = [m.start() for m in re.finditer("\n", source)]

    def line_at(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    @property
    def loop_vars(self) -> list[str]:
        return [b.loop_var for b in self.blocks if b.loop_var]

    def scope(self) -> _Scope:
        return _Scope(self.liquid, self.loop_vars)

    def run(self) -> Translation:
        src = self.src
        pos = 0
        while pos < len(src):
            match = _OPEN_RE.search(src, pos)
            if match is None:
                self.out.append(src[pos:])
                break
            self.out.append(src[pos : match.start()])
            opener = match.group()
            if opener == "{#":
                if self.liquid:  # literal text in Liquid (kramdown's {#id}), a comment in Jinja
                    self.out.append('{{ "{#" }}')
                    self.constructs["literal {#"] += 1
                    pos = match.end()
                else:
                    end = src.find("#}", match.end())
                    end = len(src) if end < 0 else end + 2
                    self.out.append(src[match.start() : end])
                    pos = end
                continue
            closer = "}}" if opener == "{{" else "%}"
            close = _find_close(src, match.end(), closer, self.liquid)
            if close < 0:  # never closed: Jinja reports it at this line
                self.out.append(src[match.start() :])
                break
            token = src[match.start() : close + 2]
            if opener == "{{":
                self.out.append(self.output(token, match.start()))
                pos = close + 2
            else:
                pos = self.tag(token, match.start(), close + 2)
        return Translation("".join(self.out), self.constructs, self.problems)

    # --- pieces --------------------------------------------------------------------------
    def problem(self, pos: int, code: str, message: str) -> str:
        message = " ".join(message.split())
        self.problems.append(Problem(self.line_at(pos), code, message))
        function = "liquid_unsupported" if code == "ED311" else "liquid_syntax_error"
        text = message.replace("\\", "\\\\").replace('"', '\\"')
        return f'{{{{ {function}("{text}") }}}}'

    def flush_unsupported(self, scope: _Scope, pos: int) -> str:
        return "".join(
            self.problem(pos, "ED311", f"unsupported Liquid {what}") for what in scope.unsupported
        )

    def output(self, token: str, pos: int) -> str:
        inner = token[2:-2]
        lstrip = "-" if inner.startswith("-") else ""
        rstrip = "-" if inner.endswith("-") and len(inner) > 1 else ""
        body = inner[len(lstrip) : len(inner) - len(rstrip)]
        if not self.liquid and not re.search(r"\|\s*[A-Za-z_]\w*\s*:", _mask_strings(body)):
            return token
        if not body.strip():
            return "{{" + lstrip + ' "" ' + "\n" * token.count("\n") + rstrip + "}}"
        scope = self.scope()
        try:
            parser = _Expr(body, scope)
            expression = parser.filtered()
            parser.done()
        except LiquidSyntaxError as exc:
            if not self.liquid:
                return token  # not Liquid after all: Jinja judges it
            return self.problem(pos, "ED301", f"Liquid syntax error: {exc}") + "\n" * token.count(
                "\n"
            )
        self.constructs.update(scope.constructs)
        if not self.liquid:
            self.constructs["filter syntax"] += 1
        # the author's spacing inside the braces is kept ({{x}} stays tight)
        lead = body[: len(body) - len(body.lstrip())].replace("\n", "")
        trail = body[len(body.rstrip()) :].replace("\n", "")
        newlines = "\n" * (token.count("\n") - expression.count("\n"))
        return (
            self.flush_unsupported(scope, pos)
            + "{{"
            + lstrip
            + lead
            + expression
            + trail
            + newlines
            + rstrip
            + "}}"
        )

    def tag(self, token: str, start: int, end: int) -> int:
        """Translate the tag ``token`` at ``start``; return where scanning continues."""
        inner = token[2:-2]
        lstrip = "-" if inner.startswith("-") else ""
        rstrip = "-" if inner.endswith("-") and len(inner) > 1 else ""
        body = inner[len(lstrip) : len(inner) - len(rstrip)]
        match = _TAG_NAME_RE.match(body)
        name = match.group(1) if match else ""
        markup = body[match.end() :] if match else body
        newlines = token.count("\n")
        if name == "raw":
            close = _RAW_END_RE.search(self.src, end)
            stop = close.end() if close else len(self.src)
            self.out.append(self.src[start:stop])
            return stop
        if name == "comment":
            return self.comment(start, end, lstrip)
        if not self.liquid and name not in _LIQUID_ONLY_TAGS and name != "#":
            self.out.append(token)  # Jinja's own tag
            return end
        try:
            # newlines are put back by _fit_lines: a string in the tag may hold some itself
            translated = self.translate_tag(name, markup, lstrip, rstrip, 0, start, token)
        except LiquidSyntaxError as exc:
            translated = self.problem(
                start, "ED301", f"Liquid syntax error in '{name}': {exc}"
            ) + self.keep_structure(name, lstrip, rstrip)
        self.out.append(_fit_lines(translated, newlines))
        return end

    def keep_structure(self, name: str, lstrip: str, rstrip: str) -> str:
        """After a syntax error in a block's opening tag, an opening that keeps the blocks
        balanced (its body is skipped), so the rest of the page still renders."""
        j = self.jinja
        if name in ("if", "unless"):
            self.blocks.append(_Block("if"))
            return j("if false", lstrip, rstrip)
        if name in ("elsif", "when") and self.blocks:
            return j("elif false", lstrip, rstrip)
        if name == "for":
            self.blocks.append(_Block("for"))
            return j("for _ in []", lstrip, rstrip)
        if name == "case":
            self.case_count += 1
            self.blocks.append(_Block("case", case_var=f"_case{self.case_count}"))
            return j(f"set _case{self.case_count} = none", lstrip) + j("if false", "", rstrip)
        if name == "capture":
            self.blocks.append(_Block("capture"))
            return j("set _ignored", lstrip, rstrip)
        return ""

    def comment(self, start: int, end: int, lstrip: str) -> int:
        """``{% comment %}...{% endcomment %}`` (nested ones too) as a Jinja comment that
        keeps its text, so an imported page keeps the author's note."""
        depth, pos = 1, end
        stop, close_token = len(self.src), ""
        while depth:
            match = _COMMENT_TAG_RE.search(self.src, pos)
            if match is None:
                stop, close_token, pos = len(self.src), "", len(self.src)
                break
            depth += 1 if match.group(1) == "comment" else -1
            pos = match.end()
            stop, close_token = match.start(), match.group()
        opening = "\n" * self.src.count("\n", start, end)
        text = self.src[end:stop].replace("#}", "# }")
        rstrip = "-" if close_token[:-2].endswith("-") else ""
        self.constructs["comment"] += 1
        prefix = (
            ""
            if close_token
            else self.problem(start, "ED301", "Liquid syntax error: 'comment' is never closed")
        )
        self.out.append(
            prefix + "{#" + lstrip + opening + text + "\n" * close_token.count("\n") + rstrip + "#}"
        )
        return pos

    def jinja(self, content: str, lstrip: str = "", rstrip: str = "", newlines: int = 0) -> str:
        return "{%" + lstrip + " " + content + " " + "\n" * newlines + rstrip + "%}"

    def expr(self, text: str, condition: bool = False, pos: int = 0) -> tuple[str, str]:
        """(Jinja expression, problem calls to put before the tag)."""
        scope = self.scope()
        parser = _Expr(text, scope)
        if condition:
            result = parser.condition()
        else:
            result = parser.filtered()
            parser.done()
        self.constructs.update(scope.constructs)
        return result, self.flush_unsupported(scope, pos)

    def loose_expr(self, text: str, condition: bool = False, pos: int = 0) -> tuple[str, str]:
        """In Jinja mode an expression may be Jinja: translated only when it reads as Liquid."""
        if self.liquid:
            return self.expr(text, condition, pos)
        try:
            return self.expr(text, condition, pos)
        except LiquidSyntaxError:
            return text.strip(), ""

    def translate_tag(
        self, name: str, markup: str, lstrip: str, rstrip: str, newlines: int, pos: int, token: str
    ) -> str:
        j = self.jinja
        count = self.constructs
        if name in ("if", "elsif", "unless"):
            if self.liquid:  # Liquid's lax parser reads {{x.y}} in a condition as x.y
                # ({{ x.y }} with blanks too: Jekyll fails on it only if it is evaluated)
                markup = _OUTPUT_IN_CONDITION_RE.sub(r"\1", markup)
            condition, problems = self.loose_expr(markup, True, pos)
            count[name] += 1
            if name == "if":
                self.blocks.append(_Block("if"))
                return problems + j(f"if {condition}", lstrip, rstrip, newlines)
            if name == "unless":
                self.blocks.append(_Block("unless"))
                return problems + j(f"if not ({condition})", lstrip, rstrip, newlines)
            return problems + j(f"elif {condition}", lstrip, rstrip, newlines)
        if name == "else":
            case = self.blocks[-1] if self.blocks and self.blocks[-1].kind == "case" else None
            if case is not None:  # Liquid renders it when no when before it matched
                test = f"not ({' or '.join(case.when_tests)})" if case.when_tests else "true"
                return j("endif", lstrip) + j(f"if {test}", "", rstrip, newlines)
            return j("else", lstrip, rstrip, newlines)
        if name in ("endif", "endunless"):
            self.pop("if", "unless")
            return j("endif", lstrip, rstrip, newlines)
        if name == "for":
            return self.for_tag(markup, lstrip, rstrip, newlines, pos)
        if name == "endfor":
            self.pop("for")
            return j("endfor", lstrip, rstrip, newlines)
        if name in ("break", "continue"):
            return j(name, lstrip, rstrip, newlines)
        if name == "assign":
            match = _ASSIGN_RE.match(markup)
            if not match:
                raise LiquidSyntaxError("write it as {% assign name = value %}")
            value, problems = self.loose_expr(match.group(2), pos=pos)
            count["assign"] += 1
            return problems + j(
                f"set {self.target(match.group(1))} = {value}", lstrip, rstrip, newlines
            )
        if name == "capture":
            target = markup.strip().strip("\"'")
            if not re.fullmatch(r"[\w-]+\??", target):
                raise LiquidSyntaxError("write it as {% capture name %}")
            self.blocks.append(_Block("capture"))
            count["capture"] += 1
            return j(f"set {self.target(target)}", lstrip, rstrip, newlines)
        if name == "endcapture":
            self.pop("capture")
            return j("endset", lstrip, rstrip, newlines)
        if name == "case":
            value, problems = self.loose_expr(markup, pos=pos)
            self.case_count += 1
            variable = f"_case{self.case_count}"
            self.blocks.append(_Block("case", case_var=variable))
            count["case"] += 1
            return (
                problems
                + j(f"set {variable} = {value}", lstrip)
                + j("if false", "", rstrip, newlines)
            )
        if name == "when":
            block = next((b for b in reversed(self.blocks) if b.kind == "case"), None)
            if block is None:
                raise LiquidSyntaxError("'when' outside a case")
            values, problems = self.when_values(markup, pos)
            test = " or ".join(
                f"{block.case_var} is {_SPECIAL_VALUES[literal]}"
                if literal in _SPECIAL_VALUES
                else f"{block.case_var} == {value}"
                for value, literal in values
            )
            block.when_tests.append(f"({test})")
            # Liquid renders every when that matches, not only the first (one after an
            # else too)
            return problems + j("endif", lstrip) + j(f"if {test}", "", rstrip, newlines)
        if name == "endcase":
            self.pop("case")
            return j("endif", lstrip, rstrip, newlines)
        if name == "echo":
            value, problems = self.loose_expr(markup, pos=pos)
            count["echo"] += 1
            return problems + "{{" + lstrip + f" {value} " + "\n" * newlines + rstrip + "}}"
        if name == "#":
            count["comment"] += 1
            return "{#" + lstrip + markup.replace("#}", "# }") + rstrip + "#}"
        if name in ("increment", "decrement"):
            variable = markup.strip()
            if not re.fullmatch(r"[\w-]+", variable):
                raise LiquidSyntaxError(f"write it as {{% {name} name %}}")
            count[name] += 1
            return "{{" + lstrip + f' {name}("{variable}") ' + "\n" * newlines + rstrip + "}}"
        if name == "cycle":
            return self.cycle(markup, lstrip, rstrip, newlines, pos)
        if name in ("include", "include_relative"):
            return self.include(token, name, markup, lstrip, rstrip, pos)
        if name in ("link", "post_url"):
            return self.link(name, markup, lstrip, rstrip, newlines, pos)
        if name == "highlight":
            return self.highlight(markup, lstrip, rstrip, newlines, pos, token)
        if name == "endhighlight":
            block = self.pop("highlight")
            if block is None:
                return (
                    self.problem(pos, "ED301", "'endhighlight' without 'highlight'")
                    + "\n" * newlines
                )
            return "```" + "\n" * newlines
        if name in _BLOCK_UNSUPPORTED:
            self.blocks.append(_Block("unsupported"))
            return self.problem(pos, "ED311", f"unsupported Liquid tag '{name}'") + j(
                "if false", "", rstrip, newlines
            )
        if name.startswith("end") and name[3:] in _BLOCK_UNSUPPORTED:
            self.pop("unsupported")
            return j("endif", lstrip, rstrip, newlines)
        if name in UNSUPPORTED_TAGS:
            return self.problem(pos, "ED311", f"unsupported Liquid tag '{name}'") + "\n" * newlines
        shown = name or token.strip()[:30]
        return self.problem(pos, "ED311", f"unknown Liquid tag '{shown}'") + "\n" * newlines

    def pop(self, *kinds: str) -> _Block | None:
        for index in range(len(self.blocks) - 1, -1, -1):
            if self.blocks[index].kind in kinds:
                return self.blocks.pop(index)
        return None

    def target(self, name: str) -> str:
        if not self.liquid:
            return name
        if not _IDENT_RE.fullmatch(name) or name in _JINJA_KEYWORDS:
            raise LiquidSyntaxError(
                f"the variable name '{name}' cannot be carried over "
                "(use letters, digits and underscores)"
            )
        return f"vars.{name}"

    def for_tag(self, markup: str, lstrip: str, rstrip: str, newlines: int, pos: int) -> str:
        match = _FOR_RE.match(markup)
        if not match:
            raise LiquidSyntaxError("write it as {% for item in collection %}")
        variable, rest = match.group(1), match.group(2)
        scope = self.scope()
        parser = _Expr(rest, scope)
        collection = parser.primary()
        options: dict[str, str] = {}
        while not parser.at_end():
            word = parser.expect("name").text
            if word == "reversed":
                options["reversed"] = "true"
            elif word in ("limit", "offset"):
                parser.expect("punct", ":")
                value = parser.peek()
                if word == "offset" and value and value.text == "continue":
                    parser.take()
                    scope.unsupported.append("'offset: continue'")
                else:
                    options[word] = parser.primary()
            else:
                raise LiquidSyntaxError(f"unknown for-loop option '{word}'")
            parser.accept("punct", ",")
        self.constructs.update(scope.constructs)
        self.constructs["for"] += 1
        for option in options:
            self.constructs[f"for {option}"] += 1
        arguments = ", ".join(f"{k}={v}" for k, v in options.items())
        if collection.startswith("range(") and not options:
            iterable = collection
        elif self.liquid or options:
            iterable = f"{collection} | each({arguments})" if arguments else f"{collection} | each"
        else:
            iterable = collection
        self.blocks.append(_Block("for", loop_var=variable))
        problems = self.flush_unsupported(scope, pos)
        return problems + self.jinja(f"for {variable} in {iterable}", lstrip, rstrip, newlines)

    def when_values(self, markup: str, pos: int) -> tuple[list[tuple[str, str | None]], str]:
        """The values of a ``when``, each with the keyword literal it is (nil, empty...):
        Liquid compares with those as ``==`` does in a condition."""
        scope = self.scope()
        parser = _Expr(markup, scope)

        def value() -> tuple[str, str | None]:
            start = parser.pos
            text = parser.primary()
            return text, parser._literal_at(start)

        values = [value()]
        while not parser.at_end():
            if not (parser.accept("punct", ",") or parser.accept("name", "or")):
                raise LiquidSyntaxError(
                    f"separate the values of 'when' with commas or 'or' in '{markup.strip()}'"
                )
            values.append(value())
        self.constructs.update(scope.constructs)
        self.constructs["when"] += 1
        return values, self.flush_unsupported(scope, pos)

    def cycle(self, markup: str, lstrip: str, rstrip: str, newlines: int, pos: int) -> str:
        scope = self.scope()
        parser = _Expr(markup, scope)
        group = None
        token, after = parser.peek(), parser.peek(1)
        if token and after and after.kind == "punct" and after.text == ":":
            group = parser.primary()
            parser.expect("punct", ":")
        values = [parser.primary()]
        while parser.accept("punct", ","):
            values.append(parser.primary())
        parser.done()
        self.constructs["cycle"] += 1
        arguments = ", ".join(values) + (f", group={group}" if group else "")
        return "{{" + lstrip + f" cycle({arguments}) " + "\n" * newlines + rstrip + "}}"

    def include(
        self, token: str, name: str, markup: str, lstrip: str, rstrip: str, pos: int
    ) -> str:
        """Includes stay in Jekyll's form (our syntax too); variables in them are translated."""
        if not self.liquid:
            return token
        self.constructs[f"{name} (kept in Jekyll's form)"] += 1
        text = markup.strip()
        # the path: quoted, or up to the first blank outside {{ }}
        if text[:1] in "\"'":
            close = text.find(text[0], 1)
            if close < 0:
                return token
            path, params = text[: close + 1], text[close + 1 :]
        else:
            index = 0
            while index < len(text) and not text[index].isspace():
                if text.startswith("{{", index):
                    end = text.find("}}", index)
                    if end < 0:
                        return token
                    index = end + 2
                else:
                    index += 1
            path, params = text[:index], text[index:]
        if name == "include" and path.startswith("/") and not path.startswith("//"):
            path = path.lstrip("/")  # Jekyll joins it to _includes/ all the same
            self.constructs["include path from /"] += 1
        problems: list[str] = []

        def path_expr(match: re.Match[str]) -> str:
            value, problem = self.loose_expr(match.group(1), pos=pos)
            problems.append(problem)
            return "{{ " + value + " }}"

        try:
            path = re.sub(r"\{\{-?(.*?)-?\}\}", path_expr, path)
            translated: list[str] = []
            rest = params
            while rest.strip():
                match = _INCLUDE_PARAM_RE.match(rest)
                if not match:
                    return "".join(problems) + token  # templating reports it (ED308)
                value = match.group("value")
                if value[:1] not in "\"'":
                    value, problem = self.loose_expr(value, pos=pos)
                    problems.append(problem)
                translated.append(
                    f"{match.group('sp') or ' '}{match.group('key')}{match.group('eq')}{value}"
                )
                rest = rest[match.end() :]
        except LiquidSyntaxError:
            return token
        body = f"{name} {path}{''.join(translated)}"
        newlines = token.count("\n") - body.count("\n")
        # an include in a loop reads the loop's variables, as in Liquid
        loops = "".join(
            self.jinja(f"set vars.{v} = {v}")
            for v in self.loop_vars
            if _IDENT_RE.fullmatch(v) and v not in _JINJA_KEYWORDS
        )
        return "".join(problems) + loops + self.jinja(body, lstrip, rstrip, max(newlines, 0))

    def link(
        self, name: str, markup: str, lstrip: str, rstrip: str, newlines: int, pos: int
    ) -> str:
        """``{% link path %}`` and ``{% post_url name %}``: the URL Jekyll gives the file
        (the path may hold ``{{ variables }}``)."""
        text = markup.strip()
        if not text:
            raise LiquidSyntaxError(f"write it as {{% {name} path %}}")
        pieces: list[str] = []
        problems: list[str] = []
        position = 0
        for match in re.finditer(r"\{\{-?(.*?)-?\}\}", text):
            if match.start() > position:
                pieces.append(_quote_text(text[position : match.start()]))
            value, problem = self.expr(match.group(1), pos=pos)
            problems.append(problem)
            pieces.append(f"({value}) | string")
            position = match.end()
        if position < len(text):
            pieces.append(_quote_text(text[position:]))
        self.constructs[name] += 1
        function = "jekyll_link" if name == "link" else "jekyll_post_url"
        return (
            "".join(problems)
            + "{{"
            + lstrip
            + f" {function}({' ~ '.join(pieces)}) "
            + "\n" * newlines
            + rstrip
            + "}}"
        )

    def highlight(
        self, markup: str, lstrip: str, rstrip: str, newlines: int, pos: int, token: str
    ) -> str:
        """``{% highlight lang %}`` alone on its line becomes a fenced block."""
        line_start = self.src.rfind("\n", 0, pos) + 1
        before = self.src[line_start:pos]
        after_end = self.src.find("\n", pos + len(token))
        after = self.src[pos + len(token) : after_end if after_end >= 0 else len(self.src)]
        language = markup.split()[0] if markup.split() else ""
        if before.strip() or after.strip() or not re.fullmatch(r"[\w+#.-]*", language):
            return (
                self.problem(
                    pos, "ED311", "unsupported Liquid tag 'highlight' (only alone on its line)"
                )
                + "\n" * newlines
            )
        self.blocks.append(_Block("highlight"))
        self.constructs["highlight"] += 1
        return f"```{language}" + "\n" * newlines


def _quote_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fit_lines(translated: str, newlines: int) -> str:
    """Give a translated tag the newlines of the original (inside its last delimiters)."""
    missing = newlines - translated.count("\n")
    if missing <= 0:
        return translated
    if translated.endswith(("%}", "}}", "#}")):
        cut = len(translated) - 2
        if translated[cut - 1 : cut] == "-":
            cut -= 1
        return translated[:cut] + "\n" * missing + translated[cut:]
    return translated + "\n" * missing


def _mask_strings(text: str) -> str:
    return re.sub(r"\"[^\"]*\"|'[^']*'", lambda m: '"' + "x" * (len(m.group()) - 2) + '"', text)
