"""What an object schema holds: its properties and required names, across `allOf`.

Shared by the plan's decisions (which operations store their body) and by code
generation (model classes, handler bodies, tests), so it sits below both.
"""

from __future__ import annotations

from typing import Any

from bdev.specfirst.refs import deref


def merged_properties(
    doc: dict[str, Any], schema: Any, _seen: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names, flattening allOf (and $refs inside it).

    `_seen`: the references being flattened; an allOf that includes itself again
    (A allOf B, B allOf A) adds nothing the second time instead of recursing forever.
    """
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str):
        if ref in _seen:
            return {}, set()
        _seen = _seen | {ref}
    schema = deref(doc, schema or {})
    if not isinstance(schema, dict):
        return {}, set()
    props = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        more, req = merged_properties(doc, part, _seen)
        props.update(more)
        required |= req
    return props, required
