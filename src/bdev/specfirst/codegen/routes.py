"""Route descriptions for the main-module templates, one per operation and framework."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bdev.specfirst.codegen.credentials import operator_only
from bdev.specfirst.codegen.schemas import SchemaCode, array_fields, call_args
from bdev.specfirst.codegen.signatures import body_type, response_type
from bdev.specfirst.names import pascal
from bdev.specfirst.plan import Operation, Param, ServicePlan

_FASTAPI_MARKERS = {"path": "PathParam", "query": "Query", "header": "Header", "cookie": "Cookie"}


def _order(plan: ServicePlan) -> list[Operation]:
    # Static segments before parameters, so `/items/search` is not taken for `/items/{id}`.
    return sorted(plan.operations, key=lambda op: [s.startswith("{") for s in op.path.split("/")])


def _call(plan: ServicePlan, op: Operation, value: Any) -> str:
    args = [f"{p.py_name}={value(p)}" for p in op.params]
    if op.body:
        args.append("body=body")
    args.append("store=store")
    if op.security and not operator_only(plan, op):
        args.append("principal=principal")
    return ", ".join(args)


def denied_status(op: Operation) -> int:
    """The status for a request whose credentials fail: 401, unless the operation
    documents 403 and not 401 ("only the operator; else 403")."""
    return 403 if "403" in op.responses and "401" not in op.responses else 401


def _default(param: Param) -> str | None:
    if "default" in param.schema_:
        return repr(param.schema_["default"])
    return None if param.required else "None"


def fastapi_routes(plan: ServicePlan, code: SchemaCode) -> list[dict[str, Any]]:
    routes = []
    for op in _order(plan):
        params = []
        path = plan.base_path + op.path
        for p in op.params:
            base, kwargs = code.type_and_constraints(p.schema_, pascal(p.name), strict=False)
            if p.location == "path":
                # Starlette only matches identifier placeholders: `{tree-id}` -> `{tree_id}`.
                path = path.replace("{" + p.name + "}", "{" + p.py_name + "}")
            elif p.py_name != p.name or p.location == "header":
                kwargs = {"alias": repr(p.name), **kwargs}
            # A path parameter is always sent: a `default` in the spec means nothing there.
            default = None if p.location == "path" else _default(p)
            kind = base if default != "None" else f"{base} | None"
            marker = f"{_FASTAPI_MARKERS[p.location]}({call_args(kwargs)})"
            text = f"{p.py_name}: Annotated[{kind}, {marker}]"
            params.append(text if default is None else f"{text} = {default}")
        body = body_type(code, op)
        if body and op.body and op.body.encoding != "json":
            # Form, multipart and raw bodies: read by a dependency (see forms.py.j2).
            kind = body if op.body.required else f"{body} | None"
            params.append(f"body: Annotated[{kind}, Depends({body_reader(code, op, body)})]")
        elif body and op.body:
            params.append(
                f"body: Annotated[{body}, Body()]"
                if op.body.required
                else f"body: Annotated[{body} | None, Body()] = None"
            )
        routes.append(
            {
                "method": op.method,
                "path": path,
                "status": op.success_status,
                "name": f"{op.operation_id}_route",
                "params": (["*", *params] if params else []),
                "security": op.security,
                "denied": denied_status(op),
                "handler": op.operation_id,
                "call": _call(plan, op, lambda p: p.py_name),
                "response": response_type(code, op) or "None",
                "media": repr(op.success.media_type if op.success else None),
                "attachment": attachment(op, lambda p: p.py_name),
            }
        )
    return routes


def flask_routes(plan: ServicePlan, code: SchemaCode) -> list[dict[str, Any]]:
    routes = []
    for op in _order(plan):
        rule = plan.base_path + op.path
        path_args = []
        for p in op.params:
            if p.location == "path":
                rule = rule.replace("{" + p.name + "}", f"<{p.py_name}>")
                path_args.append(f"{p.py_name}: str")
        cls = f"{pascal(op.operation_id)}Params"
        fields = [_param_field(code, p) for p in op.params]
        model = (
            f"class {cls}(ApiModel):\n" + "\n".join(f"    {f}" for f in fields) if fields else None
        )
        gather = []
        for location, source in (
            ("query", "request.args"),
            ("header", "request.headers"),
            ("cookie", "request.cookies"),
        ):
            names = tuple(p.name for p in op.params if p.location == location)
            arrays = tuple(
                p.name
                for p in op.params
                if p.location == location and p.schema_.get("type") == "array"
            )
            if names:
                gather.append(f"**values({source}, {names!r}, {arrays!r})")
        gather += [f"{p.name!r}: {p.py_name}" for p in op.params if p.location == "path"]
        body = body_type(code, op)
        routes.append(
            {
                "method": op.method,
                "rule": rule,
                "name": f"{op.operation_id}_route",
                "path_args": ", ".join(path_args),
                "params_model": model,
                "params_class": cls,
                "gather": "{" + ", ".join(gather) + "}",
                "body": body,
                "body_required": bool(op.body and op.body.required),
                "body_call": (
                    body_reader(code, op, body)
                    if body and op.body and op.body.encoding != "json"
                    else f"parse_body({body}, {bool(op.body and op.body.required)})"
                ),
                "security": op.security,
                "denied": denied_status(op),
                "handler": op.operation_id,
                "call": _call(plan, op, lambda p: f"params.{p.py_name}"),
                "status": op.success_status,
                "response": response_type(code, op) or "None",
                "media": repr(op.success.media_type if op.success else None),
                "attachment": attachment(op, lambda p: f"params.{p.py_name}"),
            }
        )
    return routes


_ATTACHMENT = re.compile(r"\battachment\b", re.IGNORECASE)


def attachment(op: Operation, value: Callable[[Param], str]) -> str | None:
    """The file name expression (its last path parameter, or `""`) for a download the
    spec calls an attachment ("browsers should save it, not display it"): the route
    then sends `Content-Disposition: attachment` unless the handler set its own. None
    for any other operation, and for a JSON reply."""
    if not sends_attachment(op):
        return None
    names = [p for p in op.params if p.location == "path"]
    return value(names[-1]) if names else '""'


def sends_attachment(op: Operation) -> bool:
    """Whether the spec calls `op`'s non-JSON success reply an attachment."""
    media = op.success.media_type if op.success else None
    if not media or "json" in media:
        return False
    return bool(_ATTACHMENT.search(f"{op.summary} {op.description}"))


def body_reader(code: SchemaCode, op: Operation, body: str) -> str:
    """The `read_body(...)` call that reads a non-JSON body of `op` as `body`."""
    assert op.body is not None
    arrays = array_fields(code.doc, op.body.schema_) if op.body.encoding != "raw" else ()
    return f"read_body({body}, {op.body.encoding!r}, {op.body.required}, {arrays!r})"


def _param_field(code: SchemaCode, p: Param) -> str:
    base, kwargs = code.type_and_constraints(p.schema_, pascal(p.name), strict=False)
    default = _default(p)
    if default == "None":
        base = f"{base} | None"
    head = {"default": default} if default is not None else {}
    alias = {"alias": repr(p.name)} if p.py_name != p.name else {}
    kwargs = {**head, **alias, **kwargs}
    return f"{p.py_name}: {base} = Field({call_args(kwargs)})" if kwargs else f"{p.py_name}: {base}"
