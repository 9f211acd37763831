"""A build that checks pages in a forked child gives exactly what a one-process build gives.

The child is a speed measure only (plugin/check_ahead.py): the site, the messages, the exit
code and the cache it leaves must not depend on it, and a child that dies must cost nothing
but time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from generator.pipeline.project import Project
from generator.plugin.check_ahead import MIN_PAGES, CheckAhead, can_fork, spare_cores
from generator.settings import load_settings

pytestmark = pytest.mark.skipif(
    not can_fork() or spare_cores() < 1, reason="the child needs fork and a second core"
)

PAGES = MIN_PAGES + 16


def generated_project(work: Path) -> Path:
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import run  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    return run.generate(PAGES, work, floor=False, macros=False).ours  # type: ignore[no-any-return]


def build(root: Path, ahead: bool, *extra: str) -> subprocess.CompletedProcess[str]:
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"\n    check_ahead: \w+", "", text)
    option = f"    check_ahead: {str(ahead).lower()}\n"
    text = text.replace("- element-docs:\n", "- element-docs:\n" + option)
    config.write_text(text, encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *extra],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def messages(stderr: str) -> list[str]:
    return sorted(
        line
        for line in stderr.splitlines()
        if re.match(r"(WARNING|ERROR)\b", line) or "element-docs:" in line
    )


def site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.suffix != ".gz"
    }


def break_pages(root: Path) -> None:
    """One page with a request body that is not JSON, one partial with an undefined name."""
    pages = sorted((root / "content" / "elements").glob("*/authenticate.md"))
    text = pages[3].read_text(encoding="utf-8")
    pages[3].write_text(text.replace('"name":', '"name" ', 1), encoding="utf-8")
    partial = sorted((root / "includes" / "Elements" / "bench").glob("*/authenticate.md"))[2]
    partial.write_text(
        partial.read_text(encoding="utf-8") + "\n{{ page.no_such_key }}\n", encoding="utf-8"
    )


def test_same_site_and_cache_with_and_without_the_child(tmp_path: Path) -> None:
    root = generated_project(tmp_path)
    alone = build(root, False, "--strict")
    assert alone.returncode == 0, alone.stderr
    expected = site_files(root / "site")
    assert len([name for name in expected if name.endswith("authenticate/index.html")]) == PAGES

    for folder in (".element-docs-cache", "site"):
        subprocess.run(["rm", "-rf", str(root / folder)], check=True)
    ahead = build(root, True, "--strict")
    assert ahead.returncode == 0, ahead.stderr
    pages = PAGES + 2  # the element pages, the home page and the events guide
    assert f"{pages} of {pages} pages rendered ({pages} in a second process)" in ahead.stderr
    assert site_files(root / "site") == expected

    # the child's results reached the cache: a repeat renders nothing
    again = build(root, True, "--strict")
    assert again.returncode == 0, again.stderr
    assert f"0 of {pages} pages rendered, the others unchanged" in again.stderr


def test_same_errors_and_exit_with_and_without_the_child(tmp_path: Path) -> None:
    root = generated_project(tmp_path)
    break_pages(root)
    results = {}
    for ahead in (False, True):
        for folder in (".element-docs-cache", "site"):
            subprocess.run(["rm", "-rf", str(root / folder)], check=True)
        results[ahead] = build(root, ahead=ahead)
    alone, ahead_run = results[False], results[True]
    assert alone.returncode != 0 and ahead_run.returncode != 0
    errors = [m for m in messages(alone.stderr) if m.startswith("ERROR") and ".md:" in m]
    # the page, and the partial's problem: logged once for the ten pages that include it
    assert len(errors) == 2 and "included from" in alone.stderr, alone.stderr
    assert messages(ahead_run.stderr) == messages(alone.stderr)
    assert "No page was written" in ahead_run.stderr
    assert not (root / "site" / "elements").exists()


def test_pages_the_child_never_sent_are_checked_in_the_parent(tmp_path: Path) -> None:
    root = generated_project(tmp_path)
    break_pages(root)
    settings = load_settings(root)
    reference = Project(settings, use_cache=False)
    reference.load_all()
    paths = sorted(reference.documents)
    expected = {p: reference.check_page(p).diagnostics for p in paths}

    project = Project(settings, use_cache=False)
    project.load_all()
    ahead = CheckAhead.start(project, paths)
    assert ahead is not None
    first = ahead.take(paths[0])  # the child is running and answering
    assert first is not None and first.diagnostics == expected[paths[0]]
    ahead.process.kill()  # a child killed half-way (out of memory, say)
    ahead.process.join()
    results = {paths[0]: first.diagnostics}
    fallbacks = 0
    for path in paths[1:]:
        result = ahead.take(path)
        if result is None:
            fallbacks += 1
            result = project.check_page(path)
        results[path] = result.diagnostics
    ahead.close()
    assert fallbacks > 0
    assert results == expected
