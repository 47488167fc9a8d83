"""Read an OpenAPI document (YAML or JSON), check its local `$ref`s, validate it.

Validation is openapi-spec-validator's; this module only turns its findings into one
`BdevError` that names the JSON path, e.g. `paths./items.get.responses`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from jsonschema.exceptions import ValidationError
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator

from bdev.errors import BdevError
from bdev.specfirst.refs import check_refs, dotted


def load_spec(path: str | Path) -> dict[str, Any]:
    """Parse, check and validate the spec at `path`; return the raw document."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise BdevError(f"{path}: cannot read the spec ({e.strerror})") from None
    doc = parse_spec_text(text, str(path))
    validate_spec(doc, str(path))
    return doc


def parse_spec_text(text: str, source: str) -> dict[str, Any]:
    try:
        # YAML is a superset of JSON, but json gives better messages for .json files.
        doc = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except json.JSONDecodeError as e:
        raise BdevError(
            f"{source}: not valid JSON: line {e.lineno}, column {e.colno}: {e.msg}"
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise BdevError(
            f"{source}: not valid YAML: {where}{getattr(e, 'problem', None) or e}"
        ) from None
    if not isinstance(doc, dict):
        raise BdevError(f"{source}: an OpenAPI document must be a mapping at the top level")
    return normalise(doc, source)


# JSON Schema's type names; `type: Object` is a common slip for `object`.
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
# Where a value is data rather than schema: its `type` keys are left as written.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "value"})


def normalise(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """The document as JSON would hold it, so everything downstream sees plain JSON.

    YAML reads `2024-01-01` as a date, `!!binary` as bytes and unquoted `200:` as an int
    key; those become their JSON spelling (ISO text, base64, "200"). `type: Object` is
    lower-cased. NaN and infinities have no JSON spelling: refused with their path.
    """

    def walk(node: Any, path: list[Any], data: bool) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                name = _key_text(key)
                # A property may be called `example`: under `properties` it is schema.
                is_data = name in _DATA_KEYS and not (path and path[-1] == "properties")
                out[name] = walk(value, [*path, name], data or is_data)
            if not data:
                out = _fix_type_case(out)
            return out
        if isinstance(node, list):
            return [walk(v, [*path, i], data) for i, v in enumerate(node)]
        if isinstance(node, dt.datetime):
            return node.isoformat().replace("+00:00", "Z")
        if isinstance(node, dt.date):
            return node.isoformat()
        if isinstance(node, bytes):
            return base64.b64encode(node).decode("ascii")
        if isinstance(node, float) and not math.isfinite(node):
            where = dotted(path) or "(document root)"
            raise BdevError(f"{source}: at {where}: {node} is not a JSON number")
        if node is None or isinstance(node, str | int | float | bool):
            return node
        return str(node)  # any other YAML-native scalar: its text

    result: dict[str, Any] = walk(doc, [], False)
    return result


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    if isinstance(key, dt.date):
        return key.isoformat()
    return str(key)


def _fix_type_case(node: dict[str, Any]) -> dict[str, Any]:
    kind = node.get("type")
    if isinstance(kind, str) and kind not in _TYPES and kind.lower() in _TYPES:
        node["type"] = kind.lower()
    elif isinstance(kind, list):
        node["type"] = [
            k.lower() if isinstance(k, str) and k.lower() in _TYPES else k for k in kind
        ]
    return node


def validate_spec(doc: dict[str, Any], source: str) -> None:
    version = str(doc.get("openapi", ""))
    validator_cls: type[OpenAPIV30SpecValidator | OpenAPIV31SpecValidator]
    if version.startswith("3.0"):
        validator_cls = OpenAPIV30SpecValidator
    elif version.startswith("3.1"):
        validator_cls = OpenAPIV31SpecValidator
    else:
        found = doc.get("openapi", doc.get("swagger"))
        raise BdevError(f"{source}: field 'openapi' must be 3.0.x or 3.1.x, found {found!r}")
    # The validator raises (not reports) on a dangling $ref, so refs are checked first.
    check_refs(doc, source)
    errors = list(validator_cls(doc).iter_errors())
    if errors:
        raise BdevError(f"{source}: invalid OpenAPI document: {describe(errors, doc)}")


def describe(errors: Iterable[ValidationError], doc: dict[str, Any]) -> str:
    """One line for the most specific error, with its JSON path."""
    # jsonschema's best_match cannot rank these errors (they carry no type checker), and
    # errors found inside a Schema Object have paths relative to that schema; so each
    # path is made absolute, and the deepest one is the most specific.
    located = []
    for error in errors:
        while error.context:
            error = max(error.context, key=lambda e: len(e.absolute_path))
        located.append((_absolute(doc, list(error.absolute_path), error.instance), error))
    path, error = max(located, key=lambda pair: len(pair[0]))
    message = error.message.splitlines()[0]
    for keyword in ("oneOf", "anyOf"):  # such a message starts with the whole node
        if message.endswith(
            f"is not valid under any of the schemas listed in the '{keyword}' keyword"
        ):
            message = f"is not valid under any of the forms the specification allows ({keyword})"
    return f"at {dotted(path) or '(document root)'}: {message}"


def _absolute(doc: dict[str, Any], path: list[Any], instance: Any) -> list[Any]:
    """`path` if it starts at the document root, else where in the document it leads to
    `instance` (the first such place)."""
    if not path or path[0] in doc:
        return path

    def follow(node: Any) -> Any:
        for part in path:
            in_dict = isinstance(node, dict) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and part < len(node)
            if in_dict or in_list:
                node = node[part]
            else:
                return _MISSING
        return node

    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack:
        node, where = stack.pop(0)
        if follow(node) == instance:
            return where + path
        if isinstance(node, dict):
            stack += [(v, [*where, k]) for k, v in node.items()]
        elif isinstance(node, list):
            stack += [(v, [*where, i]) for i, v in enumerate(node)]
    return path


_MISSING = object()
