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

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import validators as jsonschema_validators
from jsonschema._utils import equal  # JSON equality: 1 and True differ, 1 and 1.0 do not
from jsonschema.exceptions import SchemaError, ValidationError

from .errors import Diagnostic, SourceLocation

SUFFIX = ".schema.json"
FRONT_MATTER = "front-matter"
REQUEST, RESPONSE, OAUTH_URL = "instance-request", "instance-response", "oauth-url-response"


Validity = Callable[[Any], bool]


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
        if self.fast:
            entry = self._quick.get(name)
            if entry is None or entry[0] is not validator:  # new, or replaced since
                entry = (validator, compiled_validity(validator) or _quick_validity(validator))
                self._quick[name] = entry
            is_valid = entry[1]
            if is_valid is not None and is_valid(instance):
                return []
        return list(validator.iter_errors(instance))

    def schema(self, name: str) -> dict[str, Any]:
        return dict(self.validators[name].schema)

    def add(self, name: str, text: str, shown: str) -> None:
        try:
            schema = json.loads(text)
        except json.JSONDecodeError as exc:
            self.diagnostics.append(Diagnostic(
                "ED402", f"schema is not valid JSON: {exc.msg}",
                SourceLocation(shown, exc.lineno, exc.colno)))
            return
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.path) or "(root)"
            self.diagnostics.append(Diagnostic(
                "ED402", f"not a valid JSON Schema at {where}: {exc.message}",
                SourceLocation(shown, 1, 1)))
            return
        self.validators[name] = Draft202012Validator(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
        self.origins[name] = shown


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
    if type(validator) is not Draft202012Validator:
        return None
    quick_class = jsonschema_validators.extend(Draft202012Validator)
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
    quick = quick_class(validator.schema, format_checker=validator.format_checker)
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
    if type(validator) is not Draft202012Validator:
        return None
    try:
        return _compile(validator.schema, frozenset(validator.VALIDATORS), True)
    except (_Unsupported, re.error, TypeError, KeyError):  # KeyError: an unknown type
        return None


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
    search = re.compile(argument).search
    return lambda value: not isinstance(value, str) or search(value) is not None


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
    for name, text in sorted(packaged_schema_files().items()):
        store.add(name, text, f"generator/schemas/{name}{SUFFIX}")
    if project_dir is not None and project_dir.is_dir():
        for path in sorted(project_dir.glob(f"*{SUFFIX}")):
            shown = rel(path)
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                store.diagnostics.append(Diagnostic(
                    "ED402", f"cannot read schema: {exc}", SourceLocation(shown)))
                continue
            store.add(path.name[: -len(SUFFIX)], text, shown)
    return store
