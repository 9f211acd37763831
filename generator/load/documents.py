"""Load stage: read a page, split and parse its front matter, keep every line number.

MkDocs turns broken front matter into an empty dict without a word; here every problem
becomes a diagnostic at the file's own line, and the page is still returned where it can be.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from generator.errors import Diagnostic, SourceLocation
from generator.load.files import decode, display_path, is_element_path, read_page_bytes
from generator.settings import Settings, yaml_error_position

HUB_KEYS = ("hub", "hdOrcrm")


@dataclass(frozen=True, slots=True)
class Document:
    """One page: its front matter, parsed, and its body (the text after the front matter).

    A project keeps the documents of all its pages for the whole run, but needs a page's
    body only while that page is checked; on a large project the bodies would be most of
    the memory the run takes. So a document may be loaded without its body
    (``stored_body`` is None, see ``load_document(keep_body=False)``): ``body`` then reads
    it from the file again, and ``with_body`` gives the document back with its body."""

    path: Path
    rel: str  # as diagnostics show it
    meta: dict[str, Any]
    stored_body: str | None  # None: the body was not kept and is read again when needed
    body_first_line: int  # the file line where ``body`` starts (1-based)
    key_lines: dict[str, int] = field(default_factory=dict)
    has_front_matter: bool = True
    #: how the page was read (the project's folders and limits): needed to read it again
    settings: Settings | None = field(default=None, compare=False, repr=False)

    @property
    def body(self) -> str:
        """The body; for a document loaded without it, read from the file as it is now.

        Raises ``OSError`` when the file can no longer be read as a page."""
        if self.stored_body is not None:
            return self.stored_body
        if self.settings is None:
            raise ValueError(f"{self.rel}: the document was loaded without its body")
        raw, problem = read_page_bytes(self.path, self.rel, self.settings)
        text, problem = (None, problem) if raw is None else decode(raw, self.rel)
        if text is None:
            raise OSError(problem.one_line() if problem else f"cannot read {self.rel}")
        return text[body_start(text) :]

    def with_body(self, text: str) -> Document:
        """This document holding its body, cut from ``text``: the very text (decoded file
        content) it was parsed from, so the front matter need not be parsed again."""
        return replace(self, stored_body=text[body_start(text) :])

    @property
    def hub(self) -> str | None:
        for key in HUB_KEYS:
            value = self.meta.get(key)
            if isinstance(value, str) and value:
                return value
        return None

    @property
    def is_element(self) -> bool:
        return "elementKey" in self.meta or "elementId" in self.meta

    def key_location(self, key: str) -> SourceLocation:
        return SourceLocation(self.rel, self.key_lines.get(key, 1), 1)


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when built


class _FrontMatterLoader(_BaseLoader):  # type: ignore[misc]
    """Safe YAML that keeps dates as text, reports duplicate keys and remembers key lines."""

    line_offset = 0

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, int]] = []
        self.top_key_lines: dict[str, int] = {}

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        top = node is getattr(self, "_root", None)
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1 + self.line_offset
            try:
                if key in seen:
                    self.duplicates.append((str(key), line))
                seen.add(key)
            except TypeError:  # unhashable key: the base class reports it
                continue
            if top:
                self.top_key_lines.setdefault(str(key), line)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        self._root = node
        return node

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """YAML's integer, or a YAML error at its line when it has more digits than Python
        turns into a number (``sys.get_int_max_str_digits``: a 5,000-digit value would
        raise ValueError from deep inside the parser)."""
        try:
            value: int = super().construct_yaml_int(node)
        except ValueError:
            digits = sum(char.isdigit() for char in str(node.value))
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the number has {digits:,} digits, more than the "
                f"{sys.get_int_max_str_digits():,} a number may have here",
                node.start_mark,
            ) from None
        return value


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", _FrontMatterLoader.construct_yaml_int)


# Dates stay strings: front matter is compared and validated as text.
_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml_front_matter(
    text: str, rel: str, first_line: int
) -> tuple[dict[str, Any], dict[str, int], list[Diagnostic]]:
    """Parse YAML whose first line is file line ``first_line``."""
    simple = simple_front_matter(text, first_line)
    if simple is not None:
        return simple[0], simple[1], []
    return yaml_front_matter(text, rel, first_line)


class FrontMatter(dict[str, Any]):
    """Front matter as python-frontmatter's handler gives it (a dict of its keys), with
    the file line of each top-level key and the problems found reading it."""

    def __init__(
        self, meta: dict[str, Any], key_lines: dict[str, int], diagnostics: list[Diagnostic]
    ) -> None:
        super().__init__(meta)
        self.key_lines, self.diagnostics = key_lines, diagnostics


class FrontMatterHandler(YAMLHandler):
    """python-frontmatter's YAML handler, reading with our loader: dates kept as text,
    duplicate keys reported, the line of every key kept and every YAML problem reported at
    the file's own line. The boundary is a line of three or more dashes and nothing else
    but spaces or tabs (the stock handler's ``\\s*`` would also eat the blank lines after
    it, and with them the line numbers)."""

    FM_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)

    def load(self, fm: str, **kwargs: object) -> FrontMatter:
        """``fm`` as python-frontmatter's ``split`` gives it (from the end of the opening
        line on); ``rel``: the page as diagnostics show it."""
        rel = str(kwargs.get("rel", ""))
        # the split leaves the opening line's end: the YAML itself starts on line 2
        meta, key_lines, diagnostics = parse_yaml_front_matter(fm[1:], rel, 2)
        return FrontMatter(meta, key_lines, diagnostics)


_HANDLER = FrontMatterHandler()


# A line of the front matter most pages have: ``key: value`` with a plain value. Anything
# else (quotes, lists, indented lines, comments after a value...) is left to YAML.
# (YAML reads a key of at most 1,024 characters without quotes; longer ones go to YAML.)
_SIMPLE_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]{0,999}):(?: +(.*))?")
_PLAIN_FIRST_BAD = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_SIMPLE_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null")}
_STR_TAG = "tag:yaml.org,2002:str"
_NOT_PRINTABLE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


@lru_cache(maxsize=1)
def _scalar_loader() -> Any:
    """One loader, made on first use, whose resolver and constructors read plain values."""
    return _FrontMatterLoader("")


def simple_front_matter(text: str, first_line: int) -> tuple[dict[str, Any], dict[str, int]] | None:
    """(meta, key lines) of front matter made only of ``key: plain value`` lines, comment
    lines and blank lines, exactly as YAML reads it; None for anything else, which YAML
    then reads. YAML's own parser costs most of loading a page; nearly every page's front
    matter is this simple."""
    if not text.isascii() or _NOT_PRINTABLE.search(text):
        return None  # tabs, and what YAML refuses or reads its own way
    loader = _scalar_loader()
    meta: dict[str, Any] = {}
    key_lines: dict[str, int] = {}
    for number, line in enumerate(text.split("\n"), start=first_line):
        if not line.strip(" ") or line.startswith("#"):
            continue
        match = _SIMPLE_LINE.fullmatch(line)
        if match is None:
            return None
        key, value = match.group(1), match.group(2) or ""
        comment = value.find(" #")  # a comment after the value
        value = (value if comment < 0 else value[:comment]).rstrip(" ")
        if key in meta or loader.resolve(yaml.ScalarNode, key, (True, False)) != _STR_TAG:
            return None  # a duplicate (reported by YAML), or a key that is not text
        if value and (value[0] in _PLAIN_FIRST_BAD or value.endswith(":") or ": " in value):
            return None
        tag = loader.resolve(yaml.ScalarNode, value, (True, False))
        if tag == _STR_TAG:
            meta[sys.intern(key)] = sys.intern(value) if len(value) <= 80 else value
        elif tag in _SIMPLE_TAGS:
            try:
                meta[sys.intern(key)] = loader.yaml_constructors[tag](
                    loader, yaml.ScalarNode(tag, value)
                )
            except yaml.YAMLError:
                return None  # YAML's own parser reports it, at its line
        else:
            return None
        key_lines[sys.intern(key)] = number
    return (meta, key_lines) if meta else None


def yaml_front_matter(
    text: str, rel: str, first_line: int
) -> tuple[dict[str, Any], dict[str, int], list[Diagnostic]]:
    """``parse_yaml_front_matter`` by YAML's own parser, whatever the text holds."""
    loader = _FrontMatterLoader(text)
    loader.line_offset = first_line - 1
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        return {}, {}, [_yaml_diagnostic(exc, text, rel, first_line)]
    finally:
        loader.dispose()
    diagnostics = [
        Diagnostic(
            "ED102",
            f"duplicate key '{key}'",
            SourceLocation(rel, line, 1),
            "YAML keeps only the last value; remove one of the two",
        )
        for key, line in loader.duplicates
    ]
    if data is None:
        data = {}
    too_big = _expansion_too_big(data, loader.top_key_lines, first_line)
    if too_big is not None:
        line, problem = too_big
        code, message, hint = _SHAPE_PROBLEMS[problem]
        return {}, {}, [Diagnostic(code, message, SourceLocation(rel, line, 1), hint)]
    if not isinstance(data, dict):
        diagnostics.append(
            Diagnostic(
                "ED103",
                f"front matter must be a mapping of keys to values, not a {type(data).__name__}",
                SourceLocation(rel, first_line, 1),
            )
        )
        return {}, {}, diagnostics
    # Keys, and short text values, are shared with the pages that have the same ones: a
    # project keeps the front matter of every page, and most of it repeats from page to page.
    meta = {
        sys.intern(str(k)): sys.intern(v) if type(v) is str and len(v) <= 80 else v
        for k, v in data.items()
    }
    key_lines = {sys.intern(k): line for k, line in loader.top_key_lines.items()}
    return meta, key_lines, diagnostics


MAX_YAML_VALUES = 100_000
MAX_YAML_DEPTH = 100

_SHAPE_PROBLEMS = {  # code, message, hint
    "big": (
        "ED310",
        f"the front matter expands to more than {MAX_YAML_VALUES:,} values through YAML aliases",
        "write the values out instead of repeating them with &anchors and *aliases",
    ),
    "deep": (
        "ED310",
        f"the front matter nests lists or mappings more than {MAX_YAML_DEPTH} levels deep",
        "flatten the value; front matter holds a page's facts",
    ),
    "cycle": (
        "ED101",
        "the value contains itself through a YAML alias (a *alias inside the "
        "value its &anchor names)",
        "write the value out; an alias may not point into the value that holds it",
    ),
}


def _expansion_too_big(
    data: Any, key_lines: dict[str, int], first_line: int
) -> tuple[int, str] | None:
    """The line of the key whose value cannot be used, and why: bigger than MAX_YAML_VALUES
    once its aliases are expanded (a "billion laughs" document is small until it is
    printed), nested deeper than MAX_YAML_DEPTH, or holding itself through an alias. Walked
    with an explicit stack: a deeply nested value must not exhaust Python's recursion."""
    budget = [MAX_YAML_VALUES]
    if isinstance(data, dict):
        for key, value in data.items():
            problem = _shape_problem(key, budget) or _shape_problem(value, budget)
            if problem:
                return key_lines.get(str(key), first_line), problem
        return None
    problem = _shape_problem(data, budget)
    return (first_line, problem) if problem else None


def _shape_problem(root: Any, budget: list[int]) -> str | None:
    stack: list[tuple[Any, int, bool]] = [(root, 0, False)]
    open_ids: set[int] = set()  # the containers on the path from root to here
    while stack:
        value, depth, leaving = stack.pop()
        if leaving:
            open_ids.discard(id(value))
            continue
        budget[0] -= 1
        if budget[0] < 0:
            return "big"
        if isinstance(value, dict | list):
            if id(value) in open_ids:
                return "cycle"
            if depth >= MAX_YAML_DEPTH:
                return "deep"
            open_ids.add(id(value))
            stack.append((value, depth, True))
            children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
            stack.extend((child, depth + 1, False) for child in children)
    return None


def _yaml_diagnostic(exc: yaml.YAMLError, text: str, rel: str, first_line: int) -> Diagnostic:
    position = yaml_error_position(exc, text)
    line = first_line + position[0] if position else first_line
    col = position[1] + 1 if position else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    hint = "indent with spaces; quote values that contain ': ' or start with a special character"
    lines = text.split("\n")
    at = (
        lines[position[0]][position[1] : position[1] + 1]
        if position and position[0] < len(lines)
        else ""
    )
    if at == "\t" or "\t" in problem or "'\\t'" in problem or "tab character" in problem:
        hint = "YAML does not allow tabs for indentation: use spaces"
        problem = "a tab character cannot indent YAML"
    elif "digits, more than" in problem:
        hint = "quote the value to keep it as text, or shorten it"
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    opened = getattr(exc, "context_mark", None)
    if (
        context
        and "while parsing a flow" in context
        and opened is not None
        and position
        and opened.line < position[0]
    ):
        # a bracket left open: the parser notices lines later, the mistake is where it opened
        bracket = text.split("\n")[opened.line][opened.column : opened.column + 1] or "["
        message = f"invalid YAML: the '{bracket}' here is never closed (at line {line}: {problem})"
        line, col = first_line + opened.line, opened.column + 1
        hint = f"close it with '{ {'[': ']', '{': '}'}.get(bracket, ']') }'"
    return Diagnostic("ED101", message, SourceLocation(rel, line, col), hint)


def _split(text: str) -> tuple[str, str] | None:
    """(front matter, body) as python-frontmatter splits them, or None when the text has
    no front matter; ValueError when its front matter is never closed.

    (``frontmatter.loads`` itself is not used: it strips the text and the body, which
    would lose the body's line numbers and take a page whose first line is blank as one
    with front matter, where Jekyll and MkDocs see none.)

    Cost, measured on the 1,002 pages of the benchmarks' 1,000-page project (median of 9,
    both ways in one process): parse_document 54.6 ms with the former hand-written split,
    61.0 ms through python-frontmatter, 6 microseconds a page, about 0.1% of a
    ``generator check`` of that project (5-6 s)."""
    if not text.startswith("-") or not YAMLHandler.FM_BOUNDARY.match(text):
        return None  # python-frontmatter's own test for YAML front matter
    if not _HANDLER.detect(text):
        raise ValueError("the first line is not a boundary")
    fm, content = _HANDLER.split(text)
    return fm, content[1:] if content.startswith("\n") else content


def body_start(text: str) -> int:
    """The offset in ``text`` where the body starts (0 when there is no closed front
    matter: then the whole text is the body)."""
    try:
        parts = _split(text)
    except ValueError:
        return 0
    return 0 if parts is None else len(text) - len(parts[1])


def parse_document(
    text: str, path: Path, rel: str, keep_body: bool = True, settings: Settings | None = None
) -> tuple[Document, list[Diagnostic]]:
    """Split front matter from body with python-frontmatter (our handler parses the
    YAML); the body keeps its file line numbers.

    Without ``keep_body`` the document holds only its front matter (and ``settings``,
    to read the body again)."""
    try:
        parts = _split(text)
    except ValueError:
        document = Document(
            path, rel, {}, text if keep_body else None, 1, has_front_matter=False, settings=settings
        )
        return document, [
            Diagnostic(
                "ED101",
                "front matter is not closed",
                SourceLocation(rel, 1, 1),
                "end the front matter with a line holding only '---'",
            )
        ]
    if parts is None:
        return Document(
            path, rel, {}, text if keep_body else None, 1, has_front_matter=False, settings=settings
        ), []
    fm, body = parts
    meta = _HANDLER.load(fm, rel=rel)
    body_first_line = text.count("\n", 0, len(text) - len(body)) + 1
    document = Document(
        path,
        rel,
        dict(meta),
        body if keep_body else None,
        body_first_line,
        meta.key_lines,
        settings=settings,
    )
    return document, meta.diagnostics


def load_document(
    path: Path, settings: Settings, keep_body: bool = True
) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one page; a page that cannot be read at all comes back as None.

    ``keep_body=False`` keeps only the front matter (see ``Document``)."""
    rel = display_path(path, settings)
    raw, problem = read_page_bytes(path, rel, settings)
    if raw is None:
        return None, [problem] if problem else []
    return document_from_bytes(raw, path, rel, settings, keep_body)


def document_from_bytes(
    raw: bytes, path: Path, rel: str, settings: Settings, keep_body: bool = True
) -> tuple[Document | None, list[Diagnostic]]:
    """The page parsed from the bytes of its file, with every problem of its content
    (``rel``: its path as diagnostics show it, see ``display_path``)."""
    text, problem = decode(raw, rel)
    if text is None:
        return None, [problem] if problem else []
    if len(text) > settings.max_output_chars:
        return None, [
            Diagnostic(
                "ED310",
                f"the page is {len(text):,} characters long; a page may have at most "
                f"{settings.max_output_chars:,}",
                SourceLocation(rel, 1, 1),
                "split it into several pages",
            )
        ]
    document, diagnostics = parse_document(text, path, rel, keep_body, settings)
    in_elements = is_element_path(path, settings)
    if not text.strip():
        diagnostics.append(Diagnostic("ED107", "the page is empty", SourceLocation(rel, 1, 1)))
    elif (
        in_elements
        and path.name == "authenticate.md"
        and not document.has_front_matter
        and not diagnostics
    ):  # an unclosed front matter is already reported
        diagnostics.append(
            Diagnostic("ED105", "element page has no front matter", SourceLocation(rel, 1, 1))
        )
    elif (
        in_elements and path.name == "authenticate.md" and not document.meta and not diagnostics
    ):  # '---' then '---': nothing the element needs is there
        diagnostics.append(
            Diagnostic(
                "ED105",
                "element page has empty front matter",
                SourceLocation(rel, 1, 1),
                "write the element's keys (heading, title, elementId, "
                "elementKey, hub) between the two '---' lines",
            )
        )
    return document, diagnostics
