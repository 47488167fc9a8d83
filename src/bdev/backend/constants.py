"""The string an expression stands for when the code fixes it: route prefixes and paths are
often constants, settings defaults or environment defaults rather than literals
(`include_router(api, prefix=settings.api_prefix)`, `ARTICLES = os.getenv("P", "/a")`)."""

from __future__ import annotations

import ast

from bdev.backend.pyast import const_str, dotted, last_name
from bdev.backend.pyindex import PyIndex, PyModule

_MAX_DEPTH = 6
_ENV_READERS = ("os.getenv", "os.environ.get", "getenv", "environ.get")


def resolve_str(index: PyIndex, mod: PyModule, node: ast.AST | None, depth: int = 0) -> str | None:
    """The string `node` evaluates to without running anything; None when it depends on
    run-time input (a variable set from outside, an environment variable without default)."""
    if node is None or depth > _MAX_DEPTH:
        return None
    text = const_str(node)
    if text is not None:
        return text
    if isinstance(node, ast.JoinedStr):  # f"{API_V1}/users"
        parts = []
        for value in node.values:
            inner = value.value if isinstance(value, ast.FormattedValue) else value
            part = resolve_str(index, mod, inner, depth + 1)
            if part is None:
                return None
            parts.append(part)
        return "".join(parts)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = resolve_str(index, mod, node.left, depth + 1)
        right = resolve_str(index, mod, node.right, depth + 1)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.Call):
        if dotted(node.func) in _ENV_READERS and len(node.args) > 1:
            return resolve_str(index, mod, node.args[1], depth + 1)  # its default
        return None
    if isinstance(node, ast.Name | ast.Attribute):
        symbol = index.resolve(mod, node)
        if symbol is not None and isinstance(symbol.node, ast.expr) and symbol.node is not node:
            return resolve_str(index, symbol.module, symbol.node, depth + 1)
        if isinstance(node, ast.Attribute):
            return _class_attribute(index, node.attr, depth)
    return None


def _class_attribute(index: PyIndex, attr: str, depth: int) -> str | None:
    """`settings.api_prefix`: the default of a class attribute of that name (a settings
    class), when the project's classes agree on one value."""
    values = set()
    for mod in index.all:
        for cls in (n for n in mod.nodes if isinstance(n, ast.ClassDef)):
            for stmt in cls.body:
                target: ast.expr | None = None
                if isinstance(stmt, ast.AnnAssign):
                    target = stmt.target
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                    target = stmt.targets[0]
                value = getattr(stmt, "value", None)
                if isinstance(target, ast.Name) and target.id == attr and value is not None:
                    # pydantic: `api_prefix: str = Field("/api")` keeps its default first.
                    if isinstance(value, ast.Call) and last_name(value.func) == "Field":
                        value = value.args[0] if value.args else None
                    found = resolve_str(index, mod, value, depth + 1)
                    if found is not None:
                        values.add(found)
    return values.pop() if len(values) == 1 else None
