"""JSON schemas of an OpenAPI document made self-contained, and values built from them.

The generated tests embed each schema they check, so `$ref`s are resolved here, once,
and OpenAPI 3.0's `nullable` becomes JSON Schema's `"null"` type: the test module then
needs nothing but `jsonschema`.
"""

from __future__ import annotations

import copy
from typing import Any

# Keywords that only describe: left out so the embedded schemas stay short.
_PROSE = ("title", "description", "example", "examples", "externalDocs", "xml", "deprecated")
_FORMATS = {
    "email": "user@example.com",
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "uri": "https://example.com",
    "url": "https://example.com",
}


def resolve(
    schema: Any, doc: dict[str, Any], *, strip: bool = True, seen: frozenset[str] = frozenset()
) -> Any:
    """`schema` with every local `$ref` replaced by its target; a cycle becomes `{}`
    (anything), which checks less but never wrongly. `strip` drops the prose keywords
    (keep them to build values from their examples)."""
    if isinstance(schema, list):
        return [resolve(item, doc, strip=strip, seen=seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen or not ref.startswith("#/"):
            return {}
        return resolve(_pointer(doc, ref), doc, strip=strip, seen=seen | {ref})
    dropped = _PROSE if strip else ()
    out = {
        k: v
        if k in ("example", "examples", "default", "enum", "const")
        else resolve(v, doc, strip=strip, seen=seen)
        for k, v in schema.items()
        if k not in dropped
    }
    if out.pop("nullable", False) is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
    return out


def _pointer(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part) if isinstance(node, dict) else None
    return node if node is not None else {}


def example(schema: Any) -> Any:
    """A value the (resolved, unstripped) schema accepts: its example, default, enum or
    const when it has one, else one built from the type and bounds."""
    if not isinstance(schema, dict):
        return None
    for key in ("example", "default", "const"):
        if key in schema:
            return copy.deepcopy(schema[key])
    for key in ("examples", "enum"):
        if isinstance(schema.get(key), list) and schema[key]:
            return copy.deepcopy(schema[key][0])
    for key in ("anyOf", "oneOf"):
        options = [o for o in schema.get(key) or [] if _kind(o) != "null"]
        if options:
            return example(options[0])
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged = _merge(merged, part if isinstance(part, dict) else {})
        return example(merged)
    return _by_type(schema)


def _by_type(schema: dict[str, Any]) -> Any:
    kind = _kind(schema)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties") or {}
        return {name: example(props.get(name)) for name in schema.get("required") or []}
    if kind == "array":
        return [example(schema.get("items")) for _ in range(int(schema.get("minItems") or 0))]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "boolean":
        return True
    if kind == "string":
        text = _FORMATS.get(str(schema.get("format")), "text")
        low, high = int(schema.get("minLength") or 0), schema.get("maxLength")
        text = text.ljust(low, "x")
        return text[: int(high)] if high is not None else text
    return None if kind == "null" else "text"


def _number(schema: dict[str, Any], kind: str) -> int | float:
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(xlow, int | float) and not isinstance(xlow, bool):
        low = xlow + 1
    if isinstance(xhigh, int | float) and not isinstance(xhigh, bool):
        high = xhigh - 1
    value = low if low is not None else 1
    if high is not None and value > high:
        value = high
    return int(value) if kind == "integer" else float(value)


def _kind(schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = {**a, **b}
    out["properties"] = {**(a.get("properties") or {}), **(b.get("properties") or {})}
    out["required"] = [*(a.get("required") or []), *(b.get("required") or [])]
    return out


def object_schema(schema: Any) -> dict[str, Any] | None:
    """The object schema of a body (an `allOf` merged), or None when it is no object."""
    if not isinstance(schema, dict):
        return None
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged = _merge(merged, part if isinstance(part, dict) else {})
        schema = merged
    if _kind(schema) == "object" or "properties" in schema:
        return schema
    return None


def out_of_bounds(prop: Any) -> tuple[Any, str] | None:
    """A value the property's bounds reject, and which bound; None without bounds."""
    if not isinstance(prop, dict):
        return None
    kind = _kind(prop)
    if kind in ("integer", "number"):
        for key, step in (
            ("minimum", -1), ("exclusiveMinimum", 0), ("maximum", 1), ("exclusiveMaximum", 0)
        ):  # fmt: skip
            value = prop.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                bad = value + step
                # JSON Schema's 0.0 is an integer bound too; keep the body's type right.
                bad = int(bad) if kind == "integer" and float(bad).is_integer() else bad
                return bad, f"{key} {value:g}"
    if kind == "string":
        low, high = prop.get("minLength"), prop.get("maxLength")
        if isinstance(low, int) and low > 0:
            return "x" * (low - 1), f"minLength {low}"
        if isinstance(high, int):
            return "x" * (high + 1), f"maxLength {high}"
    return None
