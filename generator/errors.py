"""Locations, diagnostics, the diagnostic codes and the error hierarchy.

Errors carry their locations as data (the places a message names too); ``report.py`` alone
decides how a diagnostic looks.
Every diagnostic code is registered in ``CODES`` with a one-line fix: that table is the
documentation page of the codes, so a code cannot exist without its explanation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"  # counted in the summary, not a problem (an example marked invalid)


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a file of the project: ``path`` is relative to the project root."""

    path: str
    line: int = 0  # 1-based; 0 when the whole file is meant
    col: int = 0  # 1-based; 0 when unknown

    def __str__(self) -> str:
        if not self.line:
            return self.path
        return f"{self.path}:{self.line}:{self.col}" if self.col else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class CodeInfo:
    title: str
    severity: Severity
    fix: str
    stage: str


def _code(title: str, fix: str, stage: str, severity: Severity = Severity.ERROR) -> CodeInfo:
    return CodeInfo(title, severity, fix, stage)


_LOAD, _RENDER, _EXAMPLE, _CONFIG = "front matter", "templates", "examples", "project"

#: The stable diagnostic codes. Never renumber; retire a code by leaving it unused.
CODES: dict[str, CodeInfo] = {
    "ED101": _code(
        "Front matter is not valid YAML",
        "Fix the YAML at the reported line; indent with spaces, quote values holding ': '.",
        _LOAD,
    ),
    "ED102": _code(
        "Duplicate front-matter key",
        "Keep one of the two entries; YAML would silently keep only the last.",
        _LOAD,
    ),
    "ED103": _code(
        "Front matter does not match the schema",
        "Give the key the type and value the element front-matter schema asks for.",
        _LOAD,
    ),
    "ED104": _code(
        "Unknown front-matter key",
        "Correct the spelling (see the suggestion) or remove the key.",
        _LOAD,
    ),
    "ED105": _code(
        "Element page without front matter",
        "Start the file with a '---' line, the YAML keys, and a closing '---' line.",
        _LOAD,
    ),
    "ED106": _code(
        "File cannot be read as UTF-8 text",
        "Save the file as UTF-8 text; binary files do not belong in content/.",
        _LOAD,
    ),
    "ED107": _code("Empty page", "Write the page, or delete the file.", _LOAD),
    "ED108": _code(
        "Element page without a hub",
        "Add 'hub: crm' (or helpdesk, finance, ...) so the page is grouped in navigation.",
        _LOAD,
        Severity.WARNING,
    ),
    "ED109": _code(
        "Page is a link to a file outside the project",
        "Copy the file into the docs folder; pages may not link to files outside the project.",
        _LOAD,
    ),
    "ED110": _code(
        "File is a link that leads out of its folder",
        "Copy the file into the tree if it belongs to the site, or remove the link; "
        "links out of the tree are not followed.",
        _LOAD,
    ),
    "ED500": _code(
        "Front-matter label is the template's placeholder",
        "Set apiKey, apiSecret or callbackURL to the provider's own name for the "
        "value (such as Client ID), or remove the key.",
        _LOAD,
        Severity.WARNING,
    ),
    "ED201": _code(
        "Example response element id differs from the page's elementId",
        "Make the example's element id and the front matter's elementId the same number.",
        _EXAMPLE,
    ),
    "ED202": _code(
        "Example element key differs from the page's elementKey",
        "Use {{ page.elementKey }} in the example, or correct the key.",
        _EXAMPLE,
    ),
    "ED203": _code(
        "Example response hub differs from the page's hub",
        "Make element.hub in the example match the page's hub.",
        _EXAMPLE,
    ),
    "ED210": _code(
        "JSON example does not parse",
        "Fix the JSON at the reported line and column (see the hint).",
        _EXAMPLE,
    ),
    "ED211": _code(
        "Example does not match its JSON Schema",
        "Change the value at the reported JSON path to what the schema asks for.",
        _EXAMPLE,
    ),
    "ED212": _code(
        "JSON block on an element page is not a known kind of example",
        "Mark the fence, e.g. ```json example=request (request, response, oauth-url, other).",
        _EXAMPLE,
        Severity.WARNING,
    ),
    "ED213": _code(
        "Unknown example kind in a fence's info string",
        "Use example=request, response, oauth-url, curl or other.",
        _EXAMPLE,
    ),
    "ED214": _code(
        "Duplicate key in a JSON example",
        "Keep one of the two entries; JSON readers keep only one of the values.",
        _EXAMPLE,
    ),
    "ED215": _code(
        "Code fence is never closed",
        "Close the block with a line of ``` (as many backticks as opened it); "
        "until then the rest of the page shows as code.",
        _EXAMPLE,
    ),
    "ED120": _code(
        "Examples name an element key but the page has no elementKey",
        "Add elementKey: to the front matter (the key the examples name) and "
        "write {{ page.elementKey }} in the examples.",
        _LOAD,
        Severity.WARNING,
    ),
    "ED241": _code(
        "Example marked invalid without a reason",
        "Give the reason in the fence's info string, invalid=\"why it is wrong "
        "on purpose\", or in an HTML comment 'invalid: why' on the line above "
        "the fence.",
        _EXAMPLE,
    ),
    "ED242": _code(
        "Example marked invalid on purpose (counted, not checked)",
        "Nothing to fix: remove the mark when the example should be checked again.",
        _EXAMPLE,
        Severity.NOTE,
    ),
    "ED216": _code(
        "Markdown nested too deeply to check",
        "Flatten the lists or quotes: past the reported line the nesting is deeper "
        "than readers or parsers handle.",
        _EXAMPLE,
        Severity.WARNING,
    ),
    "ED220": _code(
        "cURL example does not parse as a shell command",
        "Close the quote or remove the stray character the message points at.",
        _EXAMPLE,
    ),
    "ED221": _code(
        "cURL example does not call POST /instances",
        "Use 'curl -X POST <base>/instances' for an instance-creation example.",
        _EXAMPLE,
    ),
    "ED222": _code(
        "cURL example lacks a required header",
        "Add -H 'authorization: User <USER_SECRET>, Organization <ORGANIZATION_SECRET>' "
        "and -H 'content-type: application/json'.",
        _EXAMPLE,
    ),
    "ED223": _code(
        "cURL body differs from the JSON request body on the page",
        "Give the cURL -d body the same keys as the JSON body shown above it.",
        _EXAMPLE,
    ),
    "ED224": _code(
        "cURL -d body is not valid JSON", "Fix the JSON inside the -d '...' argument.", _EXAMPLE
    ),
    "ED230": _code(
        "Configuration keys differ from the parameters table",
        "List every configuration key of the request in the Parameters table, and only those.",
        _EXAMPLE,
    ),
    "ED240": _code(
        "Example holds what looks like a real secret",
        "Replace it with a placeholder such as <API_KEY> or xxxxxxxx.",
        _EXAMPLE,
    ),
    "ED250": _code(
        "Schema reference not followed",
        "Refer only to the project's schemas, by file name or $id, and to their "
        "parts ('#/$defs/NAME'): nothing is fetched from the network or read from "
        "files elsewhere.",
        _CONFIG,
    ),
    "ED251": _code(
        "Schema could not be applied to a value",
        "Fix the schema named in the message (a pattern that backtracks without "
        "end, a $ref that leads back to itself); until then the value is not "
        "checked.",
        _EXAMPLE,
    ),
    "ED301": _code(
        "Template syntax error",
        "Fix the tag at the reported line; every {% %} and {{ }} must be closed.",
        _RENDER,
    ),
    "ED302": _code(
        "Undefined variable",
        "Define the key (front matter, mkdocs.yml extra:, includes/_data/) or fix "
        "its spelling; use | default('...') where it may be absent.",
        _RENDER,
    ),
    "ED303": _code(
        "Unknown partial",
        "Create the partial under includes/ or correct the include path.",
        _RENDER,
    ),
    "ED304": _code(
        "Include path leaves includes/",
        "Include partials by a path relative to includes/, without '..' or '/'.",
        _RENDER,
    ),
    "ED305": _code("Include cycle", "Remove one include of the cycle shown in the chain.", _RENDER),
    "ED306": _code(
        "Includes nested too deeply",
        "Flatten the chain of includes (or raise max_include_depth).",
        _RENDER,
    ),
    "ED307": _code(
        "Template tried to reach something the sandbox forbids",
        "Templates may read page, site and include variables only.",
        _RENDER,
    ),
    "ED308": _code(
        "Bad include parameters",
        'Write parameters as key="value" or key=variable, separated by spaces.',
        _RENDER,
    ),
    "ED309": _code(
        "Template error while rendering",
        "Fix the expression at the reported line (see the message).",
        _RENDER,
    ),
    "ED310": _code(
        "Rendering exceeded a resource limit",
        "Reduce the loop or output size; the limits guard against runaway templates.",
        _RENDER,
    ),
    "ED311": _code(
        "Liquid construct that cannot be translated",
        "Rewrite it with the supported tags and filters (docs/jekyll.md lists "
        "them), or in Jinja syntax; until then that part of the page is left out.",
        _RENDER,
    ),
    "ED320": _code(
        "Link to a file the site does not have",
        "Give {% link %} the path of a page, document or file from the site's "
        "root (with its extension), and {% post_url %} a post's file name without "
        "extension, as Jekyll requires.",
        _RENDER,
    ),
    "ED321": _code(
        "Jekyll value not available here",
        "site.pages, site.posts, site.collections and the link tags are known when "
        "checking a Jekyll tree in place; in an imported tree, list the pages "
        "in a data file or link to them by their .md path.",
        _RENDER,
    ),
    "ED322": _code(
        "Link to a URL the site does not have",
        "Link to the page's .md file (MkDocs then writes its URL), or fix the "
        "path; an imported Jekyll tree keeps its pages' URLs under permalinks: "
        "in mkdocs.yml.",
        _RENDER,
        Severity.WARNING,
    ),
    "ED401": _code(
        "Project configuration error",
        "Fix mkdocs.yml or the command line as the message says.",
        _CONFIG,
    ),
    "ED402": _code(
        "Invalid JSON Schema file", "Fix the schema so it is valid JSON Schema 2020-12.", _CONFIG
    ),
    "ED403": _code(
        "Data file is not valid YAML",
        "Fix the YAML in includes/_data/ at the reported line.",
        _CONFIG,
    ),
}

#: The fixes of CODES said in a Jekyll tree's own words (its _config.yml, _includes/, _data/),
#: for a diagnostic without a hint of its own found in a tree checked in place.
JEKYLL_FIXES = {
    "ED302": "Define the key (front matter, _config.yml, _data/) or fix its spelling; use "
    "| default: '...' where it may be absent.",
    "ED303": "Create the partial under _includes/ or correct the include path.",
    "ED401": "Fix _config.yml or the command line as the message says.",
    "ED403": "Fix the data file in _data/ at the reported line.",
}


_CONTROL_RE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")


def printable(text: str) -> str:
    """``text`` with control characters (line breaks, escape sequences) shown as escapes
    such as \\n and \\x1b, so that it prints on one line and cannot drive a terminal."""
    return _CONTROL_RE.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    location: SourceLocation | None = None
    hint: str = ""
    included_from: tuple[SourceLocation, ...] = ()
    severity: Severity | None = None  # None: the code's default severity
    #: a problem in a partial, the same on every page that includes it, is reported once:
    #: these are the pages (besides the one ``included_from`` names) it affects
    also_in: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # One line, whatever the input: a message quotes keys, paths and text of the page,
        # which may hold line breaks or terminal escape sequences.
        for name in ("message", "hint"):
            value = getattr(self, name)
            if _CONTROL_RE.search(value):
                object.__setattr__(self, name, printable(value))

    @property
    def level(self) -> Severity:
        return self.severity or CODES[self.code].severity

    @property
    def is_error(self) -> bool:
        return self.level is Severity.ERROR

    def with_severity(self, severity: Severity) -> Diagnostic:
        return Diagnostic(
            self.code,
            self.message,
            self.location,
            self.hint,
            self.included_from,
            severity,
            self.also_in,
        )

    @property
    def pages(self) -> list[str]:
        """The pages the problem affects (for a problem in a partial: each including page)."""
        first = [self.included_from[-1].path] if self.included_from else []
        return first + list(self.also_in)

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location or SourceLocation("")
        return (loc.path, loc.line, loc.col, self.code)

    def to_dict(self) -> dict[str, Any]:
        loc = self.location
        return {
            "path": loc.path if loc else None,
            "line": loc.line if loc and loc.line else None,
            "column": loc.col if loc and loc.col else None,
            "severity": self.level.value,
            "code": self.code,
            "message": self.message,
            "hint": self.hint or CODES[self.code].fix,
            "included_from": [str(chain) for chain in self.included_from],
            "pages": self.pages,
        }

    def one_line(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.level.value} {self.code} {self.message}"


class Mention(NamedTuple):
    """A place a message names (1-based, in the text the message is about; ``col`` 0 names
    the line only). It stays data until shown, so that whoever maps the text's positions to
    a file's lines maps these too."""

    line: int
    col: int = 0


#: A message or hint: plain text, or text with the places it names as ``Mention``s.
Text = str | tuple[str | Mention, ...]


def spell(text: Text, where: Callable[[Mention], str] | None = None) -> str:
    """``text`` as one string; each mention shown by ``where`` (default "line N, col M")."""
    if isinstance(text, str):
        return text
    show = where or (lambda m: f"line {m.line}, col {m.col}" if m.col else f"line {m.line}")
    return "".join(part if isinstance(part, str) else show(part) for part in text)


class PositionedError(Exception):
    """A syntax error inside a text (a JSON block, a cURL command): a one-line message,
    1-based ``line``/``col`` in that text and a hint. The caller turns the position into a
    file location, and the places the message and hint name (``message_text``,
    ``hint_text``) into the file's lines."""

    def __init__(self, message: Text, line: int, col: int, hint: Text = "") -> None:
        super().__init__(message, line, col, hint)  # all args, so the error pickles
        self.message_text = message
        self.hint_text = hint
        self.message = spell(message)
        self.line = line
        self.col = col
        self.hint = spell(hint)

    def __str__(self) -> str:
        return f"line {self.line}, col {self.col}: {self.message}"


class ElementDocsError(Exception):
    """Base of the errors this package raises; each carries one diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.one_line())
        self.diagnostic = diagnostic


class ConfigError(ElementDocsError):
    """The project or the command line is misconfigured."""
