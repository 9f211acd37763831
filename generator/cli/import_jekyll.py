"""``generator import-jekyll SRC DEST``: a Jekyll tree made an element-docs project.

Pages go to ``content/``, partials to ``includes/``, data files to ``includes/_data/``; Liquid
is translated to our Jinja with the same translator the check uses, every line staying where
it was, so a diagnostic on the imported tree names the line it names on the original. DEST
is written in a staging folder beside it and swapped into place only when complete.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

import yaml

from generator.errors import Diagnostic, SourceLocation
from generator.load.data import DATA_SUFFIXES
from generator.load.documents import parse_document
from generator.load.files import FileRefused, decode, read_inside
from generator.load.jekyll_site import post_url
from generator.load.jekyll_tree import (
    PAGE_SUFFIXES,
    has_front_matter,
    jekyll_settings,
    published_files,
    unpublished_pages,
)
from generator.output import swap_in
from generator.render.liquid.translate import translate
from generator.settings import Settings


class ImportRefused(Exception):
    """The import cannot start (DEST not empty, DEST inside SRC...)."""


@dataclass
class ImportReport:
    src: Path
    dest: Path
    pages: dict[str, str] = field(default_factory=dict)  # source rel -> dest rel
    partials: int = 0
    data_files: int = 0
    static_files: int = 0
    moved_prefix: str = ""
    constructs: Counter[str] = field(default_factory=Counter)
    attention: dict[str, list[str]] = field(default_factory=dict)  # dest rel -> notes
    diagnostics: list[Diagnostic] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    #: imported page (under content/) -> the URL Jekyll gave it, where MkDocs' differs
    #: (a list when the page had old URLs, redirect_from:, that redirect to it)
    permalinks: dict[str, str | list[str]] = field(default_factory=dict)

    def note(self, where: str, what: str) -> None:
        self.attention.setdefault(where, []).append(what)


def import_tree(src: Path, dest: Path, force: bool = False) -> ImportReport:
    """Write the Jekyll tree ``src`` into ``dest`` in our layout; returns what was done.

    ``dest`` is written in full beside itself and renamed into place at the end: an
    interrupted import leaves nothing half-written."""
    settings = jekyll_settings(src, cache=False)
    src = settings.root
    dest = Path(os.path.abspath(dest))
    _refuse(src, dest, force)
    report = ImportReport(src, dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.import-", dir=dest.parent))
    umask = os.umask(0)
    os.umask(umask)
    staging.chmod(0o777 & ~umask)  # mkdtemp's 0700 would become DEST's mode
    try:
        _write_tree(settings, staging, report)
        _check_imported(staging, report)
        swap_in(staging, dest)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _refuse(src: Path, dest: Path, force: bool) -> None:
    real = dest.resolve()
    if real == src or src in real.parents or real in src.parents:
        raise ImportRefused(
            f"DEST {dest} overlaps the Jekyll tree {src}: choose a folder outside it"
        )
    if dest.is_symlink() or (dest.exists() and not dest.is_dir()):
        raise ImportRefused(f"DEST {dest} exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise ImportRefused(f"DEST {dest} is not empty: give --force to replace it")


def _common_prefix(paths: Iterable[PurePosixPath]) -> PurePosixPath:
    """The folders every page sits under, up to (not including) an ``elements`` folder:
    docs/elements/<slug>/ becomes content/elements/<slug>/, our layout."""
    folders = [p.parent.parts for p in paths]
    common: list[str] = []
    for parts in zip(*folders, strict=False):
        if len(set(parts)) != 1 or parts[0] == "elements":
            break
        common.append(parts[0])
    return PurePosixPath(*common)


def _write_tree(settings: Settings, out: Path, report: ImportReport) -> None:
    src = settings.root
    content, includes = out / "content", out / "includes"
    files = published_files(settings)
    pages = [
        p
        for p in files
        if p.suffix in PAGE_SUFFIXES
        and has_front_matter(p)
        and p.relative_to(src).as_posix() not in settings.jekyll_unpublished
    ]
    prefix = _common_prefix(PurePosixPath(p.relative_to(src).as_posix()) for p in pages)
    report.moved_prefix = prefix.as_posix() if prefix.parts else ""
    static_markdown: list[str] = []

    def mapped(path: Path) -> PurePosixPath:
        rel = PurePosixPath(path.relative_to(src).as_posix())
        if prefix.parts and rel.parts[: len(prefix.parts)] == prefix.parts:
            rel = PurePosixPath(*rel.parts[len(prefix.parts) :])
        if rel.suffix in PAGE_SUFFIXES[1:]:
            rel = rel.with_suffix(".md")
        return rel

    written: dict[PurePosixPath, Path] = {}
    for path in files:
        if path.relative_to(src).as_posix() in settings.jekyll_unpublished:
            continue  # published: false: Jekyll writes it nowhere
        target_rel = mapped(path)
        shown = f"content/{target_rel}"
        if target_rel in written:
            report.note(
                shown,
                f"also the target of {written[target_rel].relative_to(src)}; "
                f"{path.relative_to(src)} was not imported",
            )
            continue
        written[target_rel] = path
        target = content / target_rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path in pages:
            _import_page(path, target, shown, settings, report)
            report.pages[path.relative_to(src).as_posix()] = shown
            _carry_url(
                settings.jekyll_items.get(path.relative_to(src).as_posix(), {}), target_rel, report
            )
        else:
            shutil.copyfile(path, target)
            report.static_files += 1
            if target.suffix == ".md":
                static_markdown.append(target_rel.as_posix())
            elif target.suffix in (".html", ".htm") and has_front_matter(path):
                report.note(
                    shown,
                    "an HTML page with front matter: Jekyll rendered it, "
                    "MkDocs copies it as it is (Liquid and all); make it a "
                    "Markdown page or a template override",
                )
    content.mkdir(exist_ok=True)

    includes.mkdir(parents=True, exist_ok=True)
    data_root = settings.data_dir.resolve()
    if settings.includes_dir.is_dir():
        for path in sorted(settings.includes_dir.rglob("*")):
            if not path.is_file() or data_root in path.resolve().parents:
                continue
            rel = path.relative_to(settings.includes_dir)
            raw = _read_or_refuse(path, settings.includes_dir, src, report)
            if raw is None:
                continue
            target = includes / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            _import_partial(raw, target, f"includes/{rel.as_posix()}", report, settings)
            report.partials += 1
    if settings.data_dir.is_dir():
        for path in sorted(settings.data_dir.rglob("*")):
            if not path.is_file():
                continue
            rel = path.relative_to(settings.data_dir)
            raw = _read_or_refuse(path, settings.data_dir, src, report)
            if raw is None:
                continue
            target = includes / "_data" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)
            report.data_files += 1
            if path.suffix not in DATA_SUFFIXES:
                report.note(
                    f"includes/_data/{rel.as_posix()}",
                    f"only {', '.join(DATA_SUFFIXES)} data files become site.data",
                )
    report.skipped = unpublished_pages(settings)
    for folder in ("_layouts", "_sass", "_plugins"):
        if (src / folder).is_dir():
            report.skipped[f"{folder}/ (the Material theme and our plugin replace it)"] = sum(
                1 for p in (src / folder).rglob("*") if p.is_file()
            )
    report.extra = _extra(settings.site, out)
    if settings.page_defaults:
        keys = sorted({key for *_, values in settings.page_defaults for key in values})
        report.note(
            "mkdocs.yml",
            "the defaults: of _config.yml are not carried over (our "
            f"layout has none): pages reading page.{', page.'.join(keys)} "
            "from them report those as undefined",
        )
    (out / "mkdocs.yml").write_text(
        _mkdocs_yml(settings, report, static_markdown), encoding="utf-8"
    )


def _carry_url(item: Mapping[str, Any], target_rel: PurePosixPath, report: ImportReport) -> None:
    """Keep the page reachable at the URL Jekyll gave it: a page with a permalink of its
    own (front matter, or its collection's) is written at that URL; any other keeps MkDocs'
    URL and its Jekyll URL redirects to it, as do its redirect_from: URLs."""
    jekyll_url = item.get("url")
    if not isinstance(jekyll_url, str):
        return
    mkdocs_url = "/" + target_rel.with_suffix(".html").as_posix()
    old_urls = _redirect_from(item.get("redirect_from"))
    if "permalink" in item or item.get("collection"):
        urls = [jekyll_url, *old_urls]
    else:
        urls = [mkdocs_url, jekyll_url, *old_urls]
    urls = [
        u
        for i, u in enumerate(urls)
        if u not in urls[:i]
        and (i == 0 or u not in (mkdocs_url, mkdocs_url.removesuffix("index.html")))
    ]
    if urls != [mkdocs_url]:
        report.permalinks[target_rel.as_posix()] = urls[0] if len(urls) == 1 else urls


def _redirect_from(value: Any) -> list[str]:
    """jekyll-redirect-from's old URLs of a page, each from the site's root."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return ["/" + str(v).lstrip("/") for v in values if isinstance(v, str) and v.strip()]


def _import_page(
    path: Path, target: Path, shown: str, settings: Settings, report: ImportReport
) -> None:
    raw = path.read_bytes()
    text, problem = decode(raw, shown)
    if text is None:
        shutil.copyfile(path, target)
        report.note(shown, problem.message if problem else "not UTF-8 text: copied as it is")
        return
    document, _ = parse_document(text, target, shown)
    head = text[: len(text) - len(document.body)]
    search = document.meta.get("search")
    if "search" in document.meta and not isinstance(search, Mapping):
        # Jekyll themes read 'search: exclude' (or false); Material wants a mapping
        excluded = search in ("exclude", False, "false", "no", "none", None)
        head = re.sub(
            r"(?m)^search:.*$",
            "search: {exclude: true}" if excluded else "search: {}",
            head,
            count=1,
        )
        report.note(
            shown,
            f"search: {search} became "
            f"{'search: {exclude: true}' if excluded else 'search: {}'} "
            "(what Material's search reads)",
        )
    translation = translate(document.body)
    translation.text = _resolve_links(translation.text, settings)
    report.constructs.update(translation.constructs)
    for problem_found in translation.problems:
        report.note(
            shown,
            f"line {problem_found.line + document.body_first_line - 1}: {problem_found.message}",
        )
    target.write_text(head + translation.text, encoding="utf-8")


def _read_or_refuse(path: Path, folder: Path, src: Path, report: ImportReport) -> bytes | None:
    """The content of a partial or data file; None, and an ED110 naming it, when it is a
    link leading out of its folder (``check --jekyll`` refuses the same links: an import
    must not turn them into regular files holding what lies elsewhere) or cannot be read.
    Read from the file as opened (documents.open_checked), so a swapped name cannot lead
    elsewhere either."""
    shown = path.relative_to(src).as_posix()
    try:
        return read_inside(path, folder)[0]
    except FileRefused as refused:
        message = f"not imported: {refused.reason}"
        hint = "copy the file into the tree if it belongs to the site, or remove the link"
    except OSError as exc:
        message = f"not imported: cannot read the file: {exc.strerror or exc}"
        hint = "check that the file exists and is readable"
    report.diagnostics.append(Diagnostic("ED110", message, SourceLocation(shown, 1), hint))
    return None


_LINK_CALL_RE = re.compile(
    r'\{\{(-?) (jekyll_link|jekyll_post_url)\("((?:[^"\\]|\\.)*)"\) (\s*?)(-?)\}\}'
)


def _resolve_links(text: str, settings: Settings) -> str:
    """``{% link %}`` and ``{% post_url %}`` of a fixed target become the URL Jekyll gave
    it (the imported tree keeps Jekyll's URLs, see _redirects); one with a variable, or a
    target the site lacks, is left for the check to report."""

    def one(match: re.Match[str]) -> str:
        wanted = match.group(3).replace('\\"', '"').replace("\\\\", "\\")
        if match.group(2) == "jekyll_link":
            found = settings.jekyll_urls.get(wanted.strip().lstrip("/"))
        else:
            found = post_url(settings.jekyll_items, wanted)
        if found is None:
            return match.group(0)
        if match.group(1) or match.group(4) or match.group(5):  # keep the lines, the trims
            return (
                "{{"
                + match.group(1)
                + " "
                + json.dumps(found)
                + " "
                + match.group(4)
                + match.group(5)
                + "}}"
            )
        return found

    return _LINK_CALL_RE.sub(one, text)


def _import_partial(
    raw: bytes, target: Path, shown: str, report: ImportReport, settings: Settings | None = None
) -> None:
    text, _ = decode(raw, shown)
    if text is None:
        target.write_bytes(raw)
        return
    translation = translate(text)
    if settings is not None:
        translation.text = _resolve_links(translation.text, settings)
    report.constructs.update(translation.constructs)
    for problem in translation.problems:
        report.note(shown, f"line {problem.line}: {problem.message}")
    target.write_text(translation.text, encoding="utf-8")


def _extra(config: Mapping[str, Any], out: Path) -> dict[str, Any]:
    """``extra:``: the scalar settings of _config.yml that the templates read as site.x
    (and url/baseurl when relative_url or absolute_url is used)."""
    import re

    used: set[str] = set()
    for folder in (out / "content", out / "includes"):
        for path in folder.rglob("*"):
            if (
                path.suffix not in (".md", ".html", ".markdown", ".txt", ".xml", ".json")
                or "_data" in path.parts
            ):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            used.update(re.findall(r"\bsite\.([A-Za-z_][\w-]*)", text))
            used.update(re.findall(r"\bsite\[[\"']([^\"']+)[\"']\]", text))
            if re.search(r"\b(?:relative_url|absolute_url)\b", text):
                used.update(("url", "baseurl"))
    return {
        key: config[key]
        for key in sorted(used)
        if key in config
        and isinstance(config[key], str | int | float | bool)
        and key not in ("data", "elements", "hubs")
    }


_MKDOCS_TEMPLATE = """\
# Written by 'generator import-jekyll' from the Jekyll tree {src}.
{identity}docs_dir: content
site_dir: site
# as Jekyll: page.html, so the pages' relative links (setup.html) keep working
use_directory_urls: false

theme:
  name: material
  features:
    - content.code.copy
    - navigation.sections
    - navigation.prune
    - navigation.top
    - search.highlight
    - search.suggest

plugins:
  - search
  - element-docs:
      # Jekyll rendered undefined variables as empty text: here they are reported.
      strict: true
      includes_dir: includes

markdown_extensions:
  - admonition
  - attr_list
  - md_in_html
  - tables
  - toc:
      permalink: true
  - pymdownx.highlight
  - pymdownx.superfences
  - pymdownx.details
{exclude}
# site.* in templates: these settings of _config.yml, plus site.data (includes/_data/),
# site.elements and site.hubs (generated from the pages' front matter).
{extra}"""


def _mkdocs_yml(settings: Settings, report: ImportReport, static_markdown: list[str]) -> str:
    config = settings.site
    name = config.get("title") or config.get("name") or settings.root.name
    identity: dict[str, Any] = {"site_name": str(name)}
    if isinstance(config.get("description"), str):
        identity["site_description"] = config["description"]
    if isinstance(config.get("url"), str) and config["url"].startswith(("http://", "https://")):
        base = str(config.get("baseurl") or "").strip("/")
        identity["site_url"] = config["url"].rstrip("/") + "/" + (base + "/" if base else "")
    exclude = ""
    if static_markdown:
        lines = "\n".join(f"  /{p}" for p in static_markdown)
        exclude = (
            "\n# Markdown files without front matter: Jekyll copied them unrendered\n"
            f"exclude_docs: |\n{lines}\n"
        )
    extra = _dump({"extra": report.extra}) if report.extra else "extra: {}\n"
    text = _MKDOCS_TEMPLATE.format(
        src=settings.root, identity=_dump(identity), exclude=exclude, extra=extra
    )
    if report.permalinks:
        listed = "".join(
            f"        {json.dumps(page)}: {json.dumps(url)}\n"
            for page, url in sorted(report.permalinks.items())
        )
        text = text.replace(
            "      includes_dir: includes\n",
            "      includes_dir: includes\n"
            "      # each page at the URL it had under Jekyll (its permalink), so links\n"
            "      # written against those URLs keep working\n"
            f"      permalinks:\n{listed}",
            1,
        )
    return text


def _dump(data: Mapping[str, Any]) -> str:
    return str(yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=100))


def _check_imported(staging: Path, report: ImportReport) -> None:
    """Check the imported tree as mkdocs build will (our Jinja now, no longer Liquid)."""
    from generator.pipeline.project import Project
    from generator.settings import load_settings

    settings = replace(load_settings(staging), cache_dir=None)
    project = Project(settings, use_cache=False)
    result = project.check()
    report.diagnostics = [*report.diagnostics, *result.diagnostics]  # the import's first
    errors = sum(1 for d in result.diagnostics if d.is_error)
    if errors:
        # The tree had these defects under Jekyll too: build it anyway, and say so where
        # the author will look, so that fixing them and turning the switch on is the plan.
        config = staging / "mkdocs.yml"
        config.write_text(
            config.read_text(encoding="utf-8").replace(
                "      includes_dir: includes\n",
                "      includes_dir: includes\n"
                f"      # The import found {errors} error(s), listed in its report and by\n"
                "      # 'generator check'. Until they are fixed the site builds anyway; set this\n"
                "      # to true (the default) so that new errors stop the build.\n"
                "      fail_on_errors: false\n",
                1,
            ),
            encoding="utf-8",
        )


def print_import_report(report: ImportReport, out: TextIO) -> None:
    write = out.write
    write(f"imported the Jekyll tree {report.src}\n    into {report.dest}\n\n")
    moved = f" ({report.moved_prefix}/ -> content/)" if report.moved_prefix else " (-> content/)"
    write(f"  pages:        {len(report.pages)}{moved}\n")
    write(f"  partials:     {report.partials} (_includes/ -> includes/)\n")
    write(f"  data files:   {report.data_files} (_data/ -> includes/_data/)\n")
    write(f"  static files: {report.static_files} (copied as they are)\n")
    if report.extra:
        write(f"  site settings carried to extra: in mkdocs.yml: {', '.join(report.extra)}\n")
    for why, count in sorted(report.skipped.items()):
        write(f"  not imported: {why}: {count} file{'s' * (count != 1)}\n")
    if report.constructs:
        write("\n  Liquid translated to Jinja (every line kept in place):\n")
        for kind, count in sorted(report.constructs.items(), key=lambda i: (-i[1], i[0])):
            write(f"    {count:5}  {kind}\n")
    by_file: dict[str, list[str]] = {k: list(v) for k, v in report.attention.items()}
    seen: Counter[tuple[str, str]] = Counter()
    for diagnostic in report.diagnostics:
        loc = diagnostic.location
        where = loc.path if loc else "mkdocs.yml"
        line = f"line {loc.line}: " if loc and loc.line else ""
        seen[(where, f"{line}{diagnostic.level.value} {diagnostic.code} {diagnostic.message}")] += (
            max(1, len(diagnostic.pages))
        )
    for (where, text), count in seen.items():  # a partial's problem once, not per page
        by_file.setdefault(where, []).append(
            text + (f" (in {count} pages that include it)" if count > 1 else "")
        )
    errors = sum(1 for d in report.diagnostics if d.is_error)
    warnings = len(report.diagnostics) - errors
    write(
        f"\n  checked the imported tree: {errors} error{'s' * (errors != 1)}, "
        f"{warnings} warning{'s' * (warnings != 1)} (the same lines as in the original)\n"
    )
    if by_file:
        write(f"\n  files needing attention ({len(by_file)}):\n")
        for where in sorted(by_file):
            write(f"    {where}\n")
            for item in by_file[where]:
                write(f"      {item}\n")
    write(
        f"\nnext: cd {report.dest} && mkdocs build"
        "   (or: generator check --root DEST for the details)\n"
    )
