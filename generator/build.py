"""``generator build``: the expanded Markdown tree, written all-or-nothing.

Output goes to a temporary folder beside OUT and replaces OUT only when every page rendered
and no error was found, so a failed or interrupted run leaves the previous output whole.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path
from typing import TextIO

from .errors import Diagnostic
from .examples import strip_overrides


def build_markdown_tree(args: argparse.Namespace, out: TextIO) -> int:
    from .cli import EXIT_ERRORS, EXIT_OK, load_project, print_report
    from .pipeline import CheckReport

    project = load_project(args)
    project.load_all()
    target = args.out if args.out.is_absolute() else Path.cwd() / args.out
    target.parent.mkdir(parents=True, exist_ok=True)
    report = CheckReport(pages=len(project.documents),
                         diagnostics=list(project.setup_diagnostics))
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for path in project.documents:
            result = project.check_page(path)
            report.diagnostics.extend(result.diagnostics)
            if result.rendered is None or result.document is None:
                continue
            relative = path.relative_to(project.settings.docs_dir.resolve())
            destination = staging / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(strip_overrides(result.rendered.text), encoding="utf-8")
        if project.memory.pages is not None:
            project.memory.pages.flush()
        report.diagnostics = sorted(report.diagnostics, key=Diagnostic.sort_key)
        print_report(report, project, "text", out)
        if report.errors:
            out.write(f"not written: {args.out} keeps its previous content\n")
            return EXIT_ERRORS
        _swap_in(staging, target)
        out.write(f"wrote {len(project.documents)} pages to {args.out}\n")
        return EXIT_OK
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, target: Path) -> None:
    """Replace ``target`` by ``staging`` with renames only (no half-written state)."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old.{os.getpid()}")
        os.replace(target, old)
    os.replace(staging, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
