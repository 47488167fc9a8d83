"""Small helpers over Python syntax trees shared by the analyzers."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath


def module_name(rel: str, root: str = "") -> str:
    """The dotted import name of a file under an import root: ("src/pkg/api.py", "src")
    -> "pkg.api"."""
    path = PurePosixPath(rel).with_suffix("")
    parts = list(path.relative_to(root).parts if root else path.parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def import_root(rel: str, files: set[str], imported_tops: set[str]) -> str:
    """The folder a file is imported from (what would be on sys.path): climb while the
    folder is a package or a name the code imports (namespace packages have no
    __init__.py), so "backend/app/main.py" with app/__init__.py gives "backend"."""
    parts = PurePosixPath(rel).parts[:-1]
    depth = len(parts)
    while depth > 0:
        folder = "/".join(parts[:depth])
        if f"{folder}/__init__.py" not in files and parts[depth - 1] not in imported_tops:
            break
        depth -= 1
    return "/".join(parts[:depth])


def dotted(node: ast.AST) -> str:
    """`a.b.c` for Name/Attribute chains (and calls on them: `a.b()` -> "a.b"); else ""."""
    if isinstance(node, ast.Call):
        return dotted(node.func)
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return ""


def last_name(node: ast.AST) -> str:
    """The final identifier of a Name/Attribute/Call: `fastapi.Depends(...)` -> "Depends"."""
    name = dotted(node)
    return name.rsplit(".", 1)[-1] if name else ""


def const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def str_list(node: ast.AST | None) -> list[str]:
    """The strings of a literal list/tuple/set of strings."""
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [s for s in (const_str(e) for e in node.elts) if s is not None]
    return []


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def arg(call: ast.Call, index: int, name: str) -> ast.expr | None:
    """A call argument given by position or by keyword."""
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return keyword(call, name)


def imported_modules(nodes: ast.AST | list[ast.AST]) -> Iterator[str]:
    """Absolute module names imported anywhere in a tree or list of walked nodes (relative
    imports skipped)."""
    for node in nodes if isinstance(nodes, list) else ast.walk(nodes):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            for alias in node.names:
                yield f"{node.module}.{alias.name}"


def import_map(
    tree: ast.Module, current: str, is_package: bool, statements: Iterable[ast.AST] | None = None
) -> dict[str, str]:
    """Local name -> the dotted name it stands for (`from .db import get_db as g` in
    `app.main` maps "g" to "app.db.get_db"), for module-level imports, or for the given
    `statements` (e.g. the imports inside an application factory)."""
    names: dict[str, str] = {}
    package = current if is_package else current.rpartition(".")[0]
    for node in tree.body if statements is None else statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)]  # level 1 is the package
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name
    return names


def class_bases(node: ast.ClassDef) -> list[str]:
    return [last_name(b) for b in node.bases if last_name(b)]


def assigned_names(node: ast.stmt) -> list[str]:
    """Plain names bound by an assignment statement (`a = b = v`, `a: T = v`)."""
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return [node.target.id]
    return []
