"""`except X:` where X is no exception class: the clause itself fails.

The repairs drop such a clause (`drop_non_exceptions`), or, for `except CompletedProcess`,
turn it into the exit-status check it meant; `non_exceptions_caught` says what is left.

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

from bdev.specfirst.fill.nodes import parsed


def non_exceptions_caught(code: str) -> list[str]:
    """One problem per except clause naming something that is not an exception class."""
    tree = parsed(code)
    if tree is None:
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
                checked = _exit_check(node, handler, imported)
                if checked is not None:
                    # `except CompletedProcess as e:` meant "if the program failed".
                    node.body = checked
                    notes.add("except CompletedProcess -> if <result>.returncode != 0")
                elif handler.type is None:
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


def _exit_check(
    node: ast.Try, handler: ast.ExceptHandler, imported: dict[str, str]
) -> list[ast.stmt] | None:
    """The `try` body with the handler of a (never raised) CompletedProcess run where a
    program's failure shows: `_result = run_command(...)`, then `if _result.returncode !=
    0:` and the handler's body (its `e` being the result). None when the body does not
    run exactly one program in one statement."""
    found = _resolve(handler.type, imported) if handler.type is not None else None
    if getattr(found, "__name__", "") != "CompletedProcess":
        return None
    runs = [
        (i, call)
        for i, statement in enumerate(node.body)
        for call in ast.walk(statement)
        if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "run_command"
    ]
    if len(runs) != 1:
        return None
    ((at, run),) = runs
    name = handler.name or "_result"

    class _Use(ast.NodeTransformer):
        def visit_Call(self, call: ast.Call) -> ast.AST:
            return ast.Name(name, ast.Load()) if call is run else self.generic_visit(call)

    statement = _Use().visit(node.body[at])
    ran = ast.Assign([ast.Name(name, ast.Store())], run)
    failed = ast.Compare(
        ast.Attribute(ast.Name(name, ast.Load()), "returncode", ast.Load()),
        [ast.NotEq()],
        [ast.Constant(0)],
    )
    check = ast.If(failed, handler.body, [])
    rest = [] if _assigns_itself(statement, name) else [statement]  # not `e = e`
    return [*node.body[:at], ran, check, *rest, *node.body[at + 1 :]]


def _assigns_itself(statement: ast.stmt, name: str) -> bool:
    return (
        isinstance(statement, ast.Assign)
        and isinstance(statement.value, ast.Name)
        and statement.value.id == name
        and all(isinstance(t, ast.Name) and t.id == name for t in statement.targets)
    )


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
