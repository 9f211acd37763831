"""Data files: includes/_data (YAML, JSON, CSV, TSV) read into site.data, each problem at
its line."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.errors import Diagnostic, SourceLocation
from generator.load.files import read_inside


def load_data_files(
    data_dir: Path, rel: Callable[[Path], str]
) -> tuple[dict[str, Any], list[Diagnostic]]:
    """``site.data``: one entry per data file (YAML; JSON and CSV/TSV too, as Jekyll reads
    them) by file stem, a subfolder's files under the subfolder's name
    (``_data/sidebars/main.yml`` is ``site.data.sidebars.main``)."""
    from generator.load.documents import parse_yaml_front_matter
    from generator.load.files import decode

    data: dict[str, Any] = {}
    diagnostics: list[Diagnostic] = []
    if not data_dir.is_dir():
        return data, diagnostics
    root = data_dir.resolve()
    for path in sorted(data_dir.rglob("*")):
        if path.suffix not in DATA_SUFFIXES or not path.is_file():
            continue
        shown = rel(path)
        if root not in path.resolve().parents:
            diagnostics.append(
                Diagnostic(
                    "ED403",
                    "data file is a link that leads outside includes/_data/",
                    SourceLocation(shown),
                    "copy the data into the project instead of linking it",
                )
            )
            continue
        try:  # opened once, and checked on the opened file (documents.open_checked)
            text, problem = decode(read_inside(path, root)[0], shown)
        except OSError as exc:
            diagnostics.append(
                Diagnostic(
                    "ED403", f"cannot read data file: {exc.strerror or exc}", SourceLocation(shown)
                )
            )
            continue
        if text is None:
            diagnostics.extend([problem] if problem else [])
            continue
        if path.suffix == ".json":  # JSON by its own rules (a tab is fine there)
            import json

            try:
                values: Any = json.loads(text)
            except ValueError as exc:
                line = getattr(exc, "lineno", 0)
                diagnostics.append(
                    Diagnostic(
                        "ED403",
                        f"data file is not valid JSON: {getattr(exc, 'msg', exc)}",
                        SourceLocation(shown, line),
                    )
                )
                continue
        elif path.suffix in (".csv", ".tsv"):
            import csv
            import io

            values = list(
                csv.DictReader(
                    io.StringIO(text), delimiter=("\t" if path.suffix == ".tsv" else ",")
                )
            )
        else:
            values, _, problems = _parse_data(text, shown, parse_yaml_front_matter)
            diagnostics.extend(problems)
        target = data
        for folder in path.relative_to(data_dir).parts[:-1]:
            found = target.get(folder)
            if not isinstance(found, dict):
                found = target[folder] = {}
            target = found
        target[path.stem] = values
    return data, diagnostics


DATA_SUFFIXES = (".yml", ".yaml", ".json", ".csv", ".tsv")


def _parse_data(text: str, shown: str, parse: Any) -> tuple[Any, Any, list[Diagnostic]]:
    import yaml

    try:
        values, lines, problems = parse(text, shown, 1)
    except ValueError as exc:  # an integer past Python's int-string limit (4,300 digits)
        found = re.search(r"\d{4300}", text)
        line = text.count("\n", 0, found.start()) + 1 if found else 1
        return (
            {},
            {},
            [
                Diagnostic(
                    "ED403",
                    f"data file cannot be read: {str(exc).split(';')[0]}",
                    SourceLocation(shown, line, 1),
                    "quote very long numbers, so they are text",
                )
            ],
        )
    fixed = []
    for problem in problems:
        if problem.code == "ED103":  # a data file may be a list; only mappings are checked
            try:
                return yaml.safe_load(text), {}, []
            except yaml.YAMLError:
                pass
        fixed.append(
            Diagnostic("ED403", problem.message, problem.location, problem.hint)
            if problem.code == "ED101"
            else problem
        )
    return values, lines, fixed
