"""A count read, changed and saved back; a GET that changes what it reads.

- `row = store.get(t, k)`, `row["visits"] += 1`, `store.replace(t, k, row)`: two requests
  at the same moment both read 4 and both save 5, so one visit is lost. The store's
  `increment` adds in one step (and starts a missing row at 0).
- A small model shown the POST that counts writes the GET the same way, so reading the
  count changes it. HTTP's GET only reads (RFC 9110, "safe" methods) unless the
  operation's own requirements say it records something ("counts one visit").
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import is_store_call, parsed

_READS = ("get", "require", "find")
_WRITES = ("create", "replace", "update", "increment", "delete")
# Words with which a requirement says a GET changes something.
_CHANGES = re.compile(
    r"\b(counts?|counted|records?|increments?|adds?|marks?|logs?|updates?|deletes?|removes?|"
    r"consumes?|stores?|saves?|sets?|tracks?|expires?)\b",
    re.I,
)
# What a requirement quotes (`{"visits": <count>}`) names the answer, not an action.
_QUOTED = re.compile(r"`[^`]*`|<[^>]*>|\{[^}]*\}")


_METHOD_PATH = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+(/[^\s?`'\",;:)]*)")


def _about(sentence: str, method: str, path: str) -> bool:
    """Whether a sentence may be about the operation: it names no operation, or this one."""
    named = _METHOD_PATH.findall(sentence)
    return not named or not path or (method.upper(), path) in {(m, p) for m, p in named}


def lost_updates(code: str) -> list[str]:
    """One problem per stored field that is read, changed in Python and saved back."""
    tree = parsed(code)
    if tree is None:
        return []
    rows = {  # row name -> table, for `row = store.get("pages", name)`
        target.id: _table(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and any(is_store_call(node.value, m) for m in _READS)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    saves = any(is_store_call(node, m) for node in ast.walk(tree) for m in ("replace", "update"))
    if not rows or not saves:
        return []
    problems = []
    for node in ast.walk(tree):
        found = _changed_field(node, rows)
        if found is not None:
            row, field = found
            table = rows[row] or "table"
            problems.append(
                f"line {getattr(node, 'lineno', 0)}: {row}[{field!r}] is read, changed and "
                "saved back, so "
                f"two requests at the same moment lose one change: "
                f"`{field} = store.increment({table!r}, key, {field!r})` adds in one step "
                "and returns the new value (a row that does not exist yet starts at 0)"
            )
    return problems[:1]


def _changed_field(node: ast.AST, rows: dict[str, str | None]) -> tuple[str, str] | None:
    """(row, field) of `row["f"] += n` or `row["f"] + n` (also `row.get("f", 0) + n`)."""
    if isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add | ast.Sub):
        return _field_of(node.target, rows)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        for side, other in ((node.left, node.right), (node.right, node.left)):
            found = _field_of(side, rows)
            if found is not None and isinstance(other, ast.Constant):
                return found
    return None


def _field_of(node: ast.expr, rows: dict[str, str | None]) -> tuple[str, str] | None:
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Name)
        and node.value.id in rows
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.value.id, node.slice.value
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in rows
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        return node.func.value.id, node.args[0].value
    return None


def _table(node: ast.expr) -> str | None:
    assert isinstance(node, ast.Call)
    first = node.args[0] if node.args else None
    return first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None


def read_changes_data(code: str, method: str, own: list[str], path: str = "") -> list[str]:
    """A GET whose body writes to the store when its requirements name no change. A
    sentence about another operation ("GET /{code} ... counts one visit", beside
    `GET /links/{code}/stats`) says nothing of this one."""
    own = [s for s in own if _about(s, method, path)]
    if method != "get" or any(_CHANGES.search(_QUOTED.sub(" ", s)) for s in own):
        return []
    tree = parsed(code)
    if tree is None:
        return []
    for node in ast.walk(tree):
        for method_name in _WRITES:
            if is_store_call(node, method_name):
                assert isinstance(node, ast.Call)
                return [
                    f"line {node.lineno}: a GET only reads, and nothing in its requirements "
                    f"says it changes data, yet store.{method_name}() writes: answer what is "
                    "stored without changing it"
                ]
    return []
