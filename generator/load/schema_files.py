"""The JSON Schema files of a check: those shipped in the package and the project's own
(``schemas/*.schema.json``), read as text. Compiling them into validators is
validate/schemas.py; reading them stays light, so that a check whose pages all come from
the cache knows whether the schemas changed without importing jsonschema."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from generator.errors import Diagnostic, SourceLocation
from generator.load.files import FileRefused, read_inside

SUFFIX = ".schema.json"


class SchemaFile(NamedTuple):
    name: str  # the file name without SUFFIX
    text: str
    shown: str  # the file as diagnostics name it
    shipped: bool  # with the package (checked by its tests, not at each run)


def packaged_schema_files() -> dict[str, str]:
    """name -> text of each schema shipped in the package."""
    found: dict[str, str] = {}
    folder = resources.files("generator") / "schemas"
    for entry in folder.iterdir():
        if entry.name.endswith(SUFFIX):
            found[entry.name[: -len(SUFFIX)]] = entry.read_text(encoding="utf-8")
    return found


def read_schema_files(
    project_dir: Path | None, rel: Callable[[Path], str] = str
) -> tuple[list[SchemaFile], list[Diagnostic]]:
    """The shipped schemas, then the project's own from ``project_dir``, by name; and an
    ED402 for each of the project's files that cannot be read."""
    found = [
        SchemaFile(name, text, f"generator/schemas/{name}{SUFFIX}", True)
        for name, text in sorted(packaged_schema_files().items())
    ]
    problems: list[Diagnostic] = []
    if project_dir is None or not project_dir.is_dir():
        return found, problems
    for path in sorted(project_dir.glob(f"*{SUFFIX}")):
        shown = rel(path)
        try:  # opened once: never a fifo, nor a link to a file outside schemas/
            text = read_inside(path, project_dir)[0].decode("utf-8-sig")
        except FileRefused as exc:
            problems.append(
                Diagnostic(
                    "ED402",
                    f"cannot read schema: {exc.reason}",
                    SourceLocation(shown, 1),
                    "keep the project's schemas as files in its schemas folder",
                )
            )
            continue
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(
                Diagnostic("ED402", f"cannot read schema: {exc}", SourceLocation(shown, 1))
            )
            continue
        found.append(SchemaFile(path.name[: -len(SUFFIX)], text, shown, False))
    return found, problems
