"""The import graph of the package: no cycles, and providers free of the installer layer.

Read statically (``ast``) from every module under ``core/`` and
``providers/``: the imports a module runs when it is imported — module
level, inside module-level ``if``/``try`` blocks and class bodies, but not
in functions (those run later) nor under ``if TYPE_CHECKING:`` (never at
run time).  ``from . import x`` is an edge to the submodule ``x`` when there
is one, otherwise to the package.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Set, Union

import pytest

from variant_providers.providers import BUILTIN_PROVIDERS

ROOT = Path(__file__).resolve().parents[1]
#: Source directory -> the package it is installed as (pyproject.toml's package-dir).
TREES = {"core": "variant_providers", "providers": "variant_providers.providers"}
#: Modules a provider package must not load when it is imported: the installer layer.
INSTALLER_LAYER = (
    "pluggy",
    "variant_providers.host",
    "variant_providers.registry",
    "variant_providers.runner",
    "variant_providers.gather",
    "variant_providers.cli",
)

Graph = Dict[str, Set[str]]


def module_names(root: Path, trees: Dict[str, str]) -> Dict[str, Path]:
    """Every module of the source trees under *root*, by its import name."""
    found: Dict[str, Path] = {}
    for directory, package in trees.items():
        base = root / directory
        for path in sorted(base.rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            if any(p.startswith(".") or p == "__pycache__" for p in parts):
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_nodes(body: Iterable[ast.stmt]) -> Iterable[Union[ast.Import, ast.ImportFrom]]:
    """The statements of *body* that run on import (recursing into blocks, not functions)."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_time_nodes(node.body)
            yield from _import_time_nodes(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _import_time_nodes(block)
            for handler in node.handlers:
                yield from _import_time_nodes(handler.body)
        elif isinstance(node, (ast.With, ast.ClassDef)):
            yield from _import_time_nodes(node.body)


def _resolve(name: str, path: Path, node: ast.ImportFrom) -> str:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    if node.level == 0:
        return node.module or ""
    return f"{package}.{node.module}" if node.module else package


def import_graph(modules: Dict[str, Path]) -> Graph:
    """Module -> the modules of *modules* it imports at import time."""
    graph: Graph = {}
    for name, path in modules.items():
        edges: Set[str] = set()
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _import_time_nodes(tree.body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(name, path, node)
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                # ``from pkg import name`` names a submodule or an attribute of pkg.
                while target and target not in modules and "." in target:
                    target = target.rpartition(".")[0]
                if target in modules and target != name:
                    edges.add(target)
        graph[name] = edges
    return graph


def find_cycle(graph: Graph) -> Optional[List[str]]:
    """One import cycle of *graph* as ``[a, b, ..., a]``, or ``None``."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node: str) -> Optional[List[str]]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def reachable(graph: Graph, start: str) -> Set[str]:
    seen: Set[str] = set()
    todo = [start]
    while todo:
        node = todo.pop()
        for target in graph.get(node, ()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(module_names(ROOT, TREES))


def test_the_package_has_no_import_cycle(graph: Graph) -> None:
    assert "variant_providers.host" in graph and "variant_providers.providers.nvidia" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_a_cycle_is_found_and_named(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "a.py").write_text("from . import b\n")
    (tmp_path / "pkg" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n"
        "def later():\n    from . import a\n"
        "try:\n    from .c import thing\nexcept ImportError:\n    pass\n"
    )
    (tmp_path / "pkg" / "c.py").write_text("import pkg.a\n")
    graph = import_graph(module_names(tmp_path, {"pkg": "pkg"}))
    assert graph["pkg.b"] == {"pkg.c"}, "TYPE_CHECKING and function imports are not edges"
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]
    (tmp_path / "pkg" / "c.py").write_text("from pkg import a as _unused\n")
    assert find_cycle(import_graph(module_names(tmp_path, {"pkg": "pkg"}))) is not None


@pytest.mark.parametrize("vendor", [*BUILTIN_PROVIDERS, "template"])
def test_a_provider_package_needs_none_of_the_installer_layer(graph: Graph, vendor: str) -> None:
    package = f"variant_providers.providers.{vendor}"
    static = reachable(graph, package) & set(INSTALLER_LAYER)
    assert not static, f"{package} imports {sorted(static)} when imported"
    code = f"import json, sys, {package}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    loaded = set(json.loads(out)) & set(INSTALLER_LAYER)
    assert not loaded, f"importing {package} loads {sorted(loaded)}"
