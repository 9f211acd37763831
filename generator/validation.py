"""Validate stage: examples against their JSON Schemas and against the page's front matter.

Checks run on the rendered page; every finding is reported at the *source* line the
offending text came from (a partial's line, with the page that included it).
"""

from __future__ import annotations

import difflib
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urlparse

from jsonschema.exceptions import ValidationError

from .curl import CurlCommand, CurlParseError, parse_curl
from .documents import Document
from .errors import Diagnostic, SourceLocation
from .examples import (
    CURL,
    OAUTH_URL,
    OTHER,
    REQUEST,
    RESPONSE,
    Example,
    PageBlocks,
    Table,
)
from .jsonlocate import (
    JSONLocateError,
    JSONPath,
    LocatedJSON,
    format_path,
    parse,
    parse_lazily,
)
from .schemas import FRONT_MATTER, SchemaFailure, SchemaStore
from .schemas import OAUTH_URL as OAUTH_SCHEMA
from .schemas import REQUEST as REQUEST_SCHEMA
from .schemas import RESPONSE as RESPONSE_SCHEMA
from .templating import RenderResult

SCHEMA_OF_KIND = {REQUEST: REQUEST_SCHEMA, RESPONSE: RESPONSE_SCHEMA, OAUTH_URL: OAUTH_SCHEMA}
SourceLines = Callable[[str, int], str | None]  # (path, line) -> the line's text
Within = Callable[[int, int], tuple[int, int]] | None


# --- front matter --------------------------------------------------------------------------


def check_front_matter(doc: Document, schemas: SchemaStore) -> list[Diagnostic]:
    if not doc.is_element:
        return _html_in_front_matter(doc, set())
    validator = schemas.get(FRONT_MATTER)
    diagnostics: list[Diagnostic] = []
    reported: set[str] = set()  # keys the schema has found fault with
    if validator is not None:
        known = list(validator.schema.get("properties", {}))
        try:
            errors = schemas.errors(FRONT_MATTER, doc.meta)
        except SchemaFailure as failure:
            errors = []
            diagnostics.append(Diagnostic("ED251", failure.message,
                                          SourceLocation(doc.rel, 1, 1), failure.hint))
        for error in sorted(errors, key=lambda e: list(e.path)):
            diagnostics.extend(_front_matter_error(doc, error, known))
            if error.path:
                reported.add(str(error.path[0]))
    diagnostics.extend(_html_in_front_matter(doc, reported))
    diagnostics.extend(_placeholder_labels(doc))
    if doc.hub is None and doc.path.name == "authenticate.md":
        # the element's hub is read from its authenticate page (the catalog and navigation
        # take it from there); its other pages (events, bulk, API docs) need not repeat it
        diagnostics.append(Diagnostic("ED108", "element page has no hub (hub: or hdOrcrm:)",
                                      SourceLocation(doc.rel, 1, 1)))
    return diagnostics


#: The labels the element-page template ships with: placeholders for the provider's own names.
PLACEHOLDER_LABELS = {"apiKey": "Key Name", "apiSecret": "Secret Name",
                      "callbackURL": "Callback URL Name"}


def _placeholder_labels(doc: Document) -> list[Diagnostic]:
    """``apiKey: Key Name`` and its siblings: left from the template, they would be
    published as the provider's real names (the shared partials leave them out)."""
    return [Diagnostic("ED500", f"'{key}: {value}' is the template's placeholder, not the "
                       "provider's name for the value", doc.key_location(key),
                       "write the provider's own label (Client ID, Consumer Key, ...) or "
                       "remove the key")
            for key, value in PLACEHOLDER_LABELS.items() if doc.meta.get(key) == value]


_HTML_TAG_RE = re.compile(r"<[A-Za-z/!?]")  # where a browser starts a tag


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _html_in_front_matter(doc: Document, reported: set[str]) -> list[Diagnostic]:
    """Any front-matter value (of any page) holding an HTML tag: ``{{ page.x }}`` and the
    theme publish such values as they are, so a <script> there would run in the reader's
    browser. Keys the schema has already reported are not reported twice."""
    found = []
    for key, value in doc.meta.items():
        if str(key) in reported:
            continue
        tagged = next((text for text in _strings(value) if _HTML_TAG_RE.search(text)), None)
        if tagged is None:
            continue
        found.append(Diagnostic(
            "ED103", f"'{key}': {_short(tagged)} contains HTML markup: front matter is plain "
            "text, and HTML here would be published as markup wherever the value is shown",
            doc.key_location(str(key)), "remove the tags and write plain text"))
    return found


def _front_matter_error(doc: Document, error: ValidationError,
                        known: list[str]) -> list[Diagnostic]:
    if error.validator == "additionalProperties" and not error.path:
        found = []
        for key in sorted(set(doc.meta) - set(known)):
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = (f"did you mean '{close[0]}'?" if close else
                    "remove it, or add it to the project's front-matter schema")
            found.append(Diagnostic("ED104", f"unknown front-matter key '{key}'",
                                    doc.key_location(key), hint))
        return found
    key = str(error.path[0]) if error.path else ""
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else "a key"
        return [Diagnostic("ED103", f"missing required key '{name}'",
                           SourceLocation(doc.rel, 1, 1),
                           f"add '{name}:' to the front matter")]
    location = doc.key_location(key) if key else SourceLocation(doc.rel, 1, 1)
    value = doc.meta.get(key)
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" and isinstance(custom, str):
        # the schema explains its own rule (e.g. no HTML in heading/title/seo/description)
        hint = error.schema.get("x-hint")
        return [Diagnostic("ED103", f"'{key}': {_short(value)} {custom}", location,
                           hint if isinstance(hint, str) else "")]
    return [Diagnostic("ED103", f"'{key}': {_schema_message(error, value)}", location)]


def _schema_message(error: ValidationError, value: Any) -> str:
    if error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"expected {_article(str(wanted))}, got {_json_type(value)} {_short(value)}"
    if error.validator == "pattern":
        return f"{_short(value)} does not have the expected form ({error.validator_value})"
    return str(error.message)


def _article(word: str) -> str:
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null" if value is None else type(value).__name__


def _short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- examples --------------------------------------------------------------------------------


@dataclass
class PageContext:
    doc: Document
    rendered: RenderResult
    source_line: SourceLines
    schemas: SchemaStore

    @cached_property
    def lines(self) -> list[str]:
        """The rendered page's lines (0-based), split once per page."""
        return self.rendered.text.split("\n")

    def where(self, example: Example, line_in_block: int, col: int = 0) -> tuple[
            SourceLocation, tuple[SourceLocation, ...]]:
        """Source location of a 1-based line/col inside an example's content."""
        rendered_line = example.first_line + max(line_in_block, 1) - 1
        origin = self.rendered.origin(rendered_line)
        lines = self.lines
        out_text = lines[rendered_line] if 0 <= rendered_line < len(lines) else ""
        source = self.source_line(origin.path, origin.line) if origin.line else None
        source_col = _source_column(out_text, source, col + example.indent) if col else 0
        return SourceLocation(origin.path, origin.line, source_col), origin.chain

    def at(self, example: Example, line: int, col: int, code: str, message: str,
           hint: str = "") -> Diagnostic:
        location, chain = self.where(example, line, col)
        return Diagnostic(code, message, location, hint, chain)

    def file_lines(self, example: Example, text: str, within: Within = None) -> str:
        """``text`` (a parser's message or hint) with its block-relative "line N[, col M]"
        references turned into the file's own lines, as the diagnostic's location is."""

        home = self.where(example, 1)[0].path  # the file the block is in

        def to_file(match: re.Match[str]) -> str:
            line, col = int(match.group(1)), int(match.group(2) or 0)
            if within is not None:
                line, mapped_col = within(line, max(col, 1))
                col = mapped_col if col else 0
            location, _ = self.where(example, line, col)
            where = f"line {location.line}" if location.path == home else \
                f"{location.path}:{location.line}"
            return f"{where}, col {location.col}" if col and location.col else where

        return _LINE_REF_RE.sub(to_file, text)

    def at_path(self, example: Example, located: LocatedJSON, path: JSONPath, code: str,
                message: str, hint: str = "", key: bool = False,
                within: Within = None) -> Diagnostic:
        """At the value (or key) of ``path``; ``within`` maps positions inside a cURL
        argument to positions in the block."""
        position = (located.key_positions.get(path) if key else None) or \
            located.position_of(path)
        line, col = position.line, position.col
        if within is not None:
            line, col = within(line, col)
        return self.at(example, line, col, code, message, hint)

    def at_rendered_line(self, rendered_line: int, code: str, message: str,
                         hint: str = "") -> Diagnostic:
        origin = self.rendered.origin(rendered_line)
        return Diagnostic(code, message, origin.location(1), hint, origin.chain)


_LINE_REF_RE = re.compile(r"\bline (\d+)(?:, col (\d+))?")


def _source_column(out_text: str, source: str | None, out_col: int) -> int:
    """The source column of rendered column ``out_col`` (they differ after templating)."""
    if source is None or source == out_text:
        return out_col
    token = re.match(r"\S{1,40}", out_text[out_col - 1:]) if out_col >= 1 else None
    if token:
        found = source.find(token.group(0))
        if found >= 0:
            return found + 1
    return len(source) - len(source.lstrip()) + 1


def check_examples(ctx: PageContext, blocks: PageBlocks) -> list[Diagnostic]:
    doc = ctx.doc
    diagnostics: list[Diagnostic] = [
        ctx.at_rendered_line(line, "ED216", "lists or quotes nested too deeply from here: "
                             "blocks inside this nesting are not checked")
        for line in blocks.too_deep]
    requests: list[tuple[Example, LocatedJSON]] = []  # every request body, in page order
    curls: list[tuple[Example, CurlCommand, LocatedJSON | None]] = []
    for example in blocks.examples:
        kind = example.kind
        schema_name = SCHEMA_OF_KIND.get(kind, kind)
        if kind not in (REQUEST, RESPONSE, OAUTH_URL, CURL, OTHER) and \
                ctx.schemas.get(schema_name) is None:
            diagnostics.append(ctx.at_rendered_line(
                example.fence_line, "ED213", f"unknown example kind '{kind}' in the fence "
                "info string",
                                      "use example=request, response, oauth-url, curl, other "
                                      "or the name of a schema in the project's schemas/"))
            continue
        if kind == CURL:
            parsed = _check_curl(ctx, example, diagnostics)
            if parsed:
                curls.append(parsed)
            continue
        if example.json_error is not None and (example.looks_like_json or kind != OTHER):
            error = example.json_error
            diagnostics.append(ctx.at(example, error.line, error.col, "ED210",
                                      "invalid JSON: " + ctx.file_lines(example, error.message),
                                      ctx.file_lines(example, error.hint)))
            located = _before_extra_closer(example)
            if located is None:
                continue
        else:
            located = example.json
        if located is None:
            continue
        diagnostics.extend(ctx.at_path(example, located, path, "ED214",
                                       f"duplicate key {format_path(path)}",
                                       "JSON readers keep only one of the two values")
                           for path, _ in located.duplicate_keys)
        if kind == OTHER:
            # example=other is the author saying so: nothing to warn about
            if doc.is_element and example.override is None and \
                    isinstance(located.value, dict | list):
                diagnostics.append(ctx.at(example, 1, 1, "ED212",
                                          "JSON block is not a request, response or OAuth URL "
                                          "example, so nothing checks it"))
            continue
        try:
            errors = ctx.schemas.errors(schema_name, located.value)
        except SchemaFailure as failure:
            errors = []
            diagnostics.append(ctx.at(example, 1, 1, "ED251", failure.message, failure.hint))
        for error in errors:
            diagnostics.append(_schema_diagnostic(ctx, example, located, error, schema_name))
        if kind == RESPONSE:
            diagnostics.extend(_check_response(ctx, example, located))
        elif kind == REQUEST:
            diagnostics.extend(_check_request(ctx, example, located))
            requests.append((example, located))
        elif kind == OAUTH_URL:
            diagnostics.extend(_check_oauth_url(ctx, example, located))
    for example, command, body in curls:
        request = _request_for(example, requests)
        if body is not None and request is not None:
            diagnostics.extend(_compare_bodies(ctx, example, command, body, request))
    diagnostics.extend(_check_parameters_table(ctx, blocks.tables, requests, curls))
    diagnostics.extend(_check_fences_closed(ctx, blocks.examples))
    return diagnostics


# an opening fence, after any list-item or block-quote markers in front of it
_FENCE_OPEN_RE = re.compile(r"(?:[ \t>]|[-+*][ \t]|\d{1,9}[.)][ \t])*(`{3,}|~{3,})")
# a closing fence: a run of the opening's character, at least as long as the opening
_FENCE_CLOSE_RE = {mark: re.compile(rf"[ \t>]*({re.escape(mark)}+)[ \t]*") for mark in "`~"}


def _check_fences_closed(ctx: PageContext, examples: list[Example]) -> list[Diagnostic]:
    """A fence left open turns the rest of the page (or list item) into one code block."""
    lines = ctx.lines
    found = []
    for example in examples:
        if not 0 <= example.fence_line < len(lines):
            continue
        opening = _FENCE_OPEN_RE.match(lines[example.fence_line])
        if opening is None:
            continue  # an indented code block: nothing to close
        marker = opening.group(1)
        closing_at = example.fence_line + 1 + example.text.count("\n")
        closing = lines[closing_at] if closing_at < len(lines) else ""
        closer = _FENCE_CLOSE_RE[marker[0]].fullmatch(closing)
        if closer and len(closer.group(1)) >= len(marker):
            continue
        origin = ctx.rendered.origin(example.fence_line)
        found.append(Diagnostic(
            "ED215", f"the code fence opened here with {marker} is never closed",
            origin.location(opening.start(1) + 1),
            f"end the block with a line holding only {marker}", origin.chain))
    return found


def _schema_diagnostic(ctx: PageContext, example: Example, located: LocatedJSON,
                       error: ValidationError, schema_name: str) -> Diagnostic:
    path: JSONPath = tuple(error.absolute_path)
    key = False
    message = error.message
    if error.validator == "additionalProperties":
        extras = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        extra = next((e for e in extras if isinstance(error.instance, dict)
                      and e in error.instance), None)
        if extra is not None:
            path, key = (*path, extra), True
            message = f"unexpected key '{extra}'"
    elif error.validator == "required":
        message = error.message.replace("is a required property", "is required here")
    elif error.validator == "type":
        message = _schema_message(error, error.instance)
    where = format_path(tuple(error.absolute_path))
    return ctx.at_path(example, located, path, "ED211",
                       f"{where}: {message} ({schema_name} schema)", key=key)


def _lookup(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _check_response(ctx: PageContext, example: Example, located: LocatedJSON
                    ) -> list[Diagnostic]:
    doc, value = ctx.doc, located.value
    found: list[Diagnostic] = []
    page_id = doc.meta.get("elementId")
    for path in (("element", "id"), ("elementId",)):
        shown = _lookup(value, *path)
        if isinstance(page_id, int) and isinstance(shown, int) and shown != page_id:
            found.append(ctx.at_path(
                example, located, path, "ED201",
                f"{format_path(path)} is {shown} but the page's elementId is {page_id}",
                f"use one id: set elementId ({doc.key_location('elementId')}) and the "
                "example to the element's real id"))
    found.extend(_key_check(ctx, example, located, ("element", "key")))
    hub = _lookup(value, "element", "hub")
    if isinstance(hub, str) and doc.hub and hub.lower() != doc.hub.lower():
        found.append(ctx.at_path(example, located, ("element", "hub"), "ED203",
                                 f"$.element.hub is '{hub}' but the page's hub is "
                                 f"'{doc.hub}'"))
    found.extend(_secret_checks(ctx, example, located, [("token",)]))
    return found


def _key_check(ctx: PageContext, example: Example, located: LocatedJSON, path: JSONPath,
               within: Within = None) -> list[Diagnostic]:
    page_key = ctx.doc.meta.get("elementKey")
    shown = _lookup(located.value, *[str(p) for p in path])
    if isinstance(page_key, str) and isinstance(shown, str) and shown != page_key:
        return [ctx.at_path(example, located, path, "ED202",
                            f"{format_path(path)} is '{shown}' but the page's elementKey is "
                            f"'{page_key}'", "write {{ page.elementKey }} instead of the key",
                            within=within)]
    return []


def _check_request(ctx: PageContext, example: Example, located: LocatedJSON,
                   within: Within = None) -> list[Diagnostic]:
    found = _key_check(ctx, example, located, ("element", "key"), within)
    paths: list[JSONPath] = []
    for section in ("configuration", "providerData"):
        block = _lookup(located.value, section)
        if isinstance(block, dict):
            paths.extend((section, key) for key in block)
    found.extend(_secret_checks(ctx, example, located, paths, within))
    return found


def _check_oauth_url(ctx: PageContext, example: Example, located: LocatedJSON
                     ) -> list[Diagnostic]:
    return _key_check(ctx, example, located, ("element",))


# --- secrets ------------------------------------------------------------------------------

_PLACEHOLDER_RE = re.compile(
    r"^<[^>]*>$|^\{[^}]*\}$|^\$\{.*\}$|^\{\{.*\}\}$|x{4,}|X{4,}|\*{3,}|\.\.\.|your|example|"
    r"fake|placeholder|dummy|sample|changeme|redacted|^[^\w]*$", re.IGNORECASE)
_SECRET_FORMATS = re.compile(
    r"AKIA[0-9A-Z]{16}|sk_live_[0-9a-zA-Z]{10,}|gh[pousr]_[0-9A-Za-z]{30,}|xox[abpr]-[0-9A-Za-z-]{10,}"
    r"|eyJ[\w-]{8,}\.eyJ[\w-]{8,}|-----BEGIN [A-Z ]*PRIVATE KEY|AIza[0-9A-Za-z_-]{30,}")
_URL_CREDENTIALS_RE = re.compile(r"https?://[^/\s:@]+:[^/\s@]+@")
_HOST_NAME_RE = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?")
_TOP_LEVEL_DOMAIN_RE = re.compile(r"\.[A-Za-z]{2,}$")
_DIGIT_RE = re.compile(r"\d")
_LETTER_RE = re.compile(r"[A-Za-z]")


def looks_like_secret(value: str) -> bool:
    """True for values that look like real credentials rather than placeholders."""
    if _SECRET_FORMATS.search(value):
        return True
    if _PLACEHOLDER_RE.search(value) or value.startswith(("http://", "https://")):
        return bool(_URL_CREDENTIALS_RE.match(value))  # credentials in a URL
    candidate = value.strip()
    if _HOST_NAME_RE.fullmatch(candidate) and _TOP_LEVEL_DOMAIN_RE.search(candidate):
        return False  # a host name, not a secret
    if len(candidate) < 16 or " " in candidate:
        return False
    if not (_DIGIT_RE.search(candidate) and _LETTER_RE.search(candidate)):
        return False
    counts = Counter(candidate)
    entropy = -sum(n / len(candidate) * math.log2(n / len(candidate)) for n in counts.values())
    return entropy >= 3.5


# the same placeholders and sample values recur on page after page
_seems_secret = lru_cache(maxsize=4096)(looks_like_secret)


def _secret_checks(ctx: PageContext, example: Example, located: LocatedJSON,
                   paths: Iterable[JSONPath], within: Within = None) -> list[Diagnostic]:
    found = []
    for path in paths:
        value = _lookup(located.value, *[str(p) for p in path])
        if isinstance(value, str) and _seems_secret(value):
            found.append(ctx.at_path(example, located, path, "ED240",
                                     f"{format_path(path)} looks like a real credential",
                                     within=within))
    return found


# --- cURL ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _url_path(url: str) -> str:
    """The path part of a cURL URL (most pages call the same few URLs)."""
    return urlparse(url).path if "://" in url else url.split("?")[0]


_OAUTH_PATH_RE = re.compile(r"/elements/([^/]+)/oauth/url")
_AUTH_SECRET_RE = re.compile(r"(?:User|Organization|Element)\s+([^,\s]+)")


def _check_curl(ctx: PageContext, example: Example, diagnostics: list[Diagnostic]
                ) -> tuple[Example, CurlCommand, LocatedJSON | None] | None:
    try:
        command = parse_curl(example.text)
    except CurlParseError as exc:
        diagnostics.append(ctx.at(example, exc.line, exc.col, "ED220",
                                  "cURL command does not parse: " +
                                  ctx.file_lines(example, exc.message),
                                  ctx.file_lines(example, exc.hint)))
        return None
    url = command.url or ""
    path = _url_path(url)
    oauth = _OAUTH_PATH_RE.search(path)
    if oauth and not oauth.group(1).startswith("{"):
        page_key = ctx.doc.meta.get("elementKey")
        if isinstance(page_key, str) and oauth.group(1) != page_key:
            arg = command.url_arg
            diagnostics.append(ctx.at(example, arg.line if arg else 1, arg.col if arg else 1,
                                      "ED202", f"the OAuth URL names element "
                                      f"'{oauth.group(1)}' but the page's elementKey is "
                                      f"'{page_key}'"))
    # the -d body is parsed once; a syntax error in it is reported below, at its line
    body: LocatedJSON | None = None
    body_error: JSONLocateError | None = None
    if command.data is not None:
        try:
            body = parse_lazily(command.data.text)  # positions only for a diagnostic
        except JSONLocateError as exc:
            body_error = exc
    body_value = body.value if body is not None else None
    sends_instance = isinstance(body_value, dict) and "element" in body_value and bool(
        {"configuration", "providerData", "name"} & body_value.keys())
    to_instances = path.rstrip("/").endswith("/instances")
    if not (to_instances or sends_instance or (command.data is not None and
                                                "/instances" in path)):
        return None
    if not to_instances:
        arg = command.url_arg
        diagnostics.append(ctx.at(example, arg.line if arg else 1, arg.col if arg else 1,
                                  "ED221", f"cURL sends an instance body to '{url or '(no URL)'}'"
                                  "; instances are created at .../instances"))
    if command.effective_method != "POST":
        diagnostics.append(ctx.at(example, 1, 1, "ED221", f"cURL creates an instance with "
                                  f"{command.effective_method}; POST /instances is required"))
    names = {name: value for name, value, _ in command.headers}
    if "authorization" not in names:
        diagnostics.append(ctx.at(example, 1, 1, "ED222", "cURL lacks the authorization "
                                  "header (User and Organization secrets)"))
    else:
        for name, value, arg in command.headers:
            if name == "authorization":
                secrets = _AUTH_SECRET_RE.findall(value)
                if any(_seems_secret(s) for s in secrets):
                    diagnostics.append(ctx.at(example, arg.line, arg.col, "ED240",
                                              "the authorization header holds what looks "
                                              "like a real secret"))
    if "json" not in names.get("content-type", ""):
        diagnostics.append(ctx.at(example, 1, 1, "ED222", "cURL lacks "
                                  "-H 'content-type: application/json'"))
    if command.data is None:
        diagnostics.append(ctx.at(example, 1, 1, "ED221", "cURL to /instances sends no -d "
                                  "JSON body"))
        return None
    if command.data.text.startswith("@"):
        return None  # the body is read from a file the page does not show
    within = command.data.source_position
    if body is None:
        assert body_error is not None  # there is data, and it did not parse
        line, col = within(body_error.line, body_error.col)
        diagnostics.append(ctx.at(example, line, col, "ED224",
                                  "the -d body is not valid JSON: " +
                                  ctx.file_lines(example, body_error.message, within),
                                  ctx.file_lines(example, body_error.hint, within)))
        return example, command, None
    diagnostics.extend(_check_request(ctx, example, body, within))
    return example, command, body


def _before_extra_closer(example: Example) -> LocatedJSON | None:
    """A block that is complete JSON followed by a stray '}' or ']' (a common slip): the
    value before it, so the rest of the checks still run on what the author meant."""
    error = example.json_error
    if error is None or "no object is open" not in error.message and \
            "no array is open" not in error.message:
        return None
    lines = example.text.split("\n")
    offset = sum(len(line) + 1 for line in lines[:error.line - 1]) + error.col - 1
    try:
        return parse(example.text[:offset])
    except JSONLocateError:
        return None


def _request_for(curl: Example, requests: list[tuple[Example, LocatedJSON]]
                 ) -> tuple[Example, LocatedJSON] | None:
    """The JSON request body a cURL example repeats: the last one shown before it (a page
    may show several variants, each followed by its cURL), else the first one after it."""
    before = [r for r in requests if r[0].fence_line < curl.fence_line]
    return before[-1] if before else (requests[0] if requests else None)


def _key_paths(value: Any) -> set[JSONPath]:
    """The path of every object key in ``value``, at any depth (through objects only)."""
    paths: set[JSONPath] = set()
    todo: list[tuple[JSONPath, Any]] = [((), value)]
    while todo:
        prefix, item = todo.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                path = (*prefix, key)
                paths.add(path)
                todo.append((path, child))
    return paths


def _compare_bodies(ctx: PageContext, example: Example, command: CurlCommand,
                    body: LocatedJSON, request: tuple[Example, LocatedJSON]
                    ) -> list[Diagnostic]:
    request_example, request_json = request
    mine, theirs = _key_paths(body.value), _key_paths(request_json.value)
    within = command.data.source_position if command.data else None
    found = []
    for path in sorted(mine - theirs, key=str):
        found.append(ctx.at_path(example, body, path, "ED223",
                                 f"the cURL body has {format_path(path)}, which the JSON "
                                 "request body does not", key=True, within=within))
    for path in sorted(theirs - mine, key=str):
        if path[:-1] in theirs - mine:
            continue  # its parent is already reported
        found.append(ctx.at_path(request_example, request_json, path, "ED223",
                                 f"the JSON request body has {format_path(path)}, which the "
                                 "cURL body does not", key=True))
    return found


# --- parameters table ------------------------------------------------------------------------


def _parameters_table(tables: list[Table]) -> Table | None:
    for table in tables:
        first = table.header[0].lower() if table.header else ""
        if first.strip("` ") in ("parameter", "parameters", "name") and \
                table.heading.lower().startswith("parameter"):
            return table
    return None


def _check_parameters_table(ctx: PageContext, tables: list[Table],
                            requests: list[tuple[Example, LocatedJSON]],
                            curls: list[tuple[Example, CurlCommand, LocatedJSON | None]]
                            ) -> list[Diagnostic]:
    """Every configuration key of every request body is in the table; every key the table
    lists is in at least one of them (a page may show variants: OAuth, API key, events)."""
    table = _parameters_table(tables)
    bodies = [(example, located, _lookup(located.value, "configuration"))
              for example, located in requests]
    bodies = [(e, loc, conf) for e, loc, conf in bodies if isinstance(conf, dict)]
    if table is None or not bodies:
        return []
    listed: dict[str, int] = {}
    for line, _cells, spans in table.rows:
        for span in spans[:1]:
            for name in span:
                if "." in name:
                    listed.setdefault(name.strip(), line)
    found = []
    for example, located, configuration in bodies:
        for key in configuration:
            if key not in listed:
                found.append(ctx.at_path(example, located, ("configuration", key), "ED230",
                                         f"configuration key '{key}' is not in the "
                                         "Parameters table", key=True))
    every_key = {key for _, _, configuration in bodies for key in configuration}
    for name, line in listed.items():
        if name not in every_key:
            found.append(ctx.at_rendered_line(
                line, "ED230", f"the Parameters table lists '{name}', which the request "
                "body's configuration does not have"))
    return found
