"""Settings read from mkdocs.yml: the CLI reads the file as MkDocs does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL_MKDOCS, REPO, run_cli
from mkdocs.config import load_config

from generator.settings import (
    OPTIONS,
    Option,
    load_settings,
    options_markdown,
    plugin_options,
    plugin_values,
    read_config_yaml,
    settings_from,
)

PAGE = "content/guide.md"
ENV_MKDOCS = MINIMAL_MKDOCS.replace(
    "extra:\n", "extra:\n  api_base: !ENV [ED_TEST_API_BASE, 'https://default.example/v2']\n"
)


def _build_both(root: Path, env: dict[str, str]) -> tuple[str, str]:
    """The page's text from `generator build` and from a real `mkdocs build`."""
    full_env = {**os.environ, **env}
    cli = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--out", "out"],
        cwd=root,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    return (
        (root / "out" / "guide.md").read_text(encoding="utf-8"),
        (root / "site" / "guide" / "index.html").read_text(encoding="utf-8"),
    )


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"ED_TEST_API_BASE": "https://env.example/v9"}, "https://env.example/v9"),
        ({}, "https://default.example/v2"),
    ],
)
def test_env_tag_in_mkdocs_yml_is_read_like_mkdocs(
    make_project: Callable[..., Path], env: dict[str, str], expected: str
) -> None:
    root = make_project(
        {PAGE: "# Guide\n\nBase: {{ site.api_base }}/instances\n"}, mkdocs_yml=ENV_MKDOCS
    )
    os.environ.pop("ED_TEST_API_BASE", None)
    markdown, html = _build_both(root, env)
    assert f"Base: {expected}/instances" in markdown
    assert f"Base: {expected}/instances" in html
    assert "ED_TEST_API_BASE" not in markdown + html


# A plugin option read through !ENV: partials from includes/ or, with the variable set,
# from other/ (whose partial says something else, and reads an undefined variable).
OPTION_ENV_MKDOCS = MINIMAL_MKDOCS.replace(
    "  - element-docs\n",
    "  - element-docs:\n      includes_dir: !ENV [ED_TEST_INCLUDES, includes]\n",
).replace("extra:\n", "extra:\n  flag: !ENV ED_TEST_FLAG\n")
OPTION_ENV_FILES = {
    PAGE: "# Guide\n\n{% include note.md %}\n{% if site.flag %}{{ not_defined }}{% endif %}\n",
    "includes/note.md": "From includes.\n",
    "other/note.md": "From other.\n",
}


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"ED_TEST_INCLUDES": "other"}, "From other."),
        ({}, "From includes."),
    ],
)
def test_env_tag_in_a_plugin_option_is_read_like_mkdocs(
    make_project: Callable[..., Path], env: dict[str, str], expected: str
) -> None:
    root = make_project(OPTION_ENV_FILES, mkdocs_yml=OPTION_ENV_MKDOCS)
    os.environ.pop("ED_TEST_INCLUDES", None)
    markdown, html = _build_both(root, env)
    assert expected in markdown and expected in html
    assert "ED_TEST_INCLUDES" not in markdown + html


@pytest.mark.parametrize("env", [{}, {"ED_TEST_FLAG": "yes"}])
def test_env_tag_is_read_like_mkdocs_by_check(
    make_project: Callable[..., Path], env: dict[str, str]
) -> None:
    """`generator check` and `mkdocs build` agree on a page that is wrong only when the
    variable an ``!ENV`` of extra: reads is set."""
    root = make_project(OPTION_ENV_FILES, mkdocs_yml=OPTION_ENV_MKDOCS)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("ED_TEST_")} | env
    check = subprocess.run(
        [sys.executable, "-m", "generator", "check"],
        cwd=root,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
    )
    assert "Traceback" not in check.stderr + built.stderr
    if env:
        assert check.returncode != 0 and built.returncode != 0
        assert "not_defined" in check.stdout + check.stderr
        assert "not_defined" in built.stdout + built.stderr
    else:
        assert check.returncode == 0, check.stdout + check.stderr
        assert built.returncode == 0, built.stderr


def _mkdocs_yml(options: dict[str, Any] | None) -> str:
    if options is None:
        return MINIMAL_MKDOCS
    return MINIMAL_MKDOCS.replace(
        "  - element-docs\n",
        "  - element-docs:\n"
        + "".join(f"      {name}: {json.dumps(value)}\n" for name, value in options.items()),
    )


def _other_value(option: Option) -> Any:
    """A value of the option's type other than its default."""
    if option.type is bool:
        return not option.default
    if option.type is int:
        return option.default + 3
    return {str: "elsewhere", dict: {"a.md": "/a/"}}[option.type]


@pytest.mark.parametrize(
    "options",
    [
        None,  # the plugin named without options
        {},
        {option.name: None for option in OPTIONS},  # null: the default, as MkDocs reads it
        {option.name: _other_value(option) for option in OPTIONS},
        {"schemas_dir": "", "cache_dir": ""},
    ],
    ids=["bare", "empty", "null", "other", "empty-strings"],
)
def test_plugin_config_and_cli_read_the_same_options(
    make_project: Callable[..., Path], options: dict[str, Any] | None
) -> None:
    """For every option of the one table: the value MkDocs gives the plugin and the one the
    CLI reads from the same mkdocs.yml, and the settings each makes of them, are the same."""
    root = make_project({PAGE: "# Guide\n"}, mkdocs_yml=_mkdocs_yml(options))
    mkdocs_config = load_config(str(root / "mkdocs.yml"))
    plugin = mkdocs_config.plugins["element-docs"]
    cli = plugin_values(
        plugin_options(read_config_yaml((root / "mkdocs.yml").read_text(encoding="utf-8"))) or {}
    )
    assert set(plugin.config) == {option.name for option in OPTIONS} == set(cli)
    for option in OPTIONS:
        assert plugin.config[option.name] == cli[option.name], option.name
        expected = (options or {}).get(option.name)
        assert cli[option.name] == (option.default if expected is None else expected)
    assert settings_from(root, mkdocs_config, dict(plugin.config)) == load_settings(root)


def test_an_option_of_the_wrong_type_is_refused_by_both(make_project: Callable[..., Path]) -> None:
    root = make_project({PAGE: "# Guide\n"}, mkdocs_yml=_mkdocs_yml({"max_include_depth": "deep"}))
    check = run_cli("check", cwd=root)
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode != 0 and "max_include_depth" in built.stderr
    assert check.returncode != 0 and "Traceback" not in check.stderr
    said = check.stdout + check.stderr
    line = next(
        n
        for n, text in enumerate((root / "mkdocs.yml").read_text().splitlines(), 1)
        if "max_include_depth" in text
    )
    assert f"mkdocs.yml:{line}: error ED401" in said  # at the option's own line
    assert "'max_include_depth' must be of type int" in said
    assert "hint: write a value of type int there, or remove the line" in said


def test_the_configuration_reference_lists_every_option() -> None:
    """docs/configuration.md holds the table made from OPTIONS, as it is now."""
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert options_markdown() in text, "paste settings.options_markdown() into the page"
