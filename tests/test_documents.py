"""Loading: front matter parsed with the file's own line numbers, every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import Project, load_settings

PAGE = "content/elements/acme/authenticate.md"
GOOD = "heading: Acme CRM\ntitle: Authenticate\nelementId: 7\nelementKey: acmecrm\nhub: crm\n"


def diagnostics(root: Path) -> list[tuple[str, int]]:
    project = Project(load_settings(root))
    project.load_all()
    result = project.check_page(root / PAGE)
    return [(d.code, d.location.line if d.location else 0) for d in result.diagnostics]


def test_body_keeps_file_line_numbers(make_project):
    root = make_project({PAGE: f"---\n{GOOD}---\n\nBody line\n"})
    project = Project(load_settings(root))
    project.load_all()
    doc, problems = project.documents[(root / PAGE).resolve()]
    assert problems == []
    assert doc.body_first_line == 8
    assert doc.body.split("\n")[1] == "Body line"
    assert doc.key_lines["elementKey"] == 5
    assert doc.hub == "crm"


@pytest.mark.parametrize(("front_matter", "expected"), [
    ("heading: Acme\ntitle: T\nelementId: 7\nhub: [crm\n", ("ED101", 5)),
    ("heading: Acme\ntitle: T\nelementId: 7\nhub: crm\n\tbad: tab\n", ("ED101", 6)),
    ("heading: Acme\ntitle: T\nelementId: 7\nhub: crm\nelementId: 8\n", ("ED102", 6)),
    ("heading: Acme\ntitle: T\nelementId: abc\nhub: crm\n", ("ED103", 4)),
    ("heading: Acme\nelementId: 7\nhub: crm\n", ("ED103", 1)),
    ("heading: Acme\ntitle: T\nelementId: 7\nhub: crm\nelementKy: acme\n", ("ED104", 6)),
])
def test_front_matter_problems_point_at_their_line(make_project, front_matter, expected):
    root = make_project({PAGE: f"---\n{front_matter}---\n\nBody\n"})
    assert expected in diagnostics(root)


def test_misspelled_key_gets_a_suggestion(make_project):
    root = make_project({PAGE: f"---\n{GOOD}elementKy: acme\n---\nBody\n"})
    project = Project(load_settings(root))
    project.load_all()
    (problem,) = project.check_page(root / PAGE).diagnostics
    assert problem.code == "ED104"
    assert "did you mean 'elementKey'?" in problem.hint


def test_legacy_hdorcrm_is_the_hub_and_a_missing_hub_warns(make_project):
    root = make_project({PAGE: "---\nheading: A\ntitle: T\nelementId: 7\nhdOrcrm: helpdesk\n"
                               "---\n{{ page.hub }}\n"})
    project = Project(load_settings(root))
    project.load_all()
    result = project.check_page(root / PAGE)
    assert result.diagnostics == []
    assert result.rendered.text.strip() == "helpdesk"
    root2 = make_project({PAGE: "---\nheading: A\ntitle: T\nelementId: 7\n---\nx\n"})
    assert diagnostics(root2) == [("ED108", 1)]


@pytest.mark.parametrize(("content", "code"), [
    (b"", "ED107"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "ED106"),
    (b"---\nheading: caf\xe9\n---\n", "ED106"),
    (b"No front matter at all\n", "ED105"),
])
def test_unreadable_empty_or_missing_front_matter(make_project, content, code):
    root = make_project({PAGE: content})
    assert code in [c for c, _ in diagnostics(root)]


def test_bom_and_crlf_are_accepted_with_the_same_line_numbers(make_project):
    text = f"---\n{GOOD}---\n\n{{{{ page.nope }}}}\n".replace("\n", "\r\n")
    root = make_project({PAGE: b"\xef\xbb\xbf" + text.encode()})
    assert diagnostics(root) == [("ED302", 9)]
