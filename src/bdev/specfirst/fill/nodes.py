"""Small builders and readers of Python AST nodes, shared by the repairs."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TypeGuard


def parsed(code: str) -> ast.Module | None:
    """The code's tree; None when it does not parse (compile reports that, with a better
    message, so the checks stay silent)."""
    try:
        return ast.parse(code)
    except SyntaxError:
        return None


def nodes_in_functions(tree: ast.Module, names: set[str]) -> Iterator[ast.AST]:
    """Every node inside the module-level functions of `tree` named in `names`."""
    for function in tree.body:
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and function.name in names:
            yield from ast.walk(function)


def is_store_call(node: ast.AST, method: str) -> TypeGuard[ast.Call]:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "store"
    )


def subscript(value: ast.expr, key: str) -> ast.Subscript:
    return ast.Subscript(value=value, slice=ast.Constant(key), ctx=ast.Load())


def argument(call: ast.Call, position: int | None, *keywords: str) -> ast.expr | None:
    """The call's argument at `position`, or the first of the `keywords` it was given."""
    if position is not None and len(call.args) > position:
        arg = call.args[position]
        return None if isinstance(arg, ast.Starred) else arg
    return next((k.value for k in call.keywords if k.arg in keywords), None)


def name_node(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def attr(value: ast.expr, name: str) -> ast.Attribute:
    return ast.Attribute(value, name, ast.Load())


def call(func: ast.expr, *args: ast.expr) -> ast.Call:
    return ast.Call(func=func, args=list(args), keywords=[])


def dotted(func: ast.expr) -> str:
    """`os.path.join` for that attribute chain; "" for anything else."""
    parts: list[str] = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if not isinstance(func, ast.Name):
        return ""
    return ".".join([func.id, *reversed(parts)])


def name_of(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def names_made_by(function: ast.FunctionDef, constructor: str) -> set[str]:
    """The names a function binds to a call of `constructor` (`pdf = FPDF()` -> {"pdf"})."""
    return {
        target.id
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and name_of(node.value.func) == constructor
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )
