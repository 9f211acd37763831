"""Schema store: the JSON Schemas shipped with the package, plus a project's own.

A project's ``schemas/NAME.schema.json`` overrides the shipped schema of that name or adds a
new example kind (used with ```` ```json example=NAME ````). Every schema is checked against
the JSON Schema 2020-12 metaschema before use, and compiled once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .errors import Diagnostic, SourceLocation

SUFFIX = ".schema.json"
FRONT_MATTER = "front-matter"
REQUEST, RESPONSE, OAUTH_URL = "instance-request", "instance-response", "oauth-url-response"


@dataclass
class SchemaStore:
    validators: dict[str, Draft202012Validator] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # name -> file it came from
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def get(self, name: str) -> Draft202012Validator | None:
        return self.validators.get(name)

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
