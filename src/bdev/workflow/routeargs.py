"""A Flask handler takes the URL's variables, and nothing else, as arguments.

Flask calls `restock(sku)` for `@app.post("/items/<sku>/restock")`; a small model used
to FastAPI writes `def restock(sku: str, quantity: int)`, which imports, passes every
static check, and fails with a TypeError (500) on the first request. Each parameter of
a Flask route function without a default must be one of its URL's variables; the body
and the query string are read from `request`.
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import parsed

_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([A-Za-z_]\w*)>")
_FLASK = re.compile(r"^\s*(?:import flask|from flask import)\b", re.M)
_ROUTE_METHODS = frozenset({"route", "get", "post", "put", "patch", "delete"})


def unfilled_arguments(code: str, functions: set[str]) -> list[str]:
    """A problem per Flask route function in `functions` with a parameter (without a
    default) that none of its routes' URLs provides."""
    if not _FLASK.search(code):
        return []
    tree = parsed(code)
    if tree is None:
        return []
    problems = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name not in functions:
            continue
        paths = [p for d in node.decorator_list if (p := _route_path(d)) is not None]
        if not paths:
            continue
        given = set.intersection(*(set(_VARIABLE.findall(p)) for p in paths))
        args = node.args
        required = [a.arg for a in args.args[: len(args.args) - len(args.defaults)]]
        required += [
            a.arg for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is None
        ]
        missing = [a for a in required if a not in given]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            problems.append(
                f"line {node.lineno}: Flask calls `{node.name}` with the URL's variables only "
                f"({', '.join(sorted(given)) or 'none'}), so {names} would fail every request "
                "with a TypeError: read the body with request.get_json(silent=True) and the "
                "query with request.args inside the function instead"
            )
    return problems


def _route_path(decorator: ast.expr) -> str | None:
    """The URL of `@app.route("/x")`, `@bp.post("/x")` ...; None for other decorators."""
    if not (
        isinstance(decorator, ast.Call)
        and isinstance(decorator.func, ast.Attribute)
        and decorator.func.attr in _ROUTE_METHODS
        and decorator.args
        and isinstance(decorator.args[0], ast.Constant)
        and isinstance(decorator.args[0].value, str)
    ):
        return None
    return decorator.args[0].value
