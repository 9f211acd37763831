"""A full disk or a read-only folder under ``generator build`` and ``generator site``: one
clear line, a non-zero exit, the previous output kept whole, never a traceback.

Tests run as root, whom chmod does not stop: a full disk is a real one (a small tmpfs,
mounted by the test where the system allows it), else the write fails in-process with the
error a full disk gives."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MINIMAL_MKDOCS, run_cli

from generator.cli import main as cli


def _project(root: Path, site_dir: Path) -> Path:
    for name, text in {
        "mkdocs.yml": MINIMAL_MKDOCS + f"site_dir: {site_dir}\n",
        "content/index.md": "# Home\n\nHello.\n",
        "content/guide.md": "# Guide\n\nText.\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (root / "includes").mkdir()
    return root


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 12 MB file system of its own (tmpfs), unmounted afterwards."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here: {made.stderr.strip()} (the in-process "
            "tests below cover the same code)"
        )
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> None:
    try:
        with open(disk / "filler", "wb") as handle:
            while True:
                handle.write(b"\0" * (1 << 16))
                handle.flush()
    except OSError as exc:  # full (the file may not even be made when it already is)
        assert exc.errno == errno.ENOSPC


def _one_line_error(result: subprocess.CompletedProcess[str], command: str) -> str:
    shown = result.stdout + result.stderr
    assert result.returncode == 1, shown
    assert "Traceback" not in shown, shown
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith(f"generator {command}: error:"), shown
    assert "not written:" in result.stdout and "keeps its previous content" in result.stdout
    return errors[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_full_disk_keeps_the_previous_site_and_says_so_in_one_line(small_disk, tmp_path) -> None:
    root = _project(tmp_path / "project", small_disk / "site")
    first = run_cli("site", cwd=root, timeout=180)
    assert first.returncode == 0, first.stderr
    built = run_cli("build", "--out", str(small_disk / "out"), cwd=root, timeout=120)
    assert built.returncode == 0, built.stderr
    site, out = _snapshot(small_disk / "site"), _snapshot(small_disk / "out")
    (root / "content" / "guide.md").write_text("# Guide\n\nChanged.\n")
    _fill(small_disk)
    # incremental: the copy of the previous site fails; --clean: MkDocs' own writes fail
    for args in (("site",), ("site", "--clean")):
        line = _one_line_error(run_cli(*args, cwd=root, timeout=180), "site")
        assert "No space left on device" in line, line
    line = _one_line_error(
        run_cli("build", "--out", str(small_disk / "out"), cwd=root, timeout=120), "build"
    )
    assert "No space left on device" in line, line
    assert _snapshot(small_disk / "site") == site and _snapshot(small_disk / "out") == out
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "out", "site"]


def test_a_read_only_disk_keeps_the_previous_site_and_says_so_in_one_line(
    small_disk, tmp_path
) -> None:
    root = _project(tmp_path / "project", small_disk / "site")
    assert run_cli("site", cwd=root, timeout=180).returncode == 0
    site = _snapshot(small_disk / "site")
    remount = subprocess.run(
        ["mount", "-o", "remount,ro", str(small_disk)], capture_output=True, text=True, check=False
    )
    if remount.returncode != 0:
        pytest.skip(f"cannot make the tmpfs read-only: {remount.stderr.strip()}")
    line = _one_line_error(run_cli("site", cwd=root, timeout=180), "site")
    assert "Read-only file system" in line, line
    line = _one_line_error(run_cli("build", "--out", str(small_disk / "out"), cwd=root), "build")
    assert "Read-only file system" in line, line
    assert _snapshot(small_disk / "site") == site


def test_a_write_failing_in_process_is_one_line_and_keeps_the_output(
    tmp_path, monkeypatch, capsys
) -> None:
    """The same without a mount: every write of a page fails as on a full disk."""
    root = _project(tmp_path / "project", tmp_path / "site")
    assert cli.main(["build", "--root", str(root), "--out", str(tmp_path / "out")]) == 0
    before = _snapshot(tmp_path / "out")
    real_write_text = Path.write_text

    def full_disk(self: Path, *args: object, **kwargs: object) -> int:
        if ".out.tmp-" in str(self):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real_write_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", full_disk)
    capsys.readouterr()
    code = cli.main(["build", "--root", str(root), "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err.strip().splitlines() == [
        f"generator build: error: cannot write {tmp_path / 'out'}: No space left on device; "
        "free some space or choose a writable folder, then run it again"
    ]
    assert "keeps its previous content" in captured.out
    assert _snapshot(tmp_path / "out") == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
