"""``generator build`` and ``generator site``: output written all-or-nothing.

Output goes to a staging folder beside OUT (``.OUT.tmp-<pid>-<random>``) and replaces OUT
only when the whole run succeeded, so a failed or interrupted run leaves the previous output
whole. The replacement is one atomic exchange of the two folders where the system offers it
(Linux ``renameat2``), else two renames; a run killed between those two is repaired by the
next run. Staging folders of runs that were killed are removed by the next run.

``generator site`` runs ``mkdocs build`` (in a child process: MkDocs stays in plugin/)
into such a staging folder, with ``SOURCE_DATE_EPOCH`` pinned so that two builds of the
same input are byte-identical (see ``source_date_epoch``).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import yaml

from generator.cli.common import EXIT_ERRORS, EXIT_OK, load_project, show_report
from generator.emit.markdown_tree import write_markdown_tree
from generator.errors import ConfigError, Diagnostic
from generator.output import Staging
from generator.settings import Settings, load_settings, read_config_yaml


def build_markdown_tree(args: argparse.Namespace, out: TextIO) -> int:
    """``generator build --out DIR``: the Markdown tree, written only when the check passes."""
    project = load_project(args)
    target = _absolute(args.out)
    _refuse_dangerous_target(target, project.settings, "--out")
    _refuse_foreign_content(target)
    try:
        with Staging(target) as stage:
            report = write_markdown_tree(project, stage.path)
            show_report(report, project, "text", out)
            if report.errors:
                out.write(f"not written: {args.out} keeps its previous content\n")
                return EXIT_ERRORS
            stage.commit()
    except OSError as exc:  # a full disk, a read-only folder: said in one line
        sys.stderr.write(write_failure("build", exc, args.out) + "\n")
        out.write(f"not written: {args.out} keeps its previous content\n")
        return EXIT_ERRORS
    out.write(f"wrote {len(project.documents)} pages to {args.out}\n")
    return EXIT_OK


def write_failure(command: str, exc: OSError, shown: object) -> str:
    """One line for an output that could not be written (the disk is full, the folder
    read-only...), instead of a traceback."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    return (
        f"generator {command}: error: cannot write {shown}: {reason}; free some space "
        "or choose a writable folder, then run it again"
    )


def build_site(args: argparse.Namespace, out: TextIO) -> int:
    """``mkdocs build`` into a staging folder; the site folder is replaced only on success."""

    settings = load_settings(args.root, args.config)
    config_file = settings.root / args.config
    target = _site_dir(config_file)
    _refuse_dangerous_target(target, settings, "site_dir")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    env.setdefault("SOURCE_DATE_EPOCH", str(source_date_epoch(settings, config_file)))
    shown = settings.rel(target)
    try:
        with Staging(target) as stage:
            command = [
                sys.executable,
                "-m",
                "mkdocs",
                "build",
                "--config-file",
                str(config_file),
                "--site-dir",
                str(stage.path),
            ]
            if args.strict:
                command.append("--strict")
            if not args.clean and target.is_dir():
                # Incremental: start from the previous site (timestamps kept, so MkDocs sees
                # what is newer) and let the plugin's exact dirty build redo what changed.
                shutil.copytree(
                    target,
                    stage.path,
                    copy_function=shutil.copy2,
                    dirs_exist_ok=True,
                    symlinks=True,
                )
                command.append("--dirty")
            out.flush()
            returncode = _run_mkdocs(command, settings.root, env, shown)
            if returncode != 0:
                out.write(f"not written: {shown}/ keeps its previous content\n")
                return EXIT_ERRORS
            stage.commit()
    except OSError as exc:  # a full disk, a read-only folder: said in one line
        sys.stderr.write(write_failure("site", exc, f"{shown}/") + "\n")
        out.write(f"not written: {shown}/ keeps its previous content\n")
        return EXIT_ERRORS
    out.write(f"wrote the site to {shown}/\n")
    return EXIT_OK


def _run_mkdocs(command: list[str], cwd: Path, env: dict[str, str], shown: str) -> int:
    """Run MkDocs, passing its messages on as they come, but for a Python traceback (MkDocs
    lets an OSError such as a full disk escape as one): only its last line, the error
    itself, in one line of ours."""
    with subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        preexec_fn=_die_with(os.getpid()),
    ) as child:
        assert child.stderr is not None
        in_traceback, last = False, ""
        for line in child.stderr:
            if line.startswith("Traceback (most recent call last):"):
                in_traceback = True
            elif (
                in_traceback
                and line.strip()
                and not line.startswith((" ", "\t"))
                and not line.startswith(("During handling", "The above exception"))
            ):
                last = line.strip()
            if not in_traceback:
                sys.stderr.write(line)
                sys.stderr.flush()
        returncode = child.wait()
    if in_traceback:
        sys.stderr.write(
            f"generator site: error: mkdocs build stopped writing {shown}/: "
            f"{last or 'an unexpected error'}\n"
        )
        return returncode or 1
    return returncode


# --- choosing SOURCE_DATE_EPOCH -------------------------------------------------------------


def source_date_epoch(settings: Settings, config_file: Path) -> int:
    """The build date MkDocs writes into sitemap.xml (lastmod) and sitemap.xml.gz (mtime).

    Left to itself MkDocs uses today's date, so the same input built on two days differs.
    Pinned to the input instead: the time of the last commit that touched the project (the
    same in every clone of that commit), else the newest modification time of the input
    files (for a tree outside git). Either way it also means what sitemap lastmod should
    mean: when the content last changed. Only its date matters: MkDocs writes lastmod and
    the gzip header time of sitemap.xml.gz from the day, so copies of a tree made on the
    same day build the same site. An explicit SOURCE_DATE_EPOCH wins (the caller checks the
    environment first)."""
    try:
        result = subprocess.run(
            ["git", "-C", str(settings.root), "log", "-1", "--format=%ct", "--", "."],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode == 0 and result.stdout.strip().isdigit():
            return int(result.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    inputs: list[Path] = [config_file]
    for folder in (settings.docs_dir, settings.includes_dir, settings.schemas_dir):
        if folder is not None and folder.is_dir():
            inputs.extend(p for p in folder.rglob("*") if p.is_file())
    stamps = []
    for path in inputs:
        try:
            stamps.append(int(path.stat().st_mtime))
        except OSError:
            continue
    return max(stamps, default=0)


def _die_with(parent: int) -> Callable[[], None]:
    """For the mkdocs child, run before it starts (Linux): be killed when ``parent`` (this
    process) dies, so that a killed ``generator site`` does not leave MkDocs writing into
    its staging folder."""

    def arrange() -> None:
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            except (OSError, AttributeError):
                return
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)

    return arrange


_PR_SET_PDEATHSIG = 1


def _site_dir(config_file: Path) -> Path:
    try:
        config = read_config_yaml(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        config = None  # load_settings has already reported what is wrong with it
    site_dir = config.get("site_dir") if isinstance(config, dict) else None
    return _absolute(Path(str(site_dir or "site")), config_file.parent)


# --- guarding the output folder -------------------------------------------------------------


def _absolute(path: Path, base: Path | None = None) -> Path:
    path = path if path.is_absolute() else (base or Path.cwd()) / path
    return Path(os.path.normpath(path))


def _refuse_dangerous_target(target: Path, settings: Settings, option: str) -> None:
    """OUT is replaced wholesale: it must not hold the sources or sit among them."""
    real = target.resolve()
    sources = {
        "the project": settings.root,
        "the docs folder": settings.docs_dir,
        "the includes folder": settings.includes_dir,
    }
    for what, folder in sources.items():
        folder = folder.resolve()
        if real == folder or real in folder.parents:
            raise _usage(
                f"{option} {target} would replace {what} ({folder}); choose a folder of its own"
            )
        if what != "the project" and folder in real.parents:
            raise _usage(
                f"{option} {target} is inside {what}; its pages would be read "
                "back as sources: choose a folder outside it"
            )


def _refuse_foreign_content(target: Path) -> None:
    """``generator build`` writes only .md files: refuse to replace a folder holding other
    files (a mistyped --out such as the home folder would otherwise be deleted)."""
    if not target.is_dir():
        if target.exists() or target.is_symlink():
            raise _usage(f"--out {target} exists and is not a folder")
        return
    for path in target.rglob("*"):
        if not path.is_dir() and path.suffix != ".md":
            raise _usage(
                f"--out {target} holds files generator build does not write "
                f"(such as {path.relative_to(target)}); refusing to replace it. "
                "Delete the folder or choose another one"
            )


def _usage(message: str) -> ConfigError:
    return ConfigError(Diagnostic("ED401", message))
