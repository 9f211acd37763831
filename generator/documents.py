"""Load stage: read a page, split and parse its front matter, keep every line number.

MkDocs turns broken front matter into an empty dict without a word; here every problem
becomes a diagnostic at the file's own line, and the page is still returned where it can be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from .errors import Diagnostic, SourceLocation
from .settings import Settings, yaml_error_position

HUB_KEYS = ("hub", "hdOrcrm")
_BOUNDARY = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)
_YAML_HANDLER = frontmatter.YAMLHandler()


@dataclass(frozen=True)
class Document:
    path: Path
    rel: str  # as diagnostics show it
    meta: dict[str, Any]
    body: str
    body_first_line: int  # the file line where ``body`` starts (1-based)
    key_lines: dict[str, int] = field(default_factory=dict)
    has_front_matter: bool = True

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
            key = self.construct_object(key_node, deep=True)  # type: ignore[no-untyped-call]
            line = key_node.start_mark.line + 1 + self.line_offset
            try:
                if key in seen:
                    self.duplicates.append((str(key), line))
                seen.add(key)
            except TypeError:  # unhashable key: the base class reports it
                continue
            if top:
                self.top_key_lines.setdefault(str(key), line)
        return super().construct_mapping(node, deep=deep)

    def get_single_node(self) -> Any:
        node = super().get_single_node()  # type: ignore[no-untyped-call]
        self._root = node
        return node


# Dates stay strings: front matter is compared and validated as text.
_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def decode(raw: bytes, rel: str) -> tuple[str | None, Diagnostic | None]:
    """Text of a file: UTF-8 (BOM dropped), line ends normalised; or a diagnostic."""
    if b"\0" in raw[:8192]:
        return None, Diagnostic("ED106", "binary file, not text", SourceLocation(rel, 1, 1),
                                "keep only Markdown text files in content/ and includes/")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Diagnostic("ED106", f"invalid UTF-8 byte 0x{raw[exc.start]:02x}",
                                SourceLocation(rel, line, col),
                                "save the file as UTF-8 (it may be Latin-1 or Windows-1252)")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, None


def parse_yaml_front_matter(text: str, rel: str, first_line: int
                            ) -> tuple[dict[str, Any], dict[str, int], list[Diagnostic]]:
    """Parse YAML whose first line is file line ``first_line``."""
    loader = _FrontMatterLoader(text)
    loader.line_offset = first_line - 1
    try:
        data = loader.get_single_data()  # type: ignore[no-untyped-call]
    except yaml.YAMLError as exc:
        return {}, {}, [_yaml_diagnostic(exc, text, rel, first_line)]
    finally:
        loader.dispose()  # type: ignore[no-untyped-call]
    diagnostics = [
        Diagnostic("ED102", f"duplicate key '{key}'", SourceLocation(rel, line, 1),
                   "YAML keeps only the last value; remove one of the two")
        for key, line in loader.duplicates
    ]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        diagnostics.append(Diagnostic("ED103", "front matter must be a mapping of keys to "
                                      f"values, not a {type(data).__name__}",
                                      SourceLocation(rel, first_line, 1)))
        return {}, {}, diagnostics
    return {str(k): v for k, v in data.items()}, loader.top_key_lines, diagnostics


def _yaml_diagnostic(exc: yaml.YAMLError, text: str, rel: str, first_line: int) -> Diagnostic:
    position = yaml_error_position(exc, text)
    line = first_line + position[0] if position else first_line
    col = position[1] + 1 if position else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    hint = "indent with spaces; quote values that contain ': ' or start with a special character"
    if "\t" in problem or "'\\t'" in problem:
        hint = "YAML does not allow tabs for indentation: use spaces"
    context = getattr(exc, "context", None)
    message = f"invalid YAML: {problem}" + (f" ({context})" if context else "")
    return Diagnostic("ED101", message, SourceLocation(rel, line, col), hint)


def parse_document(text: str, path: Path, rel: str) -> tuple[Document, list[Diagnostic]]:
    """Split front matter from body; the body keeps its file line numbers."""
    if not _YAML_HANDLER.detect(text) or not text.startswith("-"):
        return Document(path, rel, {}, text, 1, has_front_matter=False), []
    opening = _BOUNDARY.match(text)
    closing = _BOUNDARY.search(text, opening.end()) if opening else None
    if not opening or not closing:
        return (Document(path, rel, {}, text, 1, has_front_matter=False),
                [Diagnostic("ED101", "front matter is not closed",
                            SourceLocation(rel, 1, 1),
                            "end the front matter with a line holding only '---'")])
    yaml_text = text[opening.end() + 1: closing.start()]
    meta, key_lines, diagnostics = parse_yaml_front_matter(yaml_text, rel, 2)
    body_start = closing.end() + 1 if closing.end() < len(text) else len(text)
    body_first_line = text.count("\n", 0, body_start) + 1
    document = Document(path, rel, meta, text[body_start:], body_first_line, key_lines)
    return document, diagnostics


def load_document(path: Path, settings: Settings) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one page; a page that cannot be read at all comes back as None."""
    rel = settings.rel(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return None, [Diagnostic("ED106", f"cannot read file: {reason}",
                                 SourceLocation(rel), "check that the file exists and is "
                                 "readable; it may have been moved during the run")]
    text, problem = decode(raw, rel)
    if text is None:
        return None, [problem] if problem else []
    document, diagnostics = parse_document(text, path, rel)
    in_elements = is_element_path(path, settings)
    if not text.strip():
        diagnostics.append(Diagnostic("ED107", "the page is empty", SourceLocation(rel, 1, 1)))
    elif in_elements and path.name == "authenticate.md" and not document.has_front_matter:
        diagnostics.append(Diagnostic("ED105", "element page has no front matter",
                                      SourceLocation(rel, 1, 1)))
    return document, diagnostics


def is_element_path(path: Path, settings: Settings) -> bool:
    try:
        parts = path.resolve().relative_to(settings.docs_dir.resolve()).parts
    except ValueError:
        return False
    return len(parts) >= 3 and parts[0] == "elements"


def iter_pages(settings: Settings, only: list[Path] | None = None) -> Iterator[Path]:
    """Markdown pages under docs_dir in a stable order (or the given ones)."""
    if only:
        for path in only:
            if path.is_dir():
                yield from sorted(p for p in path.rglob("*.md") if p.is_file())
            else:
                yield path
        return
    if settings.docs_dir.is_dir():
        yield from sorted(p for p in settings.docs_dir.rglob("*.md") if p.is_file())
