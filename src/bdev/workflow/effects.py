"""A changed function still does what it did for its effects, unless the request says so.

Asked to stop path traversal in `PUT /reports/<name>`, a small model rewrote the handler
safely but left out `os.makedirs(os.path.dirname(path), exist_ok=True)`: names with
sub-folders, which the request said must still work, failed (change task 06 at
`9472785`). A call made as a statement (its value unused) is there for what it does: a
folder made, a row written, a commit. An answer whose function no longer makes such a call
(by its last name: `f.write` and `out.write` are the same call) goes back, unless the
request names that call (`stop calling print`), it only logs or prints, or it fills a
list or dict the function made (`result.append(...)`: building a value, which a
comprehension may do as well).
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import dotted, parsed
from bdev.workflow.helpers import module_functions

# Calls made for a side effect nobody depends on: dropping them is a matter of taste.
_INCIDENTAL = re.compile(r"^(print|pprint|breakpoint|(log|logger|logging|warnings)\b.*)$")
_COLLECTIONS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
_COLLECTION_TYPES = {"list", "dict", "set", "defaultdict", "Counter", "deque", "OrderedDict"}


def dropped_effects(request: str, before: str | None, after: str, functions: set[str]) -> list[str]:
    """Problems for each of `functions` that made a call as a statement before the change
    and makes no call of that name after it."""
    old, new = (parsed(before) if before is not None else None), parsed(after)
    if old is None or new is None:
        return []
    old_defs, new_defs = module_functions(old), module_functions(new)
    words = set(re.findall(r"\w+", request.lower()))
    problems = []
    for name in sorted(functions):
        if name not in old_defs or name not in new_defs:
            continue
        still = {_last(c) for c in _reached_calls(name, new_defs)}
        built = _collections(old_defs[name])
        seen: set[str] = set()
        for statement, callee in _statement_calls(old_defs[name]):
            last = _last(callee)
            if last in still or last in seen or last.lower() in words:
                continue
            if _INCIDENTAL.match(callee) or callee.split(".", 1)[0] in built:
                continue
            seen.add(last)
            shown = ast.unparse(statement)
            shown = shown if len(shown) <= 70 else shown[:67] + "..."
            problems.append(
                f"`{name}` no longer calls `{callee}`, which it did for its effect (`{shown}`): "
                "keep doing what the code did that the request does not ask to change"
            )
    return problems


def _collections(function: ast.AST) -> set[str]:
    """The local names `function` binds to a new list, dict or set."""
    names: set[str] = set()
    for node in ast.walk(function):
        value: ast.expr | None
        if isinstance(node, ast.Assign):
            value, targets = node.value, node.targets
        elif isinstance(node, ast.AnnAssign):
            value, targets = node.value, [node.target]
        else:
            continue
        made = isinstance(value, _COLLECTIONS) or (
            isinstance(value, ast.Call) and _last(dotted(value.func)) in _COLLECTION_TYPES
        )
        if made:
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _statement_calls(function: ast.AST) -> list[tuple[ast.stmt, str]]:
    """The calls `function` makes as statements (`await` ones too), with their dotted
    callee (`os.makedirs`, `db.commit`)."""
    found: list[tuple[ast.stmt, str]] = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Expr):
            continue
        value = node.value.value if isinstance(node.value, ast.Await) else node.value
        if isinstance(value, ast.Call) and (callee := dotted(value.func)):
            found.append((node, callee))
    return found


def _reached_calls(name: str, defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]) -> set[str]:
    """The dotted callees of every call `name` makes, and of the module's functions it
    calls, and so on (a helper may do the work now)."""
    calls: set[str] = set()
    todo, done = [name], set()
    while todo:
        current = todo.pop()
        done.add(current)
        for node in ast.walk(defs[current]):
            if isinstance(node, ast.Call) and (callee := dotted(node.func)):
                calls.add(callee)
                if callee in defs and callee not in done:
                    todo.append(callee)
    return calls


def _last(callee: str) -> str:
    return callee.rsplit(".", 1)[-1]
