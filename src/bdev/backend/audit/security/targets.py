"""What the probes can aim at: each operation with its path, query and JSON body inputs.

Inputs come from the served OpenAPI document when there is one (it names every
parameter), else from the facts' endpoints plus the handler's own code: a Flask view
reading `request.args.get("name")` takes a query parameter `name` that no route
declaration mentions.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bdev.backend.facts import BackendFacts, Endpoint

WRITE_METHODS = {"POST", "PUT", "PATCH"}
# Tried on a GET endpoint when neither a spec nor the handler's code names its inputs.
GUESSED_QUERY_PARAMS = ["q", "id", "name", "file"]


@dataclass
class Target:
    method: str
    path: str  # template with {name} placeholders
    path_params: dict[str, str] = field(default_factory=dict)  # name -> "integer" | "string"
    query_params: list[str] = field(default_factory=list)
    body: dict[str, Any] | None = None  # a valid-looking body, for write methods
    body_kind: str = "json"  # "json" or "form" (application/x-www-form-urlencoded)
    header_params: list[str] = field(default_factory=list)  # request headers the handler reads
    auth_required: bool | None = None
    secured_in_spec: bool = False  # the OpenAPI operation declares a security requirement

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.path}"

    def path_values(self, **override: str) -> dict[str, str]:
        """Plain values for every path parameter, with `override` (encoded) taking over."""
        plain = {
            n: "1" if kind == "integer" else "bdevprobe" for n, kind in self.path_params.items()
        }
        return {**plain, **override}

    @property
    def body_string_fields(self) -> list[str]:
        return [k for k, v in (self.body or {}).items() if isinstance(v, str)]

    def body_args(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """`ProbeClient.send` keywords sending `body` (default: the sample) as this
        operation expects it: JSON or a form."""
        body = dict(self.body or {}) if body is None else body
        if self.body_kind == "form":
            return {"form": {k: "" if v is None else str(v) for k, v in body.items()}}
        return {"json": body}


def normalise_path(path: str) -> tuple[str, dict[str, str]]:
    """Flask `<int:id>`, Express `:id` and OpenAPI `{id}` all become `{id}`, with a type."""
    params: dict[str, str] = {}

    def flask(m: re.Match[str]) -> str:
        conv, name = m.group(1) or "", m.group(2)
        params[name] = "integer" if conv in {"int", "float"} else "string"
        return "{" + name + "}"

    path = re.sub(r"<(?:(\w+):)?(\w+)>", flask, path)
    path = re.sub(r"(?<=/):(\w+)", lambda m: "{" + m.group(1) + "}", path)
    for name in re.findall(r"{(\w+)}", path):
        params.setdefault(name, "integer" if name == "id" or name.endswith("_id") else "string")
    return path, params


def build_targets(facts: BackendFacts, openapi: dict | None) -> list[Target]:
    targets: dict[tuple[str, str], Target] = {}
    for target in _from_openapi(openapi or {}):
        targets[(target.method, target.path)] = target
    for ep in facts.endpoints:
        path, params = normalise_path(ep.path)
        t = targets.get((ep.method.upper(), path))
        if t is None:
            t = Target(ep.method.upper(), path, params)
            targets[(t.method, t.path)] = t
            known = _add_handler_inputs(t, ep, Path(facts.root))
            if not known and t.method == "GET" and not params:
                t.query_params = list(GUESSED_QUERY_PARAMS)
        t.auth_required = ep.auth_required if t.auth_required is None else t.auth_required
    return list(targets.values())


# --- OpenAPI ---------------------------------------------------------------------------


def _from_openapi(doc: dict) -> list[Target]:
    out = []
    global_security = bool(doc.get("security"))
    for path, item in (doc.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            t = Target(method.upper(), path)
            for p in [*shared, *op.get("parameters", [])]:
                p = _resolve(doc, p)
                schema = _resolve(doc, p.get("schema", {}))
                if p.get("in") == "path":
                    kind = "integer" if schema.get("type") in {"integer", "number"} else "string"
                    t.path_params[p["name"]] = kind
                elif p.get("in") == "query":
                    t.query_params.append(p["name"])
                elif p.get("in") == "header":
                    t.header_params.append(p["name"])
            for name in re.findall(r"{(\w+)}", path):
                t.path_params.setdefault(name, "string")
            content = _resolve(doc, op.get("requestBody", {})).get("content", {})
            for media, kind in (
                ("application/json", "json"),
                ("application/x-www-form-urlencoded", "form"),
            ):
                body_schema = (content.get(media) or {}).get("schema")
                if body_schema:
                    sample = sample_value(doc, body_schema)
                    t.body = sample if isinstance(sample, dict) else None
                    t.body_kind = kind
                    break
            security = op.get("security")
            t.secured_in_spec = bool(security) if security is not None else global_security
            out.append(t)
    return out


def _resolve(doc: dict, node: Any, depth: int = 0) -> dict:
    while isinstance(node, dict) and "$ref" in node and depth < 10:
        target: Any = doc
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        node, depth = target, depth + 1
    return node if isinstance(node, dict) else {}


def sample_value(doc: dict, schema: Any, depth: int = 0) -> Any:
    """A plain value that fits `schema` well enough to reach the handler."""
    schema = _resolve(doc, schema)
    if depth > 4:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return sample_value(doc, schema[key][0], depth + 1)
    if "example" in schema:
        return schema["example"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {k: sample_value(doc, v, depth + 1) for k, v in props.items()}
    if kind == "array":
        return []
    if kind in {"integer", "number"}:
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("format") == "email":
        return "probe@example.com"
    return "bdevprobe"


# --- handler code ----------------------------------------------------------------------

_QUERY_SOURCES = {"args", "values"}
_BODY_SOURCES = {"json", "form"}
_HEADER_SOURCES = {"headers"}


def _add_handler_inputs(t: Target, ep: Endpoint, root: Path) -> bool:
    """Read what the handler takes from `request.args` / `request.json` (Flask style);
    False when the handler's code could not be found."""
    func = _handler_node(ep, root)
    if func is None:
        return False
    query, body, headers, sources = [], [], [], set()
    aliases = _request_aliases(func)
    for node in ast.walk(func):
        source, name = _request_input(node, aliases)
        if name and source in _QUERY_SOURCES and name not in query:
            query.append(name)
        elif name and source in _BODY_SOURCES and name not in body:
            body.append(name)
            sources.add(source)
        elif name and source in _HEADER_SOURCES and name not in headers:
            headers.append(name)
    t.query_params += [q for q in query if q not in t.query_params]
    t.header_params += [h for h in headers if h not in t.header_params]
    if body and t.method in WRITE_METHODS:
        t.body = dict.fromkeys(body, "bdevprobe")
        t.body_kind = "form" if sources == {"form"} else "json"
    return True


def _handler_node(ep: Endpoint, root: Path) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    if ep.location is None:
        return None
    try:
        tree = ast.parse((root / ep.location.file).read_text(errors="replace"))
    except (OSError, SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == ep.handler:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if first <= ep.location.line <= (node.end_lineno or node.lineno):
                return node
    return None


def _request_aliases(func: ast.AST) -> dict[str, str]:
    """Local names bound to a request source: `data = request.get_json() or {}` makes
    `data.get("title")` a body field."""
    aliases: dict[str, str] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            value = node.value.values[0] if isinstance(node.value, ast.BoolOp) else node.value
            if isinstance(node.targets[0], ast.Name) and (source := _source(value)):
                aliases[node.targets[0].id] = source
    return aliases


def _request_input(node: ast.AST, aliases: dict[str, str] | None = None) -> tuple[str, str]:
    """("args", "name") for `request.args.get("name")` or `request.args["name"]`, etc."""
    aliases = aliases or {}

    def source_of(value: ast.AST) -> str:
        if isinstance(value, ast.Name) and value.id in aliases:
            return aliases[value.id]
        return _source(value)

    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"get", "getlist"}
        and node.args
    ):
        return source_of(node.func.value), _const(node.args[0])
    if isinstance(node, ast.Subscript):
        return source_of(node.value), _const(node.slice)
    return "", ""


def _source(node: ast.AST) -> str:
    # request.args / request.json / request.get_json()
    if isinstance(node, ast.Call):
        node = node.func
        if isinstance(node, ast.Attribute) and node.attr == "get_json":
            return "json" if _is_request(node.value) else ""
    if isinstance(node, ast.Attribute) and _is_request(node.value):
        return node.attr
    return ""


def _is_request(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "request"


def _const(node: ast.AST) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else ""
