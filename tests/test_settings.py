"""Settings read from mkdocs.yml: the CLI reads the file as MkDocs does."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import MINIMAL_MKDOCS

PAGE = "content/guide.md"
ENV_MKDOCS = MINIMAL_MKDOCS.replace(
    "extra:\n", "extra:\n  api_base: !ENV [ED_TEST_API_BASE, 'https://default.example/v2']\n")


def _build_both(root: Path, env: dict[str, str]) -> tuple[str, str]:
    """The page's text from `generator build` and from a real `mkdocs build`."""
    full_env = {**os.environ, **env}
    cli = subprocess.run([sys.executable, "-m", "generator", "build", "--out", "out"],
                         cwd=root, capture_output=True, text=True, env=full_env, timeout=120)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=root,
                           capture_output=True, text=True, env=full_env, timeout=300)
    assert built.returncode == 0, built.stderr
    return ((root / "out" / "guide.md").read_text(encoding="utf-8"),
            (root / "site" / "guide" / "index.html").read_text(encoding="utf-8"))


@pytest.mark.parametrize("env, expected", [
    ({"ED_TEST_API_BASE": "https://env.example/v9"}, "https://env.example/v9"),
    ({}, "https://default.example/v2"),
])
def test_env_tag_in_mkdocs_yml_is_read_like_mkdocs(make_project: Callable[..., Path],
                                                   env: dict[str, str], expected: str) -> None:
    root = make_project({PAGE: "# Guide\n\nBase: {{ site.api_base }}/instances\n"},
                        mkdocs_yml=ENV_MKDOCS)
    os.environ.pop("ED_TEST_API_BASE", None)
    markdown, html = _build_both(root, env)
    assert f"Base: {expected}/instances" in markdown
    assert f"Base: {expected}/instances" in html
    assert "ED_TEST_API_BASE" not in markdown + html

