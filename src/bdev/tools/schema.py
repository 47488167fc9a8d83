"""Small helpers for the JSON schemas tools publish (kept compact: a small model reads
every schema on every turn)."""

from __future__ import annotations

from typing import Any

STRING: dict[str, Any] = {"type": "string"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}


def integer(minimum: int | None = None) -> dict[str, Any]:
    return {"type": "integer"} if minimum is None else {"type": "integer", "minimum": minimum}


def object_schema(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def array_of(items: dict[str, Any], min_items: int = 0) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": items}
    if min_items:
        schema["minItems"] = min_items
    return schema


def enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def described(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {**schema, "description": description}
