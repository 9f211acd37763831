"""Example checks: every example block of a page classified and handed to its check (a body:
``bodies.py``; a cURL command: ``curl.py``; the Parameters tables: ``tables.py``; secrets:
``secrets.py``); examples marked invalid, fences left open, auth flows told apart.

Checks run on the rendered page; every finding is reported at the *source* line the
offending text came from (a partial's line, with the page that included it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from generator.errors import Diagnostic
from generator.extract.blocks import (
    CURL,
    OAUTH_URL,
    OTHER,
    REQUEST,
    RESPONSE,
    Example,
    PageBlocks,
    classify_object,
)
from generator.extract.curl import CurlCommand
from generator.extract.jsonlocate import (
    JSONPath,
    LocatedJSON,
    format_path,
)
from generator.validate.bodies import (
    SCHEMA_OF_KIND,
    check_oauth_url,
    check_request,
    check_response,
    front_matter_facts,
    is_configuration_fragment,
    near_instance,
    oauth2_only,
    schema_diagnostic,
)
from generator.validate.context import PageContext, Within, lookup
from generator.validate.curl import check_curl, compare_bodies, request_for
from generator.validate.front_matter import page_value
from generator.validate.schemas import SchemaFailure
from generator.validate.tables import check_parameters_table
from generator.validate.tolerant import tolerant_read

# --- examples --------------------------------------------------------------------------------


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
    flows: list[str] = []  # the page's flow, looked for in its text only when asked

    def page_flow() -> str:
        if not flows:
            flows.append(_page_flow(ctx, blocks))
        return flows[0]

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
            parsed = check_curl(ctx, example, diagnostics, named_keys)
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
                diagnostics.extend(front_matter_facts(ctx, example, located, kind, named_keys))
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
            if is_configuration_fragment(located.value):
                fragments.append((example, located))
                continue
            # example=other is the author saying so: nothing to warn about; a block that
            # has nothing of an instance example is some other JSON (an error message...)
            if doc.is_element and example.override is None and near_instance(located.value):
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
        try:
            errors = ctx.schemas.errors(schema_name, located.value)
        except SchemaFailure as failure:
            errors = []
            diagnostics.append(ctx.at(example, 1, 1, "ED251", failure.message, failure.hint))
        for error in errors:
            if (
                kind == REQUEST
                and oauth2_only(error)
                and _request_flow(located.value, page_flow) != "oauth2"
            ):
                continue  # providerData.code and the callback URL belong to OAuth 2
            diagnostics.append(schema_diagnostic(ctx, example, located, error, schema_name))
        if kind == RESPONSE:
            diagnostics.extend(check_response(ctx, example, located, named_keys))
        elif kind == REQUEST:
            diagnostics.extend(check_request(ctx, example, located, named_keys=named_keys))
            requests.append((example, located))
        elif kind == OAUTH_URL:
            diagnostics.extend(check_oauth_url(ctx, example, located))
    for example, command, body in curls:
        if body is None:
            continue  # no -d body (or none that parses): nothing to compare
        request = request_for(example, body, requests)
        if request is not None:
            diagnostics.extend(compare_bodies(ctx, example, command, body, request))
    diagnostics.extend(check_parameters_table(ctx, blocks.tables, requests, fragments, curls))
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


def _key_without_element_key(
    ctx: PageContext, named: list[tuple[Example, LocatedJSON, JSONPath, Within]]
) -> list[Diagnostic]:
    """An element page without elementKey whose examples name the element's key: the
    key is not compared with anything, so the page says so, once."""
    doc = ctx.doc
    if not doc.is_element or page_value(doc, "elementKey") is not None or not named:
        return []
    example, located, path, within = named[0]
    shown = lookup(located.value, *[str(p) for p in path])
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


def _request_flow(value: Any, page_flow: Callable[[], str]) -> str:
    """The flow of one request body: its authentication.type, or its providerData, else
    the page's (``page_flow()``)."""
    configuration = lookup(value, "configuration")
    declared = configuration.get("authentication.type") if isinstance(configuration, dict) else None
    if isinstance(declared, str) and declared.strip():
        lowered = declared.lower()
        if "oauth2" in lowered or lowered == "oauth":
            return "oauth2"
        return lowered
    provider = lookup(value, "providerData")
    if isinstance(provider, dict):
        if "code" in provider:
            return "oauth2"
        if provider.keys() & {"oauth_token", "oauth_verifier", "token", "secret"}:
            return "oauth1"
    return page_flow()


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
