"""The notice at the top of a page under mkdocs serve: the page's problems, each with its place,
code and hint.
"""

from __future__ import annotations

import re
from html import escape as html_escape

from generator.errors import (
    CODES,
    Diagnostic,
)


def escape(text: str) -> str:
    return html_escape(text, quote=False)  # text between tags only, never an attribute


def served_notice(diagnostics: list[Diagnostic]) -> str:
    """An admonition listing the page's problems, put at the top of the page by
    ``mkdocs serve`` (a problem that does not stop rendering would otherwise show nowhere
    but the terminal). Plain HTML, escaped: messages quote template text and code."""
    errors = sum(1 for d in diagnostics if d.is_error)
    counts = [
        f"{errors} error(s)" if errors else "",
        f"{len(diagnostics) - errors} warning(s)" if len(diagnostics) > errors else "",
    ]
    items = []
    for diagnostic in diagnostics:
        where = "".join(
            f"<br>included from <code>{escape(str(at))}</code>" for at in diagnostic.included_from
        )
        hint = diagnostic.hint or (CODES[diagnostic.code].fix if diagnostic.code in CODES else "")
        items.append(
            f"<li><code>{escape(diagnostic.one_line())}</code>{where}<br>hint: {escape(hint)}</li>"
        )
    title = (
        f"element-docs: {' and '.join(c for c in counts if c)} on this page "
        "(shown by mkdocs serve only)"
    )
    return (
        f'<div class="admonition {"failure" if errors else "warning"} '
        f'element-docs-problems">\n<p class="admonition-title">{escape(title)}</p>\n'
        f"<ul>\n{''.join(items)}\n</ul>\n</div>\n\n"
    )


_TITLE_RE = re.compile(
    r"\A(?:[ \t]*\n)*(?: {0,3}#(?!#)[^\n]*|[^\n]*\S[^\n]*\n {0,3}=+[ \t]*)"
    r"(?:\n|\Z)"
)


def below_title(markdown: str, notice: str) -> str:
    """``notice`` at the top of the page, but after a first-level heading that opens it:
    MkDocs takes a page's title from its first element only when that is the heading."""
    found = _TITLE_RE.match(markdown)
    cut = found.end() if found else 0
    return f"{markdown[:cut].rstrip()}\n\n{notice}{markdown[cut:]}" if cut else notice + markdown
