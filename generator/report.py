"""Report: diagnostics as text (with the source line), JSON, GitHub annotations and SARIF."""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from generator.errors import CODES, Diagnostic, Severity, SourceLocation, printable

#: ``source_line(path, line)``: the text of a line of a project file, or None.
SourceLines = Callable[[str, int], "str | None"]


@dataclass
class CheckReport:
    """What a check found: the pages it read and every diagnostic, sorted."""

    pages: int
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.is_error)


def format_text(diagnostic: Diagnostic, source_line: str | None = None) -> str:
    """``path:line:col: severity CODE message``, the source line, a caret, chain and hint."""
    lines = [diagnostic.one_line()]
    loc = diagnostic.location
    if source_line is not None and loc and loc.line:
        shown = printable(source_line.rstrip("\n").expandtabs(4))
        if len(shown) > 160:
            shown = shown[:157] + "..."
        lines.append(f"    {shown}")
        if loc.col:
            prefix = printable(source_line[: loc.col - 1].expandtabs(4))
            lines.append("    " + " " * min(len(prefix), 160) + "^")
    for where in diagnostic.included_from:
        lines.append(f"    included from {where}")
    if diagnostic.also_in:
        lines.append(f"    also on {_pages_list(diagnostic.also_in)}")
    hint = diagnostic.hint or CODES[diagnostic.code].fix
    lines.append(f"    hint: {hint}")
    return "\n".join(lines)


def format_github(diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command; newlines and special characters escaped."""

    def esc(value: str, prop: bool = False) -> str:
        value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return value.replace(":", "%3A").replace(",", "%2C") if prop else value

    kind = "error" if diagnostic.is_error else "warning"
    props = []
    loc = diagnostic.location
    if loc:
        props.append(f"file={esc(loc.path, True)}")
        if loc.line:
            props.append(f"line={loc.line}")
        if loc.col:
            props.append(f"col={loc.col}")
    props.append(f"title={esc(diagnostic.code, True)}")
    text = diagnostic.message
    if diagnostic.included_from:
        text += " (included from " + ", ".join(map(str, diagnostic.included_from)) + ")"
    if diagnostic.also_in:
        text += f"\nalso on {_pages_list(diagnostic.also_in)}"
    text += "\nhint: " + (diagnostic.hint or CODES[diagnostic.code].fix)
    return f"::{kind} {','.join(props)}::{esc(text)}"


def _pages_list(pages: tuple[str, ...], shown: int = 10) -> str:
    """ "3 other pages: a.md, b.md, c.md" (the first ``shown`` of them named)."""
    names = ", ".join(pages[:shown]) + (
        f", ... ({len(pages) - shown} more)" if len(pages) > shown else ""
    )
    return f"{len(pages)} other page{'s' * (len(pages) != 1)}: {names}"


def summary_counts(diagnostics: list[Diagnostic]) -> dict[str, int]:
    errors = sum(1 for d in diagnostics if d.is_error)
    notes = sum(1 for d in diagnostics if d.level is Severity.NOTE)
    return {
        "errors": errors,
        "warnings": len(diagnostics) - errors - notes,
        "marked_invalid": notes,
    }


def to_json(diagnostics: list[Diagnostic], pages: int, **extra: int) -> str:
    payload = {
        "diagnostics": [d.to_dict() for d in diagnostics if d.level is not Severity.NOTE],
        "summary": {"pages": pages, **summary_counts(diagnostics), **extra},
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _sarif_location(
    location: SourceLocation, message: str | None = None, index: int | None = None
) -> dict[str, Any]:
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": urllib.parse.quote(location.path), "uriBaseId": "%SRCROOT%"}
    }
    if location.line:
        physical["region"] = {
            "startLine": location.line,
            **({"startColumn": location.col} if location.col else {}),
        }
    found: dict[str, Any] = {"physicalLocation": physical}
    if index is not None:
        found["id"] = index
    if message:
        found["message"] = {"text": message}
    return found


def to_sarif(diagnostics: list[Diagnostic], tool_version: str) -> str:
    """One SARIF 2.1.0 run: a rule per diagnostic code (its title, and its fix as help), a
    result per diagnostic at the file's own line, with the include chain and the other pages
    a partial's problem is on as related locations. Paths are relative to the project root
    (``%SRCROOT%``), as code scanning services expect."""
    rule_index = {code: index for index, code in enumerate(CODES)}
    rules = [
        {
            "id": code,
            "name": "".join(word.capitalize() for word in re.findall(r"[A-Za-z0-9]+", info.title)),
            "shortDescription": {"text": info.title},
            "fullDescription": {"text": f"{info.title} ({info.stage})"},
            "help": {"text": info.fix},
            "defaultConfiguration": {"level": info.severity.value},
        }
        for code, info in CODES.items()
    ]
    results = []
    for diagnostic in diagnostics:
        hint = diagnostic.hint or CODES[diagnostic.code].fix
        result: dict[str, Any] = {
            "ruleId": diagnostic.code,
            "ruleIndex": rule_index[diagnostic.code],
            "level": diagnostic.level.value,
            "message": {"text": f"{diagnostic.message}\nhint: {hint}"},
        }
        if diagnostic.location is not None:
            result["locations"] = [_sarif_location(diagnostic.location)]
        related = [(where, "included from here") for where in diagnostic.included_from]
        related += [
            (SourceLocation(page), "also on this page (it includes the same partial)")
            for page in diagnostic.also_in
        ]
        if related:
            result["relatedLocations"] = [
                _sarif_location(where, message, index)
                for index, (where, message) in enumerate(related)
            ]
        results.append(result)
    log = {
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
        "sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "element-docs", "version": tool_version, "rules": rules}
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False)


def print_report(
    report: CheckReport,
    fmt: str,
    out: TextIO,
    *,
    tool_version: str,
    source_line: SourceLines | None = None,
    quiet: bool = False,
    baseline_note: str = "",
    counts: dict[str, int] | None = None,
) -> None:
    """Write ``report`` in ``fmt`` (text, json, github, sarif); text shows each problem's
    source line when ``source_line`` can give it."""
    marked = sum(1 for d in report.diagnostics if d.level is Severity.NOTE)
    diagnostics = [d for d in report.diagnostics if d.is_error or not quiet]
    if fmt == "json":
        out.write(
            to_json(diagnostics, report.pages, marked_invalid=marked, **(counts or {})) + "\n"
        )
        return
    diagnostics = [d for d in diagnostics if d.level is not Severity.NOTE]
    if fmt == "sarif":
        out.write(to_sarif(diagnostics, tool_version) + "\n")
        return
    for diagnostic in diagnostics:
        if fmt == "github":
            out.write(format_github(diagnostic) + "\n")
            continue
        loc = diagnostic.location
        source = source_line(loc.path, loc.line) if source_line and loc and loc.line else None
        out.write(format_text(diagnostic, source) + "\n\n")
    errors = report.errors
    warnings = len(report.diagnostics) - errors - marked
    summary = (
        f"checked {report.pages} page{'s' * (report.pages != 1)}: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    )
    if marked:
        summary += f", {marked} example{'s' * (marked != 1)} marked invalid"
    summary += baseline_note
    if fmt == "github":
        hidden = _hidden_annotations(diagnostics)
        if hidden:
            summary += (
                f" ({hidden} of these will not show as annotations: GitHub shows "
                f"{GITHUB_ANNOTATIONS_SHOWN} errors and {GITHUB_ANNOTATIONS_SHOWN} "
                "warnings per step; all are in the log above)"
            )
        sys.stderr.write(summary + "\n")
    else:
        out.write(summary + "\n")


#: GitHub Actions shows this many annotations of each kind (error, warning) per step.
GITHUB_ANNOTATIONS_SHOWN = 10


def _hidden_annotations(diagnostics: list[Diagnostic]) -> int:
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    return max(0, errors - GITHUB_ANNOTATIONS_SHOWN) + max(0, warnings - GITHUB_ANNOTATIONS_SHOWN)
