"""``generator fix``: the diff it shows, what --write changes (and nothing else), idempotence,
partials shared by pages that disagree, and the real sample tree."""

from __future__ import annotations

import difflib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CORPUS, check_json, require_shared, run_cli

PAGE = "content/elements/acme/authenticate.md"
FRONT = (
    "---\n# the element's facts\nheading: Acme CRM\ntitle: Authenticate\n"
    "elementId: 7  # real id\nelementKey: acmecrm\nhub: crm\n---\n"
)
RESPONSE = """\

## Example Response

```json
{
  "id": 1,
  "name": "Acme",
  "token": "abc",
  "element": {"id": 8152, "key": "othercrm", "hub": "marketing", "name": "Acme"}
}
```
"""
CURL = """\

## Example cURL

```bash
curl -X POST
  -H 'Authorization: User <USER_SECRET>, Organization <ORGANIZATION_SECRET>'
  -H 'Content-Type: application/json'
  https://api.cloud-elements.com/elements/api-v2/instances \\
  -d '{"element": {"key": "acmecrm"}, "configuration": {}, "name": "x"}'
```
"""


def fixable(root: Path) -> list[tuple[str, int, str]]:
    _, report = check_json(root)
    return [
        (d["path"], d["line"], d["code"])
        for d in report["diagnostics"]
        if d["code"] in ("ED201", "ED202", "ED203", "ED220")
    ]


def test_diff_first_then_write_then_nothing_left(make_project: Callable[..., Path]) -> None:
    root = make_project({PAGE: FRONT + RESPONSE})
    before = (root / PAGE).read_bytes()
    assert sorted(c for _, _, c in fixable(root)) == ["ED201", "ED202", "ED203"]

    shown = run_cli("fix", cwd=root)
    assert shown.returncode == 1, shown.stderr
    assert (root / PAGE).read_bytes() == before  # a diff only
    assert f"--- a/{PAGE}\n+++ b/{PAGE}\n" in shown.stdout
    assert (
        '-  "element": {"id": 8152, "key": "othercrm", "hub": "marketing", "name": "Acme"}\n'
        '+  "element": {"id": 7, "key": "acmecrm", "hub": "crm", "name": "Acme"}\n' in shown.stdout
    )
    assert "3 fixes in 1 file" in shown.stderr

    written = run_cli("fix", "--write", cwd=root)
    assert written.returncode == 0, written.stdout + written.stderr
    after = (root / PAGE).read_bytes()
    assert after == before.replace(
        b'"id": 8152, "key": "othercrm", "hub": "marketing"',
        b'"id": 7, "key": "acmecrm", "hub": "crm"',
    )
    assert fixable(root) == []
    again = run_cli("fix", cwd=root)
    assert again.returncode == 0 and again.stdout == "nothing to fix\n"


def test_from_example_sets_the_front_matter_and_keeps_its_comments(
    make_project: Callable[..., Path],
) -> None:
    root = make_project(
        {
            PAGE: FRONT
            + RESPONSE.replace(
                '"key": "othercrm", "hub": "marketing"', '"key": "acmecrm", "hub": "crm"'
            )
        }
    )
    before = (root / PAGE).read_text(encoding="utf-8")
    result = run_cli("fix", "--from-example", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / PAGE).read_text(encoding="utf-8") == before.replace(
        "elementId: 7  # real id", "elementId: 8152  # real id"
    )


def test_a_partial_is_set_to_a_literal_only_when_every_includer_agrees(
    make_project: Callable[..., Path],
) -> None:
    partial = "includes/shared/response.md"
    pages = {
        f"content/elements/{slug}/authenticate.md": FRONT.replace(
            "elementId: 7", f"elementId: {number}"
        ).replace("acmecrm", slug)
        + "\n{% include shared/response.md %}\n"
        for slug, number in (("one", 11), ("two", 11))
    }
    body = RESPONSE.replace(
        '"key": "othercrm", "hub": "marketing", ', '"key": "{{ page.elementKey }}", '
    )
    root = make_project({**pages, partial: body})
    result = run_cli("fix", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        '"element": {"id": 11, "key": "{{ page.elementKey }}", "name": "Acme"}'
        in (root / partial).read_text()
    )

    # pages that want different ids: the partial reads the id from the page
    (root / "content/elements/two/authenticate.md").write_text(
        pages["content/elements/two/authenticate.md"].replace("elementId: 11", "elementId: 12")
    )
    (root / partial).write_text(body)
    shown = run_cli("fix", cwd=root)
    assert shown.returncode == 1
    assert f"# {partial}:9: written as {{{{ page.elementId }}}}" in shown.stdout
    assert run_cli("fix", "--write", cwd=root).returncode == 0
    assert (
        '"element": {"id": {{ page.elementId }}, "key": "{{ page.elementKey }}", '
        in (root / partial).read_text()
    )
    assert fixable(root) == []


def test_missing_line_continuations_are_added_and_checked_again(
    make_project: Callable[..., Path],
) -> None:
    root = make_project({PAGE: FRONT + CURL})
    assert [c for _, _, c in fixable(root)] == ["ED220"]
    result = run_cli("fix", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (root / PAGE).read_text(encoding="utf-8")
    assert "curl -X POST \\\n" in text
    assert "  -H 'Content-Type: application/json' \\\n" in text
    assert "instances \\\n" in text and "instances \\ \\" not in text
    assert fixable(root) == []
    assert run_cli("fix", cwd=root).stdout == "nothing to fix\n"


def test_a_value_a_template_makes_is_left_alone(make_project: Callable[..., Path]) -> None:
    root = make_project({PAGE: FRONT + RESPONSE.replace("8152", "{{ page.elementId + 1 }}")})
    result = run_cli("fix", cwd=root)
    assert "ED201 not fixed: the value there is not written as a plain JSON value" in result.stderr
    assert "8152" not in result.stdout and "elementId + 1" not in result.stdout


def test_the_real_sample_tree_fixed_and_fixed_again(tmp_path: Path) -> None:
    """On a copy of the real sample: --write makes exactly the diff fix showed (every other
    file and line byte for byte what it was), every fixable diagnostic left is one the fix
    named with its reason, and a second fix finds nothing."""
    tree = shutil.copytree(require_shared(CORPUS), tmp_path / "tree")
    for path in [tree, *tree.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)  # the shared copy may be read-only
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    fixable_codes = ("ED201", "ED202", "ED203", "ED220", *BODY_CODES)
    shown = run_cli("fix", "--jekyll", str(tree), cwd=tree)
    assert shown.returncode == 1 and "Traceback" not in shown.stderr
    named = {
        line[len("+++ b/") :] for line in shown.stdout.splitlines() if line.startswith("+++ b/")
    }
    assert named
    assert "cURL body written from the JSON body" in shown.stdout
    written = run_cli("fix", "--jekyll", str(tree), "--write", cwd=tree)
    assert "Traceback" not in written.stderr and "put " not in written.stderr
    made = []
    for path, content in sorted(before.items()):
        rel = path.relative_to(tree).as_posix()
        if rel not in named:
            assert path.read_bytes() == content, path
            continue
        made.extend(
            difflib.unified_diff(
                content.decode().splitlines(keepends=True),
                path.read_text().splitlines(keepends=True),
                f"a/{rel}",
                f"b/{rel}",
            )
        )
    assert "".join(made) == "".join(
        line for line in shown.stdout.splitlines(keepends=True) if not line.startswith("# ")
    )
    report = json.loads(
        run_cli("check", "--jekyll", str(tree), "--format", "json", cwd=tree).stdout
    )
    left = [d for d in report["diagnostics"] if d["code"] in fixable_codes]
    assert {d["code"] for d in left} <= {"ED220", "ED223"}  # no value is left, no ED224
    for d in left:
        assert f"note: {d['path']}:{d['line']}: {d['code']} not fixed: " in written.stderr
    # the one body left repeats a JSON body holding what looks like a real key: copying it
    # into the cURL would spread it
    assert [d["code"] for d in left].count("ED223") == 1 and "own ED240" in written.stderr
    again = run_cli("fix", "--jekyll", str(tree), cwd=tree)
    assert again.returncode == 0 and again.stdout == "nothing to fix\n"


# --- cURL bodies rewritten from the JSON body they repeat ---------------------------------------

REQUEST = """\

## Example Request

```json
{
  "element": {"key": "acmecrm"},
  "configuration": {"username": "<USER>", "password": "<PASSWORD>"},
  "name": "Joe's \\"best\\" $HOME"
}
```
"""
CURL_HEAD = """\

## Example cURL

```bash
curl -X POST \\
  https://api.cloud-elements.com/elements/api-v2/instances \\
  -H 'Authorization: User <USER_SECRET>, Organization <ORGANIZATION_SECRET>' \\
  -H 'Content-Type: application/json' \\
"""
BODY_CODES = ("ED223", "ED224")


def body_diagnostics(root: Path, *args: str) -> list[tuple[str, int, str]]:
    _, report = check_json(root, *args)
    return [
        (d["path"], d["line"], d["code"]) for d in report["diagnostics"] if d["code"] in BODY_CODES
    ]


@pytest.mark.parametrize(
    ("written", "rewritten"),
    [
        pytest.param(  # one line, compact, single-quoted: the apostrophe closes and reopens
            """  -d '{"element":{"key":"acmecrm"},"name":"y"}'\n""",
            """  -d '{"element":{"key":"acmecrm"},"configuration":{"username":"<USER>","""
            """"password":"<PASSWORD>"},"name":"Joe'\\''s \\"best\\" $HOME"}'\n""",
            id="single-quoted-one-line",
        ),
        pytest.param(  # attached to -d, without a single comma to go by
            """  -d'{"element":{"key":"acmecrm"}}'\n""",
            """  -d'{"element":{"key":"acmecrm"},"configuration":{"username":"<USER>","""
            """"password":"<PASSWORD>"},"name":"Joe'\\''s \\"best\\" $HOME"}'\n""",
            id="attached",
        ),
        pytest.param(  # double quotes: \\ " $ and ` take a backslash
            """  --data-raw "{\\"element\\": {\\"key\\": \\"acmecrm\\"}, \\"name\\": \\"y\\"}"\n""",
            """  --data-raw "{\\"element\\": {\\"key\\": \\"acmecrm\\"}, \\"configuration\\": """
            """{\\"username\\": \\"<USER>\\", \\"password\\": \\"<PASSWORD>\\"}, \\"name\\": """
            """\\"Joe's \\\\\\"best\\\\\\" \\$HOME\\"}"\n""",
            id="double-quoted",
        ),
        pytest.param(  # over lines, the closing brace at the margin
            '  -d \'{\n  "element": {\n    "key": "acmecrm"\n  },\n  "name": "y"\n}\'\n',
            '  -d \'{\n  "element": {\n    "key": "acmecrm"\n  },\n  "configuration": {\n'
            '    "username": "<USER>",\n    "password": "<PASSWORD>"\n  },\n'
            '  "name": "Joe\'\\\'\'s \\"best\\" $HOME"\n}\'\n',
            id="multi-line",
        ),
        pytest.param(  # over lines, indented under the option, with --data
            '  --data \'{\n      "element": {"key": "acmecrm"},\n      "name": "y"\n    }\'\n',
            '  --data \'{\n      "element": {\n        "key": "acmecrm"\n      },\n'
            '      "configuration": {\n        "username": "<USER>",\n'
            '        "password": "<PASSWORD>"\n      },\n'
            '      "name": "Joe\'\\\'\'s \\"best\\" $HOME"\n    }\'\n',
            id="multi-line-indented",
        ),
    ],
)
def test_a_curl_body_is_rewritten_from_its_json_body_in_its_own_quoting_and_layout(
    make_project: Callable[..., Path], written: str, rewritten: str
) -> None:
    root = make_project({PAGE: FRONT + REQUEST + CURL_HEAD + written + "```\n"})
    before = (root / PAGE).read_text(encoding="utf-8")
    assert {code for _, _, code in body_diagnostics(root)} == {"ED223"}

    shown = run_cli("fix", cwd=root)
    assert shown.returncode == 1, shown.stderr
    assert f"# {PAGE}:27: cURL body written from the JSON body at line 13\n" in shown.stdout
    written_result = run_cli("fix", "--write", cwd=root)
    assert written_result.returncode == 0, written_result.stdout + written_result.stderr
    assert (root / PAGE).read_text(encoding="utf-8") == before.replace(written, rewritten)
    assert body_diagnostics(root) == []
    assert run_cli("fix", cwd=root).stdout == "nothing to fix\n"


def test_a_body_that_does_not_parse_is_rewritten_and_other_fixes_inside_it_give_way(
    make_project: Callable[..., Path],
) -> None:
    """ED224 (a missing comma) next to an ED202 in the same body: one rewrite mends both."""
    written = '  -d \'{\n  "element": {"key": "othercrm"}\n  "name": "y"\n}\'\n'
    root = make_project({PAGE: FRONT + REQUEST + CURL_HEAD + written + "```\n"})
    assert [code for _, _, code in body_diagnostics(root)] == ["ED224"]
    result = run_cli("fix", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (root / PAGE).read_text(encoding="utf-8")
    assert '  -d \'{\n  "element": {\n    "key": "acmecrm"\n  },\n' in text
    assert "othercrm" not in text
    assert fixable(root) == [] and body_diagnostics(root) == []


def test_crlf_tabs_and_no_final_newline_stay_as_they_were(
    make_project: Callable[..., Path],
) -> None:
    written = '  -d \'{\n\t"element": {\n\t\t"key": "acmecrm"\n\t},\n\t"name": "y"\n}\'\n'
    page = (FRONT + REQUEST + CURL_HEAD + written + "```").replace("\n", "\r\n")
    root = make_project({PAGE: page.encode()})
    assert [code for _, _, code in body_diagnostics(root)] == ["ED223"]
    result = run_cli("fix", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    rewritten = (
        '  -d \'{\r\n\t"element": {\r\n\t\t"key": "acmecrm"\r\n\t},\r\n'
        '\t"configuration": {\r\n\t\t"username": "<USER>",\r\n'
        '\t\t"password": "<PASSWORD>"\r\n\t},\r\n'
        '\t"name": "Joe\'\\\'\'s \\"best\\" $HOME"\r\n}\'\r\n'
    )
    assert (root / PAGE).read_bytes() == page.replace(
        written.replace("\n", "\r\n"), rewritten
    ).encode()
    assert body_diagnostics(root) == []
    again = run_cli("fix", cwd=root)
    assert again.returncode == 0 and again.stdout == "nothing to fix\n"


def test_a_body_in_a_partial_keeps_its_page_tags_when_every_includer_proves_it(
    make_project: Callable[..., Path],
) -> None:
    partial = "includes/shared/instance.md"
    request = REQUEST.replace('"acmecrm"', '"{{ page.elementKey }}"')
    curl = CURL_HEAD + '  -d \'{"element": {"key": "{{ page.elementKey }}"}}\'\n```\n'
    pages = {
        f"content/elements/{slug}/authenticate.md": FRONT.replace("acmecrm", slug)
        + "\n{% include shared/instance.md %}\n"
        for slug in ("one", "two")
    }
    root = make_project({**pages, partial: request + curl})
    assert {(path, code) for path, _, code in body_diagnostics(root)} == {(partial, "ED223")}
    result = run_cli("fix", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        '  -d \'{"element": {"key": "{{ page.elementKey }}"}, "configuration": '
        '{"username": "<USER>", "password": "<PASSWORD>"}, "name": '
        "\"Joe'\\''s \\\"best\\\" $HOME\"}'\n"
    ) in (root / partial).read_text()
    assert body_diagnostics(root) == []

    # a cURL in the partial repeating a JSON body each page writes its own way: no one
    # body is right for both, so the partial is left as it is and the note says why
    (root / partial).write_text(curl)
    for slug, (rel, text) in zip(("A", "B"), pages.items(), strict=True):
        (root / rel).write_text(
            text.replace("\n{% include", request.replace("Joe's", slug) + "\n{% include")
        )
    shown = run_cli("fix", cwd=root)
    assert shown.stdout == "nothing to fix\n"
    for rel in pages:
        assert (
            f"note: {rel}:15: ED223 not fixed: the pages that include this partial want "
            "different bodies" in shown.stderr
        )


@pytest.mark.parametrize(
    ("change", "why"),
    [
        pytest.param(
            ('"<PASSWORD>"', '"Zq81x0PkVb72mWnA4tRs"'),
            "the JSON body it repeats (line 13) has its own ED240 at line 15",
            id="secret-in-the-json-body",
        ),
        pytest.param(
            ('"<USER>"', "\"{{ '<USER>' }}\""),
            "the blocks hold template tags other than {{ page.x }}",
            id="a-tag-it-cannot-render",
        ),
    ],
)
def test_a_body_that_cannot_be_proven_is_left_and_the_note_says_why(
    make_project: Callable[..., Path], change: tuple[str, str], why: str
) -> None:
    written = """  -d '{"element":{"key":"acmecrm"},"name":"y"}'\n"""
    root = make_project({PAGE: FRONT + REQUEST.replace(*change) + CURL_HEAD + written + "```\n"})
    before = (root / PAGE).read_bytes()
    reported = body_diagnostics(root)
    assert [code for _, _, code in reported] == ["ED223"]
    result = run_cli("fix", "--write", cwd=root)
    assert f"note: {PAGE}:{reported[0][1]}: ED223 not fixed: {why}" in result.stderr
    assert (root / PAGE).read_bytes() == before


def test_a_value_fix_in_a_crlf_file_changes_only_its_value(
    make_project: Callable[..., Path],
) -> None:
    page = (FRONT + RESPONSE).replace("\n", "\r\n").encode()
    root = make_project({PAGE: page})
    result = run_cli("fix", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / PAGE).read_bytes() == page.replace(
        b'"id": 8152, "key": "othercrm", "hub": "marketing"',
        b'"id": 7, "key": "acmecrm", "hub": "crm"',
    )


def test_a_json_body_fixed_to_a_page_tag_and_its_curl_rewritten_in_one_run(
    make_project: Callable[..., Path],
) -> None:
    """The JSON body's own fix ({{ page.elementKey }}, as the pages want different keys) is
    what the cURL body is written from, so a second run has nothing left to do."""
    partial = "includes/shared/instance.md"
    curl = CURL_HEAD + '  -d \'{"element": {"key": "{{ page.elementKey }}"}}\'\n```\n'
    pages = {
        f"content/elements/{slug}/authenticate.md": FRONT.replace("acmecrm", slug)
        + "\n{% include shared/instance.md %}\n"
        for slug in ("one", "two")
    }
    root = make_project({**pages, partial: REQUEST.replace("acmecrm", "othercrm") + curl})
    shown = run_cli("fix", cwd=root)
    assert (
        f"# {partial}:19: cURL body written from the JSON body at line 5; in a partial: "
        "proven on each of the 2 pages that include it\n" in shown.stdout
    )
    result = run_cli("fix", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    text = (root / partial).read_text()
    assert '  "element": {"key": "{{ page.elementKey }}"},\n' in text
    assert '  -d \'{"element": {"key": "{{ page.elementKey }}"}, "configuration": ' in text
    assert fixable(root) == [] and body_diagnostics(root) == []
    again = run_cli("fix", cwd=root)
    assert again.returncode == 0 and again.stdout == "nothing to fix\n"


def test_a_dollar_quoted_body_the_check_cannot_read_is_left_with_a_note(
    make_project: Callable[..., Path],
) -> None:
    """$'...' is not a quoting the check reads (it sees '$' then '...'): nothing is proven."""
    written = """  -d $'{"element": {"key": "acmecrm"}, "name": "y"}'\n"""
    root = make_project({PAGE: FRONT + REQUEST + CURL_HEAD + written + "```\n"})
    before = (root / PAGE).read_bytes()
    assert body_diagnostics(root) == [(PAGE, 27, "ED224")]
    result = run_cli("fix", "--write", cwd=root)
    assert result.stdout == "nothing to fix\n"
    assert (
        f"note: {PAGE}:27: ED224 not fixed: the -d body cannot be read even leniently"
        in result.stderr
    )
    assert (root / PAGE).read_bytes() == before
