"""``generator check --baseline FILE``: adopt the checker on a tree with old problems.

``--write-baseline`` records today's problems in FILE; from then on a check with
``--baseline FILE`` shows, and fails on, only problems that are not in it. As in mypy's and
ruff's baselines, a problem is known by what it is, not where it is: its code, its file and
its message with line references taken out, so editing the lines above it does not turn it
into a new one. Each key keeps a count: a second copy of a known problem is a new one.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from generator.errors import ConfigError, Diagnostic, Severity, SourceLocation

FORMAT = "element-docs check baseline"
VERSION = 1

_LINE_REFERENCE_RE = re.compile(r"\b(?:line|lines) \d+(?:, col \d+)?|:\d+(?::\d+)?\b")

Key = tuple[str, str, str]


def problem_key(diagnostic: Diagnostic) -> Key:
    """What identifies a problem across edits: code, file, message without line numbers."""
    path = diagnostic.location.path if diagnostic.location else ""
    message = _LINE_REFERENCE_RE.sub("", diagnostic.message)
    return diagnostic.code, path, " ".join(message.split())


def _problems(diagnostics: list[Diagnostic]) -> Counter[Key]:
    return Counter(problem_key(d) for d in diagnostics if d.level is not Severity.NOTE)


def write_baseline(path: Path, diagnostics: list[Diagnostic]) -> int:
    """Record ``diagnostics`` in ``path`` (sorted, one entry per key); the number recorded."""
    counts = _problems(diagnostics)
    entries = [
        {"code": code, "path": file, "message": message, "count": count}
        for (code, file, message), count in sorted(counts.items())
    ]
    payload = {"format": FORMAT, "version": VERSION, "problems": entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.tmp")
    staging.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    staging.replace(path)
    return sum(counts.values())


def read_baseline(path: Path) -> Counter[Key]:
    """The problems recorded in ``path``; ConfigError (ED401) when it is not a baseline."""
    shown = str(path)
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            Diagnostic(
                "ED401",
                f"no baseline at {shown}",
                SourceLocation(shown),
                "run 'generator check --baseline FILE --write-baseline' once to record "
                "today's problems",
            )
        ) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            Diagnostic(
                "ED401",
                f"cannot read the baseline {shown}: {exc}",
                SourceLocation(shown),
                "write it again with --write-baseline",
            )
        ) from None
    entries = payload.get("problems") if isinstance(payload, dict) else None
    if payload.get("format") != FORMAT or not isinstance(entries, list):
        raise ConfigError(
            Diagnostic(
                "ED401",
                f"{shown} is not a check baseline",
                SourceLocation(shown),
                "write it again with --write-baseline",
            )
        )
    known: Counter[Key] = Counter()
    for entry in entries:
        if isinstance(entry, dict):
            key = (
                str(entry.get("code", "")),
                str(entry.get("path", "")),
                str(entry.get("message", "")),
            )
            count = entry.get("count", 1)
            known[key] += count if isinstance(count, int) and count > 0 else 1
    return known


@dataclass
class Filtered:
    new: list[Diagnostic]  # what the baseline does not hold: shown, and failing on errors
    known: int  # problems found that the baseline holds (not shown)
    gone: int  # problems of the baseline no longer found (fixed)


def apply_baseline(diagnostics: list[Diagnostic], known: Counter[Key]) -> Filtered:
    left = Counter(known)
    new = []
    matched = 0
    for diagnostic in diagnostics:
        if diagnostic.level is Severity.NOTE:
            new.append(diagnostic)
            continue
        key = problem_key(diagnostic)
        if left[key] > 0:
            left[key] -= 1
            matched += 1
        else:
            new.append(diagnostic)
    return Filtered(new, matched, sum(left.values()))
