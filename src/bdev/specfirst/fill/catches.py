"""`except X:` where X is no exception class: the clause itself fails.

The repairs drop such a clause (`drop_non_exceptions`); `non_exceptions_caught` says what
is left, if anything.

A small model writes `except CompletedProcess as e:` to handle a program that failed, as
if the result were raised. Python checks an except clause's class only when something is
raised in the `try`, and then fails with a TypeError, so the body passes every test that
raises nothing. Names are resolved only through builtins and standard-library modules
this process has already imported (never importing one: some act on import); a bare
name not imported by the body is the one class of that name among them, if only one.
"""

from __future__ import annotations

import ast
import builtins
import sys
from typing import Any


def non_exceptions_caught(code: str) -> list[str]:
    """One problem per except clause naming something that is not an exception class."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    imported = _imported_names(tree)
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ExceptHandler) or node.type is None:
            continue
        caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
        for expr in caught:
            found = _resolve(expr, imported)
            if found is not None and not _is_exception(found):
                problems.append(
                    f"line {node.lineno}: {ast.unparse(expr)} is not an exception, so "
                    "`except` cannot catch it (it fails with a TypeError when anything is "
                    "raised); run_command() raises nothing when a program fails: read its "
                    ".returncode instead"
                    if _is_process_result(found)
                    else f"line {node.lineno}: {ast.unparse(expr)} is not an exception, so "
                    "`except` cannot catch it; name an exception class"
                )
    return problems


def drop_non_exceptions(function: ast.FunctionDef) -> set[str]:
    """Remove what an except clause names that is no exception class; a clause left with
    nothing goes, and a `try` left with no clause (nor else/finally) becomes its body.
    Such a clause never ran (nothing raises a CompletedProcess): all it could do was
    turn any error in the `try` into a TypeError."""
    imported = _imported_names(ast.Module(body=function.body, type_ignores=[]))
    notes: set[str] = set()

    def real(expr: ast.expr) -> bool:
        found = _resolve(expr, imported)
        bogus = found is not None and not _is_exception(found)
        if bogus:
            notes.add(f"except {ast.unparse(expr)} (not an exception) -> dropped")
        return not bogus

    class _Rewrite(ast.NodeTransformer):
        def visit_Try(self, node: ast.Try) -> ast.AST | list[ast.stmt]:
            self.generic_visit(node)
            kept = []
            for handler in node.handlers:
                if handler.type is None:
                    kept.append(handler)
                elif isinstance(handler.type, ast.Tuple):
                    left = [e for e in handler.type.elts if real(e)]
                    if left:
                        handler.type = left[0] if len(left) == 1 else ast.Tuple(left, ast.Load())
                        kept.append(handler)
                elif real(handler.type):
                    kept.append(handler)
            node.handlers = kept
            if not kept and not node.finalbody:
                return [*node.body, *node.orelse]
            return node

    _Rewrite().visit(function)
    return notes


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted name, from the body's imports."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                names[a.asname or a.name.split(".")[0]] = (
                    a.name if a.asname else a.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def _resolve(expr: ast.expr, imported: dict[str, str]) -> Any:
    """The object an except clause names, when it can be known without importing."""
    dotted = _dotted(expr)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    if head in imported:
        dotted = f"{imported[head]}.{rest}" if rest else imported[head]
    elif not rest:
        return getattr(builtins, head, None) or _imported_anywhere(head)
    module_name, _, attribute = dotted.rpartition(".")
    module = sys.modules.get(module_name)
    if module is None or module_name.split(".")[0] not in sys.stdlib_module_names:
        return None
    return getattr(module, attribute, None)


def _imported_anywhere(name: str) -> Any:
    """The one class of that name in the standard library's imported modules: the body's
    own import may have been taken out, to be added back after the checks."""
    found = {
        id(value): value
        for module_name, module in list(sys.modules.items())
        if module_name.split(".")[0] in sys.stdlib_module_names
        and isinstance(value := getattr(module, name, None), type)
    }
    return next(iter(found.values())) if len(found) == 1 else None


def _dotted(expr: ast.expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        base = _dotted(expr.value)
        return f"{base}.{expr.attr}" if base else None
    return None


def _is_process_result(found: Any) -> bool:
    return getattr(found, "__name__", "") == "CompletedProcess"


def _is_exception(found: Any) -> bool:
    return isinstance(found, type) and issubclass(found, BaseException)
