"""What an object schema holds: its properties and required names, across `allOf`.

Shared by the plan's decisions (which operations store their body) and by code
generation (model classes, handler bodies, tests), so it sits below both.
"""

from __future__ import annotations

from typing import Any

from bdev.specfirst.refs import deref


def merged_properties(doc: dict[str, Any], schema: Any) -> tuple[dict[str, Any], set[str]]:
    """Properties and required names, flattening allOf (and $refs inside it)."""
    schema = deref(doc, schema or {})
    props = dict(schema.get("properties") or {})
    required = set(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        more, req = merged_properties(doc, part)
        props.update(more)
        required |= req
    return props, required
