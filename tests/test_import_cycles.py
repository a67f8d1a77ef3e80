"""No import cycles among fpgasnn's modules, counting imports inside functions too (a function-level
import only hides a cycle; it does not remove the tangle)."""

from __future__ import annotations

import ast
from pathlib import Path

import fpgasnn

ROOT = Path(fpgasnn.__file__).parent


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _edges(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names
            ]
        else:
            continue
        out |= {t for t in targets if t in mods and t != name}
    return out


def import_cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    mods = _modules()
    graph = {m: _edges(m, p, mods) for m, p in mods.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    sccs: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return sccs


def test_import_cycle_finder_sees_function_level_imports(tmp_path, monkeypatch):
    pkg = tmp_path / "fpgasnn"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from fpgasnn import b\n")
    (pkg / "b.py").write_text("def f():\n    from fpgasnn.a import x\n")
    monkeypatch.setattr(__import__(__name__), "ROOT", pkg)
    assert import_cycles() == [["fpgasnn.a", "fpgasnn.b"]]


def test_no_import_cycles():
    assert import_cycles() == []
