"""Where a failing test points: the service's functions it calls.

"The service's own test suite has a failing test that shows it" names no file and no
route, and the module that shares the most words with the request is often the wrong
one. The failing test says exactly what it exercises: the functions it imports from the
service and calls (`totals(lines, 10)`), or the routes it requests
(`client.post("/invoices", ...)`). Those functions are where a fix starts.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bdev.backend.facts import BackendFacts

_HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
_PARAM = re.compile(r"\{[^}]*\}|<[^>]*>")


def culprits(root: Path, failing: list[str], facts: BackendFacts | None) -> list[tuple[str, str]]:
    """(file, function) pairs the failing tests (`tests/test_x::test_y` ids) call, in the
    order they are called, each once: module-level functions of the service's own files,
    and the handlers of the routes the tests request."""
    found: list[tuple[str, str]] = []
    for test_id in failing:
        module, _, name = test_id.partition("::")
        path = root / f"{module}.py"
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, SyntaxError, ValueError):
            continue
        test = next((n for n in ast.walk(tree) if _is_function(n, name.split("[")[0])), None)
        if test is None:
            continue
        imported = _local_imports(root, tree)
        for call in (n for n in ast.walk(test) if isinstance(n, ast.Call)):
            for pair in _called(root, call, imported, facts):
                if pair not in found:
                    found.append(pair)
    return found


def _is_function(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == name


def _local_imports(root: Path, tree: ast.Module) -> dict[str, str]:
    """Names imported from the service's own modules: name -> file."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            file = node.module.replace(".", "/") + ".py"
            if (root / file).is_file():
                names.update({a.asname or a.name: file for a in node.names})
    return names


def _called(
    root: Path, call: ast.Call, imported: dict[str, str], facts: BackendFacts | None
) -> list[tuple[str, str]]:
    func = call.func
    if isinstance(func, ast.Name) and func.id in imported:
        file = imported[func.id]
        if _defines(root / file, func.id):
            return [(file, func.id)]
    if isinstance(func, ast.Attribute) and func.attr in _HTTP_METHODS and facts is not None:
        path = call.args[0] if call.args else None
        if isinstance(path, ast.Constant) and isinstance(path.value, str):
            return _handlers(func.attr.upper(), path.value, facts)
    return []


def _defines(path: Path, name: str) -> bool:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return False
    return any(_is_function(node, name) for node in tree.body)


def _handlers(method: str, url: str, facts: BackendFacts) -> list[tuple[str, str]]:
    """The handler of the route a request URL (`/invoices/7?x=1`) reaches."""
    segments = url.split("?")[0].rstrip("/").split("/")
    for e in facts.endpoints:
        if e.method != method or e.location is None:
            continue
        pattern = e.path.rstrip("/").split("/")
        if len(pattern) == len(segments) and all(
            p == s or _PARAM.fullmatch(p) for p, s in zip(pattern, segments, strict=True)
        ):
            return [(e.location.file, e.handler)]
    return []
