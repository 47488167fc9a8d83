"""The JSON body a handler reads, as a JSON Schema, from its code.

Without an OpenAPI document (Flask, or FastAPI before the service runs) bdev knew no
valid body for a POST, so its tests sent none and stopped at the first 400. The handler
says what it reads: Flask's `body = request.get_json(...)` then `body["name"]` or
`body.get("age")` (typed by the `isinstance` checks on what was read), FastAPI's
pydantic model parameter (its annotated fields and `Field(...)` bounds). No library
reads this from code, so it is a small AST pass, written here.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from bdev.backend.facts import Endpoint

_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "dict": "object",
    "EmailStr": "string",
    "date": "string",
    "datetime": "string",
}
_FORMATS = {"EmailStr": "email", "date": "date", "datetime": "date-time"}
_BOUNDS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
    "min_length": "minLength",
    "max_length": "maxLength",
}
# Names that hold numbers in most APIs, when the code does not say (an `isinstance`).
_NUMERIC = ("_id", "_cents", "count", "quantity", "amount", "age", "price", "total", "number")


def inferred_body(root: Path, endpoint: Endpoint) -> dict[str, Any] | None:
    """An object schema of the body `endpoint`'s handler reads; None when it reads none
    (or its source cannot be read)."""
    if endpoint.location is None:
        return None
    try:
        module = ast.parse((root / endpoint.location.file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    handler = next(
        (
            n
            for n in ast.walk(module)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == endpoint.handler
        ),
        None,
    )
    if handler is None:
        return None
    return _pydantic_body(module, handler) or _flask_body(handler)


# -- Flask: what the handler reads from request.get_json() ------------------------------


def _flask_body(handler: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, Any] | None:
    bodies = {
        target.id
        for node in ast.walk(handler)
        if isinstance(node, ast.Assign) and _is_json(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    reads: list[tuple[int, int, str]] = []
    holders: dict[str, str] = {}  # variable -> the key it was read from
    for node in ast.walk(handler):
        key = _read_key(node, bodies)
        if key is not None:
            reads.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), key))
        if isinstance(node, ast.Assign):
            _note_holders(node, bodies, holders)
    keys = dict.fromkeys(key for _, _, key in sorted(reads))  # in the order the code reads
    if not keys:
        return None
    kinds = _isinstance_kinds(handler, holders)
    props = {k: kinds.get(k) or _guess(k) for k in keys}
    return {"type": "object", "properties": props, "required": list(keys)}


def _is_json(node: ast.expr) -> bool:
    """`request.get_json(...)`, `request.json`, either `or {}`."""
    if isinstance(node, ast.BoolOp):
        return any(_is_json(v) for v in node.values)
    if isinstance(node, ast.Call):
        node = node.func
        return isinstance(node, ast.Attribute) and node.attr == "get_json"
    return isinstance(node, ast.Attribute) and node.attr == "json" and _named(node.value, "request")


def _named(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _read_key(node: ast.AST, bodies: set[str]) -> str | None:
    """The key of `body["k"]`, `body.get("k")`, `request.get_json()["k"]`."""
    if isinstance(node, ast.Subscript) and _is_body(node.value, bodies):
        key = node.slice
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get"
        and _is_body(node.func.value, bodies)
        and node.args
    ):
        key = node.args[0]
    else:
        return None
    return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None


def _is_body(node: ast.expr, bodies: set[str]) -> bool:
    return (isinstance(node, ast.Name) and node.id in bodies) or _is_json(node)


def _note_holders(node: ast.Assign, bodies: set[str], holders: dict[str, str]) -> None:
    """`kind = body.get("kind")` and `a, b = body["a"], body["b"]`: variable -> key."""
    for target in node.targets:
        pairs: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
            pairs = list(zip(target.elts, node.value.elts, strict=False))
        else:
            pairs = [(target, node.value)]
        for name, value in pairs:
            key = _read_key(value, bodies)
            if isinstance(name, ast.Name) and key is not None:
                holders[name.id] = key


def _isinstance_kinds(
    handler: ast.FunctionDef | ast.AsyncFunctionDef, holders: dict[str, str]
) -> dict[str, dict[str, Any]]:
    kinds: dict[str, dict[str, Any]] = {}
    for node in ast.walk(handler):
        if not (
            isinstance(node, ast.Call) and _named(node.func, "isinstance") and len(node.args) == 2
        ):
            continue
        subject, kind = node.args
        key = holders.get(subject.id) if isinstance(subject, ast.Name) else None
        names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
        types = [_TYPES[n.id] for n in names if isinstance(n, ast.Name) and n.id in _TYPES]
        if key is not None and types and key not in kinds:
            kinds[key] = {"type": types[0]}
    return kinds


def _guess(key: str) -> dict[str, Any]:
    lowered = key.lower()
    if lowered.endswith(_NUMERIC) or lowered in ("id", "n", "qty"):
        return {"type": "integer", "minimum": 1}
    if "email" in lowered:
        return {"type": "string", "format": "email"}
    return {"type": "string", "example": f"example {key}"}


# -- FastAPI: the pydantic model the handler takes --------------------------------------


def _pydantic_body(
    module: ast.Module, handler: ast.FunctionDef | ast.AsyncFunctionDef
) -> dict[str, Any] | None:
    classes = {n.name: n for n in module.body if isinstance(n, ast.ClassDef)}
    for arg in handler.args.args + handler.args.kwonlyargs:
        name = arg.annotation.id if isinstance(arg.annotation, ast.Name) else None
        model = classes.get(name or "")
        if model is not None and _is_model(model):
            return _model_schema(model)
    return None


def _is_model(cls: ast.ClassDef) -> bool:
    return any(ast.unparse(b).split(".")[-1] in ("BaseModel", "SQLModel") for b in cls.bases)


def _model_schema(cls: ast.ClassDef) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        name = node.target.id
        prop = _annotation_schema(node.annotation)
        field_call = (
            node.value
            if isinstance(node.value, ast.Call) and ast.unparse(node.value.func).endswith("Field")
            else None
        )
        has_default = node.value is not None and field_call is None
        if field_call is not None:
            for keyword in field_call.keywords:
                bound = _BOUNDS.get(keyword.arg or "")
                if bound and isinstance(keyword.value, ast.Constant):
                    prop[bound] = keyword.value.value
                if keyword.arg in ("default", "default_factory"):
                    has_default = True
            if field_call.args and not (
                isinstance(field_call.args[0], ast.Constant) and field_call.args[0].value is ...
            ):
                has_default = True
        props[name] = prop
        if not has_default:
            required.append(name)
    return {"type": "object", "properties": props, "required": required}


def _annotation_schema(annotation: ast.expr) -> dict[str, Any]:
    text = ast.unparse(annotation)
    for name, kind in _TYPES.items():
        if text == name or text.startswith((f"{name} |", f"Optional[{name}]")):
            schema: dict[str, Any] = {"type": kind}
            if name in _FORMATS:
                schema["format"] = _FORMATS[name]
            return schema
    return {"type": "string"}
