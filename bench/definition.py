"""What defines a case: its parameters and the code it runs, as one short hash.

The code is what the case reaches: from its entry points (the task function a batch runs,
with its coroutine and operands where it has them; the ``measure``, ``open_timer`` or
``run`` of its measure) every function, class and constant of the ``bench`` package they
name, followed through imports, lazy ones included, and into the programs they start by
module name (a ``-m bench...`` child runs its module's ``__main__`` block). Each
definition counts by its name and what it does: its syntax tree without docstrings,
comments, layout or type annotations, the package's module names blanked out. So moving a
function to another module, splitting a module or renaming one changes no hash; changing
what a reached function does, or a constant it reads, does.

A model's own code is not followed (``bench.models``): the case names its model, and a
model's module is the model, not the workload or the measure. History series key on the
hash (``bench.results.schema.definition_hash``), so a trend breaks where the code a case
runs changed, and nowhere else.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.case_script import case_metadata
from bench.cases import Case
from bench.families import catalogue
from bench.measurement import ENTRY_POINTS
from bench.models import MODELS
from bench.results import schema

PACKAGE = "bench"
ROOT = Path(__file__).resolve().parent.parent
#: Packages whose code is not followed: a model's module is the model the case names.
NOT_FOLLOWED = ("bench.models",)
#: What stands for a module of the package wherever the code names one.
MODULE = "<module>"


def definition_of(case: Case) -> str:
    """The case's definition hash: its parameters and the code it reaches."""
    return _definition_of(case)


@functools.cache
def _definition_of(case: Case) -> str:
    workload = catalogue.WORKLOADS[case.workload]
    params = case_metadata(case, workload.size_unit)
    return schema.definition_hash(params, fingerprint(entry_points(case)))


def entry_points(case: Case) -> list[str]:
    """``module:name`` of what the case runs first: its workload's task function (the
    coroutine version under an event loop) and operands, else its measure's entry points."""
    workload = catalogue.WORKLOADS[case.workload]
    if workload.func is None:
        module = catalogue.MEASURES[workload.measure]
        names = Package(PACKAGE, ROOT).module(module).definitions
        return [f"{module}:{name}" for name in ENTRY_POINTS if name in names]
    spec = MODELS.get(case.model)
    asynchronous = spec is not None and spec.is_async and workload.async_func
    runs = workload.async_func if asynchronous else workload.func
    return [e for e in (runs, workload.operands) if e]


def fingerprint(entries: Iterable[str], package: str = PACKAGE, root: Path = ROOT) -> str:
    """What the code reached from ``entries`` (``module:name``) does, as text: one line per
    definition, its name and its normalised syntax tree, in name order."""
    return _fingerprint(tuple(entries), Package(package, root))


@functools.lru_cache(maxsize=256)
def _fingerprint(entries: tuple[str, ...], package: Package) -> str:
    walk = Walk(package)
    for entry in entries:
        module, _, name = entry.partition(":")
        walk.reach(module, name)
    return "\n".join(f"{name} {what}" for name, what in sorted(walk.reached))


# --- reading the package ---------------------------------------------------------------------


@dataclass
class Module:
    """One module's top-level definitions and the names its imports bind."""

    name: str
    definitions: dict[str, ast.stmt] = field(default_factory=dict)
    bindings: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    main: list[ast.stmt] = field(default_factory=list)  # its ``if __name__ == "__main__"``


@dataclass(frozen=True)
class Package:
    """The modules of one package, read from its files (nothing is imported)."""

    name: str
    root: Path

    def ours(self, module: str) -> bool:
        inside = module == self.name or module.startswith(f"{self.name}.")
        return inside and not any(module.startswith(p) for p in NOT_FOLLOWED)

    def path(self, module: str) -> Path | None:
        base = self.root.joinpath(*module.split("."))
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.is_file():
                return candidate
        return None

    def is_module(self, name: str) -> bool:
        return self.path(name) is not None

    def module(self, name: str) -> Module:
        return _read(self, name, self.path(name))


@functools.lru_cache(maxsize=512)
def _read(package: Package, name: str, path: Path | None) -> Module:
    return Module(name) if path is None else read_module(name, path, package)


class Walk:
    """One walk through a package: what it reached, each definition once."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.seen: set[tuple[str, str]] = set()
        self.reached: set[tuple[str, str]] = set()

    def reach(self, module: str, name: str) -> None:
        """Reach ``module``'s ``name`` and all it names, once each; ``name`` "": the
        module's main block (a program started by module name)."""
        pending = [(module, name)]
        while pending:
            module, name = pending.pop()
            if (module, name) in self.seen or not self.package.ours(module):
                continue
            self.seen.add((module, name))
            for label, what, names in _definition(self.package, module, name):
                if label:  # "" stands for an import, followed to where it is defined
                    self.reached.add((label, what))
                pending.extend(names)


@functools.lru_cache(maxsize=4096)
def _definition(
    package: Package, module_name: str, name: str
) -> tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]:
    """What ``name`` of ``module_name`` is: ``(label, dump, what it names)`` for each
    statement that defines it (none for a builtin or a local; the definition it imports,
    as a name it names)."""
    module = package.module(module_name)
    if name == "":
        return tuple(
            ("__main__", dump(stmt, package, module), tuple(references(package, module, stmt)))
            for stmt in module.main
        )
    if name in module.bindings:  # imported there: it is defined where it comes from
        source, attr = module.bindings[name]
        return () if attr is None else (("", "", ((source, attr),)),)
    node = module.definitions.get(name)
    if node is None:
        return ()
    return ((name, dump(node, package, module), tuple(references(package, module, node))),)


def references(package: Package, module: Module, node: ast.AST) -> Iterator[tuple[str, str]]:
    """What ``node`` names: the module's names, attributes of modules it imported, names
    its own (lazy) imports bind, and modules or ``module:function`` of the package named
    in its strings."""
    local = dict(module.bindings)
    for inner in ast.walk(node):
        if isinstance(inner, ast.Import | ast.ImportFrom):
            local |= import_bindings(inner, module.name, package)
    for inner in ast.walk(strip_annotations(node)):
        if isinstance(inner, ast.Name):
            if inner.id in local:
                source, attr = local[inner.id]
                if attr is not None:
                    yield source, attr
            elif inner.id in module.definitions:
                yield module.name, inner.id
        elif isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name):
            source, attr = local.get(inner.value.id, ("", ""))
            if attr is None:  # an attribute of a module of the package
                yield source, inner.attr
        elif isinstance(inner, ast.Constant) and isinstance(inner.value, str):
            named = named_code(inner.value, package)
            if named is not None:
                yield named


def read_module(name: str, path: Path, package: Package) -> Module:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = Module(name)
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.definitions[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                for each in ast.walk(target):
                    if isinstance(each, ast.Name):
                        found.definitions[each.id] = stmt
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            found.bindings |= import_bindings(stmt, name, package)
        elif isinstance(stmt, ast.If) and is_main_guard(stmt.test):
            found.main = list(stmt.body)
    return found


def import_bindings(
    stmt: ast.Import | ast.ImportFrom, importer: str, package: Package
) -> dict[str, tuple[str, str | None]]:
    """Name -> (module, attribute): attribute None when the name is a module itself."""
    bound: dict[str, tuple[str, str | None]] = {}
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                bound[alias.asname] = (alias.name, None)
        return bound
    source = stmt.module or ""
    if stmt.level:
        base = importer.split(".")[: -stmt.level]
        source = ".".join([*base, *([source] if source else [])])
    for alias in stmt.names:
        local = alias.asname or alias.name
        submodule = f"{source}.{alias.name}"
        bound[local] = (submodule, None) if package.is_module(submodule) else (source, alias.name)
    return bound


def is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and any(isinstance(c, ast.Constant) and c.value == "__main__" for c in test.comparators)
    )


_DOTTED = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_]\w*)+(:[A-Za-z_]\w*)?")


def named_code(text: str, package: Package) -> tuple[str, str] | None:
    """``(module, name)`` for a string naming code of the package: ``"bench.x:f"``, or
    ``"bench.x"`` (a program started with ``-m``: its main block, name "")."""
    if not _DOTTED.fullmatch(text) or not text.startswith(f"{package.name}."):
        return None
    module, _, name = text.partition(":")
    return (module, name) if package.is_module(module) else None


# --- what a definition does ------------------------------------------------------------------


def strip_annotations(node: ast.AST) -> ast.AST:
    """``node`` without type annotations: they say what a name is, not what runs."""

    class Strip(ast.NodeTransformer):
        def visit_arg(self, arg: ast.arg) -> ast.arg:
            arg.annotation = None
            return arg

        def visit_FunctionDef(self, fn: ast.FunctionDef) -> ast.FunctionDef:
            fn.returns = None
            self.generic_visit(fn)
            return fn

        def visit_AsyncFunctionDef(self, fn: ast.AsyncFunctionDef) -> ast.AsyncFunctionDef:
            fn.returns = None
            self.generic_visit(fn)
            return fn

        def visit_AnnAssign(self, stmt: ast.AnnAssign) -> ast.AST:
            if stmt.value is None:
                return ast.Pass()
            return ast.Assign(targets=[stmt.target], value=stmt.value, lineno=stmt.lineno)

    return Strip().visit(_copy(node))


def dump(node: ast.AST, package: Package, module: Module) -> str:
    """What ``node`` does: its tree without docstrings and annotations, the package's
    module names (in imports, in strings, and the names they are imported under) blanked
    out, so that where code lives and what a module is called change nothing."""
    tree = strip_annotations(node)
    _drop_docstrings(tree)
    _blank_modules(tree, _module_aliases(tree, module, package), package)
    return ast.dump(tree)


def _drop_docstrings(tree: ast.AST) -> None:
    for inner in ast.walk(tree):
        body = getattr(inner, "body", None)
        if (
            isinstance(body, list) and body and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)
        ):  # fmt: skip
            inner.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]


def _module_aliases(tree: ast.AST, module: Module, package: Package) -> set[str]:
    """The names that stand for modules of the package: the module's and ``tree``'s own."""
    bound = dict(module.bindings)
    for inner in ast.walk(tree):
        if isinstance(inner, ast.Import | ast.ImportFrom):
            bound |= import_bindings(inner, module.name, package)
    return {
        name for name, (source, attr) in bound.items() if attr is None and _ours(source, package)
    }


def _blank_modules(tree: ast.AST, aliases: set[str], package: Package) -> None:
    for inner in ast.walk(tree):
        if isinstance(inner, ast.Name) and inner.id in aliases:
            inner.id = MODULE
        elif isinstance(inner, ast.ImportFrom) and (inner.level or _ours(inner.module, package)):
            inner.module, inner.level = MODULE, 0
            for alias in inner.names:  # ``from bench import capacity as probe``: a module
                if (alias.asname or alias.name) in aliases:
                    alias.name, alias.asname = MODULE, None
        elif isinstance(inner, ast.Import):
            for alias in inner.names:
                if _ours(alias.name, package):
                    alias.name, alias.asname = MODULE, None
        elif isinstance(inner, ast.Constant) and named_code(str(inner.value), package):
            inner.value = MODULE


def _ours(module: str | None, package: Package) -> bool:
    return module is not None and (module == package.name or module.startswith(f"{package.name}."))


def _copy(node: ast.AST) -> ast.AST:
    return ast.parse(ast.unparse(node)).body[0] if isinstance(node, ast.stmt) else node
