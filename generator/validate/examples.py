"""Example checks: each example block against its JSON Schema and against the page: ids, keys,
hub, the cURL command and its body, parameters tables, secrets.

Checks run on the rendered page; every finding is reported at the *source* line the
offending text came from (a partial's line, with the page that included it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urlparse

from jsonschema.exceptions import ValidationError

from generator.errors import Diagnostic, Mention, Severity, SourceLocation, Text, spell
from generator.extract.blocks import (
    CURL,
    OAUTH_URL,
    OTHER,
    REQUEST,
    RESPONSE,
    Example,
    PageBlocks,
    Table,
    classify_object,
)
from generator.extract.jsonlocate import (
    JSONLocateError,
    JSONPath,
    LocatedJSON,
    format_path,
    parse,
    parse_lazily,
)
from generator.load.documents import Document
from generator.render.sourcemap import RenderResult
from generator.validate.curl import CurlCommand, CurlParseError, parse_curl
from generator.validate.front_matter import page_value
from generator.validate.schema_messages import schema_message
from generator.validate.schemas import OAUTH_URL as OAUTH_SCHEMA
from generator.validate.schemas import REQUEST as REQUEST_SCHEMA
from generator.validate.schemas import RESPONSE as RESPONSE_SCHEMA
from generator.validate.schemas import SchemaFailure, SchemaStore
from generator.validate.secrets import looks_like_secret

SCHEMA_OF_KIND = {REQUEST: REQUEST_SCHEMA, RESPONSE: RESPONSE_SCHEMA, OAUTH_URL: OAUTH_SCHEMA}
SourceLines = Callable[[str, int], str | None]  # (path, line) -> the line's text
Within = Callable[[int, int], tuple[int, int]] | None


# --- front matter --------------------------------------------------------------------------


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

    def where(
        self, example: Example, line_in_block: int, col: int = 0
    ) -> tuple[SourceLocation, tuple[SourceLocation, ...]]:
        """Source location of a 1-based line/col inside an example's content."""
        rendered_line = example.first_line + max(line_in_block, 1) - 1
        origin = self.rendered.origin(rendered_line)
        lines = self.lines
        out_text = lines[rendered_line] if 0 <= rendered_line < len(lines) else ""
        source = self.source_line(origin.path, origin.line) if origin.line else None
        source_col = _source_column(out_text, source, col + example.indent) if col else 0
        return SourceLocation(origin.path, origin.line, source_col), origin.chain

    def at(
        self, example: Example, line: int, col: int, code: str, message: str, hint: str = ""
    ) -> Diagnostic:
        location, chain = self.where(example, line, col)
        return Diagnostic(code, message, location, hint, chain)

    def file_lines(self, example: Example, text: Text, within: Within = None) -> str:
        """``text`` (a parser's message or hint) with the places it names, given in the
        block's lines, shown as the file's own lines, as the diagnostic's location is."""

        home = self.where(example, 1)[0].path  # the file the block is in

        def to_file(mention: Mention) -> str:
            line, col = mention
            if within is not None:
                line, mapped_col = within(line, max(col, 1))
                col = mapped_col if col else 0
            location, _ = self.where(example, line, col)
            where = (
                f"line {location.line}"
                if location.path == home
                else f"{location.path}:{location.line}"
            )
            return f"{where}, col {location.col}" if col and location.col else where

        return spell(text, to_file)

    def at_path(
        self,
        example: Example,
        located: LocatedJSON,
        path: JSONPath,
        code: str,
        message: str,
        hint: str = "",
        key: bool = False,
        within: Within = None,
    ) -> Diagnostic:
        """At the value (or key) of ``path``; ``within`` maps positions inside a cURL
        argument to positions in the block."""
        position = (located.key_positions.get(path) if key else None) or located.position_of(path)
        line, col = position.line, position.col
        if within is not None:
            line, col = within(line, col)
        return self.at(example, line, col, code, message, hint)

    def at_rendered_line(
        self, rendered_line: int, code: str, message: str, hint: str = ""
    ) -> Diagnostic:
        origin = self.rendered.origin(rendered_line)
        return Diagnostic(code, message, origin.location(1), hint, origin.chain)


def _source_column(out_text: str, source: str | None, out_col: int) -> int:
    """The source column of rendered column ``out_col`` (they differ after templating)."""
    if source is None or source == out_text:
        return out_col
    token = re.match(r"\S{1,40}", out_text[out_col - 1 :]) if out_col >= 1 else None
    if token:
        found = source.find(token.group(0))
        if found >= 0:
            return found + 1
    return len(source) - len(source.lstrip()) + 1


def check_examples(ctx: PageContext, blocks: PageBlocks) -> list[Diagnostic]:
    doc = ctx.doc
    diagnostics: list[Diagnostic] = [
        ctx.at_rendered_line(
            line,
            "ED216",
            "lists or quotes nested too deeply from here: "
            "blocks inside this nesting are not checked",
        )
        for line in blocks.too_deep
    ]
    requests: list[tuple[Example, LocatedJSON]] = []  # every request body, in page order
    fragments: list[tuple[Example, LocatedJSON]] = []  # configuration fragments
    curls: list[tuple[Example, CurlCommand, LocatedJSON | None]] = []
    named_keys: list[tuple[Example, LocatedJSON, JSONPath, Within]] = []
    checked: list[Example] = []
    flow = _page_flow(ctx, blocks)
    for example in blocks.examples:
        if example.invalid is not None:
            diagnostics.append(_marked_invalid(ctx, example))
            continue  # shown wrong on purpose: nothing else to say about it
        checked.append(example)
        kind = example.kind
        schema_name = SCHEMA_OF_KIND.get(kind, kind)
        if (
            kind not in (REQUEST, RESPONSE, OAUTH_URL, CURL, OTHER)
            and ctx.schemas.get(schema_name) is None
        ):
            diagnostics.append(
                ctx.at_rendered_line(
                    example.fence_line,
                    "ED213",
                    f"unknown example kind '{kind}' in the fence info string",
                    "use example=request, response, oauth-url, curl, other "
                    "or the name of a schema in the project's schemas/",
                )
            )
            continue
        if kind == CURL:
            parsed = _check_curl(ctx, example, diagnostics, named_keys)
            if parsed:
                curls.append(parsed)
            continue
        if example.json_error is not None and (example.looks_like_json or kind != OTHER):
            if _loose_fence(example) and not (doc.is_element and _has_example_shape(example.text)):
                continue  # no language, not JSON and not shaped like an example: prose
            error = example.json_error
            message = ctx.file_lines(example, error.message_text)
            diagnostics.append(
                ctx.at(
                    example,
                    error.line,
                    error.col,
                    "ED210",
                    "invalid JSON: " + message,
                    ctx.file_lines(example, error.hint_text),
                )
            )
            located = tolerant_read(example.text)
            if located is None:
                continue
            if kind == OTHER and isinstance(located.value, dict):
                kind = classify_object(located.value, example.heading)
            if kind in (REQUEST, RESPONSE):
                # what can still be read is still compared with the front matter
                diagnostics.extend(_front_matter_facts(ctx, example, located, kind, named_keys))
            continue
        located = example.json
        if located is None:
            continue
        diagnostics.extend(
            ctx.at_path(
                example,
                located,
                path,
                "ED214",
                f"duplicate key {format_path(path)}",
                "JSON readers keep only one of the two values",
            )
            for path, _ in located.duplicate_keys
        )
        if kind == OTHER:
            if _is_configuration_fragment(located.value):
                fragments.append((example, located))
                continue
            # example=other is the author saying so: nothing to warn about; a block that
            # has nothing of an instance example is some other JSON (an error message...)
            if doc.is_element and example.override is None and _near_instance(located.value):
                diagnostics.append(
                    ctx.at(
                        example,
                        1,
                        1,
                        "ED212",
                        "JSON block is not a request, response or OAuth URL "
                        "example, so nothing checks it",
                    )
                )
            continue
        request_flow = _request_flow(located.value, flow) if kind == REQUEST else flow
        try:
            errors = ctx.schemas.errors(schema_name, located.value)
        except SchemaFailure as failure:
            errors = []
            diagnostics.append(ctx.at(example, 1, 1, "ED251", failure.message, failure.hint))
        for error in errors:
            if kind == REQUEST and request_flow != "oauth2" and _oauth2_only(error):
                continue  # providerData.code and the callback URL belong to OAuth 2
            diagnostics.append(_schema_diagnostic(ctx, example, located, error, schema_name))
        if kind == RESPONSE:
            diagnostics.extend(_check_response(ctx, example, located, named_keys))
        elif kind == REQUEST:
            diagnostics.extend(_check_request(ctx, example, located, named_keys=named_keys))
            requests.append((example, located))
        elif kind == OAUTH_URL:
            diagnostics.extend(_check_oauth_url(ctx, example, located))
    for example, command, body in curls:
        if body is None:
            continue  # no -d body (or none that parses): nothing to compare
        request = request_for(example, body, requests)
        if request is not None:
            diagnostics.extend(_compare_bodies(ctx, example, command, body, request))
    diagnostics.extend(_check_parameters_table(ctx, blocks.tables, requests, fragments, curls))
    diagnostics.extend(_check_fences_closed(ctx, checked))
    diagnostics.extend(_key_without_element_key(ctx, named_keys))
    return diagnostics


# --- deliberately invalid examples, loose fences, shapes --------------------------------------


def _marked_invalid(ctx: PageContext, example: Example) -> Diagnostic:
    if not example.invalid:
        return ctx.at_rendered_line(
            example.fence_line,
            "ED241",
            "example marked invalid without a reason",
            'say why it is wrong on purpose: invalid="shows the error a missing comma gives"',
        )
    return ctx.at_rendered_line(
        example.fence_line, "ED242", f"example marked invalid on purpose: {example.invalid}"
    )


def _loose_fence(example: Example) -> bool:
    """A fence without a language (or indented code) that was not marked as an example."""
    return example.lang == "" and example.override is None


_EXAMPLE_SHAPE_RE = re.compile(
    r'"(?:element|elementId|configuration|providerData|oauthUrl|'
    r'token)"\s*:'
)


def _has_example_shape(text: str) -> bool:
    return bool(_EXAMPLE_SHAPE_RE.search(text))


_INSTANCE_KEYS = {"element", "elementId", "configuration", "providerData", "oauthUrl", "token"}


def _near_instance(value: Any) -> bool:
    """A JSON value that has something of an instance example without being one."""
    if not isinstance(value, dict):
        return False
    if "token" in value and "secret" in value and "element" not in value:
        return False  # an OAuth 1 token answer: a known shape, not an instance
    return bool(_INSTANCE_KEYS & value.keys())


_CONFIG_KEY_RE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")


def _is_configuration_fragment(value: Any) -> bool:
    """``{"event.notification.enabled": true, ...}``: keys to add to ``configuration``."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(key, str) and _CONFIG_KEY_RE.fullmatch(key) for key in value)
    )


# --- the tolerant second reading of JSON that does not parse -------------------------------


def tolerant_read(text: str) -> LocatedJSON | None:
    """What can still be read of JSON that does not parse: the common slips (a missing or
    trailing comma, a stray closer, a comment, an unclosed bracket) mended in place, every
    line kept where it was so the positions still point into ``text``; None when the text
    cannot be mended that way."""
    for _ in range(MAX_MENDS):
        try:
            return parse(text)
        except JSONLocateError as exc:
            mended = _mend(text, exc)
            if mended is None or mended == text:
                return None
            text = mended
    return None


MAX_MENDS = 20


def _mend(text: str, error: JSONLocateError) -> str | None:
    lines = text.split("\n")
    offset = sum(len(line) + 1 for line in lines[: error.line - 1]) + error.col - 1
    message = error.message
    if "missing comma" in message:
        blank = offset - 1
        while blank >= 0 and text[blank] in " \t\n":
            if text[blank] in " \t":
                return text[:blank] + "," + text[blank + 1 :]
            blank -= 1
        return text[:offset] + "," + text[offset:]
    if "trailing comma" in message:
        comma = text.rfind(",", 0, offset + 1)
        return None if comma < 0 else text[:comma] + " " + text[comma + 1 :]
    if text[offset : offset + 1] == ",":  # a doubled comma: ",,"
        return text[:offset] + " " + text[offset + 1 :]
    if "no object is open" in message or "no array is open" in message:
        return text[:offset]
    if "comments are not allowed" in message:
        end = text.find("\n", offset)
        end = len(text) if end < 0 else end
        return text[:offset] + " " * (end - offset) + text[end:]
    if "unexpected end of input" in message:
        opened = re.search(r"'([\[{])' opened", message)
        if opened:
            return text + ("}" if opened.group(1) == "{" else "]")
    return None


def _front_matter_facts(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    kind: str,
    named_keys: list[tuple[Example, LocatedJSON, JSONPath, Within]],
    within: Within = None,
) -> list[Diagnostic]:
    """The ids and keys of an example compared with the front matter (nothing else)."""
    if kind == RESPONSE:
        found = _id_checks(ctx, example, located)
        found.extend(_key_check(ctx, example, located, ("element", "key"), within, named_keys))
        return found
    return _key_check(ctx, example, located, ("element", "key"), within, named_keys)


def _key_without_element_key(
    ctx: PageContext, named: list[tuple[Example, LocatedJSON, JSONPath, Within]]
) -> list[Diagnostic]:
    """An element page without elementKey whose examples name the element's key: the
    key is not compared with anything, so the page says so, once."""
    doc = ctx.doc
    if not doc.is_element or page_value(doc, "elementKey") is not None or not named:
        return []
    example, located, path, within = named[0]
    shown = _lookup(located.value, *[str(p) for p in path])
    return [
        ctx.at_path(
            example,
            located,
            path,
            "ED120",
            f"the example names the element key '{shown}' but the page has no "
            "elementKey, so nothing checks it",
            f"add 'elementKey: {shown}' to the front matter, and write "
            "{{ page.elementKey }} in the example",
            within=within,
        )
    ]


# --- auth flows ---------------------------------------------------------------------------


_FLOW_WORDS = (
    ("oauth1", re.compile(r"\boauth\s*1(?:\.0a?)?\b|\brequest token\b", re.I)),
    ("client_credentials", re.compile(r"\bclient[ _]credentials\b", re.I)),
)


def _page_flow(ctx: PageContext, blocks: PageBlocks) -> str:
    """The authentication flow the page documents: authType, else what its text says
    (OAuth 1, client credentials), else OAuth 2 when it shows an OAuth URL step."""
    explicit = ctx.doc.meta.get("authType")
    if isinstance(explicit, str):
        return explicit
    text = ctx.rendered.text
    if not re.search(r"\boauth\s*2", text, re.I):
        for flow, words in _FLOW_WORDS:
            if words.search(text):
                return flow
    return "oauth2"


def _request_flow(value: Any, page_flow: str) -> str:
    """The flow of one request body: its authentication.type, or its providerData."""
    configuration = _lookup(value, "configuration")
    declared = configuration.get("authentication.type") if isinstance(configuration, dict) else None
    if isinstance(declared, str) and declared.strip():
        lowered = declared.lower()
        if "oauth2" in lowered or lowered == "oauth":
            return "oauth2"
        return lowered
    provider = _lookup(value, "providerData")
    if isinstance(provider, dict):
        if "code" in provider:
            return "oauth2"
        if provider.keys() & {"oauth_token", "oauth_verifier", "token", "secret"}:
            return "oauth1"
    return page_flow


def _oauth2_only(error: ValidationError) -> bool:
    """A schema error that only an OAuth 2 authorization-code request can have."""
    schema_path = list(error.schema_path)
    if error.validator == "required" and "providerData" in schema_path:
        return True
    return "then" in schema_path and "callback" in error.message


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
        found.append(
            Diagnostic(
                "ED215",
                f"the code fence opened here with {marker} is never closed",
                origin.location(opening.start(1) + 1),
                f"end the block with a line holding only {marker}",
                origin.chain,
            )
        )
    return found


def _schema_diagnostic(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    error: ValidationError,
    schema_name: str,
) -> Diagnostic:
    path: JSONPath = tuple(error.absolute_path)
    key = False
    message = error.message
    if error.validator == "additionalProperties":
        extras = re.findall(r"'([^']+)'", error.message.split("(")[-1])
        extra = next(
            (e for e in extras if isinstance(error.instance, dict) and e in error.instance), None
        )
        if extra is not None:
            path, key = (*path, extra), True
            message = f"unexpected key '{extra}'"
    elif error.validator == "required":
        message = error.message.replace("is a required property", "is required here")
    elif error.validator == "type":
        message = schema_message(error, error.instance)
    where = format_path(tuple(error.absolute_path))
    return ctx.at_path(
        example, located, path, "ED211", f"{where}: {message} ({schema_name} schema)", key=key
    )


def _lookup(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _check_response(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    named_keys: list[tuple[Example, LocatedJSON, JSONPath, Within]],
) -> list[Diagnostic]:
    doc, value = ctx.doc, located.value
    found = _id_checks(ctx, example, located)
    found.extend(_key_check(ctx, example, located, ("element", "key"), None, named_keys))
    hub = _lookup(value, "element", "hub")
    if isinstance(hub, str) and doc.hub and hub.lower() != doc.hub.lower():
        found.append(
            ctx.at_path(
                example,
                located,
                ("element", "hub"),
                "ED203",
                f"$.element.hub is '{hub}' but the page's hub is '{doc.hub}'",
            )
        )
    found.extend(_secret_checks(ctx, example, located, [("token",)]))
    configuration = _lookup(value, "configuration")
    if isinstance(configuration, dict):
        # what the platform stored for the instance: a real-looking secret there is as
        # much a leak (new: a warning until measured on more trees)
        paths = [
            ("configuration", key) for key in configuration if _SECRET_NAME_RE.search(str(key))
        ]
        found.extend(
            d.with_severity(Severity.WARNING) for d in _secret_checks(ctx, example, located, paths)
        )
    return found


_SECRET_NAME_RE = re.compile(r"secret|token|password|key$|apikey", re.IGNORECASE)


def _id_checks(ctx: PageContext, example: Example, located: LocatedJSON) -> list[Diagnostic]:
    doc = ctx.doc
    found = []
    page_id = doc.meta.get("elementId")
    for path in (("element", "id"), ("elementId",)):
        shown = _lookup(located.value, *path)
        if isinstance(page_id, int) and isinstance(shown, int) and shown != page_id:
            found.append(
                ctx.at_path(
                    example,
                    located,
                    path,
                    "ED201",
                    f"{format_path(path)} is {shown} but the page's elementId is {page_id}",
                    f"use one id: set elementId ({doc.key_location('elementId')}) and the "
                    "example to the element's real id",
                )
            )
    return found


def _key_check(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    path: JSONPath,
    within: Within = None,
    named_keys: list[tuple[Example, LocatedJSON, JSONPath, Within]] | None = None,
) -> list[Diagnostic]:
    page_key = page_value(ctx.doc, "elementKey")
    shown = _lookup(located.value, *[str(p) for p in path])
    if isinstance(shown, str) and shown.strip() and named_keys is not None:
        named_keys.append((example, located, path, within))
    if isinstance(page_key, str) and isinstance(shown, str) and shown != page_key:
        return [
            ctx.at_path(
                example,
                located,
                path,
                "ED202",
                f"{format_path(path)} is '{shown}' but the page's elementKey is '{page_key}'",
                "write {{ page.elementKey }} instead of the key",
                within=within,
            )
        ]
    return []


def _check_request(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    within: Within = None,
    named_keys: list[tuple[Example, LocatedJSON, JSONPath, Within]] | None = None,
) -> list[Diagnostic]:
    found = _key_check(ctx, example, located, ("element", "key"), within, named_keys)
    paths: list[JSONPath] = []
    for section in ("configuration", "providerData"):
        block = _lookup(located.value, section)
        if isinstance(block, dict):
            paths.extend((section, key) for key in block)
    found.extend(_secret_checks(ctx, example, located, paths, within))
    return found


def _check_oauth_url(ctx: PageContext, example: Example, located: LocatedJSON) -> list[Diagnostic]:
    return _key_check(ctx, example, located, ("element",))


# --- secrets ------------------------------------------------------------------------------


# the same placeholders and sample values recur on page after page
_seems_secret = lru_cache(maxsize=4096)(looks_like_secret)

# values that are short-lived by nature: a sample that looks real is worth a word, not a stop
_SHORT_LIVED = {
    ("providerData", "code"),
    ("providerData", "oauth_verifier"),
    ("providerData", "oauth_token"),
}


def _secret_checks(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    paths: Iterable[JSONPath],
    within: Within = None,
) -> list[Diagnostic]:
    found = []
    for path in paths:
        value = _lookup(located.value, *[str(p) for p in path])
        if isinstance(value, str) and _seems_secret(value, str(path[-1]) if path else ""):
            if tuple(path) in _SHORT_LIVED:
                found.append(
                    ctx.at_path(
                        example,
                        located,
                        path,
                        "ED240",
                        f"{format_path(path)} looks like a real authorization grant code",
                        "a grant code is short-lived, but a real-looking one reads like a leak: "
                        "write a placeholder such as <AUTHORIZATION_GRANT_CODE>",
                        within=within,
                    ).with_severity(Severity.WARNING)
                )
                continue
            found.append(
                ctx.at_path(
                    example,
                    located,
                    path,
                    "ED240",
                    f"{format_path(path)} looks like a real credential",
                    within=within,
                )
            )
    return found


# --- cURL ---------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _url_path(url: str) -> str:
    """The path part of a cURL URL (most pages call the same few URLs)."""
    return urlparse(url).path if "://" in url else url.split("?")[0]


_OAUTH_PATH_RE = re.compile(r"/elements/([^/]+)/oauth/url")
_AUTH_SECRET_RE = re.compile(r"(?:User|Organization|Element)\s+([^,\s]+)")


def _check_curl(
    ctx: PageContext,
    example: Example,
    diagnostics: list[Diagnostic],
    named_keys: list[tuple[Example, LocatedJSON, JSONPath, Within]] | None = None,
) -> tuple[Example, CurlCommand, LocatedJSON | None] | None:
    try:
        command = parse_curl(example.text)
    except CurlParseError as exc:
        diagnostics.append(
            ctx.at(
                example,
                exc.line,
                exc.col,
                "ED220",
                "cURL command does not parse: " + ctx.file_lines(example, exc.message_text),
                ctx.file_lines(example, exc.hint_text),
            )
        )
        return None
    url = command.url or ""
    path = _url_path(url)
    oauth = _OAUTH_PATH_RE.search(path)
    if oauth and not oauth.group(1).startswith("{"):
        page_key = ctx.doc.meta.get("elementKey")
        if isinstance(page_key, str) and oauth.group(1) != page_key:
            arg = command.url_arg
            diagnostics.append(
                ctx.at(
                    example,
                    arg.line if arg else 1,
                    arg.col if arg else 1,
                    "ED202",
                    f"the OAuth URL names element "
                    f"'{oauth.group(1)}' but the page's elementKey is "
                    f"'{page_key}'",
                )
            )
    names = {name: value for name, value, _ in command.headers}
    for name, value, arg in command.headers:
        # whatever the command calls, real secrets in its header are a leak
        if name == "authorization":
            secrets = _AUTH_SECRET_RE.findall(value)
            if any(_seems_secret(s) for s in secrets):
                diagnostics.append(
                    ctx.at(
                        example,
                        arg.line,
                        arg.col,
                        "ED240",
                        "the authorization header holds what looks like a real secret",
                    )
                )
    # the -d body is parsed once; a syntax error in it is reported below, at its line
    body: LocatedJSON | None = None
    body_error: JSONLocateError | None = None
    if command.data is not None:
        try:
            body = parse_lazily(command.data.text)  # positions only for a diagnostic
        except JSONLocateError as exc:
            body_error = exc
    body_value = body.value if body is not None else None
    sends_instance = (
        isinstance(body_value, dict)
        and "element" in body_value
        and bool({"configuration", "providerData", "name"} & body_value.keys())
    )
    if body_error is not None and command.data is not None and not sends_instance:
        # what the body was meant to be, read tolerantly: an instance body that does
        # not parse is still an instance body
        meant = tolerant_read(without_continuations(command.data.text))
        sends_instance = (
            meant is not None
            and _near_instance(meant.value)
            and isinstance(meant.value, dict)
            and "element" in meant.value
        )
    to_instances = path.rstrip("/").endswith("/instances")
    if not (to_instances or sends_instance):
        return None  # another call (an instance's own URL, a hub): not a creation
    if command.data is None and command.effective_method in ("GET", "HEAD", "DELETE"):
        return None  # listing or removing instances: no body to compare, none to demand
    if not to_instances:
        arg = command.url_arg
        diagnostics.append(
            ctx.at(
                example,
                arg.line if arg else 1,
                arg.col if arg else 1,
                "ED221",
                f"cURL sends an instance body to '{url or '(no URL)'}'"
                "; instances are created at .../instances",
            )
        )
    if command.effective_method != "POST":
        diagnostics.append(
            ctx.at(
                example,
                1,
                1,
                "ED221",
                f"cURL creates an instance with "
                f"{command.effective_method}; POST /instances is required",
            )
        )
    if "authorization" not in names:
        diagnostics.append(
            ctx.at(
                example,
                1,
                1,
                "ED222",
                "cURL lacks the authorization header (User and Organization secrets)",
            )
        )
    if "json" not in names.get("content-type", ""):
        diagnostics.append(
            ctx.at(example, 1, 1, "ED222", "cURL lacks -H 'content-type: application/json'")
        )
    if command.data is None:
        diagnostics.append(
            ctx.at(example, 1, 1, "ED221", "cURL to /instances sends no -d JSON body")
        )
        return None
    if command.data.text.startswith("@"):
        return None  # the body is read from a file the page does not show
    within = command.data.source_position
    if body is None:
        assert body_error is not None  # there is data, and it did not parse
        line, col = within(body_error.line, body_error.col)
        hint = ctx.file_lines(example, body_error.hint_text, within)
        if "\\\n" in command.data.text:
            hint = (
                "inside '...' a backslash at the end of a line stays in the body: "
                "remove those backslashes (the quote already spans the lines)"
            )
        message = ctx.file_lines(example, body_error.message_text, within)
        diagnostics.append(
            ctx.at(example, line, col, "ED224", "the -d body is not valid JSON: " + message, hint)
        )
        meant = tolerant_read(without_continuations(command.data.text))
        if meant is not None and named_keys is not None:
            diagnostics.extend(
                _front_matter_facts(ctx, example, meant, REQUEST, named_keys, within)
            )
        return example, command, None
    diagnostics.extend(_check_request(ctx, example, body, within, named_keys))
    return example, command, body


def without_continuations(text: str) -> str:
    """A body with its line-end backslashes (written as if outside the quote) removed."""
    return re.sub(r"\\(\r?\n)", r" \1", text)


def configuration_keys(value: Any) -> set[str]:
    configuration = _lookup(value, "configuration")
    return set(configuration) if isinstance(configuration, dict) else set()


def request_for(
    curl: Example, body: LocatedJSON, requests: list[tuple[Example, LocatedJSON]]
) -> tuple[Example, LocatedJSON] | None:
    """The JSON request body a cURL example repeats, by content: the same element key and
    the most configuration keys in common, then the same section, then the nearest above
    (a page may show two variants' bodies first, then both cURLs). None when no body
    shares anything with it (the cURL is of a variant shown only as cURL)."""
    if not requests:
        return None
    mine = configuration_keys(body.value)
    key = _lookup(body.value, "element", "key")

    def score(request: tuple[Example, LocatedJSON]) -> tuple[int, int, int, int]:
        example, located = request
        theirs = configuration_keys(located.value)
        same_key = int(_lookup(located.value, "element", "key") == key)
        common = len(mine & theirs) - len(mine ^ theirs)
        above = example.fence_line < curl.fence_line
        distance = (
            curl.fence_line - example.fence_line
            if above
            else 10_000 + example.fence_line - curl.fence_line
        )
        return same_key, common, int(example.heading == curl.heading), -distance

    best = max(requests, key=score)
    theirs = configuration_keys(best[1].value)
    if len(requests) > 1 and mine and theirs and not mine & theirs:
        return None
    return best


def key_paths(value: Any) -> set[JSONPath]:
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


def _compare_bodies(
    ctx: PageContext,
    example: Example,
    command: CurlCommand,
    body: LocatedJSON,
    request: tuple[Example, LocatedJSON],
) -> list[Diagnostic]:
    request_example, request_json = request
    mine, theirs = key_paths(body.value), key_paths(request_json.value)
    within = command.data.source_position if command.data else None
    found = []
    for path in sorted(mine - theirs, key=str):
        found.append(
            ctx.at_path(
                example,
                body,
                path,
                "ED223",
                f"the cURL body has {format_path(path)}, which the JSON request body does not",
                key=True,
                within=within,
            )
        )
    for path in sorted(theirs - mine, key=str):
        if path[:-1] in theirs - mine:
            continue  # its parent is already reported
        found.append(
            ctx.at_path(
                request_example,
                request_json,
                path,
                "ED223",
                f"the JSON request body has {format_path(path)}, which the cURL body does not",
                key=True,
            )
        )
    return found


# --- parameters table ------------------------------------------------------------------------


_PARAMETER_HEADERS = {"parameter", "parameters", "configuration key", "parameter name"}
# tables headed Name, Key or Field are Parameters tables under a Parameters heading only
_NAME_HEADERS = {"name", "key", "field", "property"}
_NOT_CONFIGURATION = re.compile(r"query|response|header|path|scope|error", re.IGNORECASE)


def _parameters_tables(tables: list[Table]) -> list[Table]:
    """Every table that documents the request's parameters (a page showing variants, say
    Basic and OAuth, or OAuth 1 and OAuth 2, may have one per variant)."""
    found = []
    for table in tables:
        first = table.header[0].lower().strip("`* ") if table.header else ""
        named = first in _PARAMETER_HEADERS or (
            first in _NAME_HEADERS and "parameter" in table.heading.lower()
        )
        if named and not _NOT_CONFIGURATION.search(f"{table.header[0]} {table.heading}"):
            found.append(table)
    return found


_CELL_WORD_RE = re.compile(r"[A-Za-z0-9_][\w.\-]*")


def _names_in_row(cells: list[str], spans: list[list[str]]) -> set[str]:
    """Every name a row gives, as readers read it: code spans in any cell (``username``
    as well as ``oauth.api.key``), and the words of a cell ('key', tags, name:`name`)."""
    names = {span.strip().strip("'\"") for cell_spans in spans for span in cell_spans}
    for cell in cells[:1]:
        names.update(_CELL_WORD_RE.findall(cell))
    return {name for name in names if name}


_ELSEWHERE_RE = re.compile(r"event[\w ]{0,80}parameters?[^\n]{0,300}?(?:href=|\]\()", re.IGNORECASE)


def _check_parameters_table(
    ctx: PageContext,
    tables: list[Table],
    requests: list[tuple[Example, LocatedJSON]],
    fragments: list[tuple[Example, LocatedJSON]],
    curls: list[tuple[Example, CurlCommand, LocatedJSON | None]],
) -> list[Diagnostic]:
    """Every configuration key of every request body (and configuration fragment) is
    named by a row of a Parameters table of the page, in any cell; a key documented on
    another page the text points to (event keys: "described in Events") counts too. A
    table row naming a configuration key that no example sends is a warning, unless
    the row says the key is optional."""
    parameter_tables = _parameters_tables(tables)
    bodies: list[tuple[Example, LocatedJSON, dict[str, Any], JSONPath]] = []
    for example, located in requests:
        configuration = _lookup(located.value, "configuration")
        if isinstance(configuration, dict):
            bodies.append((example, located, configuration, ("configuration",)))
    for example, located in fragments:
        if isinstance(located.value, dict):
            bodies.append((example, located, located.value, ()))
    if not parameter_tables or not bodies:
        return []
    documented: set[str] = set()
    listed: dict[str, tuple[int, str]] = {}  # configuration-like names: (line, row text)
    for table in parameter_tables:
        for line, cells, spans in table.rows:
            documented.update(_names_in_row(cells, spans))
            for name in _names_in_row(cells[:1], spans[:1]):
                if _CONFIG_KEY_RE.fullmatch(name):
                    listed.setdefault(name, (line, " ".join(cells)))
    events_elsewhere = bool(_ELSEWHERE_RE.search(ctx.rendered.text))
    found = []
    for example, located, configuration, prefix in bodies:
        for key in configuration:
            if key in documented or (events_elsewhere and re.match(r"events?\.", key)):
                continue
            found.append(
                ctx.at_path(
                    example,
                    located,
                    (*prefix, key),
                    "ED230",
                    f"configuration key '{key}' is not in the Parameters table",
                    key=True,
                )
            )
    every_key = {key for _, _, configuration, _ in bodies for key in configuration}
    for _, command, body in curls:  # cURL bodies, read tolerantly when they do not parse
        value = body.value if body is not None else None
        if value is None and command.data is not None:
            meant = tolerant_read(command.data.text)
            value = meant.value if meant is not None else None
        every_key |= configuration_keys(value)
    for name, (line, row) in listed.items():
        if name in every_key or re.search(r"optional", row, re.IGNORECASE):
            continue
        if any(name.startswith(key + ".") or key.startswith(name + ".") for key in every_key):
            continue
        found.append(
            ctx.at_rendered_line(
                line,
                "ED230",
                f"the Parameters table lists '{name}', which no request body of the page sends",
            ).with_severity(Severity.WARNING)
        )
    return found
