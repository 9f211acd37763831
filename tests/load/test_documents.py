"""Loading: front matter parsed with the file's own line numbers, every problem reported."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO

from generator import Project, load_settings
from generator.load.documents import body_start, parse_document

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


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("heading: Acme\ntitle: T\nelementId: 7\nhub: [crm\n", ("ED101", 5)),
        ("heading: Acme\ntitle: T\nelementId: 7\nhub: crm\n\tbad: tab\n", ("ED101", 6)),
        ("heading: Acme\ntitle: T\nelementId: 7\nhub: crm\nelementId: 8\n", ("ED102", 6)),
        ("heading: Acme\ntitle: T\nelementId: abc\nhub: crm\n", ("ED103", 4)),
        ("heading: Acme\nelementId: 7\nhub: crm\n", ("ED103", 1)),
        ("heading: Acme\ntitle: T\nelementId: 7\nhub: crm\nelementKy: acme\n", ("ED104", 6)),
    ],
)
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
    root = make_project(
        {PAGE: "---\nheading: A\ntitle: T\nelementId: 7\nhdOrcrm: helpdesk\n---\n{{ page.hub }}\n"}
    )
    project = Project(load_settings(root))
    project.load_all()
    result = project.check_page(root / PAGE)
    assert result.diagnostics == []
    assert result.rendered.text.strip() == "helpdesk"
    root2 = make_project({PAGE: "---\nheading: A\ntitle: T\nelementId: 7\n---\nx\n"})
    assert diagnostics(root2) == [("ED108", 1)]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "ED107"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "ED106"),
        (b"---\nheading: caf\xe9\n---\n", "ED106"),
        (b"No front matter at all\n", "ED105"),
    ],
)
def test_unreadable_empty_or_missing_front_matter(make_project, content, code):
    root = make_project({PAGE: content})
    assert code in [c for c, _ in diagnostics(root)]


def test_bom_and_crlf_are_accepted_with_the_same_line_numbers(make_project):
    text = f"---\n{GOOD}---\n\n{{{{ page.nope }}}}\n".replace("\n", "\r\n")
    root = make_project({PAGE: b"\xef\xbb\xbf" + text.encode()})
    assert diagnostics(root) == [("ED302", 9)]


# --- the quick reading of simple front matter --------------------------------------------

_KEYS = [
    "heading",
    "elementId",
    "hub",
    "a-b",
    "_x",
    "yes",
    "on",
    "null",
    "true",
    "Off",
    "y",
    "key2",
    "x_y-z",
]
_VALUES = [
    "Acme CRM",
    "7",
    "-5",
    "+1",
    "0x1F",
    "0o17",
    "0b11",
    "017",
    "1_000",
    "190:20:30",
    "1.5",
    "1e3",
    "1.0e+3",
    ".inf",
    "-.Inf",
    ".nan",
    "~",
    "",
    "null",
    "Null",
    "Yes",
    "no",
    "ON",
    "y",
    "a #b",
    "a#b",
    "a: b",
    "a:b",
    "x:",
    "'q'",
    '"q"',
    "2017-08-07",
    "2017-08-07 10:00:00",
    "http://x.y/z?a=b",
    "a {b} [c]",
    "=",
    "<<",
    "@x",
    "`x`",
    "%x",
    "- x",
    "-x",
    "? x",
    "?x",
    ":x",
    "|",
    ">-",
    "&a x",
    "*a",
    "!!str 5",
    "[a, b]",
    "{a: 1}",
    "trail  ",
    "a\tb",
    "é",
    "a,b",
    "#x",
    "a ! b",
    "don't",
    'say "hi"',
    "7  # note: here",
    "x # a # b",
    "a  #",
]


def _line(rng) -> str:
    kind = rng.random()
    if kind < 0.05:
        return "# a comment"
    if kind < 0.08:
        return ""
    if kind < 0.10:
        return "  continued"
    if kind < 0.12:
        return "key:nospace"
    if kind < 0.15:
        return f"{rng.choice(_KEYS)}:"
    value = rng.choice(_VALUES[:20]) if kind < 0.6 else rng.choice(_VALUES)
    return f"{rng.choice(_KEYS)}: {value}"


def test_quick_front_matter_reading_gives_what_yaml_gives() -> None:
    """Front matter read line by line is exactly YAML's reading (values, their types, key
    lines); whatever the quick reading does not handle falls to YAML."""
    import random

    from generator.load.documents import simple_front_matter, yaml_front_matter

    rng = random.Random(20261124)
    texts = [
        GOOD,
        "title: x\nelementId: 1\n# note\n\nhub: crm\n",
        "a" * 1100 + ": x\n",
        "title: x\n" + "b" * 1100 + ": y\n",
        "c" * 999 + ": z\n",
    ]
    texts += ["\n".join(_line(rng) for _ in range(rng.randint(1, 6))) + "\n" for _ in range(3000)]
    quick = 0
    for text in texts:
        simple = simple_front_matter(text, 2)
        if simple is None:
            continue
        quick += 1
        meta, lines, problems = yaml_front_matter(text, "page.md", 2)
        assert problems == [], text
        assert simple == (meta, lines), text
        assert [type(v) for v in simple[0].values()] == [type(v) for v in meta.values()], text
    assert quick > 300  # the test covers the quick path, not only the fall-backs
    assert simple_front_matter(GOOD, 2) is not None
    # YAML reads a key of more than 1,024 characters as an error: the quick reading leaves
    # long keys to YAML
    assert simple_front_matter("a" * 1100 + ": x\n", 2) is None
    assert yaml_front_matter("a" * 1100 + ": x\n", "page.md", 2)[2][0].code == "ED101"


def test_repository_pages_take_the_quick_reading() -> None:
    """The repository's element pages are read line by line, not by YAML's parser (the
    speed of loading a large project depends on it)."""
    from generator.load.documents import FrontMatterHandler, simple_front_matter

    pages = sorted(REPO.glob("content/elements/*/*.md"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        front_matter, _ = FrontMatterHandler().split(text)
        assert simple_front_matter(front_matter[1:], 2) is not None, page


def test_page_listing_is_what_pathlib_lists(tmp_path: Path) -> None:
    """The docs folder is walked with scandir; the pages, and their order, are those of
    pathlib's rglob: links to folders not followed, links to missing files kept, folders
    named like pages and other files left out, sorted by path parts."""
    import os

    from generator.load.listing import _pages_in

    docs = tmp_path / "docs"
    for rel in [
        "a/b.md",
        "a-c/x.md",
        "a.md",
        "A/z.md",
        ".hidden/h.md",
        "a/.dot.md",
        "deep/er/still/p.md",
        "notes.txt",
        "a/b.md~",
        "n/x.MD",
    ]:
        (docs / rel).parent.mkdir(parents=True, exist_ok=True)
        (docs / rel).write_text("x\n", encoding="utf-8")
    (docs / "folder.md").mkdir()
    outside = tmp_path / "outside"
    (outside / "o.md").parent.mkdir(parents=True)
    (outside / "o.md").write_text("o\n", encoding="utf-8")
    os.symlink(outside, docs / "linked")  # a link to a folder: not followed
    os.symlink(outside / "o.md", docs / "file-link.md")  # a link to a page: listed
    os.symlink(docs / "missing.md", docs / "broken.md")  # a broken link: listed
    os.symlink(docs / "loop.md", docs / "loop.md")  # links in a loop: listed too
    os.symlink(docs / "ping.md", docs / "pong.md")
    os.symlink(docs / "pong.md", docs / "ping.md")
    expected = sorted(
        p for p in docs.rglob("*.md") if p.is_file() or (p.is_symlink() and not p.exists())
    )
    found = _pages_in(docs)
    assert found == expected
    assert [p.relative_to(docs).as_posix() for p in found][:4] == [
        ".hidden/h.md",
        "A/z.md",
        "a/.dot.md",
        "a/b.md",
    ]
    assert docs / "broken.md" in found and docs / "linked" / "o.md" not in found
    assert {docs / "loop.md", docs / "ping.md", docs / "pong.md"} <= set(found)


# --- where front matter ends and the body starts -----------------------------------------
# (meta, body, body_first_line, key lines, has_front_matter, (code, line) of each problem)
_SPLITS = [
    (
        "---\ntitle: A\n---\nBody\n---\nmore\n",  # '---' in the body stays in the body
        ({"title": "A"}, "Body\n---\nmore\n", 4, {"title": 2}, True, []),
    ),
    ("---\ntitle: A\n---\n---\nBody\n", ({"title": "A"}, "---\nBody\n", 4, {"title": 2}, True, [])),
    ("---\ntitle: A\n---\n", ({"title": "A"}, "", 4, {"title": 2}, True, [])),  # only front matter
    ("---\ntitle: A\n---", ({"title": "A"}, "", 3, {"title": 2}, True, [])),
    ("---\ntitle: A\n---\n\n", ({"title": "A"}, "\n", 4, {"title": 2}, True, [])),
    ("---\n---\nBody\n", ({}, "Body\n", 3, {}, True, [])),  # empty front matter
    ("---\n---\n", ({}, "", 3, {}, True, [])),
    ("----\ntitle: A\n-----\nBody\n", ({"title": "A"}, "Body\n", 4, {"title": 2}, True, [])),
    ("---  \ntitle: A\n--- \t\nBody\n", ({"title": "A"}, "Body\n", 4, {"title": 2}, True, [])),
    ("--- \n  title: A\n---\n", ({"title": "A"}, "", 4, {"title": 2}, True, [])),
    ("---\n\n\ntitle: A\n---\nBody\n", ({"title": "A"}, "Body\n", 6, {"title": 4}, True, [])),
    (
        "---\ntitle: 'x\n  y'\nlist:\n  - 1\n---\n\n\nBody\n",
        ({"title": "x y", "list": [1]}, "\n\nBody\n", 7, {"title": 2, "list": 4}, True, []),
    ),
    # problems at the file's own line
    ("---\n\n\ntitle: [A\n---\nBody\n", ({}, "Body\n", 6, {}, True, [("ED101", 4)])),
    (
        "---\n\n# c\ntitle: A\ntitle: B\n---\nBody\n",
        ({"title": "B"}, "Body\n", 7, {"title": 4}, True, [("ED102", 5)]),
    ),
    ("---\n- a\n- b\n---\nBody\n", ({}, "Body\n", 5, {}, True, [("ED103", 2)])),
    ("---\ntitle: A\n ---\nBody\n---\n", ({}, "", 6, {}, True, [("ED101", 4)])),
    # never closed: the whole text is the body
    ("---\ntitle: A\nBody\n", ({}, "---\ntitle: A\nBody\n", 1, {}, False, [("ED101", 1)])),
    ("---\n", ({}, "---\n", 1, {}, False, [("ED101", 1)])),
    ("---", ({}, "---", 1, {}, False, [("ED101", 1)])),
    (
        "---\ntitle: A\n...\nBody\n",
        ({}, "---\ntitle: A\n...\nBody\n", 1, {}, False, [("ED101", 1)]),
    ),
    # no front matter: it must open on the first line, with a line of dashes only
    ("---x\ntitle: A\n---\nBody\n", ({}, "---x\ntitle: A\n---\nBody\n", 1, {}, False, [])),
    ("-- -\ntitle: A\n---\n", ({}, "-- -\ntitle: A\n---\n", 1, {}, False, [])),
    ("\n---\ntitle: A\n---\nBody\n", ({}, "\n---\ntitle: A\n---\nBody\n", 1, {}, False, [])),
    ("Body only\n---\nx\n---\n", ({}, "Body only\n---\nx\n---\n", 1, {}, False, [])),
]


@pytest.mark.parametrize(("text", "expected"), _SPLITS)
def test_front_matter_and_body_are_split_where_they_were(text: str, expected: tuple) -> None:
    document, problems = parse_document(text, Path("page.md"), "page.md")
    assert (
        document.meta,
        document.body,
        document.body_first_line,
        document.key_lines,
        document.has_front_matter,
        [(p.code, p.location.line if p.location else 0) for p in problems],
    ) == expected
    assert text[body_start(text) :] == document.body


def test_a_page_with_only_front_matter_checks_clean(make_project):
    """BOM, CRLF and no body at all: read as the same page without them."""
    text = f"---\n{GOOD}---\n".replace("\n", "\r\n")
    root = make_project({PAGE: b"\xef\xbb\xbf" + text.encode()})
    project = Project(load_settings(root))
    project.load_all()
    document, problems = project.documents[(root / PAGE).resolve()]
    assert problems == [] and document.body == "" and document.body_first_line == 8
    assert document.key_lines["hub"] == 6
