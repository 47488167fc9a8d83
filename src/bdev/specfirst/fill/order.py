"""A listing sorted the other way from what its requirements say.

"as a JSON list ordered by id", "sorted by name": a small model adds `reverse=True` out
of habit (newest first), and a test of the order fails. Unless the sentence asks for a
descending order in words, the order asked for is ascending.
"""

from __future__ import annotations

import ast
import re

from bdev.specfirst.fill.nodes import parsed

_ORDERED = re.compile(r"\b(ordered|sorted|sort|order)\s+by\b", re.I)
_DESCENDING = re.compile(
    r"\b(desc\w*|newest|latest|most recent|recent first|reversed?|highest|largest|biggest|"
    r"last first|z to a|decreasing)\b",
    re.I,
)


def reversed_order(code: str, sentences: list[str]) -> list[str]:
    """One problem when the body reverses an order its requirements ask for ascending."""
    asked = next((s for s in sentences if _ORDERED.search(s)), None)
    if asked is None or any(_DESCENDING.search(s) for s in sentences):
        return []
    tree = parsed(code)
    if tree is None:
        return []
    for node in ast.walk(tree):
        if _reverses(node):
            return [
                f"line {getattr(node, 'lineno', 0)}: this reverses the order, and the "
                f"requirements ask for it ascending: {asked.strip()!r}; sort without reverse"
            ]
    return []


def _reverses(node: ast.AST) -> bool:
    if isinstance(node, ast.Call):
        if any(
            k.arg == "reverse" and isinstance(k.value, ast.Constant) and k.value.value is True
            for k in node.keywords
        ):
            return True
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        name = name or (node.func.id if isinstance(node.func, ast.Name) else None)
        return name in ("reverse", "reversed")
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        step = node.slice.step
        return isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub)
    return False
