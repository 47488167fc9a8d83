"""A project-wide index of Python modules so that a name used in one file can be followed
to where it is defined in another (routers, dependencies, views)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

from bdev.backend.pyast import (
    assigned_names,
    class_bases,
    dotted,
    import_map,
    import_root,
    imported_modules,
    module_name,
)
from bdev.backend.tree import SourceTree, is_test_file

Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.expr


@dataclass
class PyModule:
    rel: str
    root: str  # the folder it is imported from, "" for the top
    name: str
    tree: ast.Module
    imports: dict[str, str]
    # Top-level functions, classes and assigned values by name.
    defs: dict[str, Definition] = field(default_factory=dict)
    # Every node, walked once: the analyzers filter this list instead of re-walking.
    nodes: list[ast.AST] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)  # absolute module names imported
    # Imports inside functions (`from app.auth import bp` in `create_app`): a name that is
    # not module-level is looked up here.
    nested_imports: dict[str, str] = field(default_factory=dict)

    def qualified(self, node: ast.AST) -> str:
        """The full dotted name an expression spells through imports: with
        `from django.db import models`, `models.Model` is "django.db.models.Model"."""
        name = dotted(node)
        head, _, rest = name.partition(".")
        if head in self.imports:
            return self.imports[head] + ("." + rest if rest else "")
        return name


@dataclass(frozen=True)
class Symbol:
    module: PyModule
    name: str | None  # None: the module itself
    node: Definition | None = None


class PyIndex:
    def __init__(self, tree: SourceTree) -> None:
        self.modules: dict[str, PyModule] = {}
        # Every module by file; `modules` keeps the first file claiming a dotted name.
        self.by_file: dict[str, PyModule] = {}
        parsed_files = [
            (rel, parsed)
            for rel in tree.python_files
            if not is_test_file(rel) and (parsed := tree.module(rel)) is not None
        ]
        nodes = {rel: list(ast.walk(parsed)) for rel, parsed in parsed_files}
        imported = {rel: list(imported_modules(nodes[rel])) for rel, _ in parsed_files}
        tops = {m.split(".")[0] for names in imported.values() for m in names}
        files = set(tree.files)
        for rel, parsed in parsed_files:
            root = import_root(rel, files, tops)
            name = module_name(rel, root)
            is_package = PurePosixPath(rel).name == "__init__.py"
            mod = PyModule(rel, root, name, parsed, import_map(parsed, name, is_package))
            mod.nodes, mod.imported = nodes[rel], imported[rel]
            top = {id(n) for n in parsed.body}
            inner = [
                n
                for n in mod.nodes
                if isinstance(n, ast.Import | ast.ImportFrom) and id(n) not in top
            ]
            mod.nested_imports = import_map(parsed, name, is_package, inner)
            self.by_file[rel] = mod
            for node in parsed.body:
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    mod.defs[node.name] = node
                if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                    for target in assigned_names(node):
                        mod.defs[target] = node.value
            self.modules.setdefault(name, mod)

    @property
    def all(self) -> list[PyModule]:
        return list(self.by_file.values())

    def lookup(self, dotted_name: str, depth: int = 0) -> Symbol | None:
        """The module or module attribute a dotted import path names, following
        re-exports such as `from .items import router` in a package __init__."""
        if dotted_name in self.modules:
            return Symbol(self.modules[dotted_name], None)
        owner, _, attr = dotted_name.rpartition(".")
        mod = self.modules.get(owner)
        if mod is None:
            return None
        if attr in mod.defs:
            return Symbol(mod, attr, mod.defs[attr])
        if attr in mod.imports and depth < 5:
            return self.lookup(mod.imports[attr], depth + 1)
        return Symbol(mod, attr)

    def resolve(self, mod: PyModule, node: ast.AST) -> Symbol | None:
        """What a Name or `module.attr` expression in `mod` refers to, if it is in the tree."""
        if isinstance(node, ast.Name):
            if node.id in mod.defs:
                return Symbol(mod, node.id, mod.defs[node.id])
            if node.id in mod.imports:
                return self.lookup(mod.imports[node.id])
            if node.id in mod.nested_imports:
                return self.lookup(mod.nested_imports[node.id]) or Symbol(mod, node.id)
            return Symbol(mod, node.id)  # a local variable, e.g. inside an app factory
        if isinstance(node, ast.Attribute):
            base = self.resolve(mod, node.value)
            if base is not None and base.name is None:
                return self.lookup(f"{base.module.name}.{node.attr}")
        return None

    @cached_property
    def pydantic_models(self) -> set[str]:
        """Class names that are (transitively) pydantic models, settings excluded."""
        classes = [node for mod in self.all for node in mod.nodes if isinstance(node, ast.ClassDef)]
        models = {"BaseModel", "SQLModel", "RootModel"}
        changed = True
        while changed:
            changed = False
            for cls in classes:
                if cls.name not in models and set(class_bases(cls)) & models:
                    models.add(cls.name)
                    changed = True
        return models - {"BaseModel", "SQLModel", "RootModel"}
