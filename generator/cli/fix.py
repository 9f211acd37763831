"""``generator fix``: mend the mechanical defects the check finds, where the mend is provable.

What it mends (everything else is left to the author):
- ED201/ED202/ED203: an example's element id, key or hub that is not the page's. The value in
  the example is set to the front matter's; with ``from_example`` the front matter is set to
  the example's instead. A value in a partial is set to a literal only when every page that
  includes the partial wants the same literal; otherwise it becomes ``{{ page.elementId }}``
  (or ``elementKey``), provided every including page defines that key.
- ED220: the missing ``\\`` at the ends of the lines of a multi-line cURL command, found by
  parsing the block again after each insertion, the way the check parses it.
- ED223/ED224: a cURL ``-d`` body that differs from (or does not parse beside) the JSON request
  body the check pairs it with, written again from that JSON body: serialized in the layout
  of the body it replaces (one line with its spacing, or its lines with their indentation)
  and quoted as it was quoted (``'...'`` or ``"..."``), the ``{{ page.x }}`` tags of the JSON
  body kept. Offered only when the JSON body has no problem of its own, and proven on every
  page that renders the block: the command reads back to exactly the JSON body as the page
  renders it, asks for nothing else, and the page's examples checked again report nothing new.

An edit replaces the exact text the diagnostic points at, after checking that the text there
is what the check read; the rest of the file stays byte for byte (CRLF line ends too).
What is not mended is named, by code and line, with the reason (``FixPlan.skipped``).
``--write`` writes each file atomically, then checks again: a file whose fixed lines still
draw the same diagnostic is put back as it was, so no line is left changed that the check
does not accept.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from generator.errors import Diagnostic
from generator.extract.blocks import CURL, REQUEST, Example, extract
from generator.extract.curl import CurlCommand, CurlParseError, command_end_line, parse_curl
from generator.extract.jsonlocate import JSONLocateError, LocatedJSON, parse_lazily
from generator.load.documents import Document
from generator.pipeline.project import PageResult, Project
from generator.render.names import partial_path
from generator.render.sourcemap import RenderResult
from generator.validate.context import PageContext
from generator.validate.curl import (
    configuration_keys,
    key_paths,
    request_for,
    without_continuations,
)
from generator.validate.examples import check_examples
from generator.validate.tolerant import tolerant_read

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
        path = root / rel
        try:
            inside = path.resolve().is_relative_to(root.resolve())
            cache[rel] = read_source(path).splitlines(keepends=True) if inside else None
        except (OSError, UnicodeDecodeError):
            cache[rel] = None
    return cache[rel]


def read_source(path: Path) -> str:
    """The file's text exactly: its CRLF line ends stay CRLF (``read_text`` would make them
    LF, and a fix written back would then change every line of the file)."""
    return path.read_bytes().decode("utf-8")


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


def plan_fixes(
    project: Project, results: Iterable[PageResult], from_example: bool = False
) -> FixPlan:
    settings = project.settings
    root = settings.root
    plan = FixPlan()
    lines_of: dict[str, list[str] | None] = {}
    documents: dict[str, Document] = {}
    includers: dict[str, set[str]] = defaultdict(set)  # partial rel -> pages that include it
    values: dict[tuple[str, int, int, str], _Wanted] = {}
    curl_blocks: set[tuple[str, int]] = set()
    body_pages: list[PageResult] = []  # pages where a cURL body differs from its JSON body

    for result in results:
        doc = result.document
        if doc is None:
            continue
        documents[result.rel] = doc
        if result.rendered is not None:
            for name in result.rendered.partials:
                rel = settings.rel(partial_path(settings, name))
                includers[rel].add(result.rel)
        if any(diagnostic.code in BODY_CODES for diagnostic in result.diagnostics):
            body_pages.append(result)
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
            head = line[: loc.col - 1 + len(token[0])] if token else "{{"
            token = None if "{{" in head or "{%" in head else token
            if (
                token is None
                or wanted is None
                or token[1] == wanted
                or isinstance(token[1], int) != (key == "elementId")
            ):
                plan.skipped.append(
                    f"{loc}: {diagnostic.code} not fixed: the value there is "
                    "not written as a plain JSON value (a template makes it)"
                )
                continue
            entry = values.setdefault(
                (loc.path, loc.line, loc.col, diagnostic.code), _Wanted(token[0], token[1])
            )
            entry.pages[result.rel] = wanted

    if from_example:
        _plan_front_matter(plan, values, documents, root, lines_of)
    else:
        _plan_example_values(plan, values, includers, documents)
    for block_path, block_line in sorted(curl_blocks):
        _plan_backslashes(plan, block_path, block_line, _file_lines(root, block_path, lines_of))
    _plan_curl_bodies(plan, project, body_pages, includers, set(documents), lines_of)
    plan.skipped = sorted(set(plan.skipped))
    return plan


def _plan_example_values(
    plan: FixPlan,
    values: dict[tuple[str, int, int, str], _Wanted],
    includers: dict[str, set[str]],
    documents: dict[str, Document],
) -> None:
    for (path, line, col, code), entry in sorted(values.items()):
        key = KEY_OF_CODE[code]
        wanted = set(map(_literal, entry.pages.values()))
        pages = includers.get(path, set()) | set(entry.pages)
        if path in documents or (len(wanted) == 1 and pages <= set(entry.pages)):
            new = _literal(next(iter(entry.pages.values())))
            note = (
                "" if path in documents else f"wrong for every page that includes it ({len(pages)})"
            )
            plan.edits.append(Edit(path, line, col, entry.token, new, note))
            continue
        if key != "hub" and all(key in documents[p].meta for p in pages if p in documents):
            template = "{{ page." + key + " }}"
            new = template if isinstance(entry.value, int) else f'"{template}"'
            plan.edits.append(
                Edit(
                    path,
                    line,
                    col,
                    entry.token,
                    new,
                    f"written as {template}: the {len(pages)} pages that include it do not all "
                    f"want one {key}",
                )
            )
            continue
        plan.skipped.append(
            f"{path}:{line}:{col}: {code} not fixed: the pages that include "
            f"this partial want different values of {key} and not all of "
            "them define it"
        )


_FRONT_VALUE_RE = re.compile(
    r"^(?P<head>\s*(?P<key>[A-Za-z_][\w-]*)\s*:[ \t]*)"
    r"(?P<value>'[^'\n]*'|\"[^\"\n]*\"|[^\s#'\"][^#\n]*?)"
    r"(?P<tail>[ \t]*(?:#.*)?\r?\n?)$"
)


def _plan_front_matter(
    plan: FixPlan,
    values: dict[tuple[str, int, int, str], _Wanted],
    documents: dict[str, Document],
    root: Path,
    lines_of: dict[str, list[str] | None],
) -> None:
    """--from-example: each page's front matter set to what its examples say."""
    asked: dict[tuple[str, str], set[str]] = defaultdict(set)  # (page, key) -> YAML values
    for (_path, _line, _col, code), entry in values.items():
        for page in entry.pages:
            asked[(page, KEY_OF_CODE[code])].add(_literal(entry.value))
    for (page, key), wanted in sorted(asked.items()):
        doc = documents[page]
        if len(wanted) != 1:
            plan.skipped.append(
                f"{page}: {key} not set: its examples disagree ({', '.join(sorted(wanted))})"
            )
            continue
        if key == "hub" and "hub" not in doc.meta:
            plan.skipped.append(f"{page}: hub not set: the page names its hub with a legacy key")
            continue
        loc = doc.key_location(key)
        lines = _file_lines(root, loc.path, lines_of)
        match = (
            _FRONT_VALUE_RE.match(lines[loc.line - 1])
            if lines and 0 < loc.line <= len(lines)
            else None
        )
        if match is None or match.group("key") != key:
            plan.skipped.append(f"{loc}: {key} not set: its value is not one plain line")
            continue
        new = next(iter(wanted))  # a JSON string or number is valid YAML for the same value
        value = match.group("value")
        plan.edits.append(
            Edit(
                loc.path,
                loc.line,
                match.start("value") + 1,
                value,
                new,
                "front matter set to the examples' value",
            )
        )


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
    block = [
        _OUTPUT_TAG_RE.sub(lambda m: "x" * len(m.group()), text.rstrip("\r\n"))
        for text in lines[first:last]
    ]
    if any("{%" in text or "{{" in text for text in block):
        plan.skipped.append(
            f"{path}:{line}: ED220 not fixed: the cURL block holds template "
            "tags that may change its lines"
        )
        return
    added: list[int] = []
    for _ in range(_MAX_CONTINUATIONS):
        try:
            parse_curl("\n".join(block))
        except CurlParseError as exc:
            index = exc.line - 1
            if not (
                0 <= index < len(block) - 1
                and exc.col == len(block[index].rstrip()) + 1
                and not block[index].rstrip().endswith("\\")
                and _OPTION_LINE_RE.match(block[index + 1])
            ):
                if added:
                    plan.skipped.append(
                        f"{path}:{first + index + 1}: ED220 left: the command "
                        "has another problem after its line continuations"
                    )
                else:  # some other parse error: nothing here can be proven
                    plan.skipped.append(
                        f"{path}:{line}: ED220 not fixed: not a missing line "
                        f"continuation ({exc.message}); only the author "
                        "knows what the command means"
                    )
                return
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
        plan.edits.append(
            Edit(
                path,
                first + index + 1,
                len(trimmed) + 1,
                original[len(trimmed) :],
                " \\",
                "line continuation",
            )
        )


def _last_line_of_command(block: list[str]) -> int | None:
    """0-based line of the block where its first command's last word ends."""
    line = command_end_line("\n".join(block))
    return line - 1 if line is not None else None


# --- cURL bodies -------------------------------------------------------------------------------

#: The diagnostics a cURL body rewritten from its JSON body mends.
BODY_CODES = frozenset({"ED223", "ED224"})
#: What a JSON request body may carry and still be copied into a cURL: the difference itself,
#: and a configuration key the Parameters table lacks (the table's business, not the body's).
_COPYABLE_DESPITE = frozenset({"ED223", "ED230"})
_TAG_RE = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{\{|\{%")
# the only tag a fix re-renders: a page variable, which renders the same wherever it stands
_PAGE_TAG_RE = re.compile(r"\{\{\s*page\.[A-Za-z_]\w*\s*\}\}")
_SENTINEL = "\ue000{}\ue001"
#: Every code ``generator fix`` mends: --write checks these again on the lines it changed.
FIXED_CODES = frozenset({*KEY_OF_CODE, "ED220", *BODY_CODES})


@dataclass
class _Block:
    """The lines of a fenced block's content as its file has them (with their endings)."""

    path: str
    line: int  # 1-based line of the file holding the content's first line
    source: list[str]
    rendered_first: int  # 0-based line of the rendered page holding the same line


@dataclass
class _Offer:
    """What one page says about one cURL body: the edit that mends it, or why none can."""

    page: str
    code: str
    edit: Edit | None
    why: str = ""
    reported: tuple[str, int] = ("", 0)  # where the check reports the difference
    covers: frozenset[tuple[str, int, str]] = frozenset()  # every diagnostic of it


def _content_lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def _source_block(
    rendered: RenderResult, example: Example, root: Path, lines_of: dict[str, list[str] | None]
) -> _Block | None:
    """The file lines an example's content was rendered from: None unless they are
    consecutive lines of one file."""
    count = _content_lines(example.text)
    origins = [rendered.origin(example.first_line + index) for index in range(count)]
    path, first = origins[0].path, origins[0].line
    if (
        not path
        or first < 1
        or any(
            origin.path != path or origin.line != first + index
            for index, origin in enumerate(origins)
        )
    ):
        return None
    lines = _file_lines(root, path, lines_of)
    if lines is None or first - 1 + count > len(lines):
        return None
    return _Block(path, first, lines[first - 1 : first - 1 + count], example.first_line)


def _align(block: _Block, rendered_lines: list[str], tags: dict[str, str]) -> bool:
    """Whether each line of ``block`` renders to its rendered line, with its template tags
    (page variables only) standing for what they rendered to; ``tags`` learns those."""
    for index, source in enumerate(block.source):
        at = block.rendered_first + index
        if at >= len(rendered_lines):
            return False
        pattern, names = [], []
        position = 0
        source = source.rstrip("\r\n")
        for tag in _TAG_RE.finditer(source):
            if not _PAGE_TAG_RE.fullmatch(tag.group()):
                return False
            pattern.append(re.escape(source[position : tag.start()]) + "([^\n]*?)")
            names.append(tag.group())
            position = tag.end()
        pattern.append(re.escape(source[position:]))
        match = re.fullmatch("".join(pattern), rendered_lines[at].rstrip("\r"))
        if match is None:
            return False
        for name, value in zip(names, match.groups(), strict=True):
            if tags.setdefault(name, value) != value:
                return False
    return True


def _render(text: str, tags: dict[str, str]) -> str | None:
    """``text`` with each page-variable tag replaced by what it rendered to (None when one
    is not known)."""
    try:
        return _TAG_RE.sub(lambda tag: tags[tag.group()], text)
    except KeyError:
        return None


def _same_json(one: Any, other: Any) -> bool:
    """Equal, and of the same types and key order (1 is not 1.0, nor true)."""
    return json.dumps(one, ensure_ascii=False) == json.dumps(other, ensure_ascii=False)


def _quoted_span(text: str, start: int, expected: str) -> tuple[str, int, int] | None:
    """(quote, first, end) of the one quoted shell word at ``start`` of ``text`` whose content
    is ``expected``: a '...' or "..." word, nothing glued before or after it."""
    quote = text[start : start + 1]
    if quote == "'":
        end = text.find("'", start + 1)
        if end < 0:
            return None
        content = text[start + 1 : end]
    elif quote == '"':
        chars: list[str] = []
        end = start + 1
        while end < len(text) and text[end] != '"':
            if text.startswith(("\\\n", "\\\r\n"), end):
                end += 2 if text[end + 1] == "\n" else 3
            elif text[end] == "\\" and text[end + 1 : end + 2] in ('"', "\\", "$", "`"):
                chars.append(text[end + 1])
                end += 2
            else:
                chars.append(text[end])
                end += 1
        if end >= len(text):
            return None
        content = "".join(chars)
    else:
        return None
    after = text[end + 1 : end + 2]
    if content != expected or not (
        after in ("", " ", "\t", "\r", "\n") or text.startswith(("\\\n", "\\\r\n"), end + 1)
    ):
        return None
    return quote, start + 1, end


def _serialized_like(value: Any, written: str) -> str:
    """``value`` as JSON in the layout of ``written`` (the body it replaces): on one line, with
    the same spacing after ',' and ':'; or over lines, with the same indentation step and
    the same indentation before every line after the first."""
    newline = "\r\n" if "\r\n" in written else "\n"
    key_sep = ":" if re.search(r'":\S', written) and not re.search(r'":\s', written) else ": "
    lines = written.replace("\r\n", "\n").split("\n")
    if len(lines) == 1:
        if "," in written:
            item_sep = ", " if re.search(r",\s", written) else ","
        else:  # no comma to go by: as compact as the colons
            item_sep = "," if key_sep == ":" else ", "
        return json.dumps(value, ensure_ascii=False, separators=(item_sep, key_sep))
    base = _indent_of(lines[-1])
    inner = [line for line in lines[1:-1] if line.strip()]
    first = _indent_of(inner[0]) if inner else ""
    step = first[len(base) :] if first.startswith(base) and len(first) > len(base) else "  "
    text = json.dumps(value, ensure_ascii=False, indent=step, separators=(",", key_sep))
    return (newline + base).join(text.split("\n"))


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _shell_quoted(text: str, quote: str) -> str:
    """``text`` written inside ``quote``: '\\'' for an apostrophe in '...'; a backslash
    before each of " \\ $ ` in "..."."""
    if quote == "'":
        return text.replace("'", "'\\''")
    return re.sub(r'([\\"$`])', r"\\\1", text)


def _same_command(one: CurlCommand, other: CurlCommand) -> bool:
    """The two ask for the same thing, the body apart."""
    return _what_it_asks(one) == _what_it_asks(other)


def _what_it_asks(command: CurlCommand) -> tuple[object, ...]:
    return (
        command.method,
        command.url,
        [(name, value) for name, value, _ in command.headers],
        command.user,
        [arg.text for arg in command.other_options],
        command.implied_method,
    )


def _with_origins(project: Project, result: PageResult) -> PageResult:
    """``result`` with a rendered page that knows where its lines come from (a result from
    the page cache does not)."""
    if result.document is None or (
        result.rendered is not None and result.rendered.source_map is not None
    ):
        return result
    cache, project.memory.pages = project.memory.pages, None
    try:
        return project.check_page(result.document.path)
    finally:
        project.memory.pages = cache


def _plan_curl_bodies(
    plan: FixPlan,
    project: Project,
    pages: list[PageResult],
    includers: dict[str, set[str]],
    page_rels: set[str],
    lines_of: dict[str, list[str] | None],
) -> None:
    """Rewrite each cURL body the check finds different from (ED223) or unreadable next to
    (ED224) the JSON request body it repeats, from that body."""
    offers: dict[tuple[str, int], list[_Offer]] = defaultdict(list)
    unexplained: set[tuple[str, int, str]] = set()
    for result in pages:
        unexplained.update(
            (d.location.path, d.location.line, d.code)
            for d in result.diagnostics
            if d.code in BODY_CODES and d.location
        )
        for where, offer in _body_offers(project, _with_origins(project, result), plan, lines_of):
            offers[where].append(offer)
            unexplained -= offer.covers
    for path, line, code in sorted(unexplained):
        why = (
            "the -d body cannot be read even leniently, so nothing shows which JSON body it repeats"
            if code == "ED224"
            else "no JSON request body on the page can be "
            "shown to be the one this cURL body repeats"
        )
        plan.skipped.append(f"{path}:{line}: {code} not fixed: {why}")
    for (path, _line), said in sorted(offers.items()):
        code = said[0].code
        refused = next((offer.why for offer in said if offer.edit is None), None)
        edits = {offer.edit for offer in said if offer.edit is not None}
        verified = {offer.page for offer in said}
        readers = verified if path in page_rels else includers.get(path, set())
        if refused is None and len(edits) > 1:
            refused = "the pages that include this partial want different bodies"
        if refused is None and not readers <= verified:
            refused = (
                "it is in a partial that pages without this difference include too ("
                f"{', '.join(sorted(readers - verified)[:3])})"
            )
        if refused is not None:
            for told in {offer.reported for offer in said}:  # where the check said it
                plan.skipped.append(f"{told[0]}:{told[1]}: {code} not fixed: {refused}")
            continue
        edit = next(iter(edits))
        if path not in page_rels:
            edit = replace(
                edit,
                note=f"{edit.note}; in a partial: proven on each of the "
                f"{len(readers)} pages that include it",
            )
        start, end = _span(edit)
        plan.edits = [
            other
            for other in plan.edits
            if other.path != edit.path or not start <= (other.line, other.col) < end
        ]
        plan.edits.append(edit)


def _span(edit: Edit) -> tuple[tuple[int, int], tuple[int, int]]:
    """(line, col) where an edit's old text starts, and just after it ends."""
    lines = edit.old.split("\n")
    if len(lines) == 1:
        return (edit.line, edit.col), (edit.line, edit.col + len(edit.old))
    return (edit.line, edit.col), (edit.line + len(lines) - 1, len(lines[-1]) + 1)


def _shares_configuration(meant: Any, request: Any) -> bool:
    """A body read leniently is the JSON body's (the check pairs only bodies it can read)
    when, if both have configuration keys, they share one."""
    ours, theirs = configuration_keys(meant), configuration_keys(request)
    return not ours or not theirs or bool(ours & theirs)


def _body_offers(
    project: Project, result: PageResult, plan: FixPlan, lines_of: dict[str, list[str] | None]
) -> Iterable[tuple[tuple[str, int], _Offer]]:
    """For each cURL body of the page that a body diagnostic is about: where it is, and the
    page's offer for it."""
    rendered, doc = result.rendered, result.document
    if rendered is None or doc is None or rendered.failed:
        return
    root = project.settings.root
    rendered_lines = rendered.text.split("\n")
    blocks = extract(rendered.text)
    requests = [
        (example, example.json)
        for example in blocks.examples
        if example.kind == REQUEST and example.invalid is None and example.json is not None
    ]
    reported: dict[tuple[str, int], list[Diagnostic]] = defaultdict(list)
    for diagnostic in result.diagnostics:
        if diagnostic.location is not None:
            reported[(diagnostic.location.path, diagnostic.location.line)].append(diagnostic)
    for example in blocks.examples:
        if example.kind != CURL or example.invalid is not None:
            continue
        try:
            command = parse_curl(example.text)
        except CurlParseError:
            continue
        data = command.data
        if data is None or data.text.startswith("@"):
            continue
        try:
            body: LocatedJSON | None = parse_lazily(data.text)
            code = "ED223"
        except JSONLocateError:
            body = tolerant_read(without_continuations(data.text))
            code = "ED224"
        pair = request_for(example, body, requests) if body is not None else None
        why = ""
        if code == "ED223":
            if body is None or pair is None or key_paths(body.value) == key_paths(pair[1].value):
                continue  # the check says nothing of it
        elif body is None:
            why = (
                "the -d body cannot be read even leniently, so nothing shows which JSON "
                "body it repeats"
            )
        elif pair is None or not _shares_configuration(body.value, pair[1].value):
            why = "no JSON request body on the page shares its configuration keys"
        curl = _source_block(rendered, example, root, lines_of)
        request = _source_block(rendered, pair[0], root, lines_of) if pair else None
        about = [block for block in (curl, request if code == "ED223" else None) if block]
        hits = [
            d
            for block in about
            for number in range(block.line, block.line + len(block.source))
            for d in reported.get((block.path, number), ())
            if d.code == code
        ]
        if not hits:
            continue
        covers = frozenset((d.location.path, d.location.line, d.code) for d in hits if d.location)
        loc = hits[0].location
        assert loc is not None
        told = (loc.path, loc.line)
        if curl is None and not why:
            why = "the cURL block is not lines of one file as written (a template makes it)"
        if why or curl is None or pair is None:
            yield told, _Offer(result.rel, code, None, why, told, covers)
            continue
        try:
            edit = _body_edit(project, result, rendered_lines, curl, request, pair, plan, reported)
        except _Declined as declined:
            yield (
                (curl.path, curl.line),
                _Offer(result.rel, code, None, str(declined), told, covers),
            )
            continue
        yield (curl.path, curl.line), _Offer(result.rel, code, edit, "", told, covers)


class _Declined(Exception):
    """Why a cURL body is not rewritten."""


def _body_edit(
    project: Project,
    result: PageResult,
    rendered_lines: list[str],
    curl: _Block,
    request: _Block | None,
    pair: tuple[Example, LocatedJSON],
    plan: FixPlan,
    reported: dict[tuple[str, int], list[Diagnostic]],
) -> Edit:
    """The edit that writes the JSON body into the cURL's -d argument, proven on this page:
    the command then reads back to exactly the JSON body (as the page renders both), asks
    for nothing else, and the page's check finds nothing it did not find before."""
    if request is None:
        raise _Declined("the JSON body is not lines of one file as written (a template makes it)")
    where = (
        f"line {request.line}" if request.path == curl.path else f"{request.path}:{request.line}"
    )
    request_lines = range(request.line, request.line + len(request.source))
    planned = [
        edit for edit in plan.edits if edit.path == request.path and edit.line in request_lines
    ]
    for number in request_lines:
        for diagnostic in reported.get((request.path, number), ()):
            mended = diagnostic.code in KEY_OF_CODE and any(e.line == number for e in planned)
            if diagnostic.code not in _COPYABLE_DESPITE and not mended:
                raise _Declined(
                    f"the JSON body it repeats ({where}) has its own "
                    f"{diagnostic.code} at line {number}: fix that first"
                )
    tags: dict[str, str] = {}
    if not (_align(request, rendered_lines, tags) and _align(curl, rendered_lines, tags)):
        raise _Declined("the blocks hold template tags other than {{ page.x }}")
    assert result.document is not None
    meta = result.document.meta
    for edit in planned:  # a value fix that writes {{ page.elementId }}: the page's own value
        for tag in _PAGE_TAG_RE.findall(edit.new):
            value = meta.get(tag.strip("{} ").removeprefix("page."))
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                tags.setdefault(tag, str(value))
    json_source = "".join(request.source)
    shifted = [Edit(e.path, e.line - request.line + 1, e.col, e.old, e.new) for e in planned]
    json_fixed = apply_to_text(json_source, shifted)
    as_read, as_fixed = _render(json_source, tags), _render(json_fixed, tags)
    try:
        if as_read is None or not _same_json(json.loads(as_read), pair[1].value):
            raise _Declined("the JSON body does not read from its file as the check read it")
        if as_fixed is None:
            raise _Declined("the JSON body's own fix makes it a template")
        wanted = json.loads(as_fixed)
        if "\ue000" in json_fixed:
            raise _Declined("the JSON body holds private-use characters")
        names = list(dict.fromkeys(_TAG_RE.findall(json_fixed)))
        stand_ins = {_SENTINEL.format(index): name for index, name in enumerate(names)}
        value = json.loads(
            _TAG_RE.sub(lambda tag: _SENTINEL.format(names.index(tag.group())), json_fixed)
        )
    except ValueError as exc:
        raise _Declined("a template in the JSON body makes more than a string's text") from exc
    # where the body is written: the block parsed with each tag kept at its length
    text = "".join(curl.source)
    blank = _TAG_RE.sub(lambda tag: "x" * len(tag.group()), text)
    try:
        data = parse_curl(blank).data
    except CurlParseError as exc:
        raise _Declined("the cURL block does not parse as written") from exc
    newlines = [index for index, char in enumerate(text) if char == "\n"]
    if data is None or data.line < 1 or data.line > len(newlines) + 1:
        raise _Declined("the cURL block does not parse as written")
    start = (newlines[data.line - 2] + 1 if data.line > 1 else 0) + data.col - 1
    span = _quoted_span(blank, start, data.text)
    if span is None:
        raise _Declined("the -d body is not one '...' or \"...\" word")
    quote, first, end = span
    if any(set(tags.get(name, "")) & set("'" if quote == "'" else '"\\$`') for name in names):
        raise _Declined("a page value the body shows needs quoting in the shell")
    new = _shell_quoted(_serialized_like(value, text[first:end]), quote)
    for stand_in, name in stand_ins.items():
        new = new.replace(stand_in, name)
    fixed = text[:first] + new + text[end:]
    # the proof, on this page: the command reads back to the JSON body and nothing else changed
    before_text, after_text = _render(text, tags), _render(fixed, tags)
    try:
        assert before_text is not None and after_text is not None
        before, after = parse_curl(before_text), parse_curl(after_text)
        assert after.data is not None and _same_command(before, after)
        assert _same_json(json.loads(after.data.text), wanted)
    except (AssertionError, CurlParseError, ValueError) as exc:
        raise _Declined("the rewritten command does not read back as the JSON body") from exc
    _recheck(
        project,
        result.document,
        rendered_lines,
        [(curl, after_text), (request, as_fixed if planned else None)],
    )
    line = curl.line + text.count("\n", 0, first)
    col = first - (text.rfind("\n", 0, first) + 1) + 1
    return Edit(
        curl.path,
        line,
        col,
        text[first:end],
        new,
        f"cURL body written from the JSON body at {where}",
    )


def _recheck(
    project: Project,
    doc: Document,
    rendered_lines: list[str],
    changes: list[tuple[_Block, str | None]],
) -> None:
    """Check the page's examples again with ``changes`` made to its rendered lines: nothing
    may be found that was not found before, and fewer body diagnostics."""
    lines = list(rendered_lines)
    for block, text in sorted(changes, key=lambda change: -change[0].rendered_first):
        if text is not None:
            lines[block.rendered_first : block.rendered_first + len(block.source)] = (
                text.replace("\r\n", "\n").removesuffix("\n").split("\n")
            )

    def found(page_lines: list[str]) -> Counter[tuple[str, str]]:
        text = "\n".join(page_lines)
        context = PageContext(
            doc, RenderResult(text, None, []), project.sources.line, project.schemas
        )
        return Counter((d.code, d.message) for d in check_examples(context, extract(text)))

    old, new = found(rendered_lines), found(lines)
    if new - old or sum(new[k] for k in new if k[0] in BODY_CODES) >= sum(
        old[k] for k in old if k[0] in BODY_CODES
    ):
        raise _Declined(
            "the page, checked again with the new body, reports something new "
            "or the same difference"
        )


# --- applying ----------------------------------------------------------------------------------


def apply_to_text(text: str, edits: list[Edit]) -> str:
    """``text`` with ``edits`` (all of one file) made; edits are made from the end so that
    earlier positions stay valid. Raises ValueError when the text no longer matches or two
    edits overlap."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    result = text
    before = len(text) + 1  # where the edit made last (the next one down) starts
    for edit in sorted(edits, key=lambda e: (e.line, e.col), reverse=True):
        if not 1 <= edit.line < len(starts):
            raise ValueError(f"{edit.path}:{edit.line} changed since it was checked")
        start = starts[edit.line - 1] + edit.col - 1
        end = start + len(edit.old)
        if text[start:end] != edit.old or end > before:
            raise ValueError(f"{edit.path}:{edit.line} changed since it was checked")
        result = result[:start] + edit.new + result[end:]
        before = start
    return result


def changed_lines(edits: list[Edit]) -> set[int]:
    """The 1-based lines of the edited file that ``edits`` (all of one file) wrote: an edit
    over several lines moves the lines below it."""
    lines: set[int] = set()
    shift = 0
    for edit in sorted(edits, key=lambda e: (e.line, e.col)):
        first = edit.line + shift
        lines.update(range(first, first + edit.new.count("\n") + 1))
        shift += edit.new.count("\n") - edit.old.count("\n")
    return lines


def diff_of(plan: FixPlan, root: Path) -> str:
    out: list[str] = []
    for path, edits in plan.by_file().items():
        before = read_source(root / path)
        after = apply_to_text(before, edits)
        for edit in edits:
            if edit.note:
                out.append(f"# {path}:{edit.line}: {edit.note}\n")
        out.extend(
            difflib.unified_diff(
                before.splitlines(keepends=True),
                after.splitlines(keepends=True),
                f"a/{path}",
                f"b/{path}",
            )
        )
        if out and not out[-1].endswith("\n"):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)
