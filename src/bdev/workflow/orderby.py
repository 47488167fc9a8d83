"""SQLAlchemy's `order_by` adds to the order a query has; it does not replace it.

    query = select(Product).order_by(Product.id)
    if sort == "name":
        query = query.order_by(Product.name)      # still ordered by id first

is the commonest way a requested sort silently does nothing, and a small model writes
it every time it is asked for one. `reorder` rewrites each such `q = q.order_by(...)`
made under a condition (the chosen sort) so that its keys come first and the query's
earlier order only breaks ties: `q.order_by(None).order_by(Product.name, Product.id)`
(`order_by(None)` clears it). One at the same level as the query is a tie-break added
on purpose, and stays as written.
"""

from __future__ import annotations

import ast


def reorder(source: str) -> str:
    """`source` with every re-ordering of an already ordered query made to take effect;
    unchanged when there is none (or it does not parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    edits: list[tuple[ast.Call, str]] = []
    for scope in ast.walk(tree):
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
            edits += _edits(scope)
    if not edits:
        return source
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def at(line: int, col: int) -> int:
        return offsets[line - 1] + len(lines[line - 1].encode()[:col].decode())

    text = source
    for call, new in sorted(edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True):
        start = at(call.lineno, call.col_offset)
        end = at(call.end_lineno or call.lineno, call.end_col_offset or 0)
        text = text[:start] + new + text[end:]
    return text


def _edits(
    scope: ast.FunctionDef | ast.AsyncFunctionDef | ast.Module,
) -> list[tuple[ast.Call, str]]:
    """For one function (or the module), the `q.order_by(...)` calls to rewrite: those on
    a name whose query was given an order earlier in the same scope, in source order."""
    # name -> the keys its query is ordered by, and how deep that order was given
    ordered: dict[str, tuple[list[ast.expr], int]] = {}
    edits: list[tuple[ast.Call, str]] = []
    for node, depth in _in_order(scope, 0):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1):
            continue
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            continue
        name, value = target.id, node.value
        call = _reorder_of(value, name)
        if call is not None and name in ordered and _keys(call):
            earlier, level = ordered[name]
            if depth > level:
                keys = [*_keys(call), *earlier]
                base = ast.unparse(call.func)  # "q.order_by"
                new = f"{base}(None).order_by({', '.join(ast.unparse(k) for k in keys)})"
                edits.append((call, new))
            else:
                ordered[name] = ([*earlier, *_keys(call)], level)
            continue
        keys = _order_keys(value)
        if keys:
            ordered[name] = (keys, depth)
        elif not (isinstance(value, ast.Call) and _mentions(value, name)):
            ordered.pop(name, None)  # a new query under the old name
    return edits


def _in_order(scope: ast.AST, depth: int) -> list[tuple[ast.stmt, int]]:
    """The scope's statements at any depth (if/else, loops, with: each one level deeper),
    with that depth, in source order; not those of nested functions and classes."""
    found: list[tuple[ast.stmt, int]] = []
    for child in ast.iter_child_nodes(scope):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(child, ast.stmt):
            found.append((child, depth))
            found += _in_order(child, depth + 1)
        else:
            found += _in_order(child, depth)
    return sorted(found, key=lambda n: (n[0].lineno, n[0].col_offset))


def _reorder_of(value: ast.expr, name: str) -> ast.Call | None:
    """`name.order_by(...)` itself (the value of `name = name.order_by(...)`)."""
    if (
        isinstance(value, ast.Call)
        and isinstance(value.func, ast.Attribute)
        and value.func.attr == "order_by"
        and isinstance(value.func.value, ast.Name)
        and value.func.value.id == name
    ):
        return value
    return None


def _keys(call: ast.Call) -> list[ast.expr]:
    """An order_by call's keys; [] for `order_by(None)` (a reset) or starred keys."""
    if call.keywords or not call.args or any(isinstance(a, ast.Starred) for a in call.args):
        return []
    if any(isinstance(a, ast.Constant) and a.value is None for a in call.args):
        return []
    return list(call.args)


def _order_keys(value: ast.expr) -> list[ast.expr]:
    """The keys of the last `.order_by(...)` in a call chain (`select(X).order_by(X.id)`)."""
    node = value
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "order_by":
            return _keys(node)
        node = node.func.value
    return []


def _mentions(node: ast.AST, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node))
