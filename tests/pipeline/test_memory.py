"""Memory of a whole-project run, and pages that change while a run reads them.

A run keeps the front matter of every page (the element catalog needs it) but reads a
page's body again only when it checks that page, and forgets each result once it has been
checked and cached. So the memory a large project needs grows only a little with each page
instead of by the whole text of every page. These tests measure a real ``generator check``
process, and edit pages between the moment the front matter is read and the moment the page
is checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINIMAL_MKDOCS

from generator import Project, load_settings
from generator.pipeline.project import ProjectMemory

PARAGRAPH = (
    "Each request to the service carries the instance token in its Authorization "
    "header; keep it secret, and rotate it when someone who knew it leaves."
)
BODY = "\n\n".join([PARAGRAPH] * 80)  # about 12 KiB of plain text per page


def write_pages(root: Path, count: int) -> Path:
    (root / "includes").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(MINIMAL_MKDOCS, encoding="utf-8")
    for number in range(count):
        page = root / "content" / "guides" / f"part-{number // 100:02d}" / f"p{number:05d}.md"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            f"---\ntitle: Guide {number}\n---\n\n# Guide {number}\n\n{BODY}\n", encoding="utf-8"
        )
    return root


def peak_kib_of_check(root: Path) -> int:
    """Peak resident memory (KiB) of ``generator check --jobs 1`` run in a child process."""
    process = subprocess.Popen(
        [sys.executable, "-m", "generator", "check", "--jobs", "1"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    errors = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    process.stderr.close()
    assert process.returncode == 0, errors.decode(errors="replace")
    return usage.ru_maxrss  # KiB on Linux


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB: Linux")
def test_peak_memory_of_check_grows_much_less_than_the_pages_text(tmp_path: Path) -> None:
    """Between 300 and 1,500 pages of about 12 KiB each, the peak grows by a few KiB per
    page (the front matter kept for the catalog, the page's diagnostics), not by the text
    of each page: keeping every page's body and rendered result cost over 20 KiB a page."""
    small, large = 300, 1500
    peak_small = peak_kib_of_check(write_pages(tmp_path / "small", small))
    peak_large = peak_kib_of_check(write_pages(tmp_path / "large", large))
    per_page = (peak_large - peak_small) / (large - small)
    assert per_page < 8, (
        f"peak {peak_small} KiB at {small} pages, {peak_large} KiB at "
        f"{large}: {per_page:.1f} KiB more per page"
    )


PAGE = "content/guide.md"
OTHER = "content/other.md"


def found(diagnostics: list) -> set[tuple[str, str, int]]:
    return {(d.code, d.location.path, d.location.line) for d in diagnostics}


@pytest.fixture
def two_pages(make_project) -> Path:
    return make_project(
        {
            PAGE: "---\ntitle: Guide\n---\n\n# Guide\n\n{{ page.title }}\n",
            OTHER: "# Other {{ page.other_nope }}\n",
        }
    )


def test_page_edited_after_its_front_matter_was_read_is_checked_as_it_is_now(two_pages):
    """The edit makes the front matter longer, so the body starts lower: the problem is
    reported at its line in the file as it is now."""
    project = Project(load_settings(two_pages))
    project.load_all()
    (two_pages / PAGE).write_text(
        "---\ntitle: Guide\ndescription: How to\n---\n\n# Guide\n\n{{ page.nope }}\n",
        encoding="utf-8",
    )
    result = project.check_page(two_pages / PAGE)
    assert found(result.diagnostics) == {("ED302", PAGE, 8)}
    assert result.rendered is not None and "How to" not in result.rendered.text
    assert result.document is not None and result.document.meta["description"] == "How to"


def test_page_deleted_or_spoiled_after_its_front_matter_was_read_is_reported(two_pages):
    project = Project(load_settings(two_pages))
    project.load_all()
    (two_pages / PAGE).unlink()
    result = project.check_page(two_pages / PAGE)
    (vanished,) = result.diagnostics
    assert vanished.code == "ED106" and "moved or deleted" in (vanished.hint or "")
    (two_pages / OTHER).write_bytes(b"# Other caf\xe9\n")  # Latin-1, not UTF-8
    (spoiled,) = project.check_page(two_pages / OTHER).diagnostics
    assert (spoiled.code, spoiled.location.path) == ("ED106", OTHER)


def test_edit_during_a_whole_run_is_cached_for_the_content_that_was_checked(two_pages, monkeypatch):
    """``check`` reads all front matter first; a page saved before its turn comes is checked
    as saved, and the cache keeps that result under that content (a second run, served from
    the cache, reports the same)."""
    real_load_all = Project.load_all

    def load_then_edit(self: Project, jobs: int = 1) -> None:
        real_load_all(self, jobs)
        (two_pages / PAGE).write_text(
            "---\ntitle: Guide\n---\n\n# Guide {{ page.edited }}\n", encoding="utf-8"
        )

    with monkeypatch.context() as patch:
        patch.setattr(Project, "load_all", load_then_edit)
        first = Project(load_settings(two_pages)).check()
    expected = {("ED302", PAGE, 5), ("ED302", OTHER, 1)}
    assert found(first.diagnostics) == expected
    again = Project(load_settings(two_pages))
    assert found(again.check().diagnostics) == expected
    assert again.memory.pages is not None and again.memory.pages.hits == 2


def test_a_long_lived_memory_reads_a_changed_page_again(two_pages):
    """``mkdocs serve`` keeps one memory across rebuilds: an edited page is read again,
    front matter and body, and an unchanged one is not parsed again."""
    memory = ProjectMemory()
    pages = [two_pages / PAGE, two_pages / OTHER]
    first = Project(load_settings(two_pages), memory)
    first.load(pages)
    assert found(first.check_page(pages[0]).diagnostics) == set()
    other_before = first.documents[pages[1]][0]
    pages[0].write_text(
        "---\ntitle: Renamed\n---\n\n{{ page.title }} {{ page.gone }}\n", encoding="utf-8"
    )
    second = Project(load_settings(two_pages), memory)
    second.load(pages)
    document = second.documents[pages[0]][0]
    assert document is not None and document.meta["title"] == "Renamed"
    assert second.documents[pages[1]][0] is other_before
    result = second.check_page(pages[0])
    assert found(result.diagnostics) == {("ED302", PAGE, 5)}
    assert result.rendered is not None and result.rendered.text.strip() == "Renamed"
