"""A changed function keeps calling the module's own helper for what the request states.

Asked to fix how a discount is applied, "rounding the discount to the nearest cent
(halves round up)", a small model rewrites `totals` with `floor(subtotal * pct / 100)`:
the module's `discount_of`, documented as exactly that rounding, is no longer called,
and a test of round figures cannot tell. When the request restates what a helper's
docstring says (three or more of its words), an answer that stops calling it goes back
with the helper's own description. (A request that names the helper to stop using it
shares its name, not its description, and is not held to it.)
"""

from __future__ import annotations

import ast

from bdev.agents.tokens import terms
from bdev.specfirst.fill.nodes import parsed

SHARED_TERMS = 3  # docstring words the request must share for the helper to be its rule


def dropped_helpers(request: str, before: str | None, after: str, functions: set[str]) -> list[str]:
    """Problems for each of `functions` that called a helper of the module the request
    describes, and no longer does (directly or through a function it calls)."""
    old, new = (parsed(before) if before is not None else None), parsed(after)
    if old is None or new is None:
        return []
    helpers = {
        node.name: ast.get_docstring(node) or ""
        for node in old.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    wanted = set(terms(request))
    problems = []
    old_defs, new_defs = module_functions(old), module_functions(new)
    for name in sorted(functions):
        if name not in old_defs or name not in new_defs:
            continue
        dropped = (_called(old_defs[name]) & helpers.keys()) - _reached(name, new_defs)
        for helper in sorted(dropped):
            doc = helpers[helper]
            if len(wanted & set(terms(doc))) < SHARED_TERMS:
                continue
            said = f' ("{doc.splitlines()[0]}")' if doc else ""
            problems.append(
                f"`{name}` no longer calls `{helper}`, the module's own function for what "
                f"the request describes{said}: call it rather than computing that again"
            )
    return problems


def module_functions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """The module-level functions of `tree`, by name."""
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def _called(function: ast.AST) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def _reached(name: str, defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> set[str]:
    """The names `name` calls, and those its module's functions it calls call, and so on."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        for called in _called(defs[todo.pop()]) - seen:
            seen.add(called)
            if called in defs:
                todo.append(called)
    return seen
