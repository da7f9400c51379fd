"""The import graph of ``bench``: no cycles, no private names across packages, one-way layers.

Every ``import`` and ``from ... import`` statement counts, wherever it stands: at the top,
inside a function (lazy) or under ``if TYPE_CHECKING`` (type-only), because a cycle hidden
by either is still a cycle of meaning. Imports through ``importlib`` by name are not seen.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "bench"

#: Layers, lowest first: a module may import its own layer or a lower one, never a higher
#: one. At the ground the models, the generic workloads and what a measure returns; then
#: what a case is and the capacity probe; ``bench.results`` below everything that writes
#: or reads results, knowing nothing of either; the interpreters' facts; the report's
#: libraries; the family folders, and above them the catalogue that gathers them; the
#: run's machinery and the evidence pipeline; the history, the site, the CLI.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bench", "bench.exit_codes", "bench.untrusted", "bench.workloads", "bench.models",
     "bench.measurement"),
    ("bench.cases",),
    ("bench.capacity",),
    ("bench.results",),
    ("bench.environment", "bench.interpreters"),
    ("bench.report",),
    ("bench.families",),
    ("bench.families.catalogue",),
    (
        "bench.runner",
        "bench.case_script",
        "bench.definition",
        "bench.processes",
        "bench.progress",
        "bench.services",
        "bench.guardian",
        "bench.evidence",
    ),
    ("bench.history",),
    ("bench.site",),
    ("bench.__main__",),
)  # fmt: skip


@dataclass(frozen=True)
class Import:
    importer: str  # module name
    target: str  # module imported (a module, not a name inside it)
    names: tuple[str, ...]  # names taken from it by ``from target import ...``
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((ROOT / PACKAGE).rglob("*.py"))}


def absolute(importer: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute name of a (possibly relative) ``from`` import's module."""
    if level == 0:
        return module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    yield Import(name, alias.name, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            source = absolute(name, path.name == "__init__.py", node.level, node.module)
            if source.split(".")[0] != PACKAGE:
                continue
            taken = []
            for alias in node.names:
                # ``from bench.report import claims`` imports the module bench.report.claims
                submodule = f"{source}.{alias.name}"
                if submodule in known:
                    yield Import(name, submodule, (), node.lineno)
                else:
                    taken.append(alias.name)
            if taken or not node.names:
                yield Import(name, source, tuple(taken), node.lineno)


def private_attributes(name: str, path: Path, known: set[str]) -> Iterator[str]:
    """``module._name`` where ``module`` was imported from another package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    bound: dict[str, str] = {}  # local name -> module it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            bound |= {a.asname: a.name for a in node.names if a.asname and a.name in known}
        elif isinstance(node, ast.ImportFrom):
            source = absolute(name, path.name == "__init__.py", node.level, node.module)
            bound |= {a.asname or a.name: f"{source}.{a.name}" for a in node.names
                      if f"{source}.{a.name}" in known}  # fmt: skip
    for node in sorted(ast.walk(tree), key=lambda n: getattr(n, "lineno", 0)):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in bound
            and is_private(node.attr)
            and unit(bound[node.value.id]) != unit(name)
        ):
            yield f"{name}:{node.lineno} uses {bound[node.value.id]}.{node.attr}"


def all_imports() -> list[Import]:
    found = modules()
    return [i for name, path in found.items() for i in imports_of(name, path, set(found))]


def unit(module: str) -> str:
    """The package a module belongs to: ``bench.report.claims`` -> ``bench.report``; a
    top-level module (``bench.runner``) is a unit of its own."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else module


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one node (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def graph(imports: list[Import], key: str) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for i in imports:
        a, b = (i.importer, i.target) if key == "module" else (unit(i.importer), unit(i.target))
        if a != b:
            edges[a].add(b)
    return edges


def layer(module: str) -> int:
    """The layer of the most specific entry of LAYERS that contains ``module``."""
    best, best_len = -1, -1
    for rank, members in enumerate(LAYERS):
        for member in members:
            if (module == member or module.startswith(member + ".")) and len(member) > best_len:
                best, best_len = rank, len(member)
    return best


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


# --- the checker itself, on small made-up graphs (so that it can fail) ------------------------


def test_cycles_finds_a_loop_and_only_loops() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}}) == []


def test_imports_of_sees_lazy_and_type_only_imports(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from bench.cases import Case\n"
        "def f():\n    from bench.families import _hidden\n    import bench.runner\n",
        encoding="utf-8",
    )
    got = {(i.target, i.names) for i in imports_of("bench.x", source, set())}
    assert got == {("bench.cases", ("Case",)), ("bench.families", ("_hidden",)),
                   ("bench.runner", ())}  # fmt: skip


def test_relative_imports_resolve() -> None:
    assert absolute("bench.report.select", False, 1, "claims") == "bench.report.claims"
    assert absolute("bench.report", True, 1, "claims") == "bench.report.claims"
    assert absolute("bench.report.select", False, 2, "results") == "bench.results"


def test_every_module_has_a_layer() -> None:
    assert [m for m in modules() if layer(m) < 0] == []


# --- the package ------------------------------------------------------------------------------


def test_the_graph_is_not_empty() -> None:
    imports = all_imports()
    assert any(i.importer == "bench.runner" and i.target == "bench.cases" for i in imports)
    assert any(i.importer == "bench.case_script" for i in imports)  # lazy imports only


@pytest.mark.parametrize("key", ["module", "package"])
def test_no_import_cycle(key: str) -> None:
    found = cycles(graph(all_imports(), key))
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_no_private_name_from_another_package() -> None:
    bad = [
        f"{i.importer}:{i.line} imports {i.target}.{n}"
        for i in all_imports()
        if unit(i.importer) != unit(i.target)
        for n in (*i.names, *i.target.split("."))
        if is_private(n)
    ]
    assert not bad, "\n".join(bad)


def test_no_private_attribute_of_another_package() -> None:
    found = modules()
    bad = [b for name, path in found.items() for b in private_attributes(name, path, set(found))]
    assert not bad, "\n".join(bad)


def test_private_attributes_are_seen(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from bench.results import read\nimport bench.report.figures as fig\n"
        "read._rows(1)\nfig._axes\nread.public\n",
        encoding="utf-8",
    )
    known = {"bench.results.read", "bench.report.figures"}
    assert list(private_attributes("bench.history.x", source, known)) == [
        "bench.history.x:3 uses bench.results.read._rows",
        "bench.history.x:4 uses bench.report.figures._axes",
    ]


def test_layers_import_downwards_only() -> None:
    bad = [
        f"{i.importer}:{i.line} (layer {layer(i.importer)}) imports {i.target} "
        f"(layer {layer(i.target)})"
        for i in all_imports()
        if layer(i.target) > layer(i.importer)
    ]
    assert not bad, "\n".join(bad)
