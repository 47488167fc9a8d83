"""Turning spec names into Python names: snake_case functions, PascalCase classes."""

from __future__ import annotations

import keyword
import re

# Attributes of pydantic.BaseModel that a field must not shadow, and the types the
# models module imports by these names (a field `date: date | None` would hide the type
# from its own annotation).
_RESERVED = {
    "schema", "json", "dict", "copy", "construct", "validate", "fields", "register",
    "date", "datetime", "time", "timedelta", "uuid", "get", "keys",
}  # fmt: skip
# Names the generated modules import or define for their classes: a schema must not
# take one (a component `Field` would replace pydantic's Field).
_TAKEN_CLASSES = frozenset(
    {
        "Any", "Annotated", "Literal", "Field", "BaseModel", "ConfigDict", "TypeAdapter",
        "EmailStr", "StrictBool", "StrictFloat", "StrictInt", "StrictStr", "UUID",
        "ApiModel", "ApiError", "Reply", "Upload", "Store", "Principal", "Path", "Request",
        "Response",
        "JSONResponse", "FastAPI", "Flask", "Body", "Header", "Query", "Cookie", "Depends",
        "PathParam", "HTTPException", "ValidationError", "RequestValidationError", "Message",
        "Receive", "Scope", "Send", "ASGIApp", "Hardening", "Mapping", "Self", "UTC",
    }
)  # fmt: skip


def snake(name: str) -> str:
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    if not name:
        name = "x"
    if name[0].isdigit():
        name = f"n_{name}"
    return f"{name}_" if keyword.iskeyword(name) else name


def pascal(name: str) -> str:
    words = re.split(r"[^0-9a-zA-Z]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name))
    out = "".join(w[:1].upper() + w[1:] for w in words if w)
    if not out:
        return "Model"
    return f"M{out}" if out[0].isdigit() else out


def class_name(name: str) -> str:
    """`pascal(name)`, moved aside when it would shadow a name the modules use."""
    out = pascal(name)
    return f"{out}Model" if out in _TAKEN_CLASSES else out


def field_name(name: str) -> str:
    """A safe attribute name for a schema property (the original goes in an alias)."""
    py = snake(name)
    if py in _RESERVED or py.startswith("model_"):
        py = f"{py}_"
    return py


def operation_name(method: str, path: str) -> str:
    """`GET /items/{id}` -> `get_items_by_id`, for operations without an operationId."""
    parts = [method.lower()]
    for segment in path.strip("/").split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            parts.append(f"by_{segment[1:-1]}")
        elif segment:
            parts.append(segment)
    return snake("_".join(parts) if len(parts) > 1 else f"{method}_root")
