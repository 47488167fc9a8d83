"""An answer for a new route must add that route.

Asked for `POST /items/<sku>/restock`, a small model sent the whole module back with the
new route's function named `add_item`, the name of the module's existing `POST /items`
handler. bdev keeps only what an answer adds, so the copy was left out as one more copy of
`add_item`, and the round "completed" with no new route (change task 10 at `9472785`).
The decorators' paths say which routes a module has (`@app.post("/x")`,
`@bp.route("/x", methods=[...])`): an answer after which a route it was asked for is
still missing goes back, naming the function it reused when that is why.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from bdev.specfirst.fill.nodes import parsed
from bdev.workflow.guards import route_of


def missing_routes(
    wanted: list[str], before: str | None, answer: str, after: str, shape: Callable[[str], str]
) -> list[str]:
    """Problems for each of `wanted` ("POST /items/{}/restock", by `shape`) that the new
    module text `after` does not route, when the module routes by decorators at all."""
    routes_before, routes_after = _routes(before or ""), _routes(after)
    if routes_after is None or not (routes_before or routes_after):
        return []  # not parsed, or routed some other way (a table, add_route): not judged
    have = {(method, shape(path)) for method, path, _ in routes_after}
    answered = _routes(answer) or []
    taken = {name for _, _, name in routes_before or []}
    problems = []
    for route in wanted:
        method, _, path = route.partition(" ")
        if (method, path) in have:
            continue
        reused = [
            name
            for verb, given, name in answered
            if shape(given) == path and verb == method and name in taken
        ]
        if reused:
            problems.append(
                f"Your function for {route} is named `{reused[0]}`, the name of a function "
                "the module already has for another route, so it was not added: give it a "
                "name of its own"
            )
        else:
            problems.append(
                f"Your answer adds no {route} route: write its function with the route "
                "decorator this file uses"
            )
    return problems


def _routes(code: str) -> list[tuple[str, str, str]] | None:
    """(method, path shape, function) for each decorated route of `code` (`route_of`);
    None when it does not parse."""
    tree = parsed(code)
    if tree is None:
        return None
    return [
        (*route, node.name)
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (route := route_of(node)) is not None
    ]
