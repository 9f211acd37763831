"""Schema store: the JSON Schemas shipped with the package, plus a project's own.

A project's ``schemas/NAME.schema.json`` overrides the shipped schema of that name or adds a
new example kind (used with ```` ```json example=NAME ````). Every schema is checked against
the JSON Schema 2020-12 metaschema before use, and compiled once.

Most examples are valid, and for a valid instance jsonschema spends most of its time
building a fresh helper validator for every subschema it steps into. ``SchemaStore.errors``
therefore asks a second, quick validator first whether the instance is valid at all, and
collects the errors with the ordinary validator only when it is not. The quick validator is
jsonschema's own Draft 2020-12 validator (same keywords, type checker and format checker);
it only keeps the helper validators it builds, remembers the plain values each subschema
has accepted, and stops at the first error (see ``_quick_validity``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import regex
from jsonschema import Draft202012Validator
from jsonschema import validators as jsonschema_validators
from jsonschema._utils import equal  # JSON equality: 1 and True differ, 1 and 1.0 do not
from jsonschema.exceptions import SchemaError, ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable
from referencing.jsonschema import DRAFT202012

from generator.errors import Diagnostic, SourceLocation
from generator.extract.jsonlocate import JSONLocateError, LocatedJSON
from generator.extract.jsonlocate import parse as parse_located
from generator.load.files import FileRefused, read_inside

SUFFIX = ".schema.json"
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
        raise SchemaFailure(f"the schema's pattern '{short(pattern)}' cannot be used: {exc}",
                            "write the pattern in the common regular-expression syntax"
                            ) from None


def _slow(pattern: str) -> SchemaFailure:
    return SchemaFailure(
        f"the schema's pattern '{short(pattern)}' took more than {PATTERN_SECONDS:g} s on a "
        "value, which is left unchecked",
        "simplify the pattern: a repeat inside a repeat, such as (a+)+, can try every way "
        "of splitting a long value")


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _bounded_pattern(validator: Any, pattern: Any, instance: Any, schema: Any
                     ) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not bounded_search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _bounded_pattern_properties(validator: Any, properties: Any, instance: Any, schema: Any
                                ) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for pattern, subschema in properties.items():
        for key, value in instance.items():
            if bounded_search(pattern, key):
                yield from validator.descend(value, subschema, path=key,
                                             schema_path=pattern)


#: The validator of every schema: Draft 2020-12 whose patterns search with a time limit
#: (see PATTERN_SECONDS), but for those of the shipped schemas.
SchemaValidator = jsonschema_validators.extend(
    Draft202012Validator, {"pattern": _bounded_pattern,
                           "patternProperties": _bounded_pattern_properties})
_VALIDATOR_CLASSES = (Draft202012Validator, SchemaValidator)


@dataclass
class SchemaStore:
    validators: dict[str, Draft202012Validator] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # name -> file it came from
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Ask the quick validator first (see the module docstring). False always collects the
    #: errors the slow way, which the tests use to show that both agree.
    fast: bool = True
    # name -> (the validator it was made for, its quick validity test or None)
    _quick: dict[str, tuple[Draft202012Validator, Validity | None]] = field(
        default_factory=dict, repr=False, compare=False)

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
                    entry = (validator,
                             compiled_validity(validator) or _quick_validity(validator))
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
                "as properties or items do") from None
        except Unresolvable as exc:
            raise SchemaFailure(
                f"the schema {self.origins.get(name, name)} refers to "
                f"'{short(str(getattr(exc, 'ref', '') or exc))}', which is not one of the "
                "project's schemas: the value is left unchecked",
                "refer only to the project's schemas, by file name or $id") from None

    def schema(self, name: str) -> dict[str, Any]:
        return dict(self.validators[name].schema)

    def add(self, name: str, text: str, shown: str) -> None:
        """One schema, alone (see ``add_all`` for schemas that refer to each other)."""
        self.add_all([(name, text, shown, True)])

    def add_all(self, schemas: list[tuple[str, str, str, bool]]) -> None:
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
        for name, schema, shown, shipped, located in parsed:
            try:
                Draft202012Validator.check_schema(schema)
            except SchemaError as exc:
                where = "/".join(str(p) for p in exc.path) or "(root)"
                position = located.position_of(tuple(exc.path))
                self.diagnostics.append(Diagnostic(
                    "ED402", f"not a valid JSON Schema at {where}: {exc.message}",
                    SourceLocation(shown, position.line, position.col)))
                continue
            except RecursionError:  # pragma: no cover - MAX_SCHEMA_DEPTH keeps it away
                self.diagnostics.append(Diagnostic(
                    "ED402", "the schema nests too deeply to check", SourceLocation(shown, 1, 1)))
                continue
            refused = list(_references_refused(schema, name, registry, shown, located))
            if refused:
                self.diagnostics.extend(refused)
                continue
            if shipped:
                _SHIPPED_PATTERNS.update(_patterns_of(schema))
            validator = SchemaValidator(schema, registry=registry,
                                        format_checker=SchemaValidator.FORMAT_CHECKER)
            looping = _refers_to_itself(validator, shown, located)
            if looping is not None:
                self.diagnostics.append(looping)
                continue
            self.validators[name] = validator
            self.origins[name] = shown

    def _parse(self, text: str, shown: str) -> LocatedJSON | None:
        """The schema with the place of each of its parts; None (and an ED402) when it is
        not JSON, nests deeper than MAX_SCHEMA_DEPTH or holds a number Python cannot read
        (the parser is iterative: no input raises RecursionError or ValueError here)."""
        try:
            located = parse_located(text)
        except JSONLocateError as exc:
            self.diagnostics.append(Diagnostic(
                "ED402", f"schema is not valid JSON: {exc.message}",
                SourceLocation(shown, exc.line, exc.col), exc.hint))
            return None
        deepest = max(located.positions, key=len, default=())
        if len(deepest) > MAX_SCHEMA_DEPTH:
            position = located.positions[deepest[:MAX_SCHEMA_DEPTH + 1]]
            self.diagnostics.append(Diagnostic(
                "ED402", f"the schema nests more than {MAX_SCHEMA_DEPTH} levels deep",
                SourceLocation(shown, position.line, position.col),
                "flatten it, or name the repeated part in $defs and refer to it with $ref"))
            return None
        return located


def _refuse_retrieval(uri: str) -> Any:
    """The registry's way to fetch a schema it does not hold: never (no network, no file)."""
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


# Keywords whose value is a subschema, a list of them or a mapping of names to them: the
# places a $ref can be (anything else, such as "const" or "examples", holds plain data).
_ONE_SUBSCHEMA = ("not", "if", "then", "else", "items", "contains", "additionalProperties",
                  "propertyNames", "unevaluatedItems", "unevaluatedProperties",
                  "contentSchema")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions",
                   "dependentSchemas")


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


def _references_refused(schema: Any, name: str, registry: Registry[Any], shown: str,
                        located: LocatedJSON) -> Iterator[Diagnostic]:
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
                position = located.positions.get((*path, keyword)) or \
                    located.position_of(path)
                yield Diagnostic(
                    "ED250", f"{keyword} '{short(ref)}' was not followed: {why}; the schema "
                    "is not used", SourceLocation(shown, position.line, position.col),
                    "refer only to the project's schemas (schemas/NAME.schema.json by its "
                    "file name or $id) and to parts of them ('#/$defs/NAME')")
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
        return "element-docs reads nothing from the network, and no schema of the project " \
               "has that $id"
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
        return Diagnostic("ED402", "the schema refers to itself without end: a $ref leads "
                          "back to where it started, checking nothing on the way",
                          SourceLocation(shown, position.line, position.col),
                          "make every $ref that leads back reach a part of the value first, "
                          "as properties or items do")
    except Exception:  # noqa: BLE001 - other faults show when examples are checked
        return None
    return None


_ORIGINAL_DESCEND = Draft202012Validator.descend
_QUICK_CACHE_LIMIT = 4096  # subschemas remembered per schema; far more than any schema has
_VALID_LIMIT = 512  # valid values remembered per subschema
# Values remembered by exact type and value: True, 1 and 1.0 are equal in Python but not
# to JSON Schema, so the type is part of what is remembered. (0.0 and -0.0 are one value
# here; they are to every JSON Schema keyword as well.)
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})
# Where a subschema has no keyword but "type", these types alone decide: jsonschema's type
# check looks at nothing but the Python type of such a value. (Not float: 1.0 is an
# "integer" and 1.5 is not.)
_TYPE_DECIDES = frozenset({str, int, bool, type(None), list, dict})


def _quick_validity(validator: Draft202012Validator) -> Validity | None:
    """A test that says whether ``validator`` would report no error for an instance.

    It is a copy of jsonschema's Draft 2020-12 validator class; its ``descend`` (the step
    into a subschema) and ``evolve`` (the validator for a subschema, which "if", "not" and
    the like ask for) differ in three ways, none of which changes whether an error is
    found:

    * jsonschema builds a new validator for the subschema every time; here the one built
      for a subschema is kept and used again while the resolver (the base URI and scope
      that ``$ref`` is resolved against) is the very same object. Steps that jsonschema
      gives a resolver of its own (``$ref``, ``$dynamicRef``), subschemas with ``$id`` or
      ``$schema``, boolean schemas and any other change go through jsonschema's own code.
    * it remembers, for each such subschema, the plain values (strings, numbers, booleans,
      null) it has found valid there, by type and value: a subschema sees nothing but the
      value and itself, so the same value is valid there again. A subschema whose only
      keyword is "type" is remembered by the value's type alone (see ``_TYPE_DECIDES``).
    * ``descend`` stops at the first error: the answer is only "valid or not". Every
      keyword that looks at the errors of a subschema only asks whether there are any.

    None when the validator is not a plain Draft 2020-12 one (its errors are then always
    collected the slow way).
    """
    if type(validator) not in _VALIDATOR_CLASSES:
        return None
    quick_class = jsonschema_validators.extend(type(validator))
    keywords = quick_class.VALIDATORS
    original_evolve = quick_class.evolve
    # id(subschema) -> (subschema, resolver, validator built for it, what was found valid
    # there, whether "type" is its only keyword). The entry holds the subschema and the
    # resolver themselves, so their ids cannot be reused by other objects meanwhile.
    built: dict[int, tuple[Any, Any, Any, set[Any], bool]] = {}

    def entry_for(self: Any, schema: Any) -> tuple[Any, Any, Any, set[Any], bool] | None:
        """The kept validator (and what it found valid) for ``schema`` under self's resolver,
        built now if need be; None where jsonschema's own code must run."""
        here = self._resolver
        entry = built.get(id(schema))
        if entry is not None and entry[0] is schema and entry[1] is here and \
                self._ref_resolver is None:
            return entry
        if not isinstance(schema, dict) or "$id" in schema or "$schema" in schema or \
                self._ref_resolver is not None:
            return None
        # What jsonschema builds for this step: evolve() keeps self's resolver, and
        # descend() gives a subschema without $id self's resolver too (it opens no scope).
        if len(built) >= _QUICK_CACHE_LIMIT:
            built.clear()
        type_only = {key for key in schema if key in keywords} <= {"type"}
        entry = (schema, here, original_evolve(self, schema=schema), set(), type_only)
        built[id(schema)] = entry
        return entry

    def evolve(self: Any, **changes: Any) -> Any:
        if len(changes) == 1 and "schema" in changes:
            entry = entry_for(self, changes["schema"])
            if entry is not None:
                return entry[2]
        return original_evolve(self, **changes)

    def descend(self: Any, instance: Any, schema: Any, path: Any = None,
                schema_path: Any = None, resolver: Any = None) -> Iterator[ValidationError]:
        entry = entry_for(self, schema) if resolver is None else None
        if entry is None:
            yield from _ORIGINAL_DESCEND(self, instance, schema, path, schema_path, resolver)
            return
        kind = type(instance)
        known: Any = (kind if entry[4] and kind in _TYPE_DECIDES else
                      (kind, instance) if kind in _SCALAR_TYPES else None)
        valid = entry[3]
        if known is not None and known in valid:
            return
        for error in entry[2].iter_errors(instance):
            yield error
            return
        if known is not None:
            if len(valid) >= _VALID_LIMIT:
                valid.clear()
            valid.add(known)

    setattr(quick_class, "evolve", evolve)  # noqa: B010 (methods of this copy only)
    setattr(quick_class, "descend", descend)  # noqa: B010
    quick = quick_class(validator.schema, registry=validator._registry,
                        format_checker=validator.format_checker)
    if not (hasattr(quick, "_resolver") and hasattr(quick, "_ref_resolver")):
        return None  # a jsonschema whose insides differ from what descend() relies on
    return quick.is_valid  # type: ignore[no-any-return]


# --- schemas made of the common keywords, compiled to plain Python -------------------------

# Keywords that assert nothing (annotations); with "$defs", harmless while no "$ref" exists.
_ANNOTATIONS = frozenset({"$comment", "$defs", "title", "description", "default", "examples",
                          "deprecated", "readOnly", "writeOnly", "then", "else"})


class _Unsupported(Exception):
    """The schema uses a keyword the compiled test does not have: jsonschema's way is used."""


def compiled_validity(validator: Draft202012Validator) -> Validity | None:
    """A test, in plain Python, that says whether ``validator`` would report no error, for
    schemas made only of the keywords every shipped schema uses (type, properties,
    required, additionalProperties, pattern, min/maxLength, items, min/maxItems,
    minimum/maximum, enum, const, propertyNames, if/then/else); None for any other schema
    (then ``_quick_validity`` is used). jsonschema, even made quick, spends most of a check
    of a valid example stepping from keyword to keyword; the compiled test costs a fifth.
    The keywords behave as jsonschema's own Draft 2020-12 ones (the tests compare the two
    on thousands of instances)."""
    if type(validator) not in _VALIDATOR_CLASSES:
        return None
    try:
        return _compile(validator.schema, frozenset(validator.VALIDATORS), True)
    except (_Unsupported, re.error, regex.error, TypeError, KeyError, RecursionError):
        return None  # KeyError: an unknown type; RecursionError: jsonschema's way says


def _is_integer(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: type(value) is bool,
    "null": lambda value: value is None,
    "integer": _is_integer,
    "number": _is_number,
}


def _compile(schema: Any, keywords: frozenset[str], root: bool = False) -> Validity:
    if schema is True:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, dict):
        raise _Unsupported("not a schema")
    checks: list[Validity] = []
    for keyword, argument in schema.items():
        if keyword in _ANNOTATIONS or (root and keyword in ("$schema", "$id")):
            continue
        if keyword.startswith("$") or keyword in keywords and keyword not in _COMPILED:
            raise _Unsupported(keyword)
        if keyword not in keywords:
            continue  # not a keyword of the draft: jsonschema passes it by too
        checks.append(_COMPILED[keyword](argument, schema, keywords))
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]

    def valid(value: Any) -> bool:
        for check in checks:  # noqa: SIM110 - a loop, not all() over a generator: quicker
            if not check(value):
                return False
        return True

    return valid


def _type(argument: Any, schema: Any, keywords: Any) -> Validity:
    names = argument if isinstance(argument, list) else [argument]
    tests = [_TYPES[name] for name in names]  # an unknown type name: KeyError, below
    if len(tests) == 1:
        return tests[0]
    return lambda value: any(test(value) for test in tests)


def _properties(argument: Any, schema: Any, keywords: Any) -> Validity:
    subs = [(name, _compile(sub, keywords)) for name, sub in argument.items()]

    def valid(value: Any) -> bool:
        if isinstance(value, dict):
            for name, sub in subs:
                if name in value and not sub(value[name]):
                    return False
        return True

    return valid


def _required(argument: Any, schema: Any, keywords: Any) -> Validity:
    names = list(argument)
    return lambda value: not isinstance(value, dict) or all(n in value for n in names)


def _additional(argument: Any, schema: Any, keywords: Any) -> Validity:
    if "patternProperties" in schema:
        raise _Unsupported("patternProperties")
    known = frozenset(schema.get("properties", {}))
    if argument is False:
        return lambda value: not isinstance(value, dict) or all(k in known for k in value)
    sub = _compile(argument, keywords)
    return lambda value: not isinstance(value, dict) or all(
        sub(item) for key, item in value.items() if key not in known)


def _pattern(argument: Any, schema: Any, keywords: Any) -> Validity:
    if argument in _SHIPPED_PATTERNS:
        search = re.compile(argument).search
        return lambda value: not isinstance(value, str) or search(value) is not None
    regex.compile(argument)  # regex.error now, for a pattern it cannot take
    return lambda value: not isinstance(value, str) or bounded_search(argument, value)


def _min_length(argument: Any, schema: Any, keywords: Any) -> Validity:
    return lambda value: not isinstance(value, str) or len(value) >= argument


def _max_length(argument: Any, schema: Any, keywords: Any) -> Validity:
    return lambda value: not isinstance(value, str) or len(value) <= argument


def _items(argument: Any, schema: Any, keywords: Any) -> Validity:
    if "prefixItems" in schema:
        raise _Unsupported("prefixItems")
    sub = _compile(argument, keywords)
    return lambda value: not isinstance(value, list) or all(sub(item) for item in value)


def _min_items(argument: Any, schema: Any, keywords: Any) -> Validity:
    return lambda value: not isinstance(value, list) or len(value) >= argument


def _max_items(argument: Any, schema: Any, keywords: Any) -> Validity:
    return lambda value: not isinstance(value, list) or len(value) <= argument


def _minimum(argument: Any, schema: Any, keywords: Any) -> Validity:
    return lambda value: not _is_number(value) or value >= argument


def _maximum(argument: Any, schema: Any, keywords: Any) -> Validity:
    return lambda value: not _is_number(value) or value <= argument


def _enum(argument: Any, schema: Any, keywords: Any) -> Validity:
    options = list(argument)
    return lambda value: any(equal(option, value) for option in options)


def _const(argument: Any, schema: Any, keywords: Any) -> Validity:
    return lambda value: equal(value, argument)


def _property_names(argument: Any, schema: Any, keywords: Any) -> Validity:
    sub = _compile(argument, keywords)
    return lambda value: not isinstance(value, dict) or all(sub(key) for key in value)


def _if(argument: Any, schema: Any, keywords: Any) -> Validity:
    condition = _compile(argument, keywords)
    then = _compile(schema["then"], keywords) if "then" in schema else None
    otherwise = _compile(schema["else"], keywords) if "else" in schema else None

    def valid(value: Any) -> bool:
        if condition(value):
            return then is None or then(value)
        return otherwise is None or otherwise(value)

    return valid


_COMPILED: dict[str, Callable[[Any, Any, Any], Validity]] = {
    "type": _type, "properties": _properties, "required": _required,
    "additionalProperties": _additional, "pattern": _pattern, "minLength": _min_length,
    "maxLength": _max_length, "items": _items, "minItems": _min_items,
    "maxItems": _max_items, "minimum": _minimum, "maximum": _maximum, "enum": _enum,
    "const": _const, "propertyNames": _property_names, "if": _if,
}


def packaged_schema_files() -> dict[str, str]:
    """name -> text of each schema shipped in the package."""
    found: dict[str, str] = {}
    folder = resources.files("generator") / "schemas"
    for entry in folder.iterdir():
        if entry.name.endswith(SUFFIX):
            found[entry.name[: -len(SUFFIX)]] = entry.read_text(encoding="utf-8")
    return found


def load_schemas(project_dir: Path | None, rel: Any = str) -> SchemaStore:
    store = SchemaStore()
    found = [(name, text, f"generator/schemas/{name}{SUFFIX}", True)
             for name, text in sorted(packaged_schema_files().items())]
    if project_dir is not None and project_dir.is_dir():
        for path in sorted(project_dir.glob(f"*{SUFFIX}")):
            shown = rel(path)
            try:  # opened once: never a fifo, nor a link to a file outside schemas/
                text = read_inside(path, project_dir)[0].decode("utf-8-sig")
            except FileRefused as exc:
                store.diagnostics.append(Diagnostic(
                    "ED402", f"cannot read schema: {exc.reason}", SourceLocation(shown, 1),
                    "keep the project's schemas as files in its schemas folder"))
                continue
            except (OSError, UnicodeDecodeError) as exc:
                store.diagnostics.append(Diagnostic(
                    "ED402", f"cannot read schema: {exc}", SourceLocation(shown, 1)))
                continue
            found.append((path.name[: -len(SUFFIX)], text, shown, False))
    store.add_all(found)
    return store
