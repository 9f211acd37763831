"""Front-matter checks: the schema, near-miss keys, placeholder labels and HTML in values."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from jsonschema.exceptions import ValidationError

from generator.errors import Diagnostic, SourceLocation
from generator.load.documents import Document
from generator.validate.schema_messages import schema_message, short
from generator.validate.schemas import FRONT_MATTER, SchemaFailure, SchemaStore


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
            diagnostics.append(
                Diagnostic("ED251", failure.message, SourceLocation(doc.rel, 1, 1), failure.hint)
            )
        for error in sorted(errors, key=lambda e: list(e.path)):
            diagnostics.extend(_front_matter_error(doc, error, known))
            if error.path:
                reported.add(str(error.path[0]))
    diagnostics.extend(_html_in_front_matter(doc, reported))
    diagnostics.extend(_placeholder_labels(doc))
    jekyll = doc.settings is not None and doc.settings.jekyll
    if doc.hub is None and doc.path.name == "authenticate.md" and not jekyll:
        # (a Jekyll tree's navigation is its own layouts' business, not the hub)
        # the element's hub is read from its authenticate page (the catalog and navigation
        # take it from there); its other pages (events, bulk, API docs) need not repeat it
        diagnostics.append(
            Diagnostic(
                "ED108", "element page has no hub (hub: or hdOrcrm:)", SourceLocation(doc.rel, 1, 1)
            )
        )
    return diagnostics


#: The labels the element-page template ships with: placeholders for the provider's own names.
PLACEHOLDER_LABELS = {
    "apiKey": "Key Name",
    "apiSecret": "Secret Name",
    "callbackURL": "Callback URL Name",
}


def _placeholder_labels(doc: Document) -> list[Diagnostic]:
    """``apiKey: Key Name`` and its siblings: left from the template, they would be
    published as the provider's real names (the shared partials leave them out)."""
    return [
        Diagnostic(
            "ED500",
            f"'{key}: {value}' is the template's placeholder, not the "
            "provider's name for the value",
            doc.key_location(key),
            "write the provider's own label (Client ID, Consumer Key, ...) or remove the key",
        )
        for key, value in PLACEHOLDER_LABELS.items()
        if doc.meta.get(key) == value
    ]


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
        found.append(
            Diagnostic(
                "ED103",
                f"'{key}': {short(tagged)} contains HTML markup: front matter is plain "
                "text, and HTML here would be published as markup wherever the value is shown",
                doc.key_location(str(key)),
                "remove the tags and write plain text",
            )
        )
    return found


def near_miss(key: str, known: Iterable[str], cutoff: float = 0.8) -> str | None:
    """The known key that ``key`` misspells (``elementkey``, ``elementKye``), if any."""
    return _near_miss(key, tuple(known), cutoff)


@functools.lru_cache(maxsize=4096)
def _near_miss(key: str, known_keys: tuple[str, ...], cutoff: float) -> str | None:
    """``near_miss``, asked once per key and keys known: pages of a tree share their keys,
    and difflib was 2% of a clean check of 10,032 pages (at 1,026 pages, under cProfile,
    misspelled_keys went from 0.24 to 0.02 s)."""
    known = [k for k in known_keys if k != key]
    for candidate in known:
        if candidate.lower() == key.lower():
            return candidate
    close = difflib.get_close_matches(key, known, n=1, cutoff=cutoff)
    return close[0] if close else None


def misspelled_keys(meta: dict[str, Any], known: Iterable[str]) -> dict[str, str]:
    """{misspelled key: the known key it stands for} for keys of ``meta`` that are not
    known but close to a known key the page does not have."""
    known = list(known)
    found = {}
    for key in meta:
        if not isinstance(key, str) or key in known:
            continue
        meant = near_miss(key, known)
        if meant is not None and meant not in meta:
            found[key] = meant
    return found


def page_value(doc: Document, key: str) -> Any:
    """``doc.meta[key]``, or the value of the key's misspelling (reported on its own, ED104:
    the rest of the page is checked as its author meant it)."""
    if key in doc.meta:
        return doc.meta[key]
    wrong = next((k for k, meant in misspelled_keys(doc.meta, [key]).items() if meant == key), None)
    return doc.meta.get(wrong) if wrong is not None else None


def _front_matter_error(
    doc: Document, error: ValidationError, known: list[str]
) -> list[Diagnostic]:
    if error.validator == "additionalProperties" and not error.path:
        jekyll = doc.settings is not None and doc.settings.jekyll
        found = []
        for key in sorted(set(doc.meta) - set(known)):
            close = near_miss(key, known, 0.6)
            if jekyll and (near_miss(key, known) is None or close in doc.meta):
                # a Jekyll tree's own keys (its layouts read them): only a near-miss of
                # a key we know is worth a word
                continue
            hint = (
                f"did you mean '{close}'?"
                if close
                else "remove it, or add it to the project's front-matter schema"
            )
            found.append(
                Diagnostic(
                    "ED104", f"unknown front-matter key '{key}'", doc.key_location(key), hint
                )
            )
        return found
    key = str(error.path[0]) if error.path else ""
    if error.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", error.message)
        name = missing[0] if missing else "a key"
        return [
            Diagnostic(
                "ED103",
                f"missing required key '{name}'",
                SourceLocation(doc.rel, 1, 1),
                f"add '{name}:' to the front matter",
            )
        ]
    location = doc.key_location(key) if key else SourceLocation(doc.rel, 1, 1)
    value = doc.meta.get(key)
    custom = error.schema.get("x-message") if isinstance(error.schema, dict) else None
    if error.validator == "pattern" and isinstance(custom, str):
        # the schema explains its own rule (e.g. no HTML in heading/title/seo/description)
        hint = error.schema.get("x-hint")
        return [
            Diagnostic(
                "ED103",
                f"'{key}': {short(value)} {custom}",
                location,
                hint if isinstance(hint, str) else "",
            )
        ]
    return [Diagnostic("ED103", f"'{key}': {schema_message(error, value)}", location)]
