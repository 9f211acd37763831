"""Command line: ``generator check``, ``render``, ``fix``, ``build``, ``site``, ``codes``,
``new``, ``schema``, ``cache`` and ``import-jekyll``.

Exit status: 0 clean (warnings allowed), 1 errors found, 2 usage or configuration error.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from generator.cli.baseline import apply_baseline, read_baseline, write_baseline
from generator.cli.common import EXIT_ERRORS, EXIT_OK, EXIT_USAGE, load_project, show_report
from generator.errors import CODES, ElementDocsError
from generator.progress import Progress
from generator.report import CheckReport, format_text
from generator.settings import DEFAULT_CONFIG_FILE, Settings, load_settings, relative_posix
from generator.version import __version__


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(
            f"{self.prog}: error: {message}\nhint: run '{self.prog} --help' for the options\n"
        )
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="generator",
        description="Build and check element docs: Jekyll-style partials rendered with "
        "Jinja2, every example checked against JSON Schemas and its page.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = commands.add_parser(
        "check",
        help="check pages without building the site",
        description="Render every page (or the given ones) and check front matter, "
        "templates and example blocks. Exit 0 when clean, 1 when any error, "
        "2 for usage or configuration errors.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="pages or folders to check (default: the whole docs_dir)",
    )
    _project_options(check)
    check.add_argument(
        "--format",
        choices=("text", "json", "github", "sarif"),
        default="text",
        help="text for people (default), json for tools, github for "
        "workflow annotations, sarif for code scanning (SARIF 2.1.0)",
    )
    check.add_argument("--quiet", action="store_true", help="print errors only, no warnings")
    check.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default="auto",
        metavar="N",
        help="processes to check with: a number, or auto (default: one per "
        "core for large projects)",
    )
    check.add_argument(
        "--baseline",
        type=Path,
        metavar="FILE",
        help="show and fail on only the problems not recorded in FILE "
        "(known by code, file and message, not by line)",
    )
    check.add_argument(
        "--write-baseline",
        action="store_true",
        help="record today's problems in the --baseline FILE and exit 0",
    )

    fix = commands.add_parser(
        "fix",
        help="show (or with --write make) the fixes of mechanical defects",
        description="Print a unified diff of the fixes the check can prove: an example's "
        "element id, key or hub set to the page's front matter, the missing "
        "'\\' at the ends of a multi-line cURL command, and a cURL -d body "
        "written again from the JSON body it repeats. Exit 1 when there is "
        "anything to fix. --write makes the fixes (each file replaced "
        "atomically), checks again and reports what is left.",
    )
    fix.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="pages or folders to fix (default: the whole docs_dir)",
    )
    _project_options(fix)
    fix.add_argument("--write", action="store_true", help="make the fixes")
    fix.add_argument(
        "--from-example",
        action="store_true",
        help="set the front matter to the examples' id, key or hub instead "
        "(when the examples are right and the front matter is not)",
    )

    render = commands.add_parser(
        "render",
        help="write each page's rendered Markdown (after templates, before "
        "Markdown), even when pages have errors",
        description="Render every page (or the given ones) and write its text after the "
        "templates ran, before Markdown, to OUT at the page's own path. Pages "
        "with errors are written as far as they rendered; a page that cannot "
        "be rendered at all is named on stderr. Exit 0 when no page has an "
        "error, 1 otherwise, 2 for usage or configuration errors.",
    )
    render.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="pages or folders to render (default: every page)",
    )
    _project_options(render)
    render.add_argument("--out", type=Path, required=True, help="output folder")
    render.add_argument(
        "--format",
        choices=("text", "json", "github"),
        default="text",
        help="how the diagnostics are printed (on stderr)",
    )

    build = commands.add_parser(
        "build",
        help="write every page, expanded and checked, as plain Markdown",
        description="Render the pages to OUT (default build/); OUT is replaced only when "
        "the whole run succeeds.",
    )
    _project_options(build)
    build.add_argument("--out", type=Path, default=Path("build"), help="output folder")

    site = commands.add_parser(
        "site",
        help="build the site with mkdocs build, replacing site/ only on success",
        description="Run 'mkdocs build' into a staging folder beside the site folder and "
        "swap it in only when the build succeeds: a failed or interrupted build "
        "leaves the previous site whole. SOURCE_DATE_EPOCH is set (unless it "
        "already is) to the last commit that touched the project, else to the "
        "newest input file, so two builds of the same input are identical.",
    )
    _location_options(site)
    site.add_argument(
        "--strict", action="store_true", help="fail on warnings too (mkdocs build --strict)"
    )
    site.add_argument(
        "--clean",
        action="store_true",
        help="rebuild every page instead of only what changed since the previous site/",
    )

    commands.add_parser("codes", help="list the diagnostic codes and how to fix each")

    cache = commands.add_parser(
        "cache",
        help="manage the page cache",
        description="'generator cache clear' deletes the page cache of the project at --root "
        "(or of the Jekyll tree SRC): the next check renders every page again.",
    )
    cache.add_argument("action", choices=("clear",), help="what to do with the cache")
    _location_options(cache)
    cache.add_argument("--jekyll", type=Path, metavar="SRC", help="the Jekyll tree SRC's cache")

    schema = commands.add_parser(
        "schema",
        help="print a JSON Schema the check uses (for editors and other tools)",
        description="Print the JSON Schema NAME as the check uses it: the project's own "
        "schemas/NAME.schema.json where there is one, else the shipped one. "
        "Without NAME, list the schemas and where each comes from.",
    )
    schema.add_argument(
        "name",
        nargs="?",
        metavar="NAME",
        help="front-matter, instance-request, instance-response, ...",
    )
    _location_options(schema)
    new = commands.add_parser(
        "new",
        help="write the authenticate page of a new element",
        description="Write content/elements/SLUG/authenticate.md: front matter, the shared "
        "partial for the kind of authentication (includes/auth/) and an example "
        "response, ready for 'generator check'. Never overwrites: an existing "
        "element folder or element key is refused (exit 2).",
    )
    new.add_argument("slug", metavar="SLUG", help="the element's folder name, e.g. acme-crm")
    new.add_argument(
        "--auth",
        required=True,
        choices=("basic", "oauth2", "oauth1", "apikey"),
        help="how the element authenticates",
    )
    new.add_argument(
        "--hub",
        help="the hub (default: the slug's last word when it names one, e.g. crm, else general)",
    )
    new.add_argument(
        "--id",
        type=int,
        dest="element_id",
        metavar="N",
        help="the element's id on the platform (default: one above the largest documented)",
    )
    new.add_argument("--key", help="the element key (default: the slug without dashes)")
    new.add_argument("--name", help="the display name (default: from the slug)")
    _location_options(new)

    importer = commands.add_parser(
        "import-jekyll",
        help="import a Jekyll tree into this layout (content/, includes/, "
        "mkdocs.yml), translating Liquid to Jinja",
        description="Write the Jekyll tree SRC into DEST: pages to content/, _includes/ to "
        "includes/, _data/ to includes/_data/, _config.yml to mkdocs.yml. Liquid "
        "is translated to Jinja keeping every line where it was, so diagnostics "
        "name the same lines. DEST is written beside itself and renamed into "
        "place when complete. Prints a migration report.",
    )
    importer.add_argument("src", type=Path, metavar="SRC", help="the Jekyll tree")
    importer.add_argument("dest", type=Path, metavar="DEST", help="the folder to create")
    importer.add_argument(
        "--force", action="store_true", help="replace DEST even when it is not empty"
    )
    return parser


def _location_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="project folder holding mkdocs.yml (default: current folder)",
    )
    parser.add_argument(
        "--config",
        default=DEFAULT_CONFIG_FILE,
        help="MkDocs configuration file, relative to --root",
    )


def _project_options(parser: argparse.ArgumentParser) -> None:
    _location_options(parser)
    parser.add_argument(
        "--lax",
        action="store_true",
        help="report undefined variables as warnings instead of errors",
    )
    parser.add_argument(
        "--jekyll",
        type=Path,
        metavar="SRC",
        help="check the Jekyll tree SRC in place, as Jekyll renders it "
        "(automatic when --root holds _config.yml but no mkdocs.yml)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write the page cache (a Jekyll tree's lives "
        "in $XDG_CACHE_HOME/element-docs/, a project's in "
        ".element-docs-cache/)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    # A check makes many objects that live to the end of the run (every page's front
    # matter, compiled templates): Python's default thresholds walk them again and again.
    # Collecting less often cost no memory and saved 3-5% of a clean check of 10,032
    # real-shaped pages (32.4 -> 30.8 CPU-s).
    gc.set_threshold(50_000, 20, 100)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return _check(args, sys.stdout)
        if args.command == "fix":
            return _fix(args, sys.stdout)
        if args.command == "render":
            return _render(args)
        if args.command == "build":
            from generator.cli.build import build_markdown_tree

            return build_markdown_tree(args, sys.stdout)
        if args.command == "site":
            from generator.cli.build import build_site

            return build_site(args, sys.stdout)
        if args.command == "codes":
            return _codes(sys.stdout)
        if args.command == "cache":
            return _cache_clear(args, sys.stdout)
        if args.command == "schema":
            return _schema(args, sys.stdout)
        if args.command == "new":
            return _new(args, sys.stdout)
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


def _cache_clear(args: argparse.Namespace, out: TextIO) -> int:
    import shutil

    from generator.load.jekyll_tree import is_jekyll_tree, jekyll_settings

    jekyll = args.jekyll
    if jekyll is None and args.config == DEFAULT_CONFIG_FILE and is_jekyll_tree(args.root):
        jekyll = args.root
    settings = (
        jekyll_settings(jekyll, cache=False)
        if jekyll is not None
        else load_settings(args.root, args.config)
    )
    folder = settings.cache_dir
    if folder is None or not (folder.exists() or folder.is_symlink()):
        out.write("no cache to clear\n")
        return EXIT_OK
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder)
    else:
        folder.unlink()
    out.write(f"cleared the cache: {folder}\n")
    return EXIT_OK


def _schema(args: argparse.Namespace, out: TextIO) -> int:
    import json

    from generator.validate.schemas import load_schemas

    if (args.root / args.config).is_file():
        settings = load_settings(args.root, args.config)
        store = load_schemas(settings.schemas_dir, settings.rel)
    else:  # outside a project: the shipped schemas
        store = load_schemas(None)
    if args.name is None:
        for name in sorted(store.validators):
            out.write(f"{name}\t{store.origins.get(name, '')}\n")
        return EXIT_OK
    if store.get(args.name) is None:
        known = ", ".join(sorted(store.validators))
        sys.stderr.write(
            f"generator schema: error: no schema named {args.name!r}\nhint: one of {known}\n"
        )
        return EXIT_USAGE
    out.write(json.dumps(store.schema(args.name), indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


def _new(args: argparse.Namespace, out: TextIO) -> int:
    from generator.cli.scaffold import ScaffoldRefused, plan, write_page

    settings = load_settings(args.root, args.config)
    try:
        element, target = plan(
            settings, args.slug, args.auth, args.hub, args.element_id, args.key, args.name
        )
        write_page(element, target)
    except (ScaffoldRefused, FileExistsError) as exc:
        sys.stderr.write(f"generator new: error: {exc}\n")
        return EXIT_USAGE
    shown = target.relative_to(settings.root) if target.is_relative_to(settings.root) else target
    out.write(
        f"wrote {shown.as_posix() if isinstance(shown, Path) else shown} "
        f"({element.name}, key {element.key}, id {element.element_id}, hub "
        f"{element.hub}, {args.auth})\nnext: edit its front matter, then run "
        "'generator check' and 'make site'\n"
    )
    return EXIT_OK


def _import_jekyll(args: argparse.Namespace, out: TextIO) -> int:
    from generator.cli.import_jekyll import ImportRefused, import_tree, print_import_report

    try:
        report = import_tree(args.src, args.dest, force=args.force)
    except ImportRefused as exc:
        sys.stderr.write(f"generator import-jekyll: error: {exc}\n")
        return EXIT_USAGE
    print_import_report(report, out)
    return EXIT_OK


def _check(args: argparse.Namespace, out: TextIO) -> int:
    project = load_project(args)
    paths = _resolved_paths(args, "check")
    if paths is None:
        return EXIT_USAGE
    if args.write_baseline and args.baseline is None:
        sys.stderr.write(
            "generator check: error: --write-baseline needs --baseline FILE\n"
            "hint: generator check --baseline check-baseline.json "
            "--write-baseline\n"
        )
        return EXIT_USAGE
    known = None
    if args.baseline is not None and not args.write_baseline:
        known = read_baseline(args.baseline)  # before the run: a missing file is a usage error
    report = project.check(
        _pages_among(project.settings, paths),
        progress=_progress_printer(sys.stderr),
        jobs=args.jobs,
    )
    if args.write_baseline:
        count = write_baseline(args.baseline, report.diagnostics)
        out.write(
            f"checked {report.pages} page{'s' * (report.pages != 1)}: recorded "
            f"{count} problem{'s' * (count != 1)} in {args.baseline}\n"
        )
        return EXIT_OK
    baseline_note = ""
    counts: dict[str, int] = {}
    if known is not None:
        filtered = apply_baseline(report.diagnostics, known)
        report = CheckReport(report.pages, filtered.new)
        counts = {"baseline_known": filtered.known, "baseline_fixed": filtered.gone}
        baseline_note = f" ({filtered.known} known in the baseline"
        if filtered.gone:
            baseline_note += f"; {filtered.gone} fixed since: --write-baseline records that"
        baseline_note += ")"
    show_report(
        report,
        project,
        args.format,
        out,
        quiet=args.quiet,
        baseline_note=baseline_note,
        counts=counts,
    )
    return EXIT_ERRORS if report.errors else EXIT_OK


def _pages_among(settings: Settings, paths: list[Path]) -> list[Path] | None:
    """The pages to check for the given paths; None for every page. A partial, a data file, a
    schema or the configuration file is read by any number of pages, so naming one (as
    pre-commit does with the files a commit changes) checks them all."""
    shared = [
        folder.resolve()
        for folder in (settings.includes_dir, settings.data_dir, settings.schemas_dir)
        if folder is not None
    ]
    root = settings.root.resolve()
    for path in paths:
        real = path.resolve()
        if path.is_file() and (
            any(real.is_relative_to(folder) for folder in shared)
            or (real.parent == root and real.suffix in (".yml", ".yaml"))
        ):
            return None
    return paths or None


def _resolved_paths(args: argparse.Namespace, command: str) -> list[Path] | None:
    """The command's PATH arguments made absolute; None (after saying why) when one of them
    is missing or is not a file or folder."""
    paths = [p if p.is_absolute() else Path.cwd() / p for p in args.paths]
    missing = [p for p in paths if not p.exists()]
    if missing:
        sys.stderr.write(
            f"generator {command}: error: no such file or folder: {missing[0]}\n"
            "hint: give paths of pages or folders under the docs folder\n"
        )
        return None
    special = [p for p in paths if not p.is_file() and not p.is_dir()]
    if special:  # a fifo or a device: reading it could block for ever
        sys.stderr.write(
            f"generator {command}: error: not a file or folder: {special[0]}\n"
            "hint: give paths of pages or folders under the docs folder\n"
        )
        return None
    return paths


def _render(args: argparse.Namespace) -> int:
    """``generator render``: each page's text after the templates, written even when the
    page has errors (as far as it rendered), so that it can be read or compared."""
    from generator.load.listing import iter_pages
    from generator.pipeline.project import dedupe

    project = load_project(args)
    paths = _resolved_paths(args, "render")
    if paths is None:
        return EXIT_USAGE
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    settings = project.settings
    target, docs = out.resolve(), settings.docs_dir.resolve()
    if (
        target in (settings.root.resolve(), docs)
        or target in settings.root.resolve().parents
        or docs in target.parents
    ):  # the pages would become pages again
        sys.stderr.write(
            f"generator render: error: --out {args.out} would write over the "
            "project\nhint: choose a folder outside the pages\n"
        )
        return EXIT_USAGE
    project.load_all()
    pages = list(iter_pages(settings, paths or None))
    report = CheckReport(pages=len(pages), diagnostics=list(project.setup_diagnostics))
    written = 0
    for path, result in zip(pages, project.check_pages(pages), strict=True):
        report.diagnostics.extend(result.diagnostics)
        rel = relative_posix(path, settings.docs_dir)
        if result.rendered is None or rel is None:
            sys.stderr.write(
                f"not rendered: {result.rel}{' (outside the docs folder)' if rel is None else ''}\n"
            )
            continue
        destination = out / rel
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(result.rendered.text, encoding="utf-8")
        written += 1
        if result.rendered.failed:
            sys.stderr.write(f"rendered in part (stopped at an error): {result.rel}\n")
    report.diagnostics = dedupe(report.diagnostics)
    show_report(report, project, args.format, sys.stderr)
    sys.stderr.write(f"wrote {written} of {len(pages)} pages to {args.out}\n")
    return EXIT_ERRORS if report.errors else EXIT_OK


def _fix(args: argparse.Namespace, out: TextIO) -> int:
    from generator.cli.fix import (
        FIXED_CODES,
        apply_to_text,
        changed_lines,
        diff_of,
        plan_fixes,
        read_source,
    )
    from generator.load.listing import iter_pages
    from generator.output import write_atomically

    project = load_project(args)
    paths = _resolved_paths(args, "fix")
    if paths is None:
        return EXIT_USAGE
    selected = _pages_among(project.settings, paths)
    project.load_all()
    targets = list(iter_pages(project.settings, selected)) if selected else list(project.documents)
    plan = plan_fixes(project, project.check_pages(targets), args.from_example)
    for note in plan.skipped:
        sys.stderr.write(f"note: {note}\n")
    root = project.settings.root
    files = plan.by_file()
    if not files:
        out.write("nothing to fix\n")
        return EXIT_OK
    if not args.write:
        out.write(diff_of(plan, root))
        sys.stderr.write(
            f"{len(plan.edits)} fix{'es' * (len(plan.edits) != 1)} in "
            f"{len(files)} file{'s' * (len(files) != 1)}; run with --write to "
            "make them\n"
        )
        return EXIT_ERRORS
    originals: dict[str, str] = {}
    for path, edits in files.items():
        original = read_source(root / path)
        write_atomically(root / path, apply_to_text(original, edits))
        originals[path] = original
    after = load_project(args)
    report = after.check(selected)
    still = {
        (d.location.path, d.location.line)
        for d in report.diagnostics
        if d.location and d.code in FIXED_CODES
    }
    for path, edits in files.items():
        if any((path, line) in still for line in changed_lines(edits)):
            write_atomically(root / path, originals[path])
            sys.stderr.write(
                f"generator fix: put {path} back as it was: the check still "
                "reports the lines it changed\n"
            )
    fixed = sum(
        len(edits) for path, edits in files.items() if read_source(root / path) != originals[path]
    )
    out.write(f"fixed {fixed} of {len(plan.edits)} in {len(files)} files; checked again:\n")
    show_report(report, after, "text", out)
    return EXIT_ERRORS if report.errors else EXIT_OK


def _progress_printer(stream: TextIO) -> Callable[[int, int], None] | None:
    """A ``progress(done, total)`` for Project.check: a counter on a terminal only."""
    if not stream.isatty():
        return None
    counter: list[Progress] = []

    def show(done: int, total: int) -> None:
        if not counter:
            counter.append(Progress(stream, "checking pages:", total))
        counter[0].step(done - counter[0].done)

    return show


def _codes(out: TextIO) -> int:
    for code, info in CODES.items():
        out.write(f"{code}  {info.severity.value:<7}  {info.title}\n         fix: {info.fix}\n")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
