"""What every command shares: the project it works on, how its report is shown, the exit codes."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TextIO

from generator.errors import JEKYLL_FIXES
from generator.pipeline.project import Project
from generator.report import CheckReport, print_report
from generator.settings import DEFAULT_CONFIG_FILE, load_settings
from generator.version import __version__

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def load_project(args: argparse.Namespace) -> Project:
    from generator.load.jekyll_tree import (
        describe_unchecked,
        describe_unpublished,
        is_jekyll_tree,
        jekyll_settings,
    )

    strict = False if args.lax else None
    jekyll = getattr(args, "jekyll", None)
    if jekyll is None and args.config == DEFAULT_CONFIG_FILE and is_jekyll_tree(args.root):
        jekyll = args.root
    use_cache = not getattr(args, "no_cache", False)
    if jekyll is None:
        return Project(load_settings(args.root, args.config, strict=strict), use_cache=use_cache)
    settings = jekyll_settings(jekyll, strict, cache=use_cache, jobs=getattr(args, "jobs", 1))
    for note in (describe_unpublished(settings), describe_unchecked(settings)):
        if note:
            sys.stderr.write(f"note: {note}\n")
    return Project(settings, use_cache=use_cache)


def show_report(
    report: CheckReport,
    project: Project,
    fmt: str,
    out: TextIO,
    quiet: bool = False,
    baseline_note: str = "",
    counts: dict[str, int] | None = None,
) -> None:
    """``print_report`` with this project's source lines (files inside the project only:
    SourceCache shows no line of a file that is, or is reached by a link, outside it). In a
    Jekyll tree, fixes that name MkDocs' files are said in the tree's own words."""
    if project.settings.jekyll:
        report = replace(
            report,
            diagnostics=[
                replace(d, hint=JEKYLL_FIXES[d.code])
                if not d.hint and d.code in JEKYLL_FIXES
                else d
                for d in report.diagnostics
            ],
        )
    print_report(
        report,
        fmt,
        out,
        tool_version=__version__,
        source_line=project.sources.line,
        quiet=quiet,
        baseline_note=baseline_note,
        counts=counts,
    )
