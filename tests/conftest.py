"""Shared fixtures: real project trees on disk, the real CLI, and ../shared when present."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
SHARED = (REPO.parent / "shared").resolve()  # resolved like the project roots it is compared with
SEEDS = SHARED / "seeds"
CORPUS = SHARED / "corpus" / "devportal-sample"


@pytest.fixture(autouse=True, scope="session")
def _user_cache_in_a_temporary_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Checks of Jekyll trees in place keep their cache in the user's cache folder: the tests
    (and the commands they start) use a folder of their own, never the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))


def require_shared(path: Path = SHARED) -> Path:
    """../shared is beside the repo in CI (where its absence is a failure); elsewhere skip."""
    if path.exists():
        return path
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true but {path.name} is missing beside the repository")
    pytest.skip(
        f"needs ../shared/{path.relative_to(SHARED) if path != SHARED else ''} "
        "beside the repository (present in CI)"
    )


def seed(prefix: str) -> str:
    """A seed document by its number prefix, e.g. '002'."""
    require_shared(SEEDS)
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt"))
    assert matches, f"no seed {prefix}_*.txt"
    return matches[0].read_text(encoding="utf-8")


MINIMAL_MKDOCS = """\
site_name: Test
docs_dir: content
theme:
  name: material
plugins:
  - search
  - element-docs
markdown_extensions:
  - admonition
  - tables
  - pymdownx.superfences
extra:
  console: Cloud Elements
"""


def copy_repo_project(target: Path) -> Path:
    """This repository's project (mkdocs.yml, content/, includes/) copied into ``target``."""
    for name in ("mkdocs.yml", "content", "includes"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy(source, target / name)
    return target


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(
                textwrap.dedent(content) if content.startswith("\n") else content, encoding="utf-8"
            )
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A project folder: mkdocs.yml, content/ and includes/ plus the given files."""

    def make(
        files: dict[str, str | bytes],
        with_repo_includes: bool = False,
        mkdocs_yml: str = MINIMAL_MKDOCS,
    ) -> Path:
        root = tmp_path / "project"
        (root / "content").mkdir(parents=True, exist_ok=True)
        (root / "includes").mkdir(parents=True, exist_ok=True)
        (root / "mkdocs.yml").write_text(mkdocs_yml, encoding="utf-8")
        if with_repo_includes:
            for path in (REPO / "includes").rglob("*"):
                if path.is_file():
                    target = root / "includes" / path.relative_to(REPO / "includes")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(path.read_bytes())
        return write_tree(root, files)

    return make


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The real command line, in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def check_json(root: Path, *paths: str, extra: tuple[str, ...] = ()) -> tuple[int, dict]:
    result = run_cli("check", "--format", "json", *extra, *paths, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)
