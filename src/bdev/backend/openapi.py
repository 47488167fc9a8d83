"""Endpoints from an OpenAPI 3 / Swagger 2 document, and merging them with the code's."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from bdev.backend.facts import Endpoint
from bdev.backend.tree import SourceTree

DOCUMENT_NAMES = tuple(
    f"{stem}.{ext}" for stem in ("openapi", "swagger") for ext in ("json", "yaml", "yml")
)
OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _schema_name(schema: Any) -> str | None:
    """`#/components/schemas/Item` -> "Item"; an array of them -> "list[Item]"."""
    if not isinstance(schema, dict):
        return None
    if isinstance(schema.get("$ref"), str):
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        inner = _schema_name(schema.get("items"))
        return f"list[{inner}]" if inner else None
    return schema.get("title") if isinstance(schema.get("title"), str) else None


def _json_schema(container: Any) -> Any:
    """The schema of an OpenAPI 3 requestBody/response (JSON preferred) or a Swagger 2 one."""
    if not isinstance(container, dict):
        return None
    if "schema" in container:  # Swagger 2 response
        return container["schema"]
    content = container.get("content")
    if not isinstance(content, dict) or not content:
        return None
    media = content.get("application/json") or next(iter(content.values()))
    return media.get("schema") if isinstance(media, dict) else None


def _request_model(operation: dict) -> str | None:
    if "requestBody" in operation:
        return _schema_name(_json_schema(operation["requestBody"]))
    for param in operation.get("parameters") or []:  # Swagger 2 body parameter
        if isinstance(param, dict) and param.get("in") == "body":
            return _schema_name(param.get("schema"))
    return None


def _response_model(operation: dict) -> str | None:
    responses = operation.get("responses") or {}
    for status in sorted(str(s) for s in responses):
        if status.startswith("2"):
            return _schema_name(_json_schema(responses.get(status) or responses.get(int(status))))
    return None


def _requires_auth(operation: dict, doc: dict) -> bool:
    # An operation's own `security` replaces the global one; `[]` or `[{}]` means no auth.
    security = operation.get("security", doc.get("security")) or []
    return bool(security) and all(bool(req) for req in security)


def endpoints_from_openapi(doc: dict) -> list[Endpoint]:
    """Every operation of the document, with source "openapi" and no code location."""
    endpoints: list[Endpoint] = []
    base = ""
    if isinstance(doc.get("basePath"), str):  # Swagger 2
        base = doc["basePath"].rstrip("/")
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        for method in OPERATIONS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            endpoints.append(
                Endpoint(
                    method=method.upper(),
                    path=base + path,
                    handler=str(operation.get("operationId", "")),
                    auth_required=_requires_auth(operation, doc),
                    request_model=_request_model(operation),
                    response_model=_response_model(operation),
                    source="openapi",
                )
            )
    return endpoints


def find_document(tree: SourceTree) -> tuple[str, dict] | None:
    """The shallowest OpenAPI/Swagger document in the tree that parses, with its content."""
    for rel in tree.named(*DOCUMENT_NAMES):
        text = tree.text(rel)
        try:
            doc = json.loads(text) if rel.endswith(".json") else yaml.safe_load(text)
        except (ValueError, yaml.YAMLError):
            continue
        if isinstance(doc, dict) and ("openapi" in doc or "swagger" in doc):
            return rel, doc
    return None


def route_shape(path: str) -> str:
    """One spelling for comparing routes: parameters (`{id}`, Flask `<int:id>`, Starlette
    `{id:int}`) become `{}` and trailing slashes go."""
    path = re.sub(r"<[^<>]*>|\{[^{}]*\}", "{}", path)
    return path.rstrip("/") or "/"


def merge_endpoints(code: list[Endpoint], documented: list[Endpoint]) -> list[Endpoint]:
    """The code's endpoints plus the documented ones the code analysis did not find."""
    seen = {(e.method, route_shape(e.path)) for e in code}
    extra = [e for e in documented if (e.method, route_shape(e.path)) not in seen]
    return [*code, *extra]
