"""Live preview: a real ``mkdocs serve`` on 127.0.0.1 shows every edit (page, partial, data
file, schema) and re-renders only the pages that depend on it; a quick rebuild (an edit of
page bodies, partials or data) leaves the same site as MkDocs' rebuild of everything."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, copy_repo_project

PAGES = {  # slug -> partial; four pages share the Autotask partial
    "autotask-helpdesk": "autotask",
    "autotask-crm": "autotask",
    "autotask-finance": "autotask",
    "infusionsoft-crm": "infusionsoft",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    def __init__(
        self, root: Path, *options: str, port: int = 0, env: dict[str, str] | None = None
    ) -> None:
        self.port = port or free_port()
        self.lines: list[str] = []
        env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mkdocs",
                "serve",
                *(options or ("--dirty",)),
                "--dev-addr",
                f"127.0.0.1:{self.port}",
            ],
            cwd=root,
            stderr=subprocess.STDOUT,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def log(self) -> str:
        return "".join(self.lines)

    def get(self, path: str) -> str | None:
        found = self.get_bytes(path)
        return None if found is None else found.decode()

    def get_bytes(self, path: str) -> bytes | None:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.port}/{path}", timeout=5
            ) as response:
                return bytes(response.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return None

    def wait_for(self, path: str, predicate, timeout: float = 60) -> str:
        """Poll the served page (bounded in count and time) until ``predicate(html)``."""
        deadline = time.monotonic() + timeout
        html = None
        for _ in range(int(timeout / 0.2)):
            assert self.process.poll() is None, self.log()
            html = self.get(path)
            if html is not None and predicate(html):
                return html
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
        raise AssertionError(f"{path} never matched; last log:\n{self.log()[-3000:]}")

    def builds(self) -> int:
        return len(re.findall(r"pages rendered", self.log()))

    def wait_build(self, count: int, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.findall(r"element-docs: (\d+) of \d+ pages rendered", self.log())
            if len(found) >= count:
                return found[count - 1]
            assert self.process.poll() is None, self.log()
            time.sleep(0.1)
        raise AssertionError(f"no build #{count}; log:\n{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_repo_project(tmp_path)


@pytest.fixture
def server(project: Path) -> Iterator[Server]:
    running = Server(project)
    try:
        running.wait_for("", lambda html: "Element Docs" in html)
        running.wait_build(1)
        yield running
    finally:
        running.stop()


def url(slug: str) -> str:
    return f"elements/{slug}/authenticate/"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    time.sleep(0.05)
    path.write_text(text.replace(old, new, 1))


def test_page_edit_shows_and_rerenders_only_that_page(server, project):
    page = project / "content/elements/autotask-crm/authenticate.md"
    edit(page, "## Example Response", "Marker-page-edit-1\n\n## Example Response")
    server.wait_for(url("autotask-crm"), lambda html: "Marker-page-edit-1" in html)
    assert server.wait_build(2) == "1"


def test_partial_edit_shows_on_every_dependent_and_only_them(server, project):
    partial = project / "includes/Elements/autotask/authenticate.md"
    edit(partial, "## Parameters", "Marker-partial-edit\n\n## Parameters")
    for slug, used in PAGES.items():
        if used == "autotask":
            server.wait_for(url(slug), lambda html: "Marker-partial-edit" in html)
    assert server.wait_build(2) == "3"
    assert "Marker-partial-edit" not in server.get(url("infusionsoft-crm"))


def test_data_file_edit_reaches_the_pages_that_read_it(server, project):
    glossary = project / "includes/_data/glossary.yml"
    text = glossary.read_text()
    key = re.search(r"^(element-auth-tags):", text, re.M)
    assert key
    glossary.write_text(
        re.sub(
            r"^element-auth-tags:.*$", "element-auth-tags: Marker-data-edit tags.", text, flags=re.M
        )
    )
    for slug in PAGES:
        server.wait_for(url(slug), lambda html: "Marker-data-edit" in html)


@pytest.fixture
def schemas(project: Path) -> Path:
    folder = project / "schemas"
    folder.mkdir()
    (folder / "extra.schema.json").write_text(
        '{"$schema": "https://json-schema.org/draft/2020-12/schema"}'
    )
    return folder


def test_schema_edit_rechecks_and_a_broken_edit_recovers(schemas, server, project):
    strict_response = (REPO / "generator/schemas/instance-response.schema.json").read_text()
    strict_response = strict_response.replace(
        '"required": ["id", "name", "token", "element"]',
        '"required": ["id", "name", "token", "element", "mustHaveThis"]',
    )
    (schemas / "instance-response.schema.json").write_text(strict_response)
    server.wait_build(2)
    deadline = time.monotonic() + 30
    while "mustHaveThis" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "ED211" in server.log() and "mustHaveThis" in server.log()
    (schemas / "instance-response.schema.json").unlink()

    page = project / "content/elements/autotask-helpdesk/authenticate.md"
    good = page.read_text()
    page.write_text(good.replace("elementId: 123", "elementId: [123"))
    server.wait_for(
        url("autotask-helpdesk"),
        lambda html: "could not be rendered" in html or "ED101" in server.log(),
    )
    assert "ED101" in server.log()
    assert server.process.poll() is None
    page.write_text(good.replace("## Example Response", "Marker-recovered\n\n## Example Response"))
    server.wait_for(url("autotask-helpdesk"), lambda html: "Marker-recovered" in html)


# --- quick rebuilds: the same site as MkDocs' rebuild of everything -----------------------

ALL_PAGES = ["", "reference/diagnostic-codes/", *(url(slug) for slug in PAGES)]


def without_livereload(html: str) -> str:
    """The served page without the script the server adds (it differs on every request)."""
    start = html.rfind("<script>", 0, html.rindex("</body>"))
    assert "livereload(" in html[start:]
    return html[:start] + html[html.index("</script>", start) + len("</script>") :]


def served_site(server: Server) -> dict[str, object]:
    site: dict[str, object] = {}
    for path in ALL_PAGES:
        html = server.get(path)
        assert html is not None, path
        site[path] = without_livereload(html)
    index = server.get("search/search_index.json")
    assert index is not None
    site["search"] = json.loads(index)
    return site


def wait_log(server: Server, text: str, count: int = 1, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while server.log().count(text) < count:
        assert time.monotonic() < deadline, server.log()[-3000:]
        assert server.process.poll() is None, server.log()
        time.sleep(0.1)


@pytest.mark.parametrize("mode", ["--dirty", "--livereload"])
def test_quick_rebuilds_leave_the_site_a_full_rebuild_makes(project, mode):
    server = Server(project, mode)
    try:
        server.wait_for("", lambda html: "Element Docs" in html)
        server.wait_build(1)
        page = project / "content/elements/autotask-crm/authenticate.md"
        edit(page, "## Example Response", "## Marker-page-heading\n\nWords.\n\n## Example Response")
        wait_log(server, "quick rebuild: 1 page(s)")
        partial = project / "includes/Elements/autotask/authenticate.md"
        edit(partial, "## Parameters", "Marker-partial-edit\n\n## Parameters")
        wait_log(server, "quick rebuild: 3 page(s)")
        glossary = project / "includes/_data/glossary.yml"
        glossary.write_text(
            re.sub(
                r"^element-auth-tags:.*$",
                "element-auth-tags: Marker-data.",
                glossary.read_text(),
                flags=re.M,
            )
        )
        wait_log(server, "quick rebuild:", count=3)
        time.sleep(0.5)  # the search index is written just after the pages
        quick = served_site(server)
        assert "Marker-page-heading" in str(quick[url("autotask-crm")])
        assert any("Marker-page-heading" in doc["title"] for doc in quick["search"]["docs"])
        assert all("Marker-data" in str(quick[url(slug)]) for slug in PAGES)

        # mkdocs.yml edited: MkDocs rebuilds every page from scratch (new cache keys too)
        config = project / "mkdocs.yml"
        config.write_text(config.read_text() + "\n# touched\n")
        reason = "full rebuild: 'mkdocs.yml' is not a page, partial or data file"
        wait_log(server, reason)
        # (MkDocs logs "Documentation built in N seconds" only once per distinct N)
        deadline = time.monotonic() + 60
        while "Reloading browsers" not in server.log().rsplit(reason, 1)[1]:
            assert time.monotonic() < deadline, server.log()[-3000:]
            time.sleep(0.1)
        full = served_site(server)
        for path in ALL_PAGES:
            assert quick[path] == full[path], path
        assert quick["search"] == full["search"]
    finally:
        server.stop()


def test_edits_a_quick_rebuild_cannot_cover_get_the_full_rebuild(server, project):
    page = project / "content/elements/autotask-crm/authenticate.md"
    text = page.read_text()
    heading = re.search(r"^heading: (.*)$", text, re.M)
    assert heading
    page.write_text(text.replace(heading.group(0), "heading: Marker Renamed Element"))
    wait_log(
        server,
        "full rebuild: the front matter of 'content/elements/autotask-crm/authenticate.md' changed",
    )
    # the navigation of every other page shows the new name
    server.wait_for(url("infusionsoft-crm"), lambda html: "Marker Renamed Element" in html)

    added = project / "content/elements/autotask-new/authenticate.md"
    added.parent.mkdir()
    added.write_text((project / "content/elements/autotask-helpdesk/authenticate.md").read_text())
    wait_log(server, "full rebuild: the folder 'content/elements/autotask-new' was added")
    server.wait_for(url("autotask-new"), lambda html: "Autotask" in html)


def test_an_error_made_and_mended_in_a_quick_rebuild_is_reported_then_gone(server, project):
    page = project / "content/elements/autotask-crm/authenticate.md"
    good = page.read_text()
    assert '"name": "API Instance",' in good
    page.write_text(good.replace('"name": "API Instance",', '"name": "API Instance"', 1))
    wait_log(server, "quick rebuild: 1 page(s)")
    wait_log(server, "element-docs: 1 error(s)")
    assert re.search(
        r"ERROR\s+-\s+content/elements/autotask-crm/authenticate\.md:\d+:", server.log()
    ), server.log()
    page.write_text(good)
    wait_log(server, "quick rebuild: 1 page(s)", count=2)
    after = server.log().rsplit("quick rebuild: 1 page(s)", 1)[1]
    assert "error(s)" not in after.split("Reloading browsers")[0]


def test_quick_serve_off_rebuilds_everything(project):
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "      strict: true", "      strict: true\n      quick_serve: false"
        )
    )
    assert "quick_serve: false" in config.read_text()
    server = Server(project, "--dirty")
    try:
        server.wait_build(1)
        page = project / "content/elements/autotask-crm/authenticate.md"
        edit(page, "## Example Response", "Marker-off\n\n## Example Response")
        server.wait_for(url("autotask-crm"), lambda html: "Marker-off" in html)
        assert "quick rebuild" not in server.log()
        assert server.log().count("Building documentation...") == 2
    finally:
        server.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_edits_are_heard_from_the_system_watcher_not_polling(server, project):
    assert "edits are noticed through the system's file watcher" in server.log()
    # an editor's swap file beside the page is no reason to rebuild anything
    (project / "content/elements/autotask-crm/.authenticate.md.swp").write_bytes(b"\0swap")
    page = project / "content/elements/autotask-crm/authenticate.md"
    edit(page, "## Example Response", "Marker-native\n\n## Example Response")
    server.wait_for(url("autotask-crm"), lambda html: "Marker-native" in html)
    assert "quick rebuild: 1 page(s)" in server.log()
    assert "full rebuild" not in server.log()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_a_tree_of_thousands_of_folders_does_not_flood_the_watcher(project):
    # Watching a folder opens it; were opens reported, these folders alone would overflow
    # the system's queue of events (16,384 by default) and edits would be lost.
    for number in range(9000):
        (project / "content/archive" / f"f{number:04d}").mkdir(parents=True)
    server = Server(project, "--dirty")
    try:
        server.wait_for("", lambda html: "Element Docs" in html)  # watching by now
        page = project / "content/elements/autotask-crm/authenticate.md"
        edit(page, "## Example Response", "Marker-many-folders\n\n## Example Response")
        server.wait_for(url("autotask-crm"), lambda html: "Marker-many-folders" in html, timeout=30)
        assert "quick rebuild: 1 page(s)" in server.log()
        assert "overflow" not in server.log()
    finally:
        server.stop()


def test_a_page_that_another_page_includes_updates_both(server, project):
    folder = project / "content/elements/autotask-crm"
    (folder / "step.md").write_text("# Step\n\nStep text one.\n")
    page = folder / "authenticate.md"
    edit(page, "## Example Response", "{% include_relative step.md %}\n\n## Example Response")
    server.wait_for(url("autotask-crm"), lambda html: "Step text one." in html)
    edit(folder / "step.md", "Step text one.", "Step text two.")
    server.wait_for(url("autotask-crm"), lambda html: "Step text two." in html)
    server.wait_for("elements/autotask-crm/step/", lambda html: "Step text two." in html)
    # a later edit of the including page renders the partial as it is now, not as compiled
    edit(page, "## Example Response", "Marker-later\n\n## Example Response")
    html = server.wait_for(url("autotask-crm"), lambda html: "Marker-later" in html)
    assert "Step text two." in html and "Step text one." not in html


def test_a_folder_moved_out_of_the_site_takes_its_pages_away(server, project, tmp_path_factory):
    assert server.get(url("infusionsoft-crm")) is not None
    outside = tmp_path_factory.mktemp("moved") / "infusionsoft-crm"
    os.rename(project / "content/elements/infusionsoft-crm", outside)
    wait_log(server, "full rebuild: 'content/elements/infusionsoft-crm' was removed or renamed")
    deadline = time.monotonic() + 30
    while "Infusionsoft" in (server.get("") or "") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Infusionsoft" not in (server.get("") or "")


def test_mkdocs_yml_saved_twice_by_an_editor_that_replaces_the_file(server, project):
    config = project / "mkdocs.yml"
    for number in (1, 2):
        replacement = project / f".mkdocs.yml.save{number}"
        replacement.write_text(
            re.sub(
                r"^site_name: .*$", f"site_name: Renamed {number}", config.read_text(), flags=re.M
            )
        )
        os.replace(replacement, config)  # a new file takes the old one's name
        server.wait_for("", lambda html, n=number: f"Renamed {n}" in html)


def test_a_data_file_error_leaves_the_summary_once_mended(server, project):
    glossary = project / "includes/_data/glossary.yml"
    good = glossary.read_text()
    glossary.write_text(good + "\nbroken: [unclosed\n")
    wait_log(server, "error(s), 0 warning(s)")  # the glossary is gone from every page
    glossary.write_text(
        re.sub(r"^element-auth-tags:.*$", "element-auth-tags: Marker-mended.", good, flags=re.M)
    )
    server.wait_for(url("autotask-crm"), lambda html: "Marker-mended" in html)
    wait_log(server, "Reloading browsers", count=server.log().count("Detected file changes"))
    assert "error(s)" not in server.log().rsplit("Detected file changes", 1)[1]
