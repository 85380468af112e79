"""The import graph of core/ and tui/, read from the source with `ast` (function-level imports included; imports under
`if TYPE_CHECKING:` are for type checkers only and never run): no cycles, and the library imports no front end
(neither the command line nor the TUI)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = {"core": "hptune.core", "tui": "hptune.tui"}
FRONT_ENDS = ("hptune.core.cli", "hptune.tui")


def module_files() -> dict[str, Path]:
    """Every module under core/ and tui/, by its import name (a package by its __init__.py)."""
    found = {}
    for folder, name in PACKAGES.items():
        for path in sorted((REPO / folder).rglob("*.py")):
            parts = path.relative_to(REPO / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((name, *parts))] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `name` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    type_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If) and _is_type_checking(node.test)
                 for inner in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:  # `import hptune.core.store.x` names a module's attribute
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    return {name: imports_of(name, path, set(files)) for name, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as [a, b, ..., a], or None (a depth-first search for an edge back to the path)."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text("def f():\n    from hptune.core import store\n    from . import sweeps\n")
    known = {"hptune.core.mod", "hptune.core.store", "hptune.core.sweeps", "hptune.core"}
    assert imports_of("hptune.core.mod", source, known) == {"hptune.core.store", "hptune.core.sweeps"}


def test_no_import_cycles_in_core_and_tui() -> None:
    graph = import_graph()
    assert "hptune.core.cli.main" in graph and "hptune.tui.app" in graph, "the walk found no modules"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_library_imports_no_front_end() -> None:
    graph = import_graph()
    library = [m for m in graph if m.startswith("hptune.core") and not m.startswith(FRONT_ENDS)]
    assert "hptune.core.sweeps" in library and "hptune.core.sweep_runner" in library
    wrong = {m: sorted(t for t in graph[m] if t.startswith(FRONT_ENDS)) for m in library}
    assert not {m: t for m, t in wrong.items() if t}, f"library modules importing a front end: {wrong}"
