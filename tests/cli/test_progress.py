"""Long runs show a counter on a terminal (a real pseudo-terminal here) and none in a pipe."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

PAGES = {f"content/guide/page{n:03}.md": f"# Page {n}\n\nText of page {n}.\n" for n in range(60)}


def run_on_terminal(command: list[str], cwd: Path) -> tuple[int, str]:
    """Run ``command`` with its stderr on a pseudo-terminal; return its exit and what the
    terminal received."""
    main, child = pty.openpty()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=child,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    os.close(child)
    received = bytearray()
    while True:
        ready, _, _ = select.select([main], [], [], 120)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        received += chunk
    os.close(main)
    return process.wait(timeout=120), received.decode("utf-8", "replace")


def test_mkdocs_build_counts_pages_on_a_terminal_only(make_project: Callable[..., Path]) -> None:
    root = make_project(PAGES)
    code, shown = run_on_terminal([sys.executable, "-m", "mkdocs", "build"], root)
    assert code == 0, shown
    # 60 pages and the generated codes page
    assert re.search(r"element-docs: converting pages \d+/61", shown), shown
    assert re.search(r"element-docs: writing pages \d+/61", shown), shown
    assert shown.rstrip().endswith("seconds")  # the counter was erased before MkDocs' last line
    piped = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert piped.returncode == 0
    assert "element-docs: converting" not in piped.stderr and "\r" not in piped.stderr


def test_check_counts_pages_on_a_terminal_only(make_project: Callable[..., Path]) -> None:
    root = make_project(PAGES)
    code, shown = run_on_terminal([sys.executable, "-m", "generator", "check", "--jobs", "1"], root)
    assert code == 0, shown
    assert re.search(r"checking pages: \d+/60", shown), shown
    piped = subprocess.run(
        [sys.executable, "-m", "generator", "check"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "checking pages" not in piped.stderr
