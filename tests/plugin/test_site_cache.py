"""A repeated `mkdocs build` reuses MkDocs' output for unchanged pages and is never stale.

Each case builds the repository's project, makes one kind of edit, builds again with the
cache warm, and compares every file of that site with a site built from scratch (no cache) of
the same tree: they must be identical, byte for byte.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import copy_repo_project

CRM = "content/elements/autotask-crm/authenticate.md"
PARTIAL = "includes/Elements/autotask/authenticate.md"
INFUSIONSOFT = "content/elements/infusionsoft-crm/authenticate.md"
GUIDE = """# Getting started

Every element page shows how to authenticate.
See [the CRM page](elements/autotask-crm/authenticate.md).
"""


def mkdocs_build(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *extra],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.suffix != ".gz"
    }  # the sitemap's archive holds a time


def reused(result: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"MkDocs' output reused for (\d+)", result.stderr)
    return int(found.group(1)) if found else 0


def edit(root: Path, name: str, change: Callable[[str], str]) -> None:
    path = root / name
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def use_theme_override(root: Path) -> None:
    (root / "overrides").mkdir()
    (root / "overrides" / "main.html").write_text('{% extends "base.html" %}\n', encoding="utf-8")
    edit(
        root,
        "mkdocs.yml",
        lambda t: t.replace("  name: material\n", "  name: material\n  custom_dir: overrides\n"),
    )


EDITS: dict[str, tuple[Callable[[Path], None] | None, Callable[[Path], None]]] = {
    "page body": (None, lambda root: edit(root, CRM, lambda t: t + "\nA closing remark.\n")),
    "partial used by three pages": (
        None,
        lambda root: edit(root, PARTIAL, lambda t: t + "\nA shared remark.\n"),
    ),
    "title shown in every page's navigation": (
        None,
        lambda root: edit(
            root, INFUSIONSOFT, lambda t: re.sub(r"(?m)^heading: .*$", "heading: Keap", t)
        ),
    ),
    "site name in mkdocs.yml": (
        None,
        lambda root: edit(
            root,
            "mkdocs.yml",
            lambda t: t.replace("site_name: Element Docs", "site_name: Connector Docs"),
        ),
    ),
    "page added": (
        None,
        lambda root: (root / "content" / "guide.md").write_text(GUIDE, encoding="utf-8"),
    ),
    "page removed": (
        None,
        lambda root: shutil.rmtree(root / "content" / "elements" / "autotask-finance"),
    ),
    "theme override edited": (
        use_theme_override,
        lambda root: edit(
            root,
            "overrides/main.html",
            lambda t: t + "{% block announce %}Maintenance on Sunday{% endblock %}\n",
        ),
    ),
}


@pytest.mark.parametrize("case", list(EDITS))
def test_a_cached_build_after_an_edit_equals_a_build_from_scratch(
    tmp_path: Path, case: str
) -> None:
    root = copy_repo_project(tmp_path)
    setup, change = EDITS[case]
    if setup is not None:
        setup(root)
    first = mkdocs_build(root, "--strict")
    assert first.returncode == 0, first.stderr
    change(root)

    cached = mkdocs_build(root, "--strict")
    assert cached.returncode == 0, cached.stderr
    got = site_files(root / "site")

    shutil.rmtree(root / ".element-docs-cache")
    shutil.rmtree(root / "site")
    scratch = mkdocs_build(root, "--strict")
    assert scratch.returncode == 0, scratch.stderr
    assert reused(scratch) == 0
    expected = site_files(root / "site")
    assert sorted(got) == sorted(expected)
    assert [name for name in expected if got[name] != expected[name]] == []


def test_nothing_changed_reuses_every_page(tmp_path: Path) -> None:
    root = copy_repo_project(tmp_path)
    first = mkdocs_build(root, "--strict")
    assert first.returncode == 0, first.stderr
    assert reused(first) == 0
    expected = site_files(root / "site")
    pages = len([n for n in expected if n.endswith("index.html") and n != "search/index.html"])

    again = mkdocs_build(root, "--strict")
    assert again.returncode == 0, again.stderr
    assert reused(again) >= pages - 1  # every page (the 404 page is not a Markdown page)
    assert site_files(root / "site") == expected


def test_a_warning_is_given_again_when_the_page_is_reused(tmp_path: Path) -> None:
    root = copy_repo_project(tmp_path)
    (root / "content" / "guide.md").write_text(
        GUIDE.replace("elements/autotask-crm/authenticate.md", "missing.md"), encoding="utf-8"
    )
    warning = re.compile(r"WARNING.*guide\.md.*missing\.md")
    first = mkdocs_build(root)
    assert first.returncode == 0 and warning.search(first.stderr), first.stderr
    again = mkdocs_build(root)
    assert reused(again) > 0
    assert warning.search(again.stderr), again.stderr
    strict = mkdocs_build(root, "--strict")
    assert strict.returncode != 0 and warning.search(strict.stderr), strict.stderr


def test_another_plugin_turns_reuse_off_and_says_why(tmp_path: Path) -> None:
    root = copy_repo_project(tmp_path)
    (root / "stamp.py").write_text(
        "import itertools\n_count = itertools.count()\n\n\n"
        "def on_post_page(output, page, config):\n"
        "    return output.replace('</body>', f'<!-- build {next(_count)} --></body>')\n",
        encoding="utf-8",
    )
    edit(root, "mkdocs.yml", lambda t: t + "\nhooks:\n  - stamp.py\n")
    first = mkdocs_build(root)
    again = mkdocs_build(root)
    assert first.returncode == 0 and again.returncode == 0, again.stderr
    assert reused(again) == 0
    assert "output is not reused: plugin" in again.stderr
