"""Issue 14 through the real command line: front matter as templates read it, a partial's
problem once with its pages, an unclosed tag at its opener, examples marked invalid on
purpose, and a baseline for trees with old problems."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import check_json, run_cli, write_tree

PAGE = """\
---
heading: Acme CRM
title: Authenticate
elementId: 7
elementKey: acmecrm
hub: crm
---

"""


def _jekyll(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "site"
    write_tree(root, {"_config.yml": "title: Site\n", "_includes/.keep": "", **files})
    return root


def _jekyll_check(root: Path, *args: str) -> tuple[int, dict]:
    result = run_cli("check", "--format", "json", "--jekyll", ".", *args, cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


# --- 6. front matter ---------------------------------------------------------------------------


def test_jekyll_front_matter_reports_near_misses_only_and_no_hub(tmp_path) -> None:
    root = _jekyll(
        tmp_path,
        {
            "_includes/auth.md": "Read {{ page.sidebarTitle }} and {{ page.elementkey }}.\n"
            '```json\n{"element": {"key": "{{ page.elementKey }}"},\n'
            ' "configuration": {}, "name": "x"}\n```\n',
            "docs/acme/authenticate.md": "---\nheading: Acme\ntitle: Authenticate\n"
            "elementId: 7\nelementKye: acmecrm\nsidebarTitle: Acme\n"
            "layout: page\n---\n{% include auth.md %}\n",
        },
    )
    code, report = _jekyll_check(root)
    found = [(d["code"], d["path"], d["line"]) for d in report["diagnostics"]]
    # one report for the misspelled key (no undefined page.elementKey, no empty key): the
    # page renders as meant; the tree's own keys (sidebarTitle, layout) are not "unknown",
    # and a Jekyll tree needs no hub
    assert ("ED104", "docs/acme/authenticate.md", 5) in found
    misspelled = next(d for d in report["diagnostics"] if d["code"] == "ED104")
    assert misspelled["hint"] == "did you mean 'elementKey'?"
    assert [c for c, _, _ in found] == ["ED302", "ED104"] or sorted(c for c, _, _ in found) == [
        "ED104",
        "ED302",
    ], found
    # {{ page.elementkey }}, written for elementKey: the one undefined variable, with the fix
    undefined = next(d for d in report["diagnostics"] if d["code"] == "ED302")
    assert "page.elementkey" in undefined["message"]
    assert undefined["hint"] == "did you mean page.elementKey?"
    assert code == 1


def test_each_page_gets_the_hint_for_its_own_misspelling_in_one_run(tmp_path) -> None:
    """Near misses are remembered across pages (pages share their keys): pages with the
    same misspelling, and with others, each get the hint for their own."""
    head = "---\nheading: Acme\ntitle: {title}\nelementId: 7\n{key}: acmecrm\nlayout: page\n---\n"
    pages = {"a": "elementKye", "b": "elementkey", "c": "elementKye", "d": "elementKey"}
    root = _jekyll(
        tmp_path,
        {f"docs/acme/{name}.md": head.format(title=name, key=key) for name, key in pages.items()},
    )
    _, report = _jekyll_check(root)
    found = sorted(
        (d["path"], d["line"], d["message"], d["hint"])
        for d in report["diagnostics"]
        if d["code"] == "ED104"
    )
    assert found == [
        (
            f"docs/acme/{name}.md",
            5,
            f"unknown front-matter key '{pages[name]}'",
            "did you mean 'elementKey'?",
        )
        for name in ("a", "b", "c")
    ]


def test_a_key_the_templates_read_is_not_unknown(make_project) -> None:
    root = make_project(
        {
            "includes/banner.md": "{{ page.sidebarTitle }}\n",
            "content/elements/acme/authenticate.md": PAGE.replace(
                "hub: crm\n", "hub: crm\nsidebarTitle: A\nstray: 1\n"
            )
            + "{% include banner.md %}\n",
        }
    )
    code, report = check_json(root)
    assert [(d["code"], d["message"]) for d in report["diagnostics"]] == [
        ("ED104", "unknown front-matter key 'stray'")
    ]


def test_examples_naming_a_key_on_a_page_without_element_key_say_so(make_project) -> None:
    root = make_project(
        {
            "content/elements/acme/authenticate.md": PAGE.replace("elementKey: acmecrm\n", "")
            + '```json\n{"element": {"key": "acmecrm"}, "configuration": {},'
            ' "name": "x"}\n```\n'
        }
    )
    code, report = check_json(root)
    assert code == 0
    [warning] = report["diagnostics"]
    assert warning["code"] == "ED120" and warning["severity"] == "warning"
    assert warning["line"] == 9 and "'acmecrm'" in warning["message"]
    assert "elementKey: acmecrm" in warning["hint"]


# --- 7. one defect, one report -----------------------------------------------------------------


def test_a_partial_problem_is_reported_once_with_its_pages(make_project) -> None:
    pages = {
        f"content/elements/e{n}/authenticate.md": PAGE.replace("acmecrm", f"e{n}crm").replace(
            "7", str(n)
        )
        + "{% include shared.md %}\n"
        for n in (1, 2, 3)
    }
    root = make_project(
        {
            "includes/shared.md": '```json\n{"element": {"key": "{{ page.elementKey }}"},\n'
            ' "configuration": {"acme.secret": "wvyQdUrNvXbHabxPVcxZV60G0E"},'
            '\n "name": "x"}\n```\n',
            **pages,
        }
    )
    code, report = check_json(root)
    [secret] = report["diagnostics"]
    assert secret["path"] == "includes/shared.md" and secret["line"] == 3
    assert secret["pages"] == sorted(pages)
    text = run_cli("check", cwd=root).stdout
    assert text.count("ED240") == 1
    assert (
        "also on 2 other pages: content/elements/e2/authenticate.md, "
        "content/elements/e3/authenticate.md" in text
    )
    github = run_cli("check", "--format", "github", cwd=root).stdout.strip().split("\n")
    assert len(github) == 1 and "also on 2 other pages" in github[0]


def test_problems_that_differ_per_page_stay_per_page(make_project) -> None:
    pages = {
        f"content/elements/e{n}/authenticate.md": PAGE.replace("acmecrm", f"e{n}crm")
        + "{% include shared.md %}\n"
        for n in (1, 2)
    }
    root = make_project(
        {
            "includes/shared.md": '```json\n{"element": {"key": "acmecrm"},\n'
            ' "configuration": {}, "name": "x"}\n```\n',
            **pages,
        }
    )
    _, report = check_json(root)
    assert sorted(d["message"] for d in report["diagnostics"]) == [
        "$.element.key is 'acmecrm' but the page's elementKey is 'e1crm'",
        "$.element.key is 'acmecrm' but the page's elementKey is 'e2crm'",
    ]


# --- 8. an unclosed tag at its opener, with the include chain ------------------------------------


def test_an_unclosed_if_points_at_its_tag_with_the_include_chain(tmp_path) -> None:
    root = _jekyll(
        tmp_path,
        {
            "_includes/inner.md": "one\n{% if page.x %}\ntwo\n\nthree\nfour\n",
            "_includes/outer.md": "intro\n{% include inner.md %}\n",
            "docs/a.md": "---\ntitle: A\n---\n\nhello\n{% include outer.md %}\n",
        },
    )
    code, report = _jekyll_check(root)
    [error] = report["diagnostics"]
    assert (error["code"], error["path"], error["line"]) == ("ED301", "_includes/inner.md", 2)
    assert error["included_from"] == ["_includes/outer.md:2:1", "docs/a.md:6:1"]


# --- 10. adopting the checker: examples invalid on purpose, a baseline --------------------------

INVALID = (
    PAGE
    + """\
```json invalid="shows the error a missing comma gives"
{"a": 1 "b": 2}
```

<!-- invalid: the key is wrong on purpose, to show ED202 -->
```json
{"element": {"key": "othercrm"}, "configuration": {}, "name": "x"}
```

```json invalid
{"a": 1 "b": 2}
```
"""
)


def test_examples_marked_invalid_are_counted_and_need_a_reason(make_project) -> None:
    root = make_project({"content/elements/acme/authenticate.md": INVALID})
    code, report = check_json(root)
    assert [(d["code"], d["line"]) for d in report["diagnostics"]] == [("ED241", 18)]
    assert report["summary"]["marked_invalid"] == 2 and code == 1
    text = run_cli("check", cwd=root).stdout
    assert "1 error, 0 warnings, 2 examples marked invalid" in text
    page = root / "content/elements/acme/authenticate.md"
    page.write_text(INVALID.replace("```json invalid\n", "```json invalid='shown twice'\n"))
    built = run_cli("build", "--out", "out", cwd=root)
    assert built.returncode == 0, built.stdout + built.stderr
    published = (root / "out/elements/acme/authenticate.md").read_text()
    assert published.count("```json\n") == 3 and "invalid=" not in published


def test_a_baseline_fails_only_on_new_problems(make_project) -> None:
    old = (
        PAGE + '```json\n{"id": 1, "name": "n", "token": "<T>",\n'
        ' "element": {"id": 9, "name": "n", "key": "acmecrm"}}\n```\n'
    )
    root = make_project({"content/elements/acme/authenticate.md": old})
    missing = run_cli("check", "--baseline", "baseline.json", cwd=root)
    assert missing.returncode == 2 and "--write-baseline" in missing.stderr
    wrote = run_cli("check", "--baseline", "baseline.json", "--write-baseline", cwd=root)
    assert wrote.returncode == 0 and "recorded 1 problem in baseline.json" in wrote.stdout
    recorded = json.loads((root / "baseline.json").read_text())["problems"]
    assert recorded == [
        {
            "code": "ED201",
            "path": "content/elements/acme/authenticate.md",
            "message": "$.element.id is 9 but the page's elementId is 7",
            "count": 1,
        }
    ]
    # lines added above the old problem: it is still the known one
    page = root / "content/elements/acme/authenticate.md"
    page.write_text(old.replace("---\n\n", "---\n\nNew intro.\n\nMore.\n\n"))
    again = run_cli("check", "--baseline", "baseline.json", cwd=root)
    assert again.returncode == 0, again.stdout
    assert "0 errors, 0 warnings (1 known in the baseline)" in again.stdout
    # a new problem fails the check, and only it is shown
    page.write_text(
        page.read_text() + '\n```json\n{"element": {"key": "othercrm"},'
        ' "configuration": {}, "name": "x"}\n```\n'
    )
    code, report = check_json(root, extra=("--baseline", "baseline.json"))
    assert code == 1 and [d["code"] for d in report["diagnostics"]] == ["ED202"]
    assert report["summary"]["baseline_known"] == 1
    usage = run_cli("check", "--write-baseline", cwd=root)
    assert usage.returncode == 2
