"""Schema store: the JSON Schemas shipped with the package, plus a project's own.

A project's ``schemas/NAME.schema.json`` overrides the shipped schema of that name or adds a
new example kind (used with ```` ```json example=NAME ````). Every schema is checked against
the JSON Schema 2020-12 metaschema before use, and compiled once.

Most examples are valid, and for a valid instance jsonschema spends most of its time
stepping from keyword to keyword and building a helper validator for every subschema.
``SchemaStore.errors`` therefore asks jsonschema-rs first whether the instance is valid at
all, and collects the errors with jsonschema (whose messages and paths the diagnostics are
made of) only when it is not. The keywords whose meaning rests on Python (patterns,
formats, multipleOf) jsonschema-rs hands back to jsonschema's own functions, so that both
agree (see ``rs_validity``).

Measured with benchmarks/validators.py (the 3,250 values a check of the benchmarks'
1,000-page project validates, median of 9, all ways in one process): this way 68 ms, the
hand-compiled plain-Python test it replaced (with a patched copy of jsonschema's validator
behind it, some 280 lines) 73 ms, plain jsonschema 972 ms; figures in
benchmarks/VALIDATORS.md.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import jsonschema_rs
import regex
from jsonschema import Draft202012Validator
from jsonschema import validators as jsonschema_validators
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from generator.errors import Diagnostic, SourceLocation
from generator.extract.jsonlocate import JSONLocateError, LocatedJSON
from generator.extract.jsonlocate import parse as parse_located
from generator.load.schema_files import SUFFIX, SchemaFile, read_schema_files

FRONT_MATTER = "front-matter"
REQUEST, RESPONSE, OAUTH_URL = "instance-request", "instance-response", "oauth-url-response"


Validity = Callable[[Any], bool]

#: How long one pattern of a project's schema may search one value. A pattern is text
#: from whoever sent the schema: ``^(a+)+$`` against 'aaa...a!' takes Python's re 0.07 s
#: at 20 characters and four times longer for every two more (0.8 s at 24, days at 40).
#: The regex package stops a search at this limit. Measured here (2 busy cores): a search
#: with a limit costs 3.8 microseconds against 0.25 for re, so the patterns of the shipped
#: schemas (ours, reviewed) keep re; ``^(a|a)+$`` against 60 to 100,000 characters is
#: stopped after 0.6 s of wall time with this limit (regex counts less than wall time on a
#: loaded machine), where re would run for ever; real patterns take microseconds.
PATTERN_SECONDS = 0.25
#: Deeper schemas are refused: jsonschema walks a schema by recursion, and a few hundred
#: levels exhaust Python's stack (no real schema comes near this).
MAX_SCHEMA_DEPTH = 100


class SchemaFailure(Exception):
    """A schema could not be applied to a value (a pattern ran out of time, a reference
    leads back to itself without end...): the value is not checked, and the caller says so
    where the value is. ``message`` and ``hint`` are one line each."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message, hint)
        self.message = message
        self.hint = hint


#: pattern -> the length of the shortest value it ran out of time on: values as long or
#: longer are refused at once (backtracking grows with the length of the value)
_SLOW_PATTERNS: dict[str, int] = {}
_SHIPPED_PATTERNS: set[str] = set()  # the patterns of the shipped schemas: searched by re


def bounded_search(pattern: str, text: str) -> bool:
    """``re.search(pattern, text) is not None``, stopped after PATTERN_SECONDS."""
    if pattern in _SHIPPED_PATTERNS:
        return re.search(pattern, text) is not None
    if len(text) >= _SLOW_PATTERNS.get(pattern, len(text) + 1):
        raise _slow(pattern)
    try:
        return regex.search(pattern, text, timeout=PATTERN_SECONDS) is not None
    except TimeoutError:
        _SLOW_PATTERNS[pattern] = min(len(text), _SLOW_PATTERNS.get(pattern, len(text)))
        raise _slow(pattern) from None
    except regex.error as exc:
        raise SchemaFailure(
            f"the schema's pattern '{short(pattern)}' cannot be used: {exc}",
            "write the pattern in the common regular-expression syntax",
        ) from None


def _slow(pattern: str) -> SchemaFailure:
    return SchemaFailure(
        f"the schema's pattern '{short(pattern)}' took more than {PATTERN_SECONDS:g} s on a "
        "value, which is left unchecked",
        "simplify the pattern: a repeat inside a repeat, such as (a+)+, can try every way "
        "of splitting a long value",
    )


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bounded_pattern(
    validator: Any, pattern: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not bounded_search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _bounded_pattern_properties(
    validator: Any, properties: Any, instance: Any, schema: Any
) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        for key, value in instance.items():
            if bounded_search(pattern, key):
                yield from validator.descend(value, subschema, path=key, schema_path=pattern)


#: The validator of every schema: Draft 2020-12 whose patterns search with a time limit
#: (see PATTERN_SECONDS), but for those of the shipped schemas.
SchemaValidator = jsonschema_validators.extend(
    Draft202012Validator,
    {"pattern": _bounded_pattern, "patternProperties": _bounded_pattern_properties},
)
_VALIDATOR_CLASSES = (Draft202012Validator, SchemaValidator)


@dataclass
class SchemaStore:
    validators: dict[str, Draft202012Validator] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # name -> file it came from
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Ask the quick validator first (see the module docstring). False always collects the
    #: errors the slow way, which the tests use to show that both agree.
    fast: bool = True
    #: name -> (URI, schema) of every schema a $ref in it may name (see add_all)
    resources: dict[str, list[tuple[str, Any]]] = field(default_factory=dict, repr=False)
    # name -> (the validator it was made for, its quick validity test or None)
    _quick: dict[str, tuple[Draft202012Validator, Validity | None]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def get(self, name: str) -> Draft202012Validator | None:
        return self.validators.get(name)

    def errors(self, name: str, instance: Any) -> list[ValidationError]:
        """What ``get(name).iter_errors(instance)`` yields, in the same order; nothing when
        there is no schema of that name."""
        validator = self.validators.get(name)
        if validator is None:
            return []
        try:
            if self.fast:
                entry = self._quick.get(name)
                if entry is None or entry[0] is not validator:  # new, or replaced since
                    entry = (validator, rs_validity(validator, self.resources[name]))
                    self._quick[name] = entry
                is_valid = entry[1]
                if is_valid is not None and is_valid(instance):
                    return []
            return list(validator.iter_errors(instance))
        except RecursionError:
            raise SchemaFailure(
                f"the schema {self.origins.get(name, name)} refers to itself without end "
                "(a $ref leads back to where it started, checking nothing on the way): "
                "the value is left unchecked",
                "make every $ref that leads back reach a part of the value first, "
                "as properties or items do",
            ) from None
        except Unresolvable as exc:
            raise SchemaFailure(
                f"the schema {self.origins.get(name, name)} refers to "
                f"'{short(str(getattr(exc, 'ref', '') or exc))}', which is not one of the "
                "project's schemas: the value is left unchecked",
                "refer only to the project's schemas, by file name or $id",
            ) from None

    def schema(self, name: str) -> dict[str, Any]:
        return dict(self.validators[name].schema)

    def add(self, name: str, text: str, shown: str) -> None:
        """One schema, alone (see ``add_all`` for schemas that refer to each other)."""
        self.add_all([(name, text, shown, True)])

    def add_all(self, schemas: Sequence[tuple[str, str, str, bool]]) -> None:
        """(name, text, file as shown, shipped with the package) of each schema.

        A ``$ref`` or ``$dynamicRef`` resolves among these schemas only (by file name or
        ``$id``): nothing is fetched from the network or read from a file, and a reference
        to anything else is an ED250 at its line, its schema left unused."""
        parsed: list[tuple[str, Any, str, bool, LocatedJSON]] = []
        for name, text, shown, shipped in schemas:
            located = self._parse(text, shown)
            if located is not None:
                parsed.append((name, located.value, shown, shipped, located))
        registry: Registry[Any] = Registry(retrieve=_refuse_retrieval)  # type: ignore[call-arg]
        for name, schema, _, _, _ in parsed:
            resource = DRAFT202012.create_resource(schema)
            registry = registry.with_resource(name + SUFFIX, resource)
            if isinstance(schema, dict) and isinstance(schema.get("$id"), str):
                registry = registry.with_resource(schema["$id"], resource)
        with contextlib.suppress(Exception):  # an $id that is no URI: check_schema says so
            registry = registry.crawl()
        self.registry = registry
        resources = [(name + SUFFIX, schema) for name, schema, _, _, _ in parsed] + [
            (schema["$id"], schema)
            for _, schema, _, _, _ in parsed
            if isinstance(schema, dict) and isinstance(schema.get("$id"), str)
        ]
        for name, schema, shown, shipped, located in parsed:
            try:
                if not shipped:  # the package's own are checked by its tests, not each run
                    Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.path) or "(root)"
                position = located.position_of(tuple(exc.path))
                self.diagnostics.append(
                    Diagnostic(
                        "ED402",
                        f"not a valid JSON Schema at {where}: {exc.message}",
                        SourceLocation(shown, position.line, position.col),
                    )
                )
                continue
            except RecursionError:  # pragma: no cover - MAX_SCHEMA_DEPTH keeps it away
                self.diagnostics.append(
                    Diagnostic(
                        "ED402", "the schema nests too deeply to check", SourceLocation(shown, 1, 1)
                    )
                )
                continue
            refused = list(_references_refused(schema, name, registry, shown, located))
            if refused:
                self.diagnostics.extend(refused)
                continue
            if shipped:
                _SHIPPED_PATTERNS.update(_patterns_of(schema))
            validator = SchemaValidator(
                schema, registry=registry, format_checker=SchemaValidator.FORMAT_CHECKER
            )
            looping = _refers_to_itself(validator, shown, located)
            if looping is not None:
                self.diagnostics.append(looping)
                continue
            self.validators[name] = validator
            self.origins[name] = shown
            self.resources[name] = resources

    def _parse(self, text: str, shown: str) -> LocatedJSON | None:
        """The schema with the place of each of its parts; None (and an ED402) when it is
        not JSON, nests deeper than MAX_SCHEMA_DEPTH or holds a number Python cannot read
        (the parser is iterative: no input raises RecursionError or ValueError here)."""
        try:
            located = parse_located(text)
        except JSONLocateError as exc:
            self.diagnostics.append(
                Diagnostic(
                    "ED402",
                    f"schema is not valid JSON: {exc.message}",
                    SourceLocation(shown, exc.line, exc.col),
                    exc.hint,
                )
            )
            return None
        deepest = max(located.positions, key=len, default=())
        if len(deepest) > MAX_SCHEMA_DEPTH:
            position = located.positions[deepest[: MAX_SCHEMA_DEPTH + 1]]
            self.diagnostics.append(
                Diagnostic(
                    "ED402",
                    f"the schema nests more than {MAX_SCHEMA_DEPTH} levels deep",
                    SourceLocation(shown, position.line, position.col),
                    "flatten it, or name the repeated part in $defs and refer to it with $ref",
                )
            )
            return None
        return located


def _refuse_retrieval(uri: str) -> Any:
    """The registry's way to fetch a schema it does not hold: never (no network, no file)."""
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


# Keywords whose value is a subschema, a list of them or a mapping of names to them: the
# places a $ref can be (anything else, such as "const" or "examples", holds plain data).
_ONE_SUBSCHEMA = (
    "not",
    "if",
    "then",
    "else",
    "items",
    "contains",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def _subschemas(schema: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    for keyword in _ONE_SUBSCHEMA:
        if keyword in schema:
            yield (keyword,), schema[keyword]
    for keyword in _SUBSCHEMA_LISTS:
        if isinstance(schema.get(keyword), list):
            for index, sub in enumerate(schema[keyword]):
                yield (keyword, index), sub
    for keyword in _SUBSCHEMA_MAPS:
        if isinstance(schema.get(keyword), dict):
            for key, sub in schema[keyword].items():
                yield (keyword, key), sub


def _references_refused(
    schema: Any, name: str, registry: Registry[Any], shown: str, located: LocatedJSON
) -> Iterator[Diagnostic]:
    """An ED250, at its line, for each $ref or $dynamicRef of ``schema`` that does not lead
    to one of the schemas in ``registry`` (which never fetches or reads anything)."""
    root_id = schema.get("$id") if isinstance(schema, dict) else None
    start = root_id if isinstance(root_id, str) else name + SUFFIX
    stack: list[tuple[Any, str, tuple[str | int, ...]]] = [(schema, start, ())]
    while stack:
        node, base, path = stack.pop()
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("$id"), str) and path:
            base = urljoin(base, node["$id"])
        for keyword in ("$ref", "$dynamicRef"):
            ref = node.get(keyword)
            if not isinstance(ref, str):
                continue
            why = _why_not_followed(ref, base, registry)
            if why is not None:
                position = located.positions.get((*path, keyword)) or located.position_of(path)
                yield Diagnostic(
                    "ED250",
                    f"{keyword} '{short(ref)}' was not followed: {why}; the schema is not used",
                    SourceLocation(shown, position.line, position.col),
                    "refer only to the project's schemas (schemas/NAME.schema.json by its "
                    "file name or $id) and to parts of them ('#/$defs/NAME')",
                )
        stack.extend((sub, base, (*path, *step)) for step, sub in _subschemas(node))


def _why_not_followed(ref: str, base: str, registry: Registry[Any]) -> str | None:
    target = urljoin(base, ref) if base else ref
    scheme = urlsplit(target).scheme.lower()
    try:
        registry.resolver(base_uri=base).lookup(ref)
    except Unresolvable:
        pass
    except Exception:  # noqa: BLE001 - a malformed pointer or URI
        return "it is not a reference element-docs can resolve"
    else:
        return None
    if scheme in ("http", "https", "ftp"):
        return (
            "element-docs reads nothing from the network, and no schema of the project has that $id"
        )
    if scheme == "file" or ref.startswith("/"):
        return "a schema may refer to the project's schemas only, never to a file elsewhere"
    if ref.startswith("..") or "/../" in ref:
        return "it leads out of the schemas folder"
    if ref.startswith("#"):
        return "the schema has no such part"
    return "no schema of the project has that file name or $id"


def _patterns_of(schema: Any) -> Iterator[str]:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                yield node["pattern"]
            if isinstance(node.get("patternProperties"), dict):
                yield from node["patternProperties"]
            stack.extend(sub for _, sub in _subschemas(node))


_PROBES: tuple[Any, ...] = (None, True, 0, 0.5, "", [], {})


def _refers_to_itself(validator: Any, shown: str, located: LocatedJSON) -> Diagnostic | None:
    """ED402 when the schema recurses without end on the simplest values (``{"$ref": "#"}``,
    two $defs that refer to each other...): it could check nothing."""
    try:
        for probe in _PROBES:
            for _ in validator.iter_errors(probe):
                pass
    except RecursionError:
        refs = sorted((p for p in located.positions if p and p[-1] == "$ref"), key=len)
        position = located.positions[refs[0]] if refs else located.position_of(())
        return Diagnostic(
            "ED402",
            "the schema refers to itself without end: a $ref leads "
            "back to where it started, checking nothing on the way",
            SourceLocation(shown, position.line, position.col),
            "make every $ref that leads back reach a part of the value first, "
            "as properties or items do",
        )
    except Exception:  # noqa: BLE001 - other faults show when examples are checked
        return None
    return None


# --- the quick test of validity: jsonschema-rs ---------------------------------------------

#: Keywords whose meaning rests on Python (regular expressions, formats, float division):
#: jsonschema-rs hands each back to the very function jsonschema runs for it (the
#: validator's VALIDATORS, jsonschema's interface for keywords), so that both read them
#: alike: Python's ``\\d``, ``\\s`` and ``$`` are not ECMA-262's, and a project's pattern keeps
#: its time limit (``bounded_search``).
_PYTHON_KEYWORDS = ("pattern", "format", "multipleOf")


def _python_keyword(validator: Any, keyword: str) -> type:
    """A jsonschema-rs keyword that runs jsonschema's own function for ``keyword``."""
    check = validator.VALIDATORS[keyword]

    class Keyword:
        def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
            self.parent_schema, self.value = parent_schema, value

        def validate(self, instance: Any) -> None:
            for error in check(validator, self.value, instance, self.parent_schema):
                raise ValueError(error.message)

    return Keyword


def _refuse_rs_retrieval(uri: str) -> Any:
    raise ValueError(f"'{uri}' is not one of the project's schemas")


def rs_validity(
    validator: Draft202012Validator, resources: list[tuple[str, Any]]
) -> Validity | None:
    """A test that says whether ``validator`` would report no error for an instance, by
    jsonschema-rs (``resources``: the schemas a ``$ref`` may name, by URI); None when the
    validator is not a plain Draft 2020-12 one, when the schema has "patternProperties"
    (a pattern jsonschema-rs would read by ECMA-262's rules), or when jsonschema-rs cannot
    take the schema: its errors are then always collected by jsonschema.

    The test answers False for a value jsonschema-rs cannot take (a key that is not
    text, a set...): jsonschema then decides. jsonschema-rs finds what jsonschema finds
    (the tests compare the two on thousands of instances); it is what keeps the check
    quick: benchmarks/validators.py measures it against plain jsonschema."""
    if type(validator) not in _VALIDATOR_CLASSES or any(
        isinstance(node, dict) and "patternProperties" in node
        for node in _all_subschemas(validator.schema)
    ):
        return None
    keywords = {keyword: _python_keyword(validator, keyword) for keyword in _PYTHON_KEYWORDS}
    try:
        quick = jsonschema_rs.Draft202012Validator(
            validator.schema,
            registry=jsonschema_rs.Registry(resources),
            retriever=_refuse_rs_retrieval,
            keywords=keywords,
        )
    except ValueError:  # jsonschema-rs cannot take it: jsonschema's way
        return None

    def is_valid(instance: Any) -> bool:
        try:
            return bool(quick.is_valid(instance))
        except ValueError:
            return False

    return is_valid


def _all_subschemas(schema: Any) -> Iterator[Any]:
    stack = [schema]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack.extend(sub for _, sub in _subschemas(node))


def load_schemas(project_dir: Path | None, rel: Any = str) -> SchemaStore:
    files, problems = read_schema_files(project_dir, rel)
    return schema_store(files, problems)


def schema_store(files: list[SchemaFile], problems: list[Diagnostic]) -> SchemaStore:
    """The validators of schema files read by read_schema_files (with its problems)."""
    store = SchemaStore(diagnostics=list(problems))
    store.add_all(files)
    return store
