"""Emit stage: how a checked page is shown to readers.

The checker works on the page as its author wrote it (every diagnostic points at the author's
lines). Once a page is checked, what readers get is made from what was checked:
- each JSON request body becomes content tabs (JSON, cURL, Python, JavaScript, HTTPie), all
  made from that body (``snippets.py``);
- JSON examples are laid out with even indentation (authors' ragged indentation is kept in
  the source, where the checker reports against it);
- an element page whose examples passed says so under its title.
And in the HTML: parameter names in tables may wrap after a dot, not inside a word, and an
HTML note placed in a list item is not wrapped in a paragraph (``<p><div>`` is invalid).
"""

from __future__ import annotations

import json
import re
from typing import Any

from generator.emit.snippets import json_text, snippets
from generator.extract.blocks import OAUTH_URL, REQUEST, RESPONSE, Example, extract

CHECKED_NOTE = (
    '<p class="ed-checked" markdown="span">**Examples checked**: the request, '
    "the cURL command and the responses on this page passed `generator check` "
    "when this site was built.</p>"
)


def _strict_json(text: str) -> Any:
    """The value, or None when the text is not plain JSON (a duplicate key, a comment...)."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [k for k, _ in items]
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate key")
        return dict(items)

    try:
        return json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        return None


def _fence_end(lines: list[str], example: Example) -> int | None:
    """0-based line of the closing fence of a fenced example, or None."""
    opening = lines[example.fence_line].lstrip()
    marker = opening[:3]
    if marker not in ("```", "~~~"):
        return None
    end = example.first_line + example.text.count("\n")
    if end < len(lines) and lines[end].strip().startswith(marker):
        return end
    return None


def _fence(prefix: str, lang: str, code: str) -> list[str]:
    return [f"{prefix}```{lang}", *(f"{prefix}{line}" for line in code.split("\n")), f"{prefix}```"]


def _tabs(prefix: str, body: Any, api_base: str | None) -> list[str]:
    out: list[str] = []
    for snippet in snippets(body, api_base):
        out += [f'{prefix}=== "{snippet.title}"', ""]
        out += _fence(prefix + "    ", snippet.lang, snippet.code)
        out.append("")
    return out[:-1]


def present(markdown: str, *, api_base: str | None, element_page: bool, checked: bool) -> str:
    """The page readers get, from the checked Markdown (see the module's docstring)."""
    blocks = extract(markdown)
    lines = markdown.split("\n")
    replacements: list[tuple[int, int, list[str]]] = []
    for example in blocks.examples:
        if example.kind not in (REQUEST, RESPONSE, OAUTH_URL):
            continue
        end = _fence_end(lines, example)
        value = _strict_json(example.text)
        if end is None or value is None:
            continue
        opening = lines[example.fence_line]
        prefix = opening[: len(opening) - len(opening.lstrip())]
        if example.kind == REQUEST and element_page and isinstance(value, dict):
            replacement = _tabs(prefix, value, api_base)
        else:
            info = opening.lstrip()[3:].strip()
            replacement = _fence(prefix, info, json_text(value))
        replacements.append((example.fence_line, end, replacement))
    for start, end, replacement in sorted(replacements, reverse=True):
        lines[start : end + 1] = replacement
    if element_page and checked:
        title = next((n for n, line in enumerate(lines) if line.startswith("# ")), None)
        if title is not None:
            lines[title + 1 : title + 1] = ["", CHECKED_NOTE]
    return "\n".join(lines)


_TD_RE = re.compile(r"(<td\b[^>]*>)(.*?)(</td>)", re.DOTALL)
_CODE_RE = re.compile(r"(<code>)([^<]*)(</code>)")
_WRAPPED_DIV_RE = re.compile(r"<p>(<div class=\"admonition[^\"]*\">.*?</div>)</p>", re.DOTALL)


def _break_after_dots(match: re.Match[str]) -> str:
    text = match.group(2)
    if "." not in text.strip("."):
        return match.group(0)
    return match.group(1) + re.sub(r"\.(?=[^.])", ".<wbr>", text) + match.group(3)


def present_html(html: str) -> str:
    """Table cells: a dotted name such as crm.autotask.username may wrap after a dot only
    (the CSS keeps words whole). Notes in list items: a block, not a paragraph's content."""
    html = _TD_RE.sub(
        lambda m: m.group(1) + _CODE_RE.sub(_break_after_dots, m.group(2)) + m.group(3), html
    )
    return _WRAPPED_DIV_RE.sub(r"\1", html)
