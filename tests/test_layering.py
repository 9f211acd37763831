"""The package's layout is its data flow, and these tests keep it so.

Every import in ``generator/`` (those inside functions too) is read from the source:
- no module imports, directly or through others, a module that imports it back;
- a module imports only from its own layer or the layers below it, so that the stages run one
  way: load, render, extract, validate, then the pipeline that composes them, then the
  commands and the MkDocs plugin on top;
- MkDocs is imported by ``generator/plugin/`` only, and MkDocs' private parts by one module
  of it, so that a MkDocs release (or a port to another MkDocs-like tool) touches one place.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"

#: Lowest first. A module belongs to the first layer with a prefix of its name.
LAYERS: list[tuple[str, ...]] = [
    (
        "generator.errors",
        "generator.progress",
        "generator.version",
        "generator.output",
        "generator.parallel",
    ),
    ("generator.settings", "generator.report"),
    # what a tree holds: files, front matter, data, page lists, and for a Jekyll tree its
    # rules and its site model (site.pages, posts), which rendering reads; the catalog
    ("generator.load", "generator.model"),
    ("generator.render",),
    ("generator.extract",),
    ("generator.validate",),
    ("generator.pipeline", "generator.emit"),
    ("generator.cli", "generator.plugin"),
]
TOP = len(LAYERS)  # the package itself (its __init__ re-exports the public API)


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported name, line) for every import of ``path``, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _graph() -> dict[str, dict[str, int]]:
    """module -> {package module it imports: line}."""
    return {
        name: {
            target: line
            for target, line in _imports(name, path)
            if target in MODULES and target != name
        }
        for name, path in MODULES.items()
    }


def _layer(name: str) -> int:
    for index, prefixes in enumerate(LAYERS):
        if any(name == p or name.startswith(p + ".") for p in prefixes):
            return index
    if name == "generator" or name == "generator.__main__":
        return TOP
    raise AssertionError(f"{name} is in no layer: add it to LAYERS in {__file__}")


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_graph_is_read_from_the_source() -> None:
    # a guard for the tests below: a reader that found no imports would pass them all
    graph = _graph()
    assert len(MODULES) > 30
    assert "generator.load.documents" in graph["generator.pipeline.project"]
    assert "generator.plugin.quick" in graph["generator.plugin.events"]


def test_no_import_cycle() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _unit(name: str) -> str:
    """The subpackage (or top-level module) a module belongs to."""
    return ".".join(name.split(".")[:2])


def test_no_cycle_between_subpackages() -> None:
    units: dict[str, dict[str, int]] = {}
    for name, targets in _graph().items():
        if name in ("generator", "generator.__main__"):
            continue  # the package's own face: it re-exports the public API
        found = units.setdefault(_unit(name), {})
        for target, line in targets.items():
            if _unit(target) != _unit(name):
                found[_unit(target)] = line
    for found in units.values():
        for target in list(found):
            units.setdefault(target, {})
    cycles = _cycles(units)
    assert not cycles, "subpackages in a cycle: " + "; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_stages_import_downward_only() -> None:
    wrong = [
        f"{MODULES[name].relative_to(PACKAGE.parent)}:{line}: {name} (layer "
        f"{_layer(name)}) imports {target} (layer {_layer(target)})"
        for name, targets in sorted(_graph().items())
        for target, line in targets.items()
        if _layer(target) > _layer(name)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_mkdocs_is_imported_by_the_plugin_only(name: str) -> None:
    imported = [
        (target, line)
        for target, line in _imports(name, MODULES[name])
        if target == "mkdocs" or target.startswith("mkdocs.")
    ]
    if name.startswith("generator.plugin"):
        private = [
            (t, line)
            for t, line in imported
            if any(part.startswith("_") and not part.endswith("__") for part in t.split("."))
        ]
        if name != "generator.plugin.mkdocs_private":
            assert not private, f"{name} reaches MkDocs' private parts: {private}"
        return
    assert not imported, f"{name} imports MkDocs: {imported}"


def _private_reaches(path: Path) -> list[str]:
    """``x._name``, ``x.__dict__`` and ``getattr(x, "_name")`` on anything but ``self``
    (``os._exit``, the way out of a forked child, is Python's own and public in all but name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            name = node.attr
            receiver = node.value.id if isinstance(node.value, ast.Name) else ""
            dunder = name.startswith("__") and name.endswith("__")
            if (
                receiver not in ("self", "cls")
                and (receiver, name) != ("os", "_exit")
                and ((name.startswith("_") and not dunder) or name in ("__dict__", "__wrapped__"))
            ):
                found.append(f"{path.name}:{node.lineno}: .{name}")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr", "setattr")
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_")
        ):
            found.append(f"{path.name}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
    return found


def test_mkdocs_private_parts_are_reached_from_one_module() -> None:
    plugin = PACKAGE / "plugin"
    reaches = [
        r
        for path in sorted(plugin.glob("*.py"))
        if path.name != "mkdocs_private.py"
        for r in _private_reaches(path)
    ]
    assert not reaches, "private parts reached outside mkdocs_private.py:\n" + "\n".join(reaches)
    assert _private_reaches(plugin / "mkdocs_private.py"), "the finder finds nothing"
