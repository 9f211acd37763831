"""Jekyll permalinks in an imported tree: each page moved to its permalink, redirect pages from its
old addresses, and links to addresses that no page has reported.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

from generator.errors import (
    Diagnostic,
    SourceLocation,
)
from generator.pipeline.project import PageResult
from generator.plugin.mkdocs_private import (
    move_file,
)


def _url_dest(url: str) -> str:
    """The file a URL from the site's root is served from (``/a/`` -> ``a/index.html``)."""
    dest = url.lstrip("/").split("#")[0]
    if not dest or dest.endswith("/"):
        return dest + "index.html"
    if "." not in dest.rsplit("/", 1)[-1]:
        return dest + "/index.html"
    return dest


def apply_permalinks(files: Files, permalinks: dict[str, Any]) -> tuple[set[str], dict[str, File]]:
    """Write each page listed in ``permalinks`` at its URL (the first, when a list: the
    others are old URLs that redirect to it). Returns the URLs of the whole site, each
    from the root as a link names it, and the redirects (file to write -> page)."""
    redirects: dict[str, File] = {}
    for file in files.documentation_pages():
        urls = permalinks.get(file.src_uri)
        urls = [urls] if isinstance(urls, str) else urls
        if (
            not isinstance(urls, list)
            or not urls
            or not all(isinstance(u, str) and u.startswith("/") for u in urls)
        ):
            continue
        move_file(file, _url_dest(urls[0]))
        for old in urls[1:]:
            redirects.setdefault(_url_dest(old), file)
    site: set[str] = set()
    if not permalinks:
        return site, redirects
    for dest in [f.dest_uri for f in files] + [d for d in redirects if d not in site]:
        site.add("/" + dest)
        if dest == "index.html" or dest.endswith("/index.html"):
            folder = "/" + dest[: -len("index.html")]
            site.update((folder, folder.rstrip("/") or "/"))
    return site, redirects


def write_redirects(redirects: dict[str, File], site_dir: Path) -> None:
    """A small page at each old URL that sends the reader on to the page's URL."""
    import html
    import posixpath

    for dest, file in sorted(redirects.items()):
        target = site_dir / dest
        if target.exists():
            continue  # a page or file of the site is there: it wins
        relative = posixpath.relpath(file.dest_uri, posixpath.dirname(dest) or ".")
        link = html.escape(relative, quote=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            '<!doctype html>\n<html><head><meta charset="utf-8">'
            f'<title>Redirecting</title><link rel="canonical" href="{link}">'
            f'<meta http-equiv="refresh" content="0; url={link}"></head>'
            f'<body><a href="{link}">{link}</a></body></html>\n',
            encoding="utf-8",
        )


_ROOT_LINK_RE = re.compile(r"""\]\((/(?!/)[^)\s]*)|\bhref=["'](/(?!/)[^"'\s]*)["']""")


_CODE_RE = re.compile(r"(?ms)^ *(```|~~~).*?^ *\1[^\n]*$|`[^`\n]+`")


def with_dead_links(result: PageResult, urls: set[str], source: Path) -> PageResult:
    """The page's result with a warning (ED322) for each link from the site's root, outside
    code, that names no page or file of the site."""
    assert result.rendered is not None
    text = _CODE_RE.sub("", result.rendered.text)
    found: list[Diagnostic] = []
    seen: set[str] = set()
    lines: list[str] | None = None
    for match in _ROOT_LINK_RE.finditer(text):
        link = match.group(1) or match.group(2)
        target = link.split("#")[0].split("?")[0]
        if not target or target in urls or target.rstrip("/") in urls or link in seen:
            continue
        seen.add(link)
        if lines is None:
            try:
                lines = source.read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                lines = []
        line = next((n for n, t in enumerate(lines, 1) if link in t), 0)
        found.append(
            Diagnostic(
                "ED322",
                f"link to {link}: no page or file of the site has that URL",
                SourceLocation(result.rel, line),
                "link to the page's .md file, or give the "
                "page that URL (permalinks: under the plugin in mkdocs.yml)",
            )
        )
    if not found:
        return result
    return PageResult(result.rel, result.document, result.rendered, [*result.diagnostics, *found])
