"""JSON Schema (OpenAPI flavour) -> pydantic model source code with exact constraints.

Body and response models use strict scalars (`"5"` is not an integer in a JSON body);
parameter annotations are lax because query/path/header values always arrive as text.
"""

from __future__ import annotations

from typing import Any

from bdev.specfirst.names import class_name, field_name, pascal
from bdev.specfirst.refs import SCHEMA_PREFIX, deref
from bdev.specfirst.shapes import merged_properties

# A loose shape check used for `format: email` when email-validator is not allowed.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

_STRICT = {
    "string": "StrictStr",
    "integer": "StrictInt",
    "number": "StrictFloat",
    "boolean": "StrictBool",
}
_LAX = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
_FORMATS = {"date-time": "datetime", "date": "date", "uuid": "UUID"}


class SchemaCode:
    """Collects the classes and aliases a set of schemas needs, in definition order."""

    def __init__(self, doc: dict[str, Any], *, email_validator: bool) -> None:
        self.doc = doc
        self.email_validator = email_validator
        self.blocks: dict[str, str] = {}  # name -> source, dependencies first
        self._building: set[str] = set()
        self.rebuild: list[str] = []  # classes that refer to themselves (or a cycle)
        self._inlining: set[str] = set()  # references being written out in place

    # --- public -----------------------------------------------------------------------
    def annotation(self, schema: dict[str, Any] | None, hint: str, *, strict: bool = True) -> str:
        """The type of a value matching `schema`, constraints included (via Annotated)."""
        base, kwargs = self.type_and_constraints(schema, hint, strict=strict)
        return _annotated(base, kwargs)

    def type_and_constraints(
        self, schema: dict[str, Any] | None, hint: str, *, strict: bool = True
    ) -> tuple[str, dict[str, str]]:
        """The bare type and its Field/Query keyword arguments (as source text)."""
        if not schema:
            return "Any", {}
        if "$ref" in schema:
            return self._ref(schema["$ref"], strict=strict), {}
        nullable = bool(schema.get("nullable"))
        types = schema.get("type")
        if isinstance(types, list):  # OpenAPI 3.1: type: [string, "null"]
            nullable = nullable or "null" in types
            rest = [t for t in types if t != "null"]
            types = rest[0] if len(rest) == 1 else None
            if len(rest) > 1:
                base = " | ".join(
                    self.annotation({**schema, "type": t}, hint, strict=strict) for t in rest
                )
                return _nullable(base, nullable), {}
        base, kwargs = self._base(schema, types, hint, strict)
        return _nullable(base, nullable), kwargs

    def model(self, name: str, schema: dict[str, Any]) -> str:
        """Define (once) a class for an object schema; returns its name."""
        name = class_name(name)
        if name in self.blocks or name in self._building:
            if name in self._building and name not in self.rebuild:
                self.rebuild.append(name)
            return name
        self._building.add(name)
        props, required = merged_properties(self.doc, schema)
        lines = [f"class {name}(ApiModel):"]
        if schema.get("description"):
            lines.append(f"    {docstring_literal(schema['description'])}")
        if schema.get("additionalProperties") is False:
            lines.append('    model_config = ConfigDict(extra="forbid")')
        for prop, sub in props.items():
            lines.append("    " + self._field(name, prop, sub or {}, prop in required))
        if len(lines) == 1:
            lines.append("    pass")
        self._building.discard(name)
        self.blocks[name] = "\n".join(lines)
        return name

    def form_model(self, name: str, schema: dict[str, Any], *, files: bool) -> str:
        """A class for form fields (urlencoded, or multipart when `files`): text arrives
        for every field, so scalars are lax ("5" is 5); a binary property is an Upload."""
        props, required = merged_properties(self.doc, schema)
        if not props:
            return "dict[str, Any]"
        name = class_name(name)
        if name in self.blocks:
            return name
        lines = [f"class {name}(ApiModel):"]
        for prop, sub in props.items():
            upload = files and file_kind(self.doc, sub or {})
            if upload:
                self._upload()
                optional = prop not in required
                py = field_name(prop)
                kind = f"{upload} | None = None" if optional else upload
                if py != prop:
                    default = "None, " if optional else ""
                    kind = (
                        f"{upload}{' | None' if optional else ''} = Field({default}alias={prop!r})"
                    )
                lines.append(f"    {py}: {kind}")
            else:
                lines.append("    " + self._field(name, prop, sub or {}, prop in required, False))
        self.blocks[name] = "\n".join(lines)
        return name

    def _upload(self) -> None:
        if "Upload" not in self.blocks:
            self.blocks["Upload"] = _UPLOAD

    # --- internals --------------------------------------------------------------------
    def _ref(self, ref: str, *, strict: bool) -> str:
        if not ref.startswith(SCHEMA_PREFIX):
            return self._inline(ref, deref(self.doc, {"$ref": ref}), "Ref", strict)
        component = ref[len(SCHEMA_PREFIX) :]
        target = deref(self.doc, {"$ref": ref})
        name = class_name(component)
        if _is_object(target):
            return self.model(name, target)
        if name in self._building and name not in self.blocks:
            # An alias that contains itself (`A: {type: array, items: {$ref: A}}`) cannot
            # be a plain type alias: the inner occurrence accepts anything.
            return "Any"
        if not strict:  # a parameter: the alias would be strict, so inline a lax copy
            return self._inline(ref, target, name, strict)
        if name not in self.blocks and name not in self._building:
            self._building.add(name)
            self.blocks[name] = f"{name} = {self.annotation(target, name)}"
            self._building.discard(name)
        return name

    def _inline(self, ref: str, target: Any, hint: str, strict: bool) -> str:
        """The annotation of a referenced schema written out in place; a reference back
        into itself while doing so accepts anything (instead of recursing forever)."""
        if ref in self._inlining:
            return "Any"
        self._inlining.add(ref)
        try:
            return self.annotation(target, hint, strict=strict)
        finally:
            self._inlining.discard(ref)

    def _base(
        self, schema: dict[str, Any], kind: Any, hint: str, strict: bool
    ) -> tuple[str, dict[str, str]]:
        if "enum" in schema:
            return "Literal[" + ", ".join(
                repr(v) for v in schema["enum"] if v is not None
            ) + "]", {}
        if "const" in schema:
            return f"Literal[{schema['const']!r}]", {}
        for key in ("oneOf", "anyOf"):
            if key in schema:
                parts = [
                    self.annotation(s, f"{hint}Option{i}", strict=strict)
                    for i, s in enumerate(schema[key])
                ]
                return " | ".join(dict.fromkeys(parts)), {}
        if "allOf" in schema or (_is_object(schema) and kind in (None, "object")):
            if merged_properties(self.doc, schema)[0] or (kind is None and "properties" in schema):
                return self.model(pascal(hint), schema), {}
            extra = schema.get("additionalProperties")
            value = (
                self.annotation(extra, f"{hint}Value", strict=strict)
                if isinstance(extra, dict)
                else "Any"
            )
            return f"dict[str, {value}]", {}
        if kind == "array":
            item = self.annotation(schema.get("items"), f"{hint}Item", strict=strict)
            return f"list[{item}]", _bounds(schema, "minItems", "maxItems")
        if kind == "string":
            fmt = schema.get("format")
            if fmt in _FORMATS:
                return _FORMATS[fmt], {}
            kwargs = _bounds(schema, "minLength", "maxLength")
            if fmt == "email" and self.email_validator:
                return "EmailStr", kwargs
            pattern = schema.get("pattern") or (EMAIL_PATTERN if fmt == "email" else None)
            if pattern:
                kwargs["pattern"] = repr(pattern)
            return (_STRICT if strict else _LAX)["string"], kwargs
        if kind in ("integer", "number"):
            return (_STRICT if strict else _LAX)[kind], _numeric(schema)
        if kind == "boolean":
            return (_STRICT if strict else _LAX)["boolean"], {}
        return "Any", {}

    def _field(
        self, owner: str, prop: str, schema: dict[str, Any], required: bool, strict: bool = True
    ) -> str:
        py = field_name(prop)
        base, kwargs = self.type_and_constraints(schema, f"{owner}{pascal(prop)}", strict=strict)
        resolved = deref(self.doc, schema)
        # readOnly fields are set by the server, so a request may leave them out.
        optional = not required or resolved.get("readOnly", False)
        if py != prop:
            kwargs = {"alias": repr(prop), **kwargs}
        if "default" in resolved:
            kwargs = {"default": repr(resolved["default"]), **kwargs}
        elif optional:
            base = _nullable(base, True)
            kwargs = {"default": "None", **kwargs}
        if list(kwargs) == ["default"]:
            return f"{py}: {base} = {kwargs['default']}"
        if kwargs:
            return f"{py}: {base} = Field({call_args(kwargs)})"
        return f"{py}: {base}"


# A file of a multipart body, as the generated service hands it to a handler.
_UPLOAD = '''class Upload(ApiModel):
    """A file sent in a multipart/form-data body."""

    filename: str | None = None
    content_type: str | None = None
    content: Any = None  # the file's bytes

    def read(self) -> bytes:
        """The file's bytes, as Flask's and FastAPI's upload objects hand them out."""
        return self.content or b""

    @property
    def file(self) -> Any:
        """The bytes as a file object (FastAPI's `.file`, Flask's `.stream`)."""
        import io

        return io.BytesIO(self.content or b"")

    stream = file'''


def file_kind(doc: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """ "Upload" / "list[Upload]" for a property holding files, else None."""
    schema = deref(doc, schema)
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return "list[Upload]" if file_kind(doc, schema["items"]) == "Upload" else None
    binary = schema.get("format") == "binary" or "contentMediaType" in schema
    return "Upload" if binary or schema.get("contentEncoding") == "binary" else None


def array_fields(doc: dict[str, Any], schema: dict[str, Any] | None) -> tuple[str, ...]:
    """The properties of a form schema that take every value sent under their name."""
    props = merged_properties(doc, schema or {})[0]
    return tuple(
        name for name, sub in props.items() if deref(doc, sub or {}).get("type") == "array"
    )


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or "properties" in schema or "allOf" in schema


def _nullable(base: str, nullable: bool) -> str:
    return f"{base} | None" if nullable and not base.endswith("| None") and base != "Any" else base


def _annotated(base: str, kwargs: dict[str, str]) -> str:
    return f"Annotated[{base}, Field({call_args(kwargs)})]" if kwargs else base


def call_args(kwargs: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in kwargs.items())


def _bounds(schema: dict[str, Any], low: str, high: str) -> dict[str, str]:
    out = {}
    if low in schema:
        out["min_length"] = repr(schema[low])
    if high in schema:
        out["max_length"] = repr(schema[high])
    return out


def _numeric(schema: dict[str, Any]) -> dict[str, str]:
    out = {}
    for bound, inclusive, exclusive in (("minimum", "ge", "gt"), ("maximum", "le", "lt")):
        flag = schema.get("exclusiveMinimum" if bound == "minimum" else "exclusiveMaximum")
        if bound in schema:
            out[exclusive if flag is True else inclusive] = repr(schema[bound])
        if isinstance(flag, int | float) and not isinstance(flag, bool):  # OpenAPI 3.1
            out[exclusive] = repr(flag)
    if "multipleOf" in schema:
        out["multiple_of"] = repr(schema["multipleOf"])
    return out


def docstring_literal(text: str) -> str:
    """A docstring that compiles whatever the spec's text holds: a quote at its end
    (`Returns a "218 This is fine"`) would otherwise run into the closing quotes."""
    text = " ".join(text.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'"""{text}"""'
