"""The benchmark harness runs end to end at a tiny size, so it cannot rot unnoticed.

No network (the peer venv with mkdocs-macros-plugin is skipped) and no server; the real
`generator check`, `generator build` and `mkdocs build` run on a generated 5-page project.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from conftest import CORPUS, REPO, require_shared, run_cli

RUN = REPO / "benchmarks" / "run.py"


def test_quick_benchmark_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    work = tmp_path / "work"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            str(RUN),
            "--quick",
            "--sizes",
            "5",
            "--runs",
            "1",
            "--no-peers",
            "--no-serve",
            "--only",
            "check,build,floor",
            "--work",
            str(work),
            "--out",
            str(out),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout + done.stderr
    assert elapsed < 60, f"the quick benchmark took {elapsed:.0f} s"

    report = out.read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip()
        for line in report.splitlines()
        if line.startswith("| ") and line.count("|") >= 3
    }
    for label in (
        "generator check, clean (1 process)",
        "generator check, cache warm (default --jobs)",
        "generator check, clean (2 processes)",
        "mkdocs build + element-docs, clean",
        "mkdocs build + element-docs, repeat (nothing changed)",
        "mkdocs build, pre-expanded, no plugin (floor)",
        "generator build (expanded Markdown, clean)",
        "ours clean / floor (target ≤ 1.10)",
        "repeat / clean (target ≤ 0.35)",
    ):
        assert label in rows, f"row {label!r} missing from:\n{report}"
    for heading in (
        "## Targets",
        "## Machine and versions",
        "## Method",
        "## `generator check`",
        "## Site builds",
        "## Ratios (same run)",
        "## Against the reference figures",
    ):
        assert heading in report
    # Jekyll is optional: the report must say whether it was measured or quoted
    assert "Jekyll" in report and ("not on PATH" in report or "jekyll build, clean" in rows)

    # every measured figure is a real number of seconds, not a failure
    check_row = next(
        line
        for line in report.splitlines()
        if line.startswith("| generator check, clean (1 process)")
    )
    assert " s" in check_row and "failed" not in check_row
    build_row = next(
        line
        for line in report.splitlines()
        if line.startswith("| mkdocs build + element-docs, clean")
    )
    assert " s" in build_row and "failed" not in build_row

    # raw figures stay in the work folder, and the synthetic project has 5 element pages
    raw = json.loads((work / "results.json").read_text(encoding="utf-8"))
    assert raw["series"]["check-clean"]["5"]["samples"][0]["rc"] == 0
    pages = list((work / "n5" / "ours" / "content" / "elements").glob("*/authenticate.md"))
    assert len(pages) == 5
    partials = list((work / "n5" / "ours" / "includes" / "Elements" / "bench").glob("*/*.md"))
    assert len(partials) == 1  # one partial per group of ten pages
    assert "peer" in report.lower()


def test_generated_pages_translate_for_the_peers() -> None:
    """The macros and Jekyll spellings of an include keep its parameters and variables."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import run  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    text = (
        '{% include note.html content="a <code>b</code>" type="info"%} '
        "{{ page.elementKey }} {{ site.console }} "
        "{{ site.data.glossary.element-auth-name }}"
    )
    assert run.to_macros(text) == (
        '{% with include = {"content": "a <code>b</code>", "type": "info"} %}'
        "{% include 'note.html' %}{% endwith %} {{ page.meta.elementKey }} {{ console }} "
        "{{ glossary['element-auth-name'] }}"
    )
    spec = run.page_specs(25)[21]
    template = (REPO / "content" / "elements" / spec.template / "authenticate.md").read_text(
        encoding="utf-8"
    )
    page = run.make_page(template, spec)
    assert f"elementId: {spec.element_id}\n" in page
    assert f'"key": "{spec.key}"' in page and f'"hub": "{spec.hub}"' in page
    assert "{% include " + spec.partial + "%}" in page


def test_jekyll_tree_keeps_our_include_tags(tmp_path: Path) -> None:
    """Jekyll is measured only where it is installed; its tree is checked everywhere."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import run  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    project = run.generate(12, tmp_path, floor=False, macros=False)
    run.generate_jekyll(project)
    site = project.jekyll
    pages = sorted(site.glob("elements/*/authenticate.md"))
    assert len(pages) == 12
    assert (site / "_includes" / project.specs[0].partial).is_file()
    assert "forloop" in (site / "_includes" / "workflow.html").read_text(encoding="utf-8")
    assert (site / "_data" / "glossary.yml").is_file()
    assert (site / "_layouts" / "sidebarelementdoc.html").is_file()
    text = pages[0].read_text(encoding="utf-8")
    assert "{% include Elements/bench/g" in text  # Liquid reads our tags unchanged


def test_real_shaped_tree_differs_in_its_tags_and_reports_only_the_samples_defects(
    tmp_path: Path,
) -> None:
    """benchmarks/realshaped.py: a fifth of the pages get template tags of their own, so
    pages differ in their tags, as on real trees; those tags report nothing, so what the
    check finds is what the sample holds (every copy of it)."""
    require_shared(CORPUS)
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import realshaped
    finally:
        sys.path.pop(0)
    counts = realshaped.make_tree(120, tmp_path / "tree")
    assert counts["pages"] >= 114 and counts["with_own_tags"] >= 10
    pages = list((tmp_path / "tree" / "docs").rglob("*.md"))
    tagged = [p for p in pages if any(t in p.read_text("utf-8") for t in realshaped.OWN_TAGS)]
    assert len(tagged) == counts["with_own_tags"]

    def check() -> set[tuple[str, str, int]]:
        result = run_cli(
            "check", "--format", "json", "--no-cache", "--jekyll", "tree", cwd=tmp_path
        )
        assert "Traceback" not in result.stderr, result.stderr
        return {(d["code"], d["path"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]}

    found = check()
    assert {code for code, _, _ in found} >= {"ED201", "ED302"}  # the sample's own defects
    for path in (tmp_path / "tree").rglob("*.md"):  # the same tree without the tags
        text = path.read_text("utf-8")
        for tag in realshaped.OWN_TAGS:
            text = text.replace(tag, "")
        path.write_text(text, "utf-8")
    assert check() == found
