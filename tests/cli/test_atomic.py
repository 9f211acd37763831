"""Nothing lost: builds killed at random points leave the previous output whole, and two
builds of the same input are byte-identical.

``generator build --out OUT`` and ``generator site`` write into a staging folder beside the
output and swap it in only when the whole run succeeded (generator/cli/build.py). Here the real
command is started, SIGKILLed after a random delay (seeded, so a failure can be replayed),
and the output folder is compared file by file with what it held before.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import copy_repo_project, run_cli

SEED = 20261124
TEMPLATE_PAGE = "content/elements/autotask-crm/authenticate.md"


def manifest(folder: Path) -> dict[str, str]:
    """relative path -> sha256 (folders as 'dir'), for everything under ``folder``."""
    found: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def stale(output: Path) -> list[str]:
    """Staging or old folders of ``output`` left beside it (``.out.tmp-<pid>-...``)."""
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith(f".{output.name}."))


def generated_project(root: Path, pages: int) -> Path:
    """The repository's project plus ``pages`` element pages made from one of its own."""
    root.mkdir(parents=True)
    copy_repo_project(root)
    template = (root / TEMPLATE_PAGE).read_text(encoding="utf-8")
    assert "heading: Autotask CRM\n" in template
    for number in range(pages):
        page = root / "content" / "elements" / f"generated-{number:03d}" / "authenticate.md"
        page.parent.mkdir(parents=True)
        page.write_text(
            template.replace("heading: Autotask CRM\n", f"heading: Autotask CRM {number}\n", 1),
            encoding="utf-8",
        )
    return root


def touch_every_page(root: Path, round_number: int) -> None:
    """Change every page slightly, so a build that completed would change every output."""
    for page in sorted((root / "content").rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        page.write_text(text.rstrip("\n") + f"\n\nRevision {round_number}.\n", encoding="utf-8")
        # MkDocs' dirty build compares modification times: make sure they move on
        later = time.time() + round_number
        os.utime(page, (later, later))


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return status.rsplit(")", 1)[1].split()[0] in ("Z", "X")  # a zombie writes nothing


def kill_at_random_points(
    root: Path,
    output: Path,
    command: list[str],
    kills: int,
    rng: random.Random,
    window: float = 1.5,
) -> dict[str, int]:
    """Start ``command`` ``kills`` times, each after changing every page, SIGKILL it after
    0.05 s to ``window`` s and check ``output`` after each kill. Returns how the kills
    landed."""
    before = manifest(output)
    outcomes = {"kept the previous output": 0, "after a complete swap": 0, "children": 0}
    for round_number in range(1, kills + 1):
        touch_every_page(root, round_number)
        delay = rng.uniform(0.05, window)
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", *command],
            cwd=root,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        helpers = children(process.pid)  # e.g. the mkdocs child of generator site
        running = process.poll() is None
        outcomes["children"] += len(helpers)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        deadline = time.monotonic() + 1  # die with the parent (MkDocs alone takes seconds)
        while not all(gone(pid) for pid in helpers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(gone(pid) for pid in helpers), (
            f"round {round_number}: child processes {helpers} outlived the killed build"
        )
        after = manifest(output)
        where = f"round {round_number}, killed after {delay:.2f} s"
        assert len(stale(output)) <= 1, (where, stale(output))
        if after != before:
            # Only acceptable if the killed run had already swapped in a complete output:
            # then a successful run of the same input writes exactly the same.
            result = run_cli(*command, cwd=root, timeout=300)
            assert result.returncode == 0, (where, result.stdout, result.stderr)
            assert manifest(output) == after, f"{where}: a partial output was swapped in"
            outcomes["after a complete swap"] += 1
            before = after
        else:
            assert running, f"{where}: the build had finished but the output did not change"
            outcomes["kept the previous output"] += 1
    return outcomes


def finish_and_check_clean(root: Path, output: Path, command: list[str]) -> None:
    result = run_cli(*command, cwd=root, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert stale(output) == [], "a successful run removes what killed runs left"
    mode = stat.S_IMODE(output.stat().st_mode)  # not mkdtemp's private 0700
    assert mode == 0o777 & ~_umask(), f"output folder mode {mode:o}"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_killed_markdown_builds_leave_the_previous_output_whole(tmp_path: Path) -> None:
    root = generated_project(tmp_path / "project", pages=300)
    output = root / "out"
    command = ["build", "--out", "out"]
    started = time.monotonic()
    first = run_cli(*command, cwd=root, timeout=300)
    took = time.monotonic() - started
    assert first.returncode == 0, first.stdout + first.stderr
    assert len([p for p in manifest(output) if p.endswith(".md")]) == 306
    # kills spread over what a whole run takes on this machine, most of them mid-run
    outcomes = kill_at_random_points(
        root, output, command, kills=5, rng=random.Random(SEED), window=max(0.3, took)
    )
    assert outcomes["kept the previous output"] >= 3, outcomes
    finish_and_check_clean(root, output, command)
    page = output / "elements" / "generated-007" / "authenticate.md"
    assert "Revision 5." in page.read_text(encoding="utf-8")


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_killed_site_builds_leave_the_previous_site_whole(tmp_path: Path) -> None:
    root = generated_project(tmp_path / "project", pages=60)
    output = root / "site"
    command = ["site"]
    started = time.monotonic()
    first = run_cli(*command, cwd=root, timeout=300)
    took = time.monotonic() - started
    assert first.returncode == 0, first.stdout + first.stderr
    assert (output / "index.html").is_file()
    # kills spread over the time a build takes on this machine now (a loaded machine takes
    # seconds before the mkdocs child even starts)
    outcomes = kill_at_random_points(
        root, output, command, kills=3, rng=random.Random(SEED + 1), window=max(1.5, took * 0.8)
    )
    assert outcomes["kept the previous output"] >= 2, outcomes
    assert outcomes["children"] >= 1, f"no kill landed while mkdocs ran: {outcomes}"
    finish_and_check_clean(root, output, command)
    page = output / "elements" / "generated-007" / "authenticate" / "index.html"
    assert "Revision 3." in page.read_text(encoding="utf-8")


def test_two_site_builds_of_the_same_input_are_byte_identical(tmp_path: Path) -> None:
    """Two copies of the repository's project, their files dated differently (as two
    checkouts made at different times of a day are), built by two processes in two
    folders: every file of the two sites is the same, byte for byte."""
    first = copy_repo_project(_mkdir(tmp_path / "one"))
    second = copy_repo_project(_mkdir(tmp_path / "two"))
    newest = max(p.stat().st_mtime for p in first.rglob("*") if p.is_file())
    day = int(newest) // 86400 * 86400
    rng = random.Random(SEED + 2)
    for path in second.rglob("*"):
        stamp = day + rng.randrange(0, 86400)
        os.utime(path, (stamp, stamp))
    env_had = os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        for root in (first, second):
            result = run_cli("site", cwd=root, timeout=300)
            assert result.returncode == 0, result.stdout + result.stderr
    finally:
        if env_had is not None:
            os.environ["SOURCE_DATE_EPOCH"] = env_had
    one, two = manifest(first / "site"), manifest(second / "site")
    assert sorted(one) == sorted(two)
    differing = sorted(path for path in one if one[path] != two[path])
    assert differing == [], differing
    assert len(one) > 20 and "sitemap.xml.gz" in one
    # what made them differ before it was pinned: the build date, which MkDocs takes from
    # SOURCE_DATE_EPOCH (else today) for the gzip header of sitemap.xml.gz (and lastmod)
    header_time = int.from_bytes((first / "site" / "sitemap.xml.gz").read_bytes()[4:8], "little")
    assert header_time == day, "the build date is the input's day, not the day of the build"


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True)
    return path
