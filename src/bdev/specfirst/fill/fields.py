"""Fields a body reads that the request body does not have.

A small model fills in fields it expects a request to carry: `body.password` on a card
with only `to` and `message` (the helpers list names hash_password). The body is a model
object, so that is an AttributeError and a 500 on every request; sent back at once it is
a one-line fix, where verification's traceback came back three rounds running.
"""

from __future__ import annotations

import ast

from bdev.specfirst.names import field_name
from bdev.specfirst.plan import Operation, ServicePlan
from bdev.specfirst.refs import deref
from bdev.specfirst.shapes import merged_properties

# What a body model has besides its fields (see templates/models*.py.j2).
_MODEL_ATTRIBUTES = frozenset(
    {"model_dump", "model_dump_json", "model_copy", "model_fields", "get", "keys", "dict"}
)


def unknown_body_fields(code: str, plan: ServicePlan, op: Operation) -> list[str]:
    """One problem per field the code reads or sets on `body` that its schema lacks."""
    fields = _fields(plan, op)
    if fields is None:
        return []
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []  # compile reports it
    rebound = any(
        isinstance(n, ast.Name) and n.id == "body" and isinstance(n.ctx, ast.Store)
        for n in ast.walk(tree)
    )
    if rebound:  # `body = ...`: no longer the request's body
        return []
    known = fields | _MODEL_ATTRIBUTES
    problems: dict[str, str] = {}
    listed = ", ".join(sorted(fields)) or "none"
    for node in ast.walk(tree):
        name: object = None
        if isinstance(node, ast.Attribute) and _is_body(node.value):
            name = node.attr
        elif isinstance(node, ast.Subscript) and _is_body(node.value):
            key = node.slice
            name = key.value if isinstance(key, ast.Constant) else None
        if isinstance(name, str) and name not in known and name not in problems:
            line = getattr(node, "lineno", 1)
            problems[name] = (
                f"line {line}: the request body has no field {name!r} (its fields: {listed})"
            )
    return list(problems.values())


def _fields(plan: ServicePlan, op: Operation) -> set[str] | None:
    """The body's field names (as sent and as attributes); None when any name goes."""
    if op.body is None or op.body.encoding == "raw":
        return None
    schema = deref(plan.document, op.body.schema_ or {})
    props, _ = merged_properties(plan.document, schema)
    if not props or schema.get("additionalProperties") not in (None, False):
        return None
    return {*props, *(field_name(p) for p in props)}


def _is_body(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "body"
