"""``generator fix``: the diff it shows, what --write changes (and nothing else), idempotence,
partials shared by pages that disagree, and the real sample tree."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import CORPUS, check_json, require_shared, run_cli

PAGE = "content/elements/acme/authenticate.md"
FRONT = ("---\n# the element's facts\nheading: Acme CRM\ntitle: Authenticate\n"
         "elementId: 7  # real id\nelementKey: acmecrm\nhub: crm\n---\n")
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
    return [(d["path"], d["line"], d["code"]) for d in report["diagnostics"]
            if d["code"] in ("ED201", "ED202", "ED203", "ED220")]


def test_diff_first_then_write_then_nothing_left(make_project: Callable[..., Path]) -> None:
    root = make_project({PAGE: FRONT + RESPONSE})
    before = (root / PAGE).read_bytes()
    assert sorted(c for _, _, c in fixable(root)) == ["ED201", "ED202", "ED203"]

    shown = run_cli("fix", cwd=root)
    assert shown.returncode == 1, shown.stderr
    assert (root / PAGE).read_bytes() == before  # a diff only
    assert f"--- a/{PAGE}\n+++ b/{PAGE}\n" in shown.stdout
    assert ('-  "element": {"id": 8152, "key": "othercrm", "hub": "marketing", "name": "Acme"}\n'
            '+  "element": {"id": 7, "key": "acmecrm", "hub": "crm", "name": "Acme"}\n'
            in shown.stdout)
    assert "3 fixes in 1 file" in shown.stderr

    written = run_cli("fix", "--write", cwd=root)
    assert written.returncode == 0, written.stdout + written.stderr
    after = (root / PAGE).read_bytes()
    assert after == before.replace(b'"id": 8152, "key": "othercrm", "hub": "marketing"',
                                   b'"id": 7, "key": "acmecrm", "hub": "crm"')
    assert fixable(root) == []
    again = run_cli("fix", cwd=root)
    assert again.returncode == 0 and again.stdout == "nothing to fix\n"


def test_from_example_sets_the_front_matter_and_keeps_its_comments(
        make_project: Callable[..., Path]) -> None:
    root = make_project({PAGE: FRONT + RESPONSE.replace('"key": "othercrm", "hub": "marketing"',
                                                        '"key": "acmecrm", "hub": "crm"')})
    before = (root / PAGE).read_text(encoding="utf-8")
    result = run_cli("fix", "--from-example", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (root / PAGE).read_text(encoding="utf-8") == before.replace(
        "elementId: 7  # real id", "elementId: 8152  # real id")


def test_a_partial_is_set_to_a_literal_only_when_every_includer_agrees(
        make_project: Callable[..., Path]) -> None:
    partial = "includes/shared/response.md"
    pages = {f"content/elements/{slug}/authenticate.md":
             FRONT.replace("elementId: 7", f"elementId: {number}").replace("acmecrm", slug)
             + "\n{% include shared/response.md %}\n"
             for slug, number in (("one", 11), ("two", 11))}
    body = RESPONSE.replace('"key": "othercrm", "hub": "marketing", ',
                            '"key": "{{ page.elementKey }}", ')
    root = make_project({**pages, partial: body})
    result = run_cli("fix", "--write", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"element": {"id": 11, "key": "{{ page.elementKey }}", "name": "Acme"}' in \
        (root / partial).read_text()

    # pages that want different ids: the partial reads the id from the page
    (root / "content/elements/two/authenticate.md").write_text(
        pages["content/elements/two/authenticate.md"].replace("elementId: 11", "elementId: 12"))
    (root / partial).write_text(body)
    shown = run_cli("fix", cwd=root)
    assert shown.returncode == 1
    assert f"# {partial}:9: written as {{{{ page.elementId }}}}" in shown.stdout
    assert run_cli("fix", "--write", cwd=root).returncode == 0
    assert '"element": {"id": {{ page.elementId }}, "key": "{{ page.elementKey }}", ' in \
        (root / partial).read_text()
    assert fixable(root) == []


def test_missing_line_continuations_are_added_and_checked_again(
        make_project: Callable[..., Path]) -> None:
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
    assert "ED201 not fixed: the value there is not written as a plain JSON value" in \
        result.stderr
    assert "8152" not in result.stdout and "elementId + 1" not in result.stdout


def test_the_real_sample_tree_fixed_and_fixed_again(tmp_path: Path) -> None:
    """On a copy of the real sample: after --write no fixable code is left, every file the
    fix did not name is byte for byte what it was, and a second fix finds nothing."""
    tree = shutil.copytree(require_shared(CORPUS), tmp_path / "tree")
    before = {p: p.read_bytes() for p in tree.rglob("*") if p.is_file()}
    shown = run_cli("fix", "--jekyll", str(tree), cwd=tree)
    assert shown.returncode == 1 and "Traceback" not in shown.stderr
    named = {line[len("+++ b/"):] for line in shown.stdout.splitlines()
             if line.startswith("+++ b/")}
    assert named
    written = run_cli("fix", "--jekyll", str(tree), "--write", cwd=tree)
    assert "Traceback" not in written.stderr
    for path, content in before.items():
        if path.relative_to(tree).as_posix() not in named:
            assert path.read_bytes() == content, path
    report = json.loads(run_cli("check", "--jekyll", str(tree), "--format", "json",
                                cwd=tree).stdout)
    left = [d for d in report["diagnostics"] if d["code"] in ("ED201", "ED202", "ED203")]
    assert left == []
    assert run_cli("fix", "--jekyll", str(tree), cwd=tree).stdout == "nothing to fix\n"
