"""Results never depend on what the caches saw before.

A page's cached result lists what the page looked up and did not find (a partial at any
depth, an include_relative file, a data file), so that its appearance counts as an edit;
dirty builds keep a page's file only when it is the one a build from scratch would write;
and a site reached by any road (quick rebuilds under ``mkdocs serve``, ``mkdocs build
--dirty``, repeated and concurrent ``generator site``) is the clean build's, byte for byte.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from conftest import MINIMAL_MKDOCS, copy_repo_project, run_cli, write_tree
from test_serve import Server, free_port, wait_log, without_livereload

PAGE = "content/guide/index.md"
GUIDE = """\
---
title: Guide
---

# Guide

{% include later.md %}

{% include outer.md %}

{% include_relative parts/step.md %}

Data: {{ site.data.later.word }}
"""
LATER = {  # the files the guide looks for, and what each shows once there
    "includes/later.md": "Later-partial-text\n",
    "includes/deeper/inner.md": "Inner-partial-text\n",
    "content/guide/parts/step.md": "Step-file-text\n",
    "includes/_data/later.yml": "word: Data-file-word\n",
}
SHOWN = ["Later-partial-text", "Inner-partial-text", "Step-file-text", "Data-file-word"]


def guide_project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "mkdocs.yml").write_text(MINIMAL_MKDOCS, encoding="utf-8")
    return write_tree(
        root,
        {
            PAGE: GUIDE,
            "includes/outer.md": "{% include deeper/inner.md %}\n",
            "content/index.md": "# Home\n",
        },
    )


def problems(root: Path) -> list[tuple[str, str, int]]:
    result = run_cli("check", "--format", "json", cwd=root)
    assert "Traceback" not in result.stderr, result.stderr
    found = json.loads(result.stdout)["diagnostics"]
    return sorted((d["code"], d["path"], d["line"]) for d in found)


MISSING = [
    ("ED302", "content/guide/index.md", 13),
    ("ED303", "content/guide/index.md", 7),
    ("ED303", "content/guide/index.md", 11),
    ("ED303", "includes/outer.md", 1),
]


def mkdocs(
    root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", *args],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_files_that_appear_or_return_are_seen_by_check_and_build(tmp_path: Path) -> None:
    root = guide_project(tmp_path / "project")
    assert problems(root) == MISSING
    failed = mkdocs(root)
    assert failed.returncode != 0 and "ED303" in failed.stderr
    assert (root / ".element-docs-cache" / "pages.sqlite3").is_file()  # the cache is in use

    write_tree(root, LATER)  # as the hints say: create them
    assert problems(root) == []
    built = mkdocs(root, "--strict")
    assert built.returncode == 0, built.stderr
    html = (root / "site/guide/index.html").read_text(encoding="utf-8")
    assert all(text in html for text in SHOWN)

    # each one deleted, then put back with new text, is seen both times
    for name in LATER:
        saved = (root / name).read_text(encoding="utf-8")
        (root / name).unlink()
        assert len(problems(root)) == 1, name
        assert mkdocs(root).returncode != 0, name
        (root / name).write_text(saved.replace("-", "-again-", 1), encoding="utf-8")
        assert problems(root) == [], name
        rebuilt = mkdocs(root, "--strict")
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert saved.replace("-", "-again-", 1).split(":")[-1].strip() in (
            root / "site/guide/index.html"
        ).read_text(encoding="utf-8"), name


def test_a_partial_created_under_serve_shows_at_once(tmp_path: Path) -> None:
    root = guide_project(tmp_path / "project")
    server = Server(root, "--dirty")
    try:
        html = server.wait_for("guide/", lambda html: "Guide" in html)
        server.wait_build(1)
        assert "ED303" in server.log()
        assert "unknown partial" in html and "element-docs-problems" in html  # on the page
        for name, text in LATER.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
            shown = SHOWN[list(LATER).index(name)]
            server.wait_for("guide/", lambda html, shown=shown: shown in html)
        html = server.wait_for("guide/", lambda html: "element-docs-problems" not in html)
        assert all(text in html for text in SHOWN)

        (root / "includes/later.md").unlink()
        server.wait_for(
            "guide/", lambda html: "Later-partial-text" not in html and "unknown partial" in html
        )
        (root / "includes/later.md").write_text("Restored-partial-text\n", encoding="utf-8")
        html = server.wait_for("guide/", lambda html: "Restored-partial-text" in html)
        assert "element-docs-problems" not in html
    finally:
        server.stop()
    # and the cache the server left behind says the same as a check from scratch
    assert problems(root) == []
    shutil.rmtree(root / ".element-docs-cache")
    assert problems(root) == []


# --- one site, whatever the road ------------------------------------------------------------

EPOCH = {"SOURCE_DATE_EPOCH": "1767225600"}  # MkDocs writes the build date into the sitemap
CRM = "content/elements/autotask-crm/authenticate.md"
INFUSIONSOFT = "content/elements/infusionsoft-crm/authenticate.md"
SHARED_PARTIAL = "includes/Elements/autotask/authenticate.md"
OWN_PARTIAL = "includes/Elements/infusionsoft/authenticate.md"
NEW_PARTIAL = "includes/Elements/later/new.md"


def change(name: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        text = (root / name).read_text(encoding="utf-8")
        assert old in text, (name, old)
        (root / name).write_text(text.replace(old, new, 1), encoding="utf-8")

    return apply


def remove(name: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / name).rename(root / ".removed")  # kept aside, to be put back

    return apply


def put_back(name: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / ".removed").rename(root / name)

    return apply


def create(name: str, text: str) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")

    return apply


# (edit, whether the tree builds after it); non-ASCII text on purpose (the search index)
EDITS: list[tuple[Callable[[Path], None], bool]] = [
    (change(CRM, "## Example Response", "Next \u2192 the response.\n\n## Example Response"), True),
    (
        change(SHARED_PARTIAL, "## Parameters", "A shared remark \u2192 here.\n\n## Parameters"),
        True,
    ),
    (change(INFUSIONSOFT, "heading: Infusionsoft CRM", "heading: Keap \u2192 CRM"), True),
    (remove(OWN_PARTIAL), False),
    (put_back(OWN_PARTIAL), True),
    (
        change(
            CRM, "## Example Response", "{% include Elements/later/new.md %}\n\n## Example Response"
        ),
        False,
    ),
    (create(NEW_PARTIAL, "A partial made later \u2192 shown.\n"), True),
]


def start_tree(root: Path, port: int) -> Path:
    root.mkdir(parents=True)
    copy_repo_project(root)
    config = root / "mkdocs.yml"  # the site_url mkdocs serve gives itself, for every road
    text = re.sub(r"(?m)^site_url:.*\n", "", config.read_text())
    config.write_text(f"site_url: http://127.0.0.1:{port}/\n" + text)
    return root


def final_tree(root: Path, port: int) -> Path:
    start_tree(root, port)
    for apply, _ in EDITS:
        apply(root)
    return root


def site_files(site: Path) -> dict[str, bytes]:
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file()
    }


def differences(got: dict[str, bytes], expected: dict[str, bytes]) -> list[str]:
    return sorted(set(got) ^ set(expected)) + [
        name for name in sorted(set(got) & set(expected)) if got[name] != expected[name]
    ]


def generator_site(root: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "generator", "site"],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **EPOCH},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str]:
    output, _ = process.communicate(timeout=300)
    return process.returncode, output


def test_a_site_is_the_clean_builds_whatever_the_road(tmp_path: Path) -> None:
    port = free_port()
    reference = final_tree(tmp_path / "reference", port)
    built = mkdocs(reference, env=EPOCH)
    assert built.returncode == 0, built.stderr
    expected = site_files(reference / "site")
    assert b"\\u2192" in expected["search/search_index.json"]  # as the search plugin writes

    # MkDocs itself: two clean builds of the same tree (date pinned) are the same, file by
    # file, the sitemap included (it is the only file that holds the build date)
    again = final_tree(tmp_path / "again", port)
    assert mkdocs(again, env=EPOCH).returncode == 0
    assert differences(site_files(again / "site"), expected) == []

    # mkdocs build --dirty after every edit, and generator site after every edit
    dirty = start_tree(tmp_path / "dirty", port)
    repeated = start_tree(tmp_path / "repeated", port)
    assert mkdocs(dirty, env=EPOCH).returncode == 0
    assert finished(generator_site(repeated))[0] == 0
    for apply, builds in EDITS:
        apply(dirty)
        assert (mkdocs(dirty, "--dirty", env=EPOCH).returncode == 0) == builds
        apply(repeated)
        code, output = finished(generator_site(repeated))
        assert (code == 0) == builds, output
    assert differences(site_files(dirty / "site"), expected) == []
    assert differences(site_files(repeated / "site"), expected) == []

    # two generator site runs at once, after every edit made at once
    together = start_tree(tmp_path / "together", port)
    assert finished(generator_site(together))[0] == 0
    for apply, _ in EDITS:
        apply(together)
    runs = [generator_site(together), generator_site(together)]
    assert [finished(run)[0] for run in runs] == [0, 0]
    assert differences(site_files(together / "site"), expected) == []

    # mkdocs serve --dirty: quick rebuilds and full ones, edit after edit
    served = start_tree(tmp_path / "served", port)
    server = Server(served, "--dirty", port=port, env=EPOCH)
    try:
        server.wait_build(1)
        # the first build is logged before MkDocs watches the files: an edit made then went
        # unnoticed (once in CI); it watches them before it serves
        server.wait_for("", lambda html: True)
        for number, (apply, _) in enumerate(EDITS, start=2):
            apply(served)
            server.wait_build(number)
        assert "quick rebuild:" in server.log() and "full rebuild:" in server.log()

        def fetched() -> dict[str, bytes]:
            found = {}
            for name in expected:
                body = server.get_bytes(name)
                assert body is not None, name
                if name.endswith(".html"):
                    body = without_livereload(body.decode()).encode()
                found[name] = body
            return found

        deadline = time.monotonic() + 30  # the index of a quick rebuild is written just after
        while differences(got := fetched(), expected) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert differences(got, expected) == []
    finally:
        server.stop()


def search_docs(server: Server) -> list[tuple[str, str]]:
    index = server.wait_for("search/search_index.json", lambda text: True)
    return [(doc["location"], doc["title"]) for doc in json.loads(index)["docs"]]


def test_full_rebuilds_under_serve_dirty_keep_each_search_entry_once(tmp_path: Path) -> None:
    port = free_port()
    reference = final_tree(tmp_path / "reference", port)  # every edit below, built clean
    assert mkdocs(reference, env=EPOCH).returncode == 0
    clean = json.loads((reference / "site/search/search_index.json").read_text())["docs"]
    expected = sorted((doc["location"], doc["title"]) for doc in clean)

    served = start_tree(tmp_path / "served", port)
    server = Server(served, "--dirty", port=port, env=EPOCH)
    try:
        server.wait_build(1)
        assert len(set(search_docs(server))) == len(search_docs(server))
        for number, (apply, _) in enumerate(EDITS, start=2):
            apply(served)
            server.wait_build(number)
            time.sleep(0.5)  # the index of a quick rebuild is written just after
            docs = search_docs(server)
            assert len(docs) == len(set(docs)), (number, len(docs), len(set(docs)))
        assert "full rebuild: the front matter of" in server.log()
        deadline = time.monotonic() + 30
        while sorted(search_docs(server)) != expected and time.monotonic() < deadline:
            time.sleep(0.3)
        assert sorted(search_docs(server)) == expected
    finally:
        server.stop()


# --- mkdocs serve tells the truth after an edit ---------------------------------------------

WRONG_ID = change(CRM, '    "id": 50,', '    "id": 9999,')
WRONG_ID_MOVED = change(CRM, '    "id": 9999,', '    "id":       9999,')
UNDEFINED = change(CRM, "## Example Response", "Region: {{ page.region }}\n\n## Example Response")


def crm_problems(root: Path) -> list[tuple[str, int, int]]:
    result = run_cli("check", "--format", "json", cwd=root)
    return sorted(
        (d["code"], d["line"], d["column"])
        for d in json.loads(result.stdout)["diagnostics"]
        if d["path"] == CRM
    )


def test_serve_shows_problems_on_the_page_with_the_line_as_it_is_now(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    copy_repo_project(root)
    server = Server(root, "--dirty")
    try:
        html = server.wait_for("elements/autotask-crm/authenticate/", lambda html: "50" in html)
        server.wait_build(1)
        assert "element-docs-problems" not in html
        WRONG_ID(root)
        UNDEFINED(root)
        html = server.wait_for(
            "elements/autotask-crm/authenticate/",
            lambda html: "element-docs-problems" in html and "ED302" in html,
        )
        # the problems on the page, each with file:line:column, code and message
        assert f"{CRM}:30:11: error ED201" in html and f"{CRM}:17:" in html, html
        assert "'page.region' is undefined" in html
        wait_log(server, f"{CRM}:30:11: error ED201")

        WRONG_ID_MOVED(root)  # the same line, the value further right
        server.wait_for(
            "elements/autotask-crm/authenticate/", lambda html: f"{CRM}:30:17: error ED201" in html
        )
        wait_log(server, f"{CRM}:30:17: error ED201")
        after = server.log().rsplit("Detected file changes", 1)[1]
        assert '"id":       9999,' in after and ":30:11:" not in after, after
    finally:
        server.stop()
    # what the server cached is what a check from scratch finds
    found = crm_problems(root)
    assert ("ED201", 30, 17) in found and ("ED302", 17, 12) in found, found
    shutil.rmtree(root / ".element-docs-cache")
    assert crm_problems(root) == found

    # a built site never shows them (here: built despite its errors)
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "      strict: true", "      strict: true\n      fail_on_errors: false"
        )
    )
    built = mkdocs(root)
    assert built.returncode == 0, built.stderr
    page = (root / "site/elements/autotask-crm/authenticate/index.html").read_text()
    assert "9999" in page and "element-docs-problems" not in page and "ED201" not in page


def test_an_import_and_a_listing_of_site_data_follow_files_that_appear(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "mkdocs.yml").write_text(MINIMAL_MKDOCS, encoding="utf-8")
    write_tree(
        root,
        {
            "content/index.md": "# Home\n\n{% import 'macros.md' as m %}"
            "{{ m.hello() }}\n\nFiles: "
            "{% for name in site.data %}[{{ name }}]{% endfor %}\n",
            "includes/_data/first.yml": "a: 1\n",
        },
    )
    assert problems(root) == [("ED303", "content/index.md", 3)]
    write_tree(root, {"includes/macros.md": "{% macro hello() %}Hello-from-macro{% endmacro %}"})
    assert problems(root) == []
    out = root / "out"
    assert run_cli("build", "--out", "out", cwd=root).returncode == 0
    assert "Hello-from-macro" in (out / "index.md").read_text()
    assert "Files: [first]" in (out / "index.md").read_text()
    # a subfolder of _data is site.data.more (site.data.more.second), as in Jekyll
    write_tree(root, {"includes/_data/more/second.yml": "b: 2\n"})
    assert run_cli("build", "--out", "out", cwd=root).returncode == 0
    assert "Files: [first][more]" in (out / "index.md").read_text()
