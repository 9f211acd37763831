#!/usr/bin/env python3
"""The schema check's validators compared: the check's way, jsonschema-rs alone, jsonschema.

Generates the 1,000-page project of ``run.py`` (under benchmarks/work/), checks it once with
``SchemaStore.errors`` recording every (schema, value) it is asked about (the examples' JSON
bodies and every element page's front matter: what ``generator check`` validates), then
validates all of them, several rounds, each round timing every way in turn:

- ``check``: ``SchemaStore.errors`` as the check runs it (jsonschema-rs's verdict, with
  patterns, formats and multipleOf read by jsonschema's own functions; jsonschema's errors
  for an invalid value);
- ``rs alone``: jsonschema-rs with its own keywords, then jsonschema's errors for an invalid
  value;
- ``jsonschema``: plain jsonschema, ``list(validator.iter_errors(value))``;
- ``before``: with ``--before REV``, ``SchemaStore.errors`` of generator/schemas.py as it was
  at that git revision (e.g. the hand-compiled test jsonschema-rs replaced).

It also checks that jsonschema-rs alone and the check's quick test give jsonschema's
verdict on every value, and on each value varied a few ways (a key dropped, a value of
another type, a key added) so that invalid values are compared too, and that the instance
paths of jsonschema-rs's errors are jsonschema's. Prints the figures and writes them to
``--out`` (default benchmarks/VALIDATORS.md); ``--runs`` rounds (default 9), medians, ratios
to the check's way from the same rounds.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import importlib.util
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import run  # noqa: E402  (the project generator of the benchmarks)

from generator import Project, load_settings  # noqa: E402
from generator.validate.schemas import SchemaStore, load_schemas, rs_validity  # noqa: E402


def collect(root: Path) -> list[tuple[str, Any]]:
    """Every (schema name, value) a check of the project validates."""
    seen: list[tuple[str, Any]] = []
    original = SchemaStore.errors

    def recording(self: SchemaStore, name: str, instance: Any) -> Any:
        seen.append((name, copy.deepcopy(instance)))
        return original(self, name, instance)

    SchemaStore.errors = recording  # type: ignore[method-assign]
    try:
        project = Project(load_settings(root), use_cache=False)
        project.load_all()
        project.check()
    finally:
        SchemaStore.errors = original  # type: ignore[method-assign]
    return seen


def schemas_at(revision: str) -> Any:
    """The schemas module as it was at ``revision``, imported beside today's package. Its
    imports must resolve in today's package: a revision before the package took its
    subpackage layout (where the module was ``generator/schemas.py``) needs that revision's
    whole package, so measure it from a checkout of that revision instead."""
    text = subprocess.run(
        ["git", "show", f"{revision}:generator/validate/schemas.py"],
        cwd=HERE.parent,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    folder = Path(tempfile.mkdtemp(prefix="schemas-before-"))
    (folder / "schemas_before.py").write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(
        "generator.validate._schemas_before", folder / "schemas_before.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def variants(value: Any, rng: random.Random) -> list[Any]:
    """The value changed in small ways that may make it invalid."""
    out = []
    if isinstance(value, dict) and value:
        keys = list(value)
        dropped = dict(value)
        dropped.pop(rng.choice(keys))
        out.append(dropped)
        for other in (1, "x", None, [], {}, 1.5, True, "0" * 300):
            changed = dict(value)
            changed[rng.choice(keys)] = other
            out.append(changed)
        out.append({**value, "unknownKey": 1})
        for key in keys:
            if isinstance(value[key], dict | list):
                out.extend({**value, key: inner} for inner in variants(value[key], rng))
                break
    elif isinstance(value, list) and value:
        out.append(value[1:])
        out.append([*value, 1])
    return out


def paths(errors: Any) -> list[tuple[Any, ...]]:
    """The instance path of each error (jsonschema's ``path``, jsonschema-rs's
    ``instance_path``), sorted."""
    return sorted(
        (tuple(e.instance_path if hasattr(e, "instance_path") else e.path) for e in errors),
        key=repr,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--work", type=Path, default=run.DEFAULT_WORK)
    parser.add_argument("--out", type=Path, default=HERE / "VALIDATORS.md")
    parser.add_argument(
        "--before",
        metavar="REV",
        help="also time SchemaStore.errors of generator/schemas.py at REV",
    )
    args = parser.parse_args()
    import jsonschema_rs

    root = args.work / f"n{args.pages}" / "ours"
    if not (root / "mkdocs.yml").exists():
        run.generate(args.pages, args.work, floor=False, macros=False)
    instances = collect(root)
    store = load_schemas(None)  # the 1k project has no schemas of its own
    plain = store.validators
    alone = {name: jsonschema_rs.Draft202012Validator(v.schema) for name, v in plain.items()}
    quick = {name: rs_validity(v, store.resources[name]) for name, v in plain.items()}
    kinds: dict[str, int] = {}
    for name, _ in instances:
        kinds[name] = kinds.get(name, 0) + 1
    print(f"{len(instances)} values validated by a check of {args.pages} pages: {kinds}")

    rng = random.Random(16)
    compared = invalid = alone_differ = quick_differ = paths_differ = 0
    for name, value in instances:
        for candidate in [value, *variants(value, rng)]:
            expected = list(plain[name].iter_errors(candidate))
            compared += 1
            invalid += bool(expected)
            quick_differ += quick[name](candidate) != (not expected)  # type: ignore[misc]
            if alone[name].is_valid(candidate) != (not expected):
                alone_differ += 1
            elif expected and paths(alone[name].iter_errors(candidate)) != paths(expected):
                paths_differ += 1
    verdicts = (
        f"Verdicts compared with jsonschema's: {compared:,} values ({invalid:,} "
        f"invalid: each value also varied a few ways); the check's quick test "
        f"differs on {quick_differ}, jsonschema-rs alone on {alone_differ}; the "
        f"instance paths of jsonschema-rs's errors differ on {paths_differ}."
    )
    print(verdicts)

    def check() -> None:
        for name, value in instances:
            store.errors(name, value)

    def rs_alone() -> None:
        for name, value in instances:
            if not alone[name].is_valid(value):
                list(plain[name].iter_errors(value))

    def jsonschema_only() -> None:
        for name, value in instances:
            list(plain[name].iter_errors(value))

    ways = {"check": check, "rs alone": rs_alone, "jsonschema": jsonschema_only}
    if args.before:
        before_store = schemas_at(args.before).load_schemas(None)

        def before() -> None:
            for name, value in instances:
                before_store.errors(name, value)

        ways[f"before ({args.before})"] = before
    for way in ways.values():
        way()  # warm: quick tests built, caches filled
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(args.runs):
        for name, way in ways.items():
            start = time.perf_counter()
            way()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["check"])
    rows = [
        "| way | median | min | max | to the check's way | a value |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"{name:>16}: median {median * 1000:8.1f} ms  (min {min(values) * 1000:.1f}, "
            f"max {max(values) * 1000:.1f})  {median / base:5.2f}x the check's way  "
            f"{median / len(instances) * 1e6:6.1f} us a value"
        )
        rows.append(
            f"| {name} | {median * 1000:.1f} ms | {min(values) * 1000:.1f} ms | "
            f"{max(values) * 1000:.1f} ms | {median / base:.2f}x | "
            f"{median / len(instances) * 1e6:.1f} us |"
        )
    shown = [
        arg
        for arg, before in zip(sys.argv[1:], ["", *sys.argv[1:]], strict=False)
        if arg != "--work" and before != "--work"
    ]  # no machine's folders in the report
    command = " ".join(["benchmarks/validators.py", *shown])
    args.out.write_text(
        "\n".join(
            [
                "# Schema validators",
                "",
                f"Written by `{command}` on {datetime.date.today()} (Python "
                f"{platform.python_version()}, jsonschema-rs {version('jsonschema-rs')}, "
                f"{platform.machine()}). The {len(instances):,} values a `generator check` of the "
                f"benchmarks' {args.pages:,}-page project validates ({kinds}), each way timed in "
                f"turn in one process, {args.runs} rounds, medians. Method: see the script's "
                "docstring.",
                "",
                *rows,
                "",
                verdicts,
                "",
            ]
        ),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
