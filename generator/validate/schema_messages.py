"""A JSON Schema error told in the reader's words: what was expected, what the example has."""

from __future__ import annotations

from typing import Any

from jsonschema.exceptions import ValidationError


def schema_message(error: ValidationError, value: Any) -> str:
    if error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"expected {_article(str(wanted))}, got {_json_type(value)} {short(value)}"
    if error.validator == "pattern":
        return f"{short(value)} does not have the expected form ({error.validator_value})"
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


def short(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
