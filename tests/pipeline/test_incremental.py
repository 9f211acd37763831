"""``mkdocs build --dirty`` with the plugin leaves the same site a clean build would: pages
whose partials changed are rebuilt, deleted pages disappear, the search index stays whole."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import copy_repo_project


def build(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", *extra],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result


def rendered_count(result: subprocess.CompletedProcess[str]) -> int:
    return int(re.search(r"element-docs: (\d+) of \d+ pages rendered", result.stderr).group(1))


def index_pages(root: Path) -> dict[str, int]:
    docs = json.loads((root / "site/search/search_index.json").read_text())["docs"]
    counts: dict[str, int] = {}
    for doc in docs:
        page = doc["location"].split("#")[0]
        counts[page] = counts.get(page, 0) + 1
    return counts


def test_dirty_builds_are_exact(tmp_path: Path) -> None:
    copy_repo_project(tmp_path)
    clean = build(tmp_path)
    assert rendered_count(clean) == 6
    full_index = index_pages(tmp_path)

    again = build(tmp_path, "--dirty")
    assert rendered_count(again) == 0, "nothing changed: nothing is rendered again"
    assert "dirty' build" not in again.stderr
    assert index_pages(tmp_path) == full_index

    partial = tmp_path / "includes/Elements/infusionsoft/authenticate.md"
    partial.write_text(partial.read_text() + "\nMarker-dirty-partial\n")
    after_edit = build(tmp_path, "--dirty")
    assert rendered_count(after_edit) == 1
    page = tmp_path / "site/elements/infusionsoft-crm/authenticate/index.html"
    assert "Marker-dirty-partial" in page.read_text()
    assert index_pages(tmp_path) == full_index

    shutil.rmtree(tmp_path / "content/elements/autotask-finance")
    after_delete = build(tmp_path, "--dirty")
    assert not (tmp_path / "site/elements/autotask-finance/authenticate/index.html").exists()
    remaining = index_pages(tmp_path)
    assert "elements/autotask-finance/authenticate/" not in remaining
    assert set(remaining) == set(full_index) - {"elements/autotask-finance/authenticate/"}
    home = (tmp_path / "site/index.html").read_text()
    assert "Autotask Finance" not in home, "the catalog (and navigation) follow the deletion"
    assert rendered_count(after_delete) >= 1
