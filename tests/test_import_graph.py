"""The import graph of the product, read with `ast` (lazy imports inside functions count too): no cycle between
files, and no module of bots/ imports gateway/ (bots know providers and nothing else)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("gateway", "bots", "flows", "workers")


def modules() -> dict[str, Path]:
    """Dotted name → file of every first-party module (a package is its __init__)."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported_names(path: Path, name: str) -> set[str]:
    """Every dotted name an `import` or `from … import` in the file may refer to (relative ones resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    """Module → the first-party modules it imports (the longest known prefix of each imported name)."""
    known = modules()
    graph = {}
    for name, path in known.items():
        targets = set()
        for imported in imported_names(path, name):
            while imported and imported not in known:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not _registration(name, imported):
                targets.add(imported)
        graph[name] = targets
    return graph


def _registration(importer: str, imported: str) -> bool:
    """A package's __init__ importing its own modules (a registration idiom) is not a cycle between files."""
    return imported.startswith(importer + ".")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
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


def test_the_graph_sees_lazy_imports_and_cycles():
    """The walker itself: a lazy import inside a function is an edge, and two modules importing each other a cycle."""
    assert "flows.router" in import_graph()["gateway.messaging.inbox"]  # imported inside `_handle_one`
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_between_files():
    assert cycles(import_graph()) == []


def test_bots_import_nothing_from_gateway():
    graph = import_graph()
    edges = sorted(
        f"{name} → {target}"
        for name, targets in graph.items()
        if name.split(".")[0] == "bots"
        for target in targets
        if target.split(".")[0] == "gateway"
    )
    assert edges == []
