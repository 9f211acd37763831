"""Hostile and broken input, as data (tests/bad_input/cases/*.yml), through the real CLI.

Each case is a tree of files written beside a minimal mkdocs.yml; ``generator check --format
json`` must exit 1 without a traceback and report every expected diagnostic at exactly its
code, path and line (and column, when the case gives one). Every case tree also gets a
sibling page with a deliberate undefined variable: its diagnostic must be reported in the
same run, so one broken file never hides the problems of the others.

Case keys:
  description: what the case is about
  files:       path -> text (written as UTF-8, byte for byte: no dedent, no newline changes)
  files_b64:   path -> base64 bytes (invalid UTF-8, binary files)
  generate:    a list of {path, kind: big_page|long_line|deep_list|digits|nested_json, size,
               prefix, suffix}
  links:       path -> symlink target (as written; may dangle or lead outside the project)
  fifos:       paths of named pipes to make (reading one with no writer waits for ever)
  expect:      a list of {code, path, line, column?, message?, hint?, severity?}: exactly
               these diagnostics are reported (plus the sibling's); message and hint match
               as substrings
  exit:        the expected exit status (1)
  max_seconds: how long the check may take (default 20)
  xfail:       the reason, when the case shows a bug in a module this suite may not fix
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import MINIMAL_MKDOCS, check_json, run_cli

CASES_DIR = Path(__file__).parent / "bad_input" / "cases"
CASES = sorted(CASES_DIR.glob("*.yml"))

SIBLING = "content/zz-sibling.md"
SIBLING_TEXT = "# A sibling page\n\nFine, apart from {{ page.sibling_typo }}.\n"
SIBLING_EXPECT = {"code": "ED302", "path": SIBLING, "line": 3, "column": 21}

ELEMENT_HEAD = (
    "---\nheading: Acme CRM\ntitle: Authenticate\nelementId: 7\n"
    "elementKey: acmecrm\nhub: crm\n---\n"
)


def generated_text(kind: str, size: int) -> str:
    """Big inputs made on the fly (a 20 MB page does not belong in git)."""
    if kind == "big_page":
        paragraph = (
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
            "eiusmod tempor incididunt ut labore et dolore magna aliqua.\n\n"
        )
        return (paragraph * (size // len(paragraph) + 1))[:size]
    if kind == "long_line":
        return "word " * (size // 5) + "\n"
    if kind == "deep_list":
        return "".join("  " * depth + "- item\n" for depth in range(size))
    if kind == "digits":  # a number longer than Python turns from text into an int
        return "9" * size
    if kind == "nested_json":  # arrays nested ``size`` deep
        return "[" * size + "]" * size
    raise ValueError(f"unknown generate kind {kind!r}")


def build_case(root: Path, case: dict) -> None:
    (root / "content").mkdir(parents=True)
    (root / "includes").mkdir()
    (root / "mkdocs.yml").write_text(MINIMAL_MKDOCS, encoding="utf-8")
    contents: dict[str, bytes] = {SIBLING: SIBLING_TEXT.encode()}
    for name, text in (case.get("files") or {}).items():
        contents[name] = text.encode("utf-8")
    for name, data in (case.get("files_b64") or {}).items():
        contents[name] = base64.b64decode(data)
    for spec in case.get("generate") or []:
        text = (
            spec.get("prefix", "")
            + generated_text(spec["kind"], spec["size"])
            + spec.get("suffix", "")
        )
        contents[spec["path"]] = text.encode("utf-8")
    for name, data in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    for name, target in (case.get("links") or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)
    for name in case.get("fifos") or []:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)


def test_there_are_enough_cases_and_each_is_well_formed() -> None:
    assert len(CASES) >= 50
    for case_file in CASES:
        case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
        assert set(case) <= {
            "description",
            "files",
            "files_b64",
            "generate",
            "links",
            "fifos",
            "expect",
            "exit",
            "max_seconds",
            "xfail",
        }, case_file.name
        assert case["description"] and case["expect"] and case["exit"] == 1, case_file.name
        for expected in case["expect"]:
            assert {"code", "path", "line"} <= set(expected), (case_file.name, expected)


def _param(case_file: Path) -> object:
    reason = yaml.safe_load(case_file.read_text(encoding="utf-8")).get("xfail")
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(case_file, id=case_file.stem, marks=marks)


@pytest.mark.parametrize("case_file", [_param(c) for c in CASES])
def test_bad_input_case(case_file: Path, tmp_path: Path) -> None:
    case = yaml.safe_load(case_file.read_text(encoding="utf-8"))
    root = tmp_path / "project"
    build_case(root, case)
    started = time.monotonic()
    result = run_cli("check", "--format", "json", cwd=root, timeout=60)
    elapsed = time.monotonic() - started
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == case["exit"], (result.returncode, result.stderr)
    found = json.loads(result.stdout)["diagnostics"]
    shown = json.dumps(found, indent=1)
    for diagnostic in found:  # what a reader needs to act on it
        assert diagnostic["path"] and isinstance(diagnostic["line"], int), diagnostic
        assert diagnostic["line"] >= 1, diagnostic
        assert diagnostic["message"].strip() and "\n" not in diagnostic["message"], diagnostic
        assert diagnostic["hint"].strip(), diagnostic
    for expected in [*case["expect"], SIBLING_EXPECT]:
        matches = [
            d
            for d in found
            if d["code"] == expected["code"]
            and d["path"] == expected["path"]
            and d["line"] == expected["line"]
            and ("column" not in expected or d["column"] == expected["column"])
            and expected.get("message", "") in d["message"]
            and expected.get("hint", "") in d["hint"]
            and d["severity"] == expected.get("severity", "error")
        ]
        assert matches, f"{expected} not in {shown}"
    assert len(found) == len(case["expect"]) + 1, f"unexpected extra diagnostics: {shown}"
    assert elapsed < case.get("max_seconds", 20), f"took {elapsed:.1f} s"


# --- files that vanish, or that are not files, while the run reads them ---------------------


def test_a_page_deleted_between_listing_and_reading_is_reported(make_project, monkeypatch):
    """The run lists the pages, then reads them: a page removed in between (an editor's
    save, a git checkout) is one diagnostic, and the other pages are still checked."""
    import generator.load.listing as listing
    import generator.pipeline.project as pipeline
    from generator import Project, load_settings

    root = make_project(
        {
            "content/a.md": "# A {{ page.nope_a }}\n",
            "content/b.md": "# B\n",
            "content/c.md": "# C {{ page.nope_c }}\n",
        }
    )
    real_iter_pages = listing.iter_pages

    def listing_then_deletion(*args, **kwargs):
        pages = list(real_iter_pages(*args, **kwargs))
        (root / "content" / "b.md").unlink()
        return iter(pages)

    monkeypatch.setattr(pipeline, "iter_pages", listing_then_deletion)
    report = Project(load_settings(root), use_cache=False).check()
    found = {(d.code, d.location.path, d.location.line) for d in report.diagnostics}
    assert found == {
        ("ED302", "content/a.md", 1),
        ("ED106", "content/b.md", 1),
        ("ED302", "content/c.md", 1),
    }
    (vanished,) = [d for d in report.diagnostics if d.code == "ED106"]
    assert "No such file" in vanished.message and "moved or deleted" in vanished.hint


def test_unreadable_page_is_reported_and_the_others_still_checked(make_project, monkeypatch):
    """Tests run as root, who can read a chmod 000 file: simulate EACCES instead."""
    from generator import Project, load_settings
    from generator.load import files

    root = make_project({"content/a.md": "# A {{ page.nope_a }}\n", "content/secret.md": "# S\n"})
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if str(path).endswith("secret.md"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", refusing_open)
    report = Project(load_settings(root), use_cache=False).check()
    found = {(d.code, d.location.path, d.location.line, d.message) for d in report.diagnostics}
    assert found == {
        ("ED302", "content/a.md", 1, "'page.nope_a' is undefined"),
        ("ED106", "content/secret.md", 1, "cannot read file: Permission denied"),
    }


def test_dangling_link_fifo_and_folder_named_like_pages(make_project) -> None:
    """A link to a missing page is reported; a fifo named x.md is reported without being
    read (reading it would block for ever); a folder named x.md is a folder whose pages are
    checked."""
    root = make_project(
        {
            "content/ok.md": "# OK {{ page.nope }}\n",
            "content/folder.md/inner.md": "# Inner {{ page.inner_nope }}\n",
        }
    )
    (root / "content" / "gone.md").symlink_to("was-here.md")
    os.mkfifo(root / "content" / "fifo.md")
    code, report = check_json(root)
    found = {(d["code"], d["path"], d["line"]) for d in report["diagnostics"]}
    assert code == 1
    assert found == {
        ("ED302", "content/ok.md", 1),
        ("ED302", "content/folder.md/inner.md", 1),
        ("ED106", "content/gone.md", 1),
        ("ED106", "content/fifo.md", 1),
    }
    (gone,) = [d for d in report["diagnostics"] if d["path"] == "content/gone.md"]
    assert "link to 'was-here.md', which does not exist" in gone["message"]
    (fifo,) = [d for d in report["diagnostics"] if d["path"] == "content/fifo.md"]
    assert "it is a fifo, not a regular file" in fifo["message"]
    # named on the command line, the fifo is refused as a usage error, without reading it
    result = run_cli("check", "content/fifo.md", cwd=root, timeout=30)
    assert result.returncode == 2 and "not a file or folder" in result.stderr


def test_a_page_linked_outside_the_project_is_refused_and_not_shown(make_project, tmp_path) -> None:
    outside = tmp_path / "outside-secret.txt"
    outside.write_text("TOP-SECRET-TOKEN\n")
    root = make_project({"content/ok.md": "# OK\n"})
    (root / "content" / "leak.md").symlink_to(outside)
    (root / "content" / "readme.md").symlink_to(root / "mkdocs.yml")  # inside: allowed
    # a linked folder whose page is a fifo outside: refused before it is opened at all (a
    # fifo opened for reading with no writer would be harmless here, but a device is not)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.mkfifo(elsewhere / "pipe.md")
    (elsewhere / "page.md").write_text("TOP-SECRET-TOKEN\n")
    (root / "content" / "linked").symlink_to(elsewhere, target_is_directory=True)
    opened: list[str] = []
    real_open = os.open

    def watching_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if "pipe.md" in os.fspath(path) and not flags & getattr(os, "O_PATH", 0):
            opened.append(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    from generator.load import files
    from generator.settings import load_settings

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(files.os, "open", watching_open)
        settings = load_settings(root)
        for name in ("pipe.md", "page.md"):
            raw, problem = files.read_page_bytes(
                root / "content" / "linked" / name, f"content/linked/{name}", settings
            )
            assert raw is None and problem is not None and problem.code == "ED109", name
    assert opened == []
    result = run_cli("check", "content/leak.md", cwd=root)
    assert result.returncode == 1
    assert "content/leak.md:1: error ED109 the page is a link to" in result.stdout
    assert "TOP-SECRET-TOKEN" not in result.stdout + result.stderr
    (root / "content" / "linked").unlink()
    code, report = check_json(root)
    assert [(d["code"], d["path"]) for d in report["diagnostics"]] == [("ED109", "content/leak.md")]
    build = run_cli("build", "--out", "out", cwd=root)
    assert build.returncode == 1 and not (root / "out").exists()


def test_a_data_file_linked_outside_the_project_is_refused(make_project, tmp_path) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text("token: TOP-SECRET-TOKEN\n")
    root = make_project({"content/show.md": "# Show\n\n{{ site.data.leak.token }}\n"})
    (root / "includes" / "_data").mkdir()
    (root / "includes" / "_data" / "leak.yml").symlink_to(outside)
    result = run_cli("build", "--out", "out", cwd=root)
    written = (root / "out" / "show.md").read_text() if (root / "out").exists() else ""
    assert "TOP-SECRET-TOKEN" not in written
    assert result.returncode == 1


def test_source_lines_are_never_read_through_links_leaving_the_project(
    make_project, tmp_path
) -> None:
    from generator import Project, load_settings

    outside = tmp_path / "outside-secret.txt"
    outside.write_text("TOP-SECRET-TOKEN\n")
    root = make_project({"content/ok.md": "# OK\n"})
    (root / "content" / "leak.md").symlink_to(outside)
    project = Project(load_settings(root), use_cache=False)
    assert project.sources.line("content/leak.md", 1) is None


def test_a_fifo_partial_does_not_hang_the_run(make_project) -> None:
    root = make_project({"content/page.md": "# Page\n\n{% include pipe.md %}\n"})
    os.mkfifo(root / "includes" / "pipe.md")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "generator", "check"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("generator check hung on includes/pipe.md (a fifo)")
    assert result.returncode == 1
