"""From a validated OpenAPI document to a `ServicePlan` (no code is generated here)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bdev.errors import BdevError
from bdev.specfirst.names import operation_name, snake
from bdev.specfirst.plan import (
    HTTP_METHODS,
    Body,
    Operation,
    Param,
    Response,
    SecurityScheme,
    ServicePlan,
)
from bdev.specfirst.refs import deref, dotted
from bdev.specfirst.resources import infer_resources, issued_credential

# Names the generated modules define themselves; an operation must not shadow them.
_GENERATED_NAMES = frozenset(
    {
        "app", "store", "reply", "dump", "values", "parse_body", "health", "openapi_document",
        "authenticate", "create_token", "decode_token", "hash_password", "verify_password",
        "safe_join", "run_command", "now_iso", "seconds_up", "evaluate_arithmetic", "error_body",
        "not_option",
        "adapter", "log", "handlers", "ast", "math", "operator",
        "request", "json", "os", "logging", "main", "Store", "ApiError",
        # modules and helpers the generated code imports or defines
        "date", "datetime", "time", "uuid", "base64", "hashlib", "hmac", "secrets",
        "subprocess", "sqlite3", "threading", "jwt", "cache", "key_digest", "new_api_key",
        "without_private", "read_body", "form_fields", "multipart_fields", "annotations",
    }
)  # fmt: skip
# Keyword arguments every handler may take besides the parameters.
_HANDLER_ARGS = frozenset({"body", "store", "principal", "request", "params", "result"})


def build_plan(
    doc: dict[str, Any], source: str = "spec", describe: str | None = None
) -> ServicePlan:
    def unsupported(path: list[Any], what: str) -> BdevError:
        return BdevError(f"{source}: at {dotted(path)}: {what} is not supported by `bdev new`")

    not_served = []
    if doc.get("webhooks"):
        # Requests this service would send to its subscribers, not routes it serves.
        not_served.append(f"webhooks ({', '.join(doc['webhooks'])}): requests it sends")
    schemes = _security_schemes(doc, unsupported)
    global_security = doc.get("security", [])
    operations: list[Operation] = []
    made_public: dict[str, str] = {}
    seen: set[str] = set()
    for path, item in (doc.get("paths") or {}).items():
        item = deref(doc, item)
        _check_template(path, unsupported)
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            where = ["paths", path, method]
            raw = item[method]
            if raw.get("callbacks"):
                at = dotted([*where, "callbacks"])
                not_served.append(f"{at}: requests it sends back to the caller")
            name = (
                snake(raw["operationId"])
                if raw.get("operationId")
                else operation_name(method, path)
            )
            if name in _GENERATED_NAMES:
                name = f"{name}_operation"
            if name in seen:
                name = f"{name}_{method}"
            seen.add(name)
            security = raw.get("security", global_security)
            for i, alternative in enumerate(security):
                for scheme in alternative:
                    if scheme not in schemes:
                        at = dotted([*where, "security", i])
                        raise BdevError(f"{source}: at {at}: unknown security scheme {scheme!r}")
            op = Operation(
                operation_id=name,
                method=method,
                path=path,
                summary=raw.get("summary", ""),
                description=raw.get("description", ""),
                tags=raw.get("tags", []),
                params=_params(doc, shared, raw.get("parameters", []), where, unsupported),
                body=_body(doc, raw.get("requestBody"), [*where, "requestBody"], unsupported),
                responses=_responses(doc, raw.get("responses", {})),
                security=security,
            )
            if security and "security" not in raw:
                why = issued_credential(doc, op)
                if why:  # it cannot require what it hands out
                    op.security = []
                    made_public[name] = why
            operations.append(op)
    components = doc.get("components") or {}
    plan = ServicePlan(
        title=(doc.get("info") or {}).get("title", "Service"),
        version=str((doc.get("info") or {}).get("version", "0.1.0")),
        openapi=str(doc["openapi"]),
        describe=describe,
        base_path=_base_path(doc),
        operations=operations,
        schemas=components.get("schemas") or {},
        security_schemes=schemes,
        document=doc,
        made_public=made_public,
        not_served=not_served,
    )
    plan.resources = infer_resources(plan)
    return plan


def _security_schemes(doc: dict[str, Any], unsupported: Any) -> dict[str, SecurityScheme]:
    out: dict[str, SecurityScheme] = {}
    raw = (doc.get("components") or {}).get("securitySchemes") or {}
    for name, scheme in raw.items():
        scheme = deref(doc, scheme)
        where = ["components", "securitySchemes", name]
        kind = scheme.get("type")
        http = str(scheme.get("scheme", "")).lower() if kind == "http" else None
        if http == "bearer" or kind in ("oauth2", "openIdConnect"):
            out[name] = SecurityScheme(name=name, kind="bearer")
        elif http == "basic":
            out[name] = SecurityScheme(name=name, kind="basic")
        elif kind == "apiKey":
            if scheme.get("in") not in ("header", "query", "cookie"):
                raise unsupported([*where, "in"], f"an API key in {scheme.get('in')!r}")
            out[name] = SecurityScheme(
                name=name, kind="apikey", location=scheme["in"], param_name=scheme["name"]
            )
        elif kind == "http":
            raise unsupported([*where, "scheme"], f"HTTP {scheme.get('scheme')!r} authentication")
        else:
            raise unsupported([*where, "type"], f"security scheme type {kind!r}")
    return out


def _params(
    doc: dict[str, Any], shared: list[Any], own: list[Any], where: list[Any], unsupported: Any
) -> list[Param]:
    merged: dict[tuple[str, str], tuple[list[Any], dict[str, Any]]] = {}
    for i, raw in enumerate(shared):
        merged[_key(deref(doc, raw))] = ([*where[:2], "parameters", i], deref(doc, raw))
    for i, raw in enumerate(own):
        merged[_key(deref(doc, raw))] = ([*where, "parameters", i], deref(doc, raw))
    params = []
    taken: set[str] = set()
    for path, raw in merged.values():
        if raw["in"] not in ("path", "query", "header", "cookie"):
            raise unsupported([*path, "in"], f"a parameter in {raw['in']!r}")
        # A content-typed parameter (`content: {application/json: ...}`) arrives as text
        # like any other: the handler gets that text to decode.
        schema = raw.get("schema", {"type": "string"})
        if not _plain_value(doc, schema, lists=raw["in"] in ("query", "header")):
            # An object (or, in a path or cookie, a list) serialised with a `style`:
            # the handler gets the text as sent and parses it.
            schema = {"type": "string"}
        py_name = _arg_name(raw["name"])
        if py_name in taken:  # `id` in the path and `id` in the query, `X-Id` and `x_id`
            py_name = f"{py_name}_{raw['in']}"
        taken.add(py_name)
        params.append(
            Param(
                name=raw["name"],
                py_name=py_name,
                location=raw["in"],
                required=bool(raw.get("required", raw["in"] == "path")),
                schema_=schema,
                description=raw.get("description", ""),
            )
        )
    return params


_SCALARS = frozenset({"string", "integer", "number", "boolean"})


def _plain_value(doc: dict[str, Any], schema: Any, *, lists: bool) -> bool:
    """Whether a parameter's schema is a scalar (or, when `lists`, a list of scalars):
    what the frameworks can read from a path segment, header, cookie or query string."""
    schema = deref(doc, schema)
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind == "array" and lists:
        return _plain_value(doc, schema.get("items") or {}, lists=False)
    if kind is None and "enum" in schema:
        return True
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return all(_plain_value(doc, s, lists=False) for s in schema[key])
    return kind in _SCALARS


def _check_template(path: str, unsupported: Any) -> None:
    """Refuse a path that names a parameter twice (`/a/{id}/b/{id}`): no framework can
    route it, and the spec cannot say which value the one parameter takes."""
    names = re.findall(r"{([^{}]+)}", path)
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise unsupported(["paths", path], f"a path naming parameter {twice[0]!r} twice")


def _base_path(doc: dict[str, Any]) -> str:
    servers = doc.get("servers") or [{}]
    path = urlsplit(str(servers[0].get("url", ""))).path.rstrip("/")
    # A templated server path ({version}) has no single value to route on.
    return "" if "{" in path else path


def _arg_name(name: str) -> str:
    py = snake(name)
    return f"{py}_param" if py in _HANDLER_ARGS else py


def _key(param: dict[str, Any]) -> tuple[str, str]:
    return (param["name"], param["in"])


def _body(doc: dict[str, Any], raw: Any, where: list[Any], unsupported: Any) -> Body | None:
    """The request body in the first encoding the service can read, JSON first."""
    if raw is None:
        return None
    raw = deref(doc, raw)
    content = raw.get("content") or {}
    required = bool(raw.get("required", False))
    for encoding, accepts in _ENCODINGS:
        for media_type, media in content.items():
            if accepts(media_type.split(";")[0].strip().lower()):
                schema = (media or {}).get("schema") or {}
                return Body(
                    media_type=media_type,
                    required=required,
                    schema_=schema if encoding != "raw" else {},
                    encoding=encoding,
                )
    # No media type at all: whatever is sent reaches the handler as bytes.
    return Body(
        media_type="application/octet-stream", required=required, schema_={}, encoding="raw"
    )


_ENCODINGS: list[tuple[Any, Callable[[str], bool]]] = [
    ("json", lambda m: m == "application/json" or m.endswith("+json")),
    ("form", lambda m: m == "application/x-www-form-urlencoded"),
    ("multipart", lambda m: m == "multipart/form-data"),
    ("raw", lambda m: True),
]


def _responses(doc: dict[str, Any], raw: dict[str, Any]) -> dict[str, Response]:
    out = {}
    for status, response in raw.items():
        response = deref(doc, response)
        schema = example = None
        content = response.get("content") or {}
        for media_type, media in content.items():
            if media_type == "application/json" or media_type.endswith("+json"):
                schema = media.get("schema")
                example = media.get("example")
                break
        out[str(status)] = Response(
            status=str(status),
            description=response.get("description", ""),
            schema_=schema,
            example=example,
            text=schema is None and any(m.startswith("text/") for m in content),
            media_type=None if schema is not None else next(iter(content), None),
        )
    return out
