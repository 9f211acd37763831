"""The public API, pinned: a name added to or dropped from it is a decision, not an accident."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import generator
from generator import CODES, Project, Severity, load_settings

PUBLIC = {
    "CODES",
    "CheckReport",
    "Diagnostic",
    "ElementDocsError",
    "Project",
    "Settings",
    "Severity",
    "SourceLocation",
    "__version__",
    "load_settings",
}


def test_exports_are_exactly_the_public_api() -> None:
    assert set(generator.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(generator, name) is not None, name


def test_the_documented_use_checks_a_project(make_project: Callable[..., Path]) -> None:
    """The package docstring's promise: settings, a Project, a check, Diagnostic objects."""
    root = make_project(
        {
            "content/elements/acme/authenticate.md": (
                "---\nheading: Acme CRM\ntitle: Authenticate\nelementId: 7\nelementKey: acmecrm\n"
                "hub: crm\n---\n\n## Example Response\n\n```json\n"
                '{"id": 1, "name": "Acme", "token": "abc",\n'
                ' "element": {"id": 8, "key": "acmecrm", "name": "Acme"}}\n```\n'
            ),
        }
    )
    report = Project(load_settings(root)).check()
    assert report.pages == 1
    [diagnostic] = [d for d in report.diagnostics if d.code == "ED201"]
    assert diagnostic.level is Severity.ERROR and diagnostic.is_error
    assert diagnostic.location.path == "content/elements/acme/authenticate.md"
    assert diagnostic.location.line == 13
    assert "ED201" in CODES and report.errors == 1


def test_the_version_is_the_one_pyproject_declares() -> None:
    import tomllib
    from pathlib import Path

    declared = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert generator.__version__ == declared["project"]["version"]
