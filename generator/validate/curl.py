"""The cURL check: a command's method, URL and headers as POST /instances needs them, and its -d
body against the JSON body it repeats.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from generator.errors import Diagnostic
from generator.extract.blocks import (
    REQUEST,
    Example,
)
from generator.extract.curl import CurlCommand, CurlParseError, parse_curl
from generator.extract.jsonlocate import (
    JSONLocateError,
    JSONPath,
    LocatedJSON,
    format_path,
    parse_lazily,
)
from generator.validate.bodies import check_request, front_matter_facts, near_instance
from generator.validate.context import PageContext, Within, lookup
from generator.validate.secrets import seems_secret
from generator.validate.tolerant import tolerant_read


@lru_cache(maxsize=256)
def _url_path(url: str) -> str:
    """The path part of a cURL URL (most pages call the same few URLs)."""
    return urlparse(url).path if "://" in url else url.split("?")[0]


_OAUTH_PATH_RE = re.compile(r"/elements/([^/]+)/oauth/url")


_AUTH_SECRET_RE = re.compile(r"(?:User|Organization|Element)\s+([^,\s]+)")


def check_curl(
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
            if any(seems_secret(s) for s in secrets):
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
            and near_instance(meant.value)
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
            diagnostics.extend(front_matter_facts(ctx, example, meant, REQUEST, named_keys, within))
        return example, command, None
    diagnostics.extend(check_request(ctx, example, body, within, named_keys))
    return example, command, body


def without_continuations(text: str) -> str:
    """A body with its line-end backslashes (written as if outside the quote) removed."""
    return re.sub(r"\\(\r?\n)", r" \1", text)


def configuration_keys(value: Any) -> set[str]:
    configuration = lookup(value, "configuration")
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
    key = lookup(body.value, "element", "key")

    def score(request: tuple[Example, LocatedJSON]) -> tuple[int, int, int, int]:
        example, located = request
        theirs = configuration_keys(located.value)
        same_key = int(lookup(located.value, "element", "key") == key)
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


def compare_bodies(
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
