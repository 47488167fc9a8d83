"""From a validated OpenAPI document to a `ServicePlan` (no code is generated here)."""

from __future__ import annotations

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
from bdev.specfirst.resources import infer_resources

# Names the generated modules define themselves; an operation must not shadow them.
_GENERATED_NAMES = frozenset(
    {
        "app", "store", "reply", "dump", "values", "parse_body", "health", "openapi_document",
        "authenticate", "create_token", "decode_token", "hash_password", "verify_password",
        "safe_join", "run_command", "now_iso", "error_body", "adapter", "log", "handlers",
        "request", "json", "os", "logging", "main", "Store", "ApiError",
    }
)  # fmt: skip
# Keyword arguments every handler may take besides the parameters.
_HANDLER_ARGS = frozenset({"body", "store", "principal", "request", "params", "result"})


def build_plan(
    doc: dict[str, Any], source: str = "spec", describe: str | None = None
) -> ServicePlan:
    def unsupported(path: list[Any], what: str) -> BdevError:
        return BdevError(f"{source}: at {dotted(path)}: {what} is not supported by `bdev new`")

    if doc.get("webhooks"):
        raise unsupported(["webhooks"], "webhooks")
    schemes = _security_schemes(doc, unsupported)
    global_security = doc.get("security", [])
    operations: list[Operation] = []
    seen: set[str] = set()
    for path, item in (doc.get("paths") or {}).items():
        item = deref(doc, item)
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            if method not in item:
                continue
            where = ["paths", path, method]
            raw = item[method]
            if raw.get("callbacks"):
                raise unsupported([*where, "callbacks"], "callbacks")
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
            operations.append(
                Operation(
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
            )
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
        bearer = kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer"
        if bearer or kind == "oauth2":
            out[name] = SecurityScheme(name=name, kind="bearer")
        elif kind == "apiKey":
            if scheme.get("in") not in ("header", "query"):
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
    for path, raw in merged.values():
        if raw["in"] not in ("path", "query", "header"):
            raise unsupported([*path, "in"], f"a parameter in {raw['in']!r}")
        if "schema" not in raw:
            raise unsupported(path, "a parameter without a schema (content-typed parameters)")
        params.append(
            Param(
                name=raw["name"],
                py_name=_arg_name(raw["name"]),
                location=raw["in"],
                required=bool(raw.get("required", raw["in"] == "path")),
                schema_=raw["schema"],
                description=raw.get("description", ""),
            )
        )
    return params


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
    if raw is None:
        return None
    raw = deref(doc, raw)
    content = raw.get("content") or {}
    for media_type, media in content.items():
        if media_type == "application/json" or media_type.endswith("+json"):
            return Body(
                media_type=media_type,
                required=raw.get("required", False),
                schema_=media.get("schema") or {},
            )
    raise unsupported([*where, "content"], f"a request body of type {', '.join(content) or 'none'}")


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
        )
    return out
