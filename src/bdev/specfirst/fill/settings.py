"""Environment variables a slot body reads: only the ones the task names.

A small model invents configuration (`os.environ.get("FILE_SIZE_LIMIT")`, then a 500 when
it is unset). A handler that depends on a setting no one will provide fails in
production, so a read of any variable the task did not name is sent back with the names
it did.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable


def unnamed_settings(code: str, named: Iterable[str]) -> list[str]:
    """One problem per line that reads an environment variable not in `named`."""
    wrapped = "def _slot():\n" + "\n".join(f"    {line}" for line in code.splitlines())
    try:
        tree = ast.parse(wrapped)
    except SyntaxError:
        return []  # compile reports it
    allowed = set(named)
    listed = ", ".join(sorted(allowed))
    hint = f"the task names only {listed}" if listed else "the task names no settings"
    problems: dict[int, str] = {}
    for node in ast.walk(tree):
        name = _variable_read(node)
        if name is not None and name not in allowed and isinstance(node, ast.expr):
            line = node.lineno - 1  # the wrapper's def line
            problems.setdefault(
                line,
                f"line {line}: the environment variable {name} is not one the task names "
                f"({hint}); write the limit or value the request states as a constant",
            )
    return [problems[line] for line in sorted(problems)]


def _variable_read(node: ast.AST) -> str | None:
    """X of os.environ["X"], os.environ.get("X"), os.getenv("X"), environ.get("X")."""
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return _constant(node.slice)
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value):
        return _constant(node.args[0])
    if _name_of(func) == "getenv":
        return _constant(node.args[0])
    return None


def _name_of(func: ast.expr) -> str | None:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _is_environ(node: ast.expr) -> bool:
    return _name_of(node) == "environ"


def _constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
