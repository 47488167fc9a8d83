"""Deterministic example values for a schema: the spec's own examples first.

Used to write the generated tests (valid requests, and requests that break exactly
one constraint).
"""

from __future__ import annotations

import math
from typing import Any

from bdev.specfirst.refs import deref

_FORMATS = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "uuid": "123e4567-e89b-42d3-a456-426614174000",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}


class NoExample(Exception):
    """No value can be derived (e.g. a `pattern` without an example)."""


def example(
    doc: dict[str, Any],
    schema: dict[str, Any] | None,
    name: str = "",
    *,
    request: bool = True,
    seen: frozenset[str] = frozenset(),
) -> Any:
    """`seen`: the `$ref`s being expanded above this one; a schema that contains itself
    (a tree node's children) gets no example inside itself: an optional property or
    an array that may be empty is left out or empty instead."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if isinstance(ref, str):
        if ref in seen:
            raise NoExample(f"{ref} contains itself")
        seen = seen | {ref}
    schema = deref(doc, schema or {})
    for key in ("example", "default", "const"):
        if key in schema:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if schema.get("enum"):
        return next(v for v in schema["enum"] if v is not None)
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return example(doc, schema[key][0], name, request=request, seen=seen)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema or "allOf" in schema:
        return _object(doc, schema, request, seen)
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        try:
            item = example(doc, schema.get("items"), name, request=request, seen=seen)
        except NoExample:
            if int(schema.get("minItems", 0)) == 0:
                return []
            raise
        return [item for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(schema, name)
    return "example"


def _object(
    doc: dict[str, Any], schema: dict[str, Any], request: bool, seen: frozenset[str]
) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: set[str] = set()
    for part in [schema, *(deref(doc, p) for p in schema.get("allOf", []))]:
        props.update(part.get("properties") or {})
        required |= set(part.get("required") or [])
    out = {}
    for prop, sub in props.items():
        resolved = deref(doc, sub)
        if request and resolved.get("readOnly"):
            continue
        try:
            out[prop] = example(doc, sub, prop, request=request, seen=seen)
        except NoExample:
            if prop in required:
                raise
    return out


def _number(schema: dict[str, Any], kind: str) -> int | float:
    low = schema.get("minimum")
    high = schema.get("maximum")
    step = schema.get("multipleOf")
    if low is None:
        value = 1 if high is None or high >= 1 else high
    else:
        value = low + (1 if schema.get("exclusiveMinimum") is True else 0)
    if isinstance(schema.get("exclusiveMinimum"), int | float) and not isinstance(
        schema["exclusiveMinimum"], bool
    ):
        value = max(value, schema["exclusiveMinimum"] + 1)
    if step:
        value = math.ceil(value / step) * step
    return int(value) if kind == "integer" else float(value)


def _string(schema: dict[str, Any], name: str) -> str:
    fmt = schema.get("format")
    if fmt in _FORMATS:
        return _FORMATS[fmt]
    if schema.get("pattern"):
        raise NoExample(f"pattern {schema['pattern']!r} without an example")
    base = "S3cure-passw0rd!" if "password" in name.lower() else f"{name or 'value'}-1"
    low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
    text = base.ljust(low, "x")
    return text[: int(high)] if high is not None else text


def violation(doc: dict[str, Any], schema: dict[str, Any] | None) -> Any:
    """A value that breaks one constraint of a scalar schema, or NoExample."""
    schema = deref(doc, schema or {})
    if schema.get("enum"):
        return "not-one-of-the-choices"
    if "maximum" in schema:
        return schema["maximum"] + 1
    if "minimum" in schema:
        return schema["minimum"] - 1
    if "maxLength" in schema:
        return "x" * (int(schema["maxLength"]) + 1)
    if schema.get("type") in ("integer", "number"):
        return "not-a-number"
    raise NoExample("no constraint to break")
