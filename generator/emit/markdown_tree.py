"""The plain Markdown tree (``generator build``): every page with its templates expanded and
its example marks removed, as any Markdown tool can read it."""

from __future__ import annotations

from pathlib import Path

from generator.extract.blocks import strip_overrides
from generator.load.listing import iter_pages
from generator.pipeline.project import Project, dedupe
from generator.report import CheckReport


def write_markdown_tree(project: Project, folder: Path) -> CheckReport:
    """Write each page of ``project`` under ``folder`` (at its place under the docs folder)
    and give the report of the check that rendered them, as ``generator check`` gives it."""
    project.load_all()
    report = CheckReport(pages=len(project.documents), diagnostics=list(project.setup_diagnostics))
    docs_dir = project.settings.docs_dir
    pages = list(iter_pages(project.settings))
    for path, result in zip(pages, project.check_pages(pages), strict=True):
        report.diagnostics.extend(result.diagnostics)
        if result.rendered is None or result.document is None:
            continue
        destination = folder / path.relative_to(docs_dir)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(strip_overrides(result.rendered.text), encoding="utf-8")
    report.diagnostics = dedupe(report.diagnostics)
    return report
