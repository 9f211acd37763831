"""Checks of one JSON body: against its schema, and its element id, key and hub against the page's
front matter.
"""

from __future__ import annotations

import re
from typing import Any

from jsonschema.exceptions import ValidationError

from generator.errors import Diagnostic, Severity
from generator.extract.blocks import (
    OAUTH_URL,
    REQUEST,
    RESPONSE,
    Example,
)
from generator.extract.jsonlocate import (
    JSONPath,
    LocatedJSON,
    format_path,
)
from generator.validate.context import PageContext, Within, lookup
from generator.validate.front_matter import page_value
from generator.validate.schema_messages import schema_message
from generator.validate.schemas import OAUTH_URL as OAUTH_SCHEMA
from generator.validate.schemas import REQUEST as REQUEST_SCHEMA
from generator.validate.schemas import RESPONSE as RESPONSE_SCHEMA
from generator.validate.secrets import secret_checks

SCHEMA_OF_KIND = {REQUEST: REQUEST_SCHEMA, RESPONSE: RESPONSE_SCHEMA, OAUTH_URL: OAUTH_SCHEMA}


_INSTANCE_KEYS = {"element", "elementId", "configuration", "providerData", "oauthUrl", "token"}


def near_instance(value: Any) -> bool:
    """A JSON value that has something of an instance example without being one."""
    if not isinstance(value, dict):
        return False
    if "token" in value and "secret" in value and "element" not in value:
        return False  # an OAuth 1 token answer: a known shape, not an instance
    return bool(_INSTANCE_KEYS & value.keys())


CONFIG_KEY_RE = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+")


def is_configuration_fragment(value: Any) -> bool:
    """``{"event.notification.enabled": true, ...}``: keys to add to ``configuration``."""
    return (
        isinstance(value, dict)
        and bool(value)
        and all(isinstance(key, str) and CONFIG_KEY_RE.fullmatch(key) for key in value)
    )


def front_matter_facts(
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


def oauth2_only(error: ValidationError) -> bool:
    """A schema error that only an OAuth 2 authorization-code request can have."""
    schema_path = list(error.schema_path)
    if error.validator == "required" and "providerData" in schema_path:
        return True
    return "then" in schema_path and "callback" in error.message


def schema_diagnostic(
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


def check_response(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    named_keys: list[tuple[Example, LocatedJSON, JSONPath, Within]],
) -> list[Diagnostic]:
    doc, value = ctx.doc, located.value
    found = _id_checks(ctx, example, located)
    found.extend(_key_check(ctx, example, located, ("element", "key"), None, named_keys))
    hub = lookup(value, "element", "hub")
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
    found.extend(secret_checks(ctx, example, located, [("token",)]))
    configuration = lookup(value, "configuration")
    if isinstance(configuration, dict):
        # what the platform stored for the instance: a real-looking secret there is as
        # much a leak (new: a warning until measured on more trees)
        paths = [
            ("configuration", key) for key in configuration if _SECRET_NAME_RE.search(str(key))
        ]
        found.extend(
            d.with_severity(Severity.WARNING) for d in secret_checks(ctx, example, located, paths)
        )
    return found


_SECRET_NAME_RE = re.compile(r"secret|token|password|key$|apikey", re.IGNORECASE)


def _id_checks(ctx: PageContext, example: Example, located: LocatedJSON) -> list[Diagnostic]:
    doc = ctx.doc
    found = []
    page_id = doc.meta.get("elementId")
    for path in (("element", "id"), ("elementId",)):
        shown = lookup(located.value, *path)
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
    shown = lookup(located.value, *[str(p) for p in path])
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


def check_request(
    ctx: PageContext,
    example: Example,
    located: LocatedJSON,
    within: Within = None,
    named_keys: list[tuple[Example, LocatedJSON, JSONPath, Within]] | None = None,
) -> list[Diagnostic]:
    found = _key_check(ctx, example, located, ("element", "key"), within, named_keys)
    paths: list[JSONPath] = []
    for section in ("configuration", "providerData"):
        block = lookup(located.value, section)
        if isinstance(block, dict):
            paths.extend((section, key) for key in block)
    found.extend(secret_checks(ctx, example, located, paths, within))
    return found


def check_oauth_url(ctx: PageContext, example: Example, located: LocatedJSON) -> list[Diagnostic]:
    return _key_check(ctx, example, located, ("element",))
