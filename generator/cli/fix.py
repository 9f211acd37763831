"""``generator fix``: mend the mechanical defects the check finds, where the mend is provable.

What it mends (everything else is left to the author):
- ED201/ED202/ED203: an example's element id, key or hub that is not the page's. The value in
  the example is set to the front matter's; with ``from_example`` the front matter is set to
  the example's instead. A value in a partial is set to a literal only when every page that
  includes the partial wants the same literal; otherwise it becomes ``{{ page.elementId }}``
  (or ``elementKey``), provided every including page defines that key.
- ED220: the missing ``\\`` at the ends of the lines of a multi-line cURL command, found by
  parsing the block again after each insertion, the way the check parses it.

An edit replaces the exact text the diagnostic points at, after checking that the text there
is what the check read; the rest of the file stays byte for byte. ``--write`` writes each file
atomically, then checks again: a file whose fixed lines still draw the same diagnostic is put
back as it was, so no line is left changed that the check does not accept.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.load.documents import Document
from generator.pipeline.project import PageResult, Project
from generator.render.templating import partial_path
from generator.validate.curl import CurlParseError, command_end_line, parse_curl

#: The front-matter key each fixable cross-check compares with.
KEY_OF_CODE = {"ED201": "elementId", "ED202": "elementKey", "ED203": "hub"}
_JSON = json.JSONDecoder()
_FENCE_RE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_OPTION_LINE_RE = re.compile(r"[ \t]*-")
_OUTPUT_TAG_RE = re.compile(r"\{\{.*?\}\}")
# a line that goes on with the command above it: indented, and an argument (not a prompt)
_CONTINUES_RE = re.compile(r"[ \t]+(?:-|'|\"|https?://)")
_MAX_CONTINUATIONS = 200


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` at ``line``:``col`` (1-based) of ``path`` (project-relative) by ``new``."""

    path: str
    line: int
    col: int
    old: str
    new: str
    note: str = ""


@dataclass
class FixPlan:
    edits: list[Edit] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what could not be proven, and why

    def by_file(self) -> dict[str, list[Edit]]:
        grouped: dict[str, list[Edit]] = defaultdict(list)
        for edit in self.edits:
            grouped[edit.path].append(edit)
        return dict(sorted(grouped.items()))


# --- reading what a diagnostic points at -------------------------------------------------------


def _file_lines(root: Path, rel: str, cache: dict[str, list[str] | None]) -> list[str] | None:
    """The file's lines with their endings, or None when it cannot be read as UTF-8 or lies
    outside the project."""
    if rel not in cache:
        path = (root / rel)
        try:
            inside = path.resolve().is_relative_to(root.resolve())
            cache[rel] = path.read_text(encoding="utf-8").splitlines(keepends=True) \
                if inside else None
        except (OSError, UnicodeDecodeError):
            cache[rel] = None
    return cache[rel]


def _json_token(line: str, col: int) -> tuple[str, Any] | None:
    """The JSON string or number that starts at 1-based ``col`` of ``line``: its text and
    value."""
    start = col - 1
    if not 0 <= start < len(line) or line[start] not in '"-0123456789':
        return None
    try:
        value, end = _JSON.raw_decode(line, start)
    except ValueError:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return line[start:end], value


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# --- planning ----------------------------------------------------------------------------------


@dataclass
class _Wanted:
    """What each page that reported one example value wants it to be."""

    token: str
    value: Any
    pages: dict[str, Any] = field(default_factory=dict)  # page rel -> front-matter value


def plan_fixes(project: Project, results: Iterable[PageResult],
               from_example: bool = False) -> FixPlan:
    settings = project.settings
    root = settings.root
    plan = FixPlan()
    lines_of: dict[str, list[str] | None] = {}
    documents: dict[str, Document] = {}
    includers: dict[str, set[str]] = defaultdict(set)  # partial rel -> pages that include it
    values: dict[tuple[str, int, int, str], _Wanted] = {}
    curl_blocks: set[tuple[str, int]] = set()

    for result in results:
        doc = result.document
        if doc is None:
            continue
        documents[result.rel] = doc
        if result.rendered is not None:
            for name in result.rendered.partials:
                rel = settings.rel(partial_path(settings, name))
                includers[rel].add(result.rel)
        for diagnostic in result.diagnostics:
            loc = diagnostic.location
            if loc is None or not loc.line or not loc.col:
                continue
            if diagnostic.code == "ED220":
                curl_blocks.add((loc.path, loc.line))
                continue
            key = KEY_OF_CODE.get(diagnostic.code)
            if key is None:
                continue
            wanted = doc.hub if key == "hub" else doc.meta.get(key)
            lines = _file_lines(root, loc.path, lines_of)
            line = lines[loc.line - 1] if lines and loc.line <= len(lines) else ""
            token = _json_token(line, loc.col)
            # with no template tag before it or in it, the value is where the check read it
            head = line[:loc.col - 1 + len(token[0])] if token else "{{"
            token = None if "{{" in head or "{%" in head else token
            if token is None or wanted is None or token[1] == wanted or \
                    isinstance(token[1], int) != (key == "elementId"):
                plan.skipped.append(f"{loc}: {diagnostic.code} not fixed: the value there is "
                                    "not written as a plain JSON value (a template makes it)")
                continue
            entry = values.setdefault((loc.path, loc.line, loc.col, diagnostic.code),
                                      _Wanted(token[0], token[1]))
            entry.pages[result.rel] = wanted

    if from_example:
        _plan_front_matter(plan, values, documents, root, lines_of)
    else:
        _plan_example_values(plan, values, includers, documents)
    for block_path, block_line in sorted(curl_blocks):
        _plan_backslashes(plan, block_path, block_line,
                          _file_lines(root, block_path, lines_of))
    plan.skipped = sorted(set(plan.skipped))
    return plan


def _plan_example_values(plan: FixPlan, values: dict[tuple[str, int, int, str], _Wanted],
                         includers: dict[str, set[str]], documents: dict[str, Document]) -> None:
    for (path, line, col, code), entry in sorted(values.items()):
        key = KEY_OF_CODE[code]
        wanted = set(map(_literal, entry.pages.values()))
        pages = includers.get(path, set()) | set(entry.pages)
        if path in documents or (len(wanted) == 1 and pages <= set(entry.pages)):
            new = _literal(next(iter(entry.pages.values())))
            note = "" if path in documents else \
                f"wrong for every page that includes it ({len(pages)})"
            plan.edits.append(Edit(path, line, col, entry.token, new, note))
            continue
        if key != "hub" and all(key in documents[p].meta for p in pages if p in documents):
            template = "{{ page." + key + " }}"
            new = template if isinstance(entry.value, int) else f'"{template}"'
            plan.edits.append(Edit(
                path, line, col, entry.token, new,
                f"written as {template}: the {len(pages)} pages that include it do not all "
                f"want one {key}"))
            continue
        plan.skipped.append(f"{path}:{line}:{col}: {code} not fixed: the pages that include "
                            f"this partial want different values of {key} and not all of "
                            "them define it")


_FRONT_VALUE_RE = re.compile(r"^(?P<head>\s*(?P<key>[A-Za-z_][\w-]*)\s*:[ \t]*)"
                             r"(?P<value>'[^'\n]*'|\"[^\"\n]*\"|[^\s#'\"][^#\n]*?)"
                             r"(?P<tail>[ \t]*(?:#.*)?\r?\n?)$")


def _plan_front_matter(plan: FixPlan, values: dict[tuple[str, int, int, str], _Wanted],
                       documents: dict[str, Document], root: Path,
                       lines_of: dict[str, list[str] | None]) -> None:
    """--from-example: each page's front matter set to what its examples say."""
    asked: dict[tuple[str, str], set[str]] = defaultdict(set)  # (page, key) -> YAML values
    for (_path, _line, _col, code), entry in values.items():
        for page in entry.pages:
            asked[(page, KEY_OF_CODE[code])].add(_literal(entry.value))
    for (page, key), wanted in sorted(asked.items()):
        doc = documents[page]
        if len(wanted) != 1:
            plan.skipped.append(f"{page}: {key} not set: its examples disagree "
                                f"({', '.join(sorted(wanted))})")
            continue
        if key == "hub" and "hub" not in doc.meta:
            plan.skipped.append(f"{page}: hub not set: the page names its hub with a legacy key")
            continue
        loc = doc.key_location(key)
        lines = _file_lines(root, loc.path, lines_of)
        match = _FRONT_VALUE_RE.match(lines[loc.line - 1]) if lines and \
            0 < loc.line <= len(lines) else None
        if match is None or match.group("key") != key:
            plan.skipped.append(f"{loc}: {key} not set: its value is not one plain line")
            continue
        new = next(iter(wanted))  # a JSON string or number is valid YAML for the same value
        value = match.group("value")
        plan.edits.append(Edit(loc.path, loc.line, match.start("value") + 1, value, new,
                               "front matter set to the examples' value"))


def _fence_around(lines: list[str], line: int) -> tuple[int, int] | None:
    """0-based [first, last) content lines of the fenced block holding 1-based ``line``."""
    start = line - 1
    while start > 0 and not _FENCE_RE.match(lines[start - 1]):
        start -= 1
    if start == 0:
        return None
    opener = _FENCE_RE.match(lines[start - 1])
    assert opener is not None
    end = line - 1
    while end < len(lines) and not lines[end].lstrip().startswith(opener.group(1)):
        end += 1
    return start, end


def _plan_backslashes(plan: FixPlan, path: str, line: int, lines: list[str] | None) -> None:
    """Add the missing line continuations of the cURL block holding ``line``, as long as
    each one is what stops the command from parsing."""
    span = _fence_around(lines, line) if lines else None
    if lines is None or span is None:
        return
    first, last = span
    # An output tag ({{ ... }}) is read as a word of its own length: it cannot change where
    # the command's lines end. A {% tag %} can, so such a block is left alone.
    block = [_OUTPUT_TAG_RE.sub(lambda m: "x" * len(m.group()), text.rstrip("\r\n"))
             for text in lines[first:last]]
    if any("{%" in text or "{{" in text for text in block):
        plan.skipped.append(f"{path}:{line}: ED220 not fixed: the cURL block holds template "
                            "tags that may change its lines")
        return
    added: list[int] = []
    for _ in range(_MAX_CONTINUATIONS):
        try:
            parse_curl("\n".join(block))
        except CurlParseError as exc:
            index = exc.line - 1
            if not (0 <= index < len(block) - 1 and exc.col == len(block[index].rstrip()) + 1
                    and not block[index].rstrip().endswith("\\")
                    and _OPTION_LINE_RE.match(block[index + 1])):
                if added:
                    plan.skipped.append(f"{path}:{first + index + 1}: ED220 left: the command "
                                        "has another problem after its line continuations")
                return  # some other parse error: nothing here can be proven
            block[index] = block[index].rstrip() + " \\"
            added.append(index)
            continue
        # It parses, but may have stopped at a line break before the arguments that follow
        # (a URL or a quoted body on the next line, indented as the command's own lines are).
        end = _last_line_of_command(block)
        following = block[end + 1] if end is not None and end + 1 < len(block) else ""
        if end is None or not added or not _CONTINUES_RE.match(following):
            break
        block[end] = block[end].rstrip() + " \\"
        added.append(end)
    for index in added:
        original = lines[first + index].rstrip("\r\n")
        trimmed = original.rstrip()
        plan.edits.append(Edit(path, first + index + 1, len(trimmed) + 1,
                               original[len(trimmed):], " \\", "line continuation"))


def _last_line_of_command(block: list[str]) -> int | None:
    """0-based line of the block where its first command's last word ends."""
    line = command_end_line("\n".join(block))
    return line - 1 if line is not None else None


# --- applying ----------------------------------------------------------------------------------


def apply_to_text(text: str, edits: list[Edit]) -> str:
    """``text`` with ``edits`` (all of one file) made; edits are made from the end so that
    earlier positions stay valid. Raises ValueError when the text no longer matches."""
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.line, e.col), reverse=True):
        current = lines[edit.line - 1]
        start = edit.col - 1
        if current[start:start + len(edit.old)] != edit.old:
            raise ValueError(f"{edit.path}:{edit.line} changed since it was checked")
        lines[edit.line - 1] = current[:start] + edit.new + current[start + len(edit.old):]
    return "".join(lines)


def diff_of(plan: FixPlan, root: Path) -> str:
    out: list[str] = []
    for path, edits in plan.by_file().items():
        before = (root / path).read_text(encoding="utf-8")
        after = apply_to_text(before, edits)
        for edit in edits:
            if edit.note:
                out.append(f"# {path}:{edit.line}: {edit.note}\n")
        out.extend(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        f"a/{path}", f"b/{path}"))
        if out and not out[-1].endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` in one rename: readers see the old file or the new one."""
    mode = path.stat().st_mode & 0o7777
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
