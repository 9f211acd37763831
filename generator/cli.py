"""Command line: ``generator check``, ``render``, ``build``, ``site``, ``codes`` and
``import-jekyll``.

Exit status: 0 clean (warnings allowed), 1 errors found, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from . import __version__
from .errors import CODES, ElementDocsError, format_github, format_text, to_json
from .pipeline import CheckReport, Project
from .settings import DEFAULT_CONFIG_FILE, load_settings, relative_posix

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n"
                         f"hint: run '{self.prog} --help' for the options\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="generator",
        description="Build and check element docs: Jekyll-style partials rendered with "
                    "Jinja2, every example checked against JSON Schemas and its page.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser(
        "check", help="check pages without building the site",
        description="Render every page (or the given ones) and check front matter, "
                    "templates and example blocks. Exit 0 when clean, 1 when any error, "
                    "2 for usage or configuration errors.")
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                       help="pages or folders to check (default: the whole docs_dir)")
    _project_options(check)
    check.add_argument("--format", choices=("text", "json", "github"), default="text",
                       help="text for people (default), json for tools, github for "
                            "workflow annotations")
    check.add_argument("--quiet", action="store_true", help="print errors only, no warnings")
    check.add_argument("--jobs", "-j", type=_jobs, default="auto", metavar="N",
                       help="processes to check with: a number, or auto (default: one per "
                            "core for large projects)")

    render = commands.add_parser(
        "render", help="write each page's rendered Markdown (after templates, before "
                       "Markdown), even when pages have errors",
        description="Render every page (or the given ones) and write its text after the "
                    "templates ran, before Markdown, to OUT at the page's own path. Pages "
                    "with errors are written as far as they rendered; a page that cannot "
                    "be rendered at all is named on stderr. Exit 0 when no page has an "
                    "error, 1 otherwise, 2 for usage or configuration errors.")
    render.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="pages or folders to render (default: every page)")
    _project_options(render)
    render.add_argument("--out", type=Path, required=True, help="output folder")
    render.add_argument("--format", choices=("text", "json", "github"), default="text",
                        help="how the diagnostics are printed (on stderr)")

    build = commands.add_parser(
        "build", help="write every page, expanded and checked, as plain Markdown",
        description="Render the pages to OUT (default build/); OUT is replaced only when "
                    "the whole run succeeds.")
    _project_options(build)
    build.add_argument("--out", type=Path, default=Path("build"), help="output folder")

    site = commands.add_parser(
        "site", help="build the site with mkdocs build, replacing site/ only on success",
        description="Run 'mkdocs build' into a staging folder beside the site folder and "
                    "swap it in only when the build succeeds: a failed or interrupted build "
                    "leaves the previous site whole. SOURCE_DATE_EPOCH is set (unless it "
                    "already is) to the last commit that touched the project, else to the "
                    "newest input file, so two builds of the same input are identical.")
    _location_options(site)
    site.add_argument("--strict", action="store_true",
                      help="fail on warnings too (mkdocs build --strict)")
    site.add_argument("--clean", action="store_true",
                      help="rebuild every page instead of only what changed since the "
                           "previous site/")

    commands.add_parser("codes", help="list the diagnostic codes and how to fix each")

    importer = commands.add_parser(
        "import-jekyll", help="import a Jekyll tree into this layout (content/, includes/, "
                              "mkdocs.yml), translating Liquid to Jinja",
        description="Write the Jekyll tree SRC into DEST: pages to content/, _includes/ to "
                    "includes/, _data/ to includes/_data/, _config.yml to mkdocs.yml. Liquid "
                    "is translated to Jinja keeping every line where it was, so diagnostics "
                    "name the same lines. DEST is written beside itself and renamed into "
                    "place when complete. Prints a migration report.")
    importer.add_argument("src", type=Path, metavar="SRC", help="the Jekyll tree")
    importer.add_argument("dest", type=Path, metavar="DEST", help="the folder to create")
    importer.add_argument("--force", action="store_true",
                          help="replace DEST even when it is not empty")
    return parser


def _location_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="project folder holding mkdocs.yml (default: current folder)")
    parser.add_argument("--config", default=DEFAULT_CONFIG_FILE,
                        help="MkDocs configuration file, relative to --root")


def _project_options(parser: argparse.ArgumentParser) -> None:
    _location_options(parser)
    parser.add_argument("--lax", action="store_true",
                        help="report undefined variables as warnings instead of errors")
    parser.add_argument("--jekyll", type=Path, metavar="SRC",
                        help="check the Jekyll tree SRC in place, as Jekyll renders it "
                             "(automatic when --root holds _config.yml and _includes/ but no "
                             "mkdocs.yml)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args, sys.stdout)
        if args.command == "render":
            return _render(args)
        if args.command == "build":
            from .build import build_markdown_tree

            return build_markdown_tree(args, sys.stdout)
        if args.command == "site":
            from .build import build_site

            return build_site(args, sys.stdout)
        if args.command == "codes":
            return _codes(sys.stdout)
        if args.command == "import-jekyll":
            return _import_jekyll(args, sys.stdout)
        parser.print_help()
        return EXIT_USAGE
    except ElementDocsError as exc:
        sys.stderr.write(format_text(exc.diagnostic) + "\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _jobs(value: str) -> int:
    if value == "auto":
        return max(1, min(os.cpu_count() or 1, 8))
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got '{value}'") from None
    if number < 1:
        raise argparse.ArgumentTypeError("needs at least 1 process")
    return number


def load_project(args: argparse.Namespace) -> Project:
    from .jekyll import describe_unpublished, is_jekyll_tree, jekyll_settings

    strict = False if args.lax else None
    jekyll = getattr(args, "jekyll", None)
    if jekyll is None and args.config == DEFAULT_CONFIG_FILE and is_jekyll_tree(args.root):
        jekyll = args.root
    if jekyll is None:
        return Project(load_settings(args.root, args.config, strict=strict))
    settings = jekyll_settings(jekyll, strict)
    note = describe_unpublished(settings)
    if note:
        sys.stderr.write(f"note: {note}\n")
    return Project(settings)


def _import_jekyll(args: argparse.Namespace, out: TextIO) -> int:
    from .jekyll import ImportRefused, import_tree, print_import_report

    try:
        report = import_tree(args.src, args.dest, force=args.force)
    except ImportRefused as exc:
        sys.stderr.write(f"generator import-jekyll: error: {exc}\n")
        return EXIT_USAGE
    print_import_report(report, out)
    return EXIT_OK


def _page_paths(args: argparse.Namespace) -> list[Path] | None:
    """The PATH arguments made absolute; None (after saying why) when one is unusable."""
    paths = [p if p.is_absolute() else Path.cwd() / p for p in args.paths]
    missing = [p for p in paths if not p.exists()]
    if missing:
        sys.stderr.write(f"generator {args.command}: error: no such file or folder: "
                         f"{missing[0]}\n"
                         "hint: give paths of pages or folders under the docs folder\n")
        return None
    special = [p for p in paths if not p.is_file() and not p.is_dir()]
    if special:  # a fifo or a device: reading it could block for ever
        sys.stderr.write(f"generator {args.command}: error: not a file or folder: "
                         f"{special[0]}\n"
                         "hint: give paths of pages or folders under the docs folder\n")
        return None
    return paths


def _render(args: argparse.Namespace) -> int:
    """``generator render``: each page's text after the templates, written even when the
    page has errors (as far as it rendered), so that it can be read or compared."""
    from .documents import iter_pages
    from .pipeline import dedupe

    project = load_project(args)
    paths = _page_paths(args)
    if paths is None:
        return EXIT_USAGE
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    settings = project.settings
    target, docs = out.resolve(), settings.docs_dir.resolve()
    if target in (settings.root.resolve(), docs) or target in settings.root.resolve(
            ).parents or docs in target.parents:  # the pages would become pages again
        sys.stderr.write(f"generator render: error: --out {args.out} would write over the "
                         "project\nhint: choose a folder outside the pages\n")
        return EXIT_USAGE
    project.load_all()
    pages = list(iter_pages(settings, paths or None))
    report = CheckReport(pages=len(pages), diagnostics=list(project.setup_diagnostics))
    written = 0
    for path, result in zip(pages, project.check_pages(pages), strict=True):
        report.diagnostics.extend(result.diagnostics)
        rel = relative_posix(path, settings.docs_dir)
        if result.rendered is None or rel is None:
            sys.stderr.write(f"not rendered: {result.rel}"
                             f"{' (outside the docs folder)' if rel is None else ''}\n")
            continue
        destination = out / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(result.rendered.text, encoding="utf-8")
        written += 1
        if result.rendered.failed:
            sys.stderr.write(f"rendered in part (stopped at an error): {result.rel}\n")
    report.diagnostics = dedupe(report.diagnostics)
    print_report(report, project, args.format, sys.stderr)
    sys.stderr.write(f"wrote {written} of {len(pages)} pages to {args.out}\n")
    return EXIT_ERRORS if report.errors else EXIT_OK


def _check(args: argparse.Namespace, out: TextIO) -> int:
    project = load_project(args)
    paths = _page_paths(args)
    if paths is None:
        return EXIT_USAGE
    report = project.check(paths or None, progress=_progress_printer(sys.stderr),
                           jobs=args.jobs)
    print_report(report, project, args.format, out, quiet=args.quiet)
    return EXIT_ERRORS if report.errors else EXIT_OK


def print_report(report: CheckReport, project: Project, fmt: str, out: TextIO,
                 quiet: bool = False) -> None:
    diagnostics = [d for d in report.diagnostics if d.is_error or not quiet]
    if fmt == "json":
        out.write(to_json(diagnostics, report.pages) + "\n")
        return
    for diagnostic in diagnostics:
        if fmt == "github":
            out.write(format_github(diagnostic) + "\n")
            continue
        loc = diagnostic.location
        source = project.sources.line(loc.path, loc.line) if loc and loc.line and \
            _inside(project.settings.root, loc.path) else None
        out.write(format_text(diagnostic, source) + "\n\n")
    errors = report.errors
    warnings = len(report.diagnostics) - errors
    summary = (f"checked {report.pages} page{'s' * (report.pages != 1)}: "
               f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}")
    if fmt == "github":
        sys.stderr.write(summary + "\n")
    else:
        out.write(summary + "\n")


def _inside(root: Path, path: str) -> bool:
    """True when the file does not lead outside the project (its lines may be shown)."""
    resolved_root = root.resolve()
    return (root / path).resolve().is_relative_to(resolved_root)


def _progress_printer(stream: TextIO) -> Callable[[int, int], None] | None:
    if not stream.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < 50:
            return
        if done == total or done % 25 == 0:
            stream.write(f"\rchecking pages: {done}/{total}")
            if done == total:
                stream.write("\r" + " " * 40 + "\r")
            stream.flush()

    return show


def _codes(out: TextIO) -> int:
    for code, info in CODES.items():
        out.write(f"{code}  {info.severity.value:<7}  {info.title}\n         fix: {info.fix}\n")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
