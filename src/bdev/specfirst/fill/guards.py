"""Repairs of the tests that guard a handler: whether the caller may, whether a row exists.

    if not principal or principal.role != "admin": raise ...   dropped when the handler has
    if request.headers["X-Admin-Token"] != ...: raise ...       no caller (the route checked
                                                              the operator's token)
    code not in store                   ->  store.get("links", code) is None
    store.exists("links", code)         ->  store.get("links", code) is not None
    store.exists("users", {"name": n})  ->  store.find("users", "name", n) is not None

The store is not a container and has no `exists`; the table of a bare `code in store` is
the one the function looks `code` up in elsewhere (or its only table).
"""

from __future__ import annotations

import ast

from bdev.specfirst.fill.nodes import attr, is_store_call, name_node


def drop_caller_checks(function: ast.FunctionDef, *, operator: bool = False) -> set[str]:
    """Remove `if <test of the caller>: raise ...` from a handler given no caller: the
    route let in only the operator's token, so there is no one left to check (and
    `principal` would be an undefined name). For an `operator`-only operation, any test
    that answers 401 or 403 goes too: whatever it checks (a model checks the target
    row's role for "operator"), the route has already decided who may call. (Never for
    a public operation: a login's password check answers 401.)"""
    dropped = False
    for node in ast.walk(function):
        for field in ("body", "orelse"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            kept = [s for s in block if not _caller_check(s, operator)]
            if len(kept) != len(block):
                setattr(node, field, kept or ([ast.Pass()] if field == "body" else []))
                dropped = True
    return {"dropped the check of a caller the handler is not given"} if dropped else set()


def _caller_check(statement: ast.stmt, operator: bool) -> bool:
    """`if <test of principal, or of the request's headers>: raise ...` (for an
    `operator`-only operation, also any test that answers 401 or 403)."""
    if not isinstance(statement, ast.If) or statement.orelse:
        return False
    if not all(isinstance(s, ast.Raise) for s in statement.body):
        return False
    tests_caller = any(
        isinstance(n, ast.Name) and n.id in ("principal", "request")
        for n in ast.walk(statement.test)
    )
    return tests_caller or (operator and all(_denies(s) for s in statement.body))


def _denies(statement: ast.stmt) -> bool:
    """`raise ApiError(401 or 403, ...)`."""
    exc = statement.exc if isinstance(statement, ast.Raise) else None
    if not (isinstance(exc, ast.Call) and getattr(exc.func, "id", "") == "ApiError" and exc.args):
        return False
    status = exc.args[0]
    return isinstance(status, ast.Constant) and status.value in (401, 403)


def existence_tests(function: ast.FunctionDef) -> set[str]:
    """`key in store` and `store.exists(...)` as the store's lookups (see the module)."""
    tables = _tables_by_key(function)
    notes: set[str] = set()

    class _Rewrite(ast.NodeTransformer):
        def visit_Compare(self, node: ast.Compare) -> ast.AST:
            self.generic_visit(node)
            if len(node.ops) != 1 or not _is_store(node.comparators[0]):
                return node
            op = node.ops[0]
            table = tables.get(ast.dump(node.left)) or tables.get("")
            if not isinstance(op, ast.In | ast.NotIn) or table is None:
                return node
            notes.add("key in store -> store.get(table, key) is not None")
            return _found(_get(table, node.left), present=isinstance(op, ast.In))

        def visit_Call(self, node: ast.Call) -> ast.AST:
            self.generic_visit(node)
            if not is_store_call(node, "exists") or node.keywords or not node.args:
                return node
            *table_arg, key = node.args
            table = table_arg[0] if len(table_arg) == 1 else None
            if table is None and not table_arg:
                name = tables.get(ast.dump(key)) or tables.get("")
                table = ast.Constant(name) if name else None
            if table is None:
                return node
            notes.add("store.exists(...) -> store.get/find(...) is not None")
            if isinstance(key, ast.Dict) and len(key.keys) == 1 and key.keys[0] is not None:
                field, value = key.keys[0], key.values[0]
                lookup = ast.Call(attr(name_node("store"), "find"), [table, field, value], [])
                return _found(lookup, present=True)
            return _found(ast.Call(attr(name_node("store"), "get"), [table, key], []), present=True)

    _Rewrite().visit(function)
    return notes


_KEYED = frozenset({"get", "require", "update", "replace", "delete", "increment"})


def _is_store(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "store"


def _tables_by_key(function: ast.FunctionDef) -> dict[str, str]:
    """{dump of a key expression: the table the function looks it up in}; under "" the
    function's only table, when it names exactly one."""
    by_key: dict[str, str] = {}
    named: set[str] = set()
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if not _is_store(node.func.value) or not node.args:
            continue
        table = node.args[0]
        if not (isinstance(table, ast.Constant) and isinstance(table.value, str)):
            continue
        named.add(table.value)
        if len(node.args) > 1 and node.func.attr in _KEYED:
            by_key.setdefault(ast.dump(node.args[1]), table.value)
    if len(named) == 1:
        by_key[""] = named.pop()
    return by_key


def _get(table: str, key: ast.expr) -> ast.Call:
    return ast.Call(attr(name_node("store"), "get"), [ast.Constant(table), key], [])


def _found(lookup: ast.expr, *, present: bool) -> ast.Compare:
    op: ast.cmpop = ast.IsNot() if present else ast.Is()
    return ast.Compare(lookup, [op], [ast.Constant(None)])
