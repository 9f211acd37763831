"""Emit stage: what the site gains beyond the pages authors write.

Navigation grouped by hub and the diagnostic-codes reference page are generated from data
(front matter, the code table), never kept by hand.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from generator.errors import CODES
from generator.load.documents import Document
from generator.load.files import absolute
from generator.model import hub_title

CODES_PAGE = "reference/diagnostic-codes.md"
#: Where the built site publishes the front matter's JSON Schema (editors point at it).
FRONT_MATTER_SCHEMA_URL = "schemas/front-matter.schema.json"
PAGE_ORDER = ("index.md", "authenticate.md", "setup.md", "events.md", "bulk.md")
GROUP_ABOVE = 40


def codes_markdown() -> str:
    lines = [
        "# Diagnostic codes",
        "",
        "Every problem `generator check` and `mkdocs build` report carries one of these "
        "codes. Errors fail the build; warnings fail it only under `mkdocs build --strict`.",
        "",
    ]
    stage = None
    for code, info in CODES.items():
        if info.stage != stage:
            stage = info.stage
            lines += [
                f"## {stage.capitalize()}",
                "",
                "| Code | Severity | Meaning | Fix |",
                "| --- | --- | --- | --- |",
            ]
        lines.append(
            f'| <span id="{code.lower()}"></span>`{code}` | {info.severity.value} '
            f"| {_cell(info.title)} | {_cell(info.fix)} |"
        )
        nxt = list(CODES).index(code) + 1
        if nxt == len(CODES) or CODES[list(CODES)[nxt]].stage != stage:
            lines.append("")
    return "\n".join(lines) + "\n"


_AS_CODE_RE = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|`{3}\w*(?: example=[\w.-]+)?")


def _plain(text: str) -> str:
    escaped = html.escape(text, quote=False).replace("|", "&#124;").replace("*", "&#42;")
    return escaped.replace("_", "&#95;").replace("`", "&#96;")


def _cell(text: str) -> str:
    """Plain text as a table cell: '<' and '&' escaped (a fix such as 'User <USER_SECRET>'
    would otherwise be swallowed as an HTML tag), template syntax and fences shown as code."""
    out, last = [], 0
    for match in _AS_CODE_RE.finditer(text):
        out += [_plain(text[last : match.start()]), f"<code>{_plain(match.group(0))}</code>"]
        last = match.end()
    return "".join(out) + _plain(text[last:])


def _page_sort_key(doc: Document) -> tuple[int, float, str]:
    name = doc.path.name
    rank = PAGE_ORDER.index(name) if name in PAGE_ORDER else len(PAGE_ORDER)
    order = doc.meta.get("order")
    return (rank, float(order) if isinstance(order, int | float) else 0.0, name)


def _grouped(entries: list[dict[str, Any]]) -> list[Any]:
    """Entries as they are, or in groups by initial when there are many.

    Material renders the navigation into every page; with ``navigation.prune`` it keeps
    only the visible items, so bounded groups keep each page's share bounded and the
    build linear in the number of pages (one flat list of N elements is N x N)."""
    if len(entries) <= GROUP_ABOVE:
        return entries
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        initial = next(iter(entry))[:1].upper()
        groups.setdefault(initial if initial.isalpha() else "#", []).append(entry)
    return [{initial: items} for initial, items in sorted(groups.items())]


def build_nav(documents: list[Document], docs_dir: Path) -> list[Any]:
    """Home, then one section per hub holding one section per element, then the rest."""
    docs_dir = absolute(docs_dir)
    folders: dict[Path, list[Document]] = {}
    loose: list[Document] = []
    for doc in documents:
        rel = absolute(doc.path).relative_to(docs_dir)
        if len(rel.parts) >= 3 and rel.parts[0] == "elements":
            folders.setdefault(doc.path.parent, []).append(doc)
        else:
            loose.append(doc)
    hubs: dict[str, list[tuple[str, Any]]] = {}
    for pages in folders.values():
        pages.sort(key=_page_sort_key)
        lead = next((d for d in pages if d.path.name == "authenticate.md"), pages[0])
        name = str(lead.meta.get("heading") or lead.path.parent.name)
        hub = next((d.hub for d in pages if d.hub), None)
        links = [
            {
                str(d.meta.get("title") or d.path.stem.title()): absolute(d.path)
                .relative_to(docs_dir)
                .as_posix()
            }
            for d in pages
        ]
        target: Any = next(iter(links[0].values())) if len(links) == 1 else links
        hubs.setdefault(hub_title(hub), []).append((name, target))
    nav: list[Any] = []
    home = [d for d in loose if absolute(d.path).relative_to(docs_dir).as_posix() == "index.md"]
    page: str
    if home:
        nav.append({"Home": "index.md"})
    for title in sorted(hubs, key=lambda t: (t == "Other", t)):
        elements = sorted(hubs[title], key=lambda e: e[0].lower())
        nav.append({title: _grouped([{name: target} for name, target in elements])})
    for doc in sorted(loose, key=lambda d: d.rel):
        page = absolute(doc.path).relative_to(docs_dir).as_posix()
        if page != "index.md":
            nav.append({str(doc.meta.get("title") or doc.path.stem.title()): page})
    nav.append({"Reference": [{"Diagnostic codes": CODES_PAGE}]})
    return nav
