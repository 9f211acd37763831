"""element-docs as a pre-commit hook, run by the real pre-commit on a throwaway docs repository.

pre-commit installs this repository into an environment of its own (from the package
registry, like any hook), so this test is slow the first time and quick once its cache
is warm; the cache lives under the test's temporary folder unless PRE_COMMIT_HOME is set.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINIMAL_MKDOCS, REPO, write_tree

GOOD = (
    "---\nheading: Acme CRM\ntitle: Authenticate\nelementId: 7\nelementKey: acmecrm\n"
    "hub: crm\n---\n\n{% include acme/response.md %}\n"
)
RESPONSE = (
    '## Example Response\n\n```json\n{"id": 1, "name": "Acme", "token": "abc",\n'
    ' "element": {"id": 7, "key": "acmecrm", "name": "Acme"}}\n```\n'
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _try_repo(docs: Path, home: Path, *files: str) -> subprocess.CompletedProcess[str]:
    pre_commit = Path(sys.executable).with_name("pre-commit")
    env = {**os.environ, "PRE_COMMIT_HOME": os.environ.get("PRE_COMMIT_HOME", str(home))}
    return subprocess.run(
        [str(pre_commit), "try-repo", str(REPO), "element-docs-check", "--files", *files],
        cwd=docs,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )


@pytest.fixture(scope="module")
def hook_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    return tmp_path_factory.mktemp("pre-commit-home")


def test_the_hook_passes_good_pages_and_stops_a_partial_that_breaks_one(
    tmp_path: Path, hook_home: Path
) -> None:
    docs = write_tree(
        tmp_path / "docs-repo",
        {
            "mkdocs.yml": MINIMAL_MKDOCS,
            "content/elements/acme/authenticate.md": GOOD,
            "includes/acme/response.md": RESPONSE,
            "README.md": "# Our docs\n",
        },
    )
    _git(docs, "init", "-q")
    _git(docs, "add", "-A")
    _git(docs, "commit", "-qm", "docs")

    clean = _try_repo(docs, hook_home, "content/elements/acme/authenticate.md", "README.md")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "element-docs check" in clean.stdout and "Passed" in clean.stdout

    # a commit that changes only the partial: the page that includes it is checked
    (docs / "includes/acme/response.md").write_text(
        RESPONSE.replace('"id": 7', '"id": 8'), encoding="utf-8"
    )
    broken = _try_repo(docs, hook_home, "includes/acme/response.md")
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "Failed" in broken.stdout
    assert "includes/acme/response.md:5" in broken.stdout and "ED201" in broken.stdout
    assert "included from content/elements/acme/authenticate.md:9" in broken.stdout
