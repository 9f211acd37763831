"""``generator new``: a new element's page for each kind of authentication passes ``check``
as written, shows in the navigation and the home page's catalog, and nothing is overwritten."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, check_json, copy_repo_project, run_cli

AUTHS = ("basic", "oauth2", "oauth1", "apikey")
TITLES = {"basic": "Basic", "oauth2": "OAuth 2", "oauth1": "OAuth 1", "apikey": "API key"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = copy_repo_project(tmp_path_factory.mktemp("new"))
    for auth in AUTHS:
        result = run_cli(
            "new", f"zephyr-{auth}-crm", "--auth", auth, "--name", f"Zephyr {auth} CRM", cwd=root
        )
        assert result.returncode == 0, result.stderr
        assert f"content/elements/zephyr-{auth}-crm/authenticate.md" in result.stdout
    return root


@pytest.fixture(scope="module")
def built(project: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return project / "site"


@pytest.mark.parametrize("auth", AUTHS)
def test_new_page_passes_check(project: Path, auth: str) -> None:
    page = f"content/elements/zephyr-{auth}-crm/authenticate.md"
    code, report = check_json(project, page)
    assert code == 0, report
    assert report["diagnostics"] == []
    text = (project / page).read_text()
    assert f"{{% include auth/{auth}.md %}}" in text
    assert (project / "includes" / "auth" / f"{auth}.md").is_file()


@pytest.mark.parametrize("auth", AUTHS)
def test_new_page_is_in_navigation_and_catalog(built: Path, auth: str) -> None:
    url = f"elements/zephyr-{auth}-crm/authenticate/"
    page = (built / url / "index.html").read_text()
    assert f"Authenticate with Zephyr {auth} CRM" in page
    home = (built / "index.html").read_text()
    # the navigation of another page links it, under the CRM hub
    nav = (built / "elements" / "autotask-crm" / "authenticate" / "index.html").read_text()
    assert f'href="../../zephyr-{auth}-crm/authenticate/"' in nav
    row = re.search(
        rf'<tr>\s*<td[^>]*><a href="{re.escape(url)}">Zephyr {auth} CRM</a>'
        r"(.*?)</tr>",
        home,
        re.DOTALL,
    )
    assert row, "the element is in the home page's catalog"
    assert TITLES[auth] in row.group(1)
    # the request is shown in every language, made from the checked body
    for tab in ("JSON body", "cURL", "Python", "JavaScript", "HTTPie"):
        assert f">{tab}</label>" in page


def test_existing_element_is_not_overwritten(project: Path) -> None:
    page = project / "content/elements/zephyr-basic-crm/authenticate.md"
    before = page.read_bytes()
    result = run_cli("new", "zephyr-basic-crm", "--auth", "oauth2", cwd=project)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "already exists" in result.stderr
    assert "Traceback" not in result.stderr
    assert page.read_bytes() == before


def test_element_key_already_documented_is_refused(project: Path) -> None:
    result = run_cli(
        "new", "autotask-crm-copy", "--auth", "basic", "--key", "autotaskcrm", cwd=project
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "autotaskcrm" in result.stderr
    assert not (project / "content/elements/autotask-crm-copy").exists()


def test_bad_slug_is_refused(project: Path) -> None:
    result = run_cli("new", "Bad Slug", "--auth", "basic", cwd=project)
    assert result.returncode == 2 and result.stderr.count("\n") == 1


def test_new_page_front_matter_drives_the_partial(project: Path) -> None:
    """The shared partials take everything from front matter: renaming a configuration key
    there changes the request body and the Parameters table together (check stays clean)."""
    page = project / "content/elements/zephyr-basic-crm/authenticate.md"
    text = page.read_text()
    changed = text.replace("crm.zephyr.username", "crm.zephyr.login")
    assert changed != text
    page.write_text(changed)
    try:
        code, report = check_json(project, str(page.relative_to(project)))
        assert code == 0, report
        result = run_cli("build", "--out", "md", cwd=project)
        assert result.returncode == 0, result.stderr
        rendered = (project / "md/elements/zephyr-basic-crm/authenticate.md").read_text()
        assert '"crm.zephyr.login": "<ZEPHYR_USERNAME>"' in rendered
        assert "`crm.zephyr.login`" in rendered and "crm.zephyr.username" not in rendered
    finally:
        page.write_text(text)


def test_readme_quick_start_names_partials_that_exist() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Quick start for authors") :]
    section = section[: section.index("\n## ", 3)]
    assert "generator new" in section
    named = re.findall(r"includes/(auth/[\w.-]+\.md)", section)
    assert named
    for partial in named:
        assert (REPO / "includes" / partial).is_file(), partial
