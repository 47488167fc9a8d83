"""An answer for a new route must add that route.

Asked for `POST /items/<sku>/restock`, a small model sent the whole module back with the
new route's function named `add_item`, the name of the module's existing `POST /items`
handler. bdev keeps only what an answer adds, so the copy was left out as one more copy of
`add_item`, and the round "completed" with no new route (change task 10 at `9472785`).
The decorators' paths say which routes a module has (`@app.post("/x")`,
`@bp.route("/x", methods=[...])`). The model did not act on "give it a name of its own"
(four answers of nine at `6852ace`), and the name is the program's to choose: a new
route's function that reuses a name the module has is renamed (`own_names`) before the
answer is spliced in. An answer after which a route it was asked for is still missing
goes back.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from bdev.specfirst.fill.nodes import parsed
from bdev.workflow.guards import route_of


def missing_routes(
    wanted: list[str], before: str | None, after: str, shape: Callable[[str], str]
) -> list[str]:
    """Problems for each of `wanted` ("POST /items/{}/restock", by `shape`) that the new
    module text `after` does not route, when the module routes by decorators at all."""
    routes_before, routes_after = _routes(before or ""), _routes(after)
    if routes_after is None or not (routes_before or routes_after):
        return []  # not parsed, or routed some other way (a table, add_route): not judged
    have = {(method, shape(path)) for method, path in routes_after}
    return [
        f"Your answer adds no {route} route: write its function with the route decorator "
        "this file uses, under a name of its own"
        for route in wanted
        if tuple(route.split(" ", 1)) not in have
    ]


def own_names(wanted: list[str], before: str, answer: str, shape: Callable[[str], str]) -> str:
    """`answer` with each function for one of `wanted` that the module `before` does not
    route yet, and whose name `before` already defines, renamed after its route
    (`post_items_restock`): Flask keeps one function per name, and the splice would take
    it for a copy of the module's own. Only the `def` line changes; an answer that does
    not parse, or names nothing twice, comes back as it was."""
    tree, module = parsed(answer), parsed(before)
    if tree is None or module is None:
        return answer
    own = _defined(module)
    taken = own | _defined(tree)
    routed = {(method, shape(path)) for method, path in _routes(before) or []}
    asked = {(m, p) for m, _, p in (w.partition(" ") for w in wanted)}
    lines = answer.splitlines(keepends=True)
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        route = route_of(node)
        if route is None or node.name not in own:
            continue
        key = (route[0], shape(route[1]))
        if key not in asked or key in routed:
            continue
        name = _free_name(key, taken)
        taken.add(name)
        at = node.lineno - 1  # the `def` line, below the decorators
        lines[at] = re.sub(rf"\bdef\s+{node.name}\b", f"def {name}", lines[at], count=1)
    return "".join(lines)


def _free_name(route: tuple[str, str], taken: set[str]) -> str:
    method, path = route
    words = [w for w in re.split(r"\W+", path) if w and "{" not in w]
    base = "_".join([method.lower(), *words]) or "handler"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _defined(tree: ast.Module) -> set[str]:
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def _routes(code: str) -> list[tuple[str, str]] | None:
    """(method, path shape) of each decorated route of `code` (`route_of`); None when it
    does not parse."""
    tree = parsed(code)
    if tree is None:
        return None
    return [
        route
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (route := route_of(node)) is not None
    ]
