"""Which operations imply stored state, and which of them are mechanical CRUD.

A resource is a parameter-free collection path (`/items`) with a JSON-body POST; its
item path is the collection plus one parameter (`/items/{id}`). Operations on those two
paths get a mechanical body over the store; register/login on a `users` table too.
Anything else is a slot for the model.
"""

from __future__ import annotations

from typing import Any

from bdev.specfirst.names import snake
from bdev.specfirst.plan import Operation, Resource, ServicePlan
from bdev.specfirst.refs import deref

_REGISTER = {"register", "signup", "sign-up", "sign_up"}
_LOGIN = {"login", "signin", "sign-in", "sign_in", "token"}
_ITEM_KINDS = {"get": "get", "put": "replace", "patch": "update", "delete": "delete"}
TOKEN_FIELDS = ("access_token", "accessToken", "token", "jwt")


def infer_resources(plan: ServicePlan) -> dict[str, Resource]:
    doc = plan.document
    resources: dict[str, Resource] = {}
    for op in plan.operations:
        segments = op.path.strip("/").split("/")
        last = segments[-1]
        if op.method == "post" and _has_password(doc, op):
            if last.lower() in _REGISTER:
                op.kind, op.resource = "register", "users"
            elif last.lower() in _LOGIN and _token_field(doc, op):
                op.kind, op.resource = "login", "users"
            continue
        if op.method != "post" or "{" in op.path or not last or not _object_body(doc, op):
            continue
        table = snake(last)
        ok = op.success
        schema = deref(doc, ok.schema_) if ok and ok.schema_ else None
        resources[table] = Resource(table=table, collection_path=op.path, item_schema=schema)
        op.kind, op.resource = "create", table

    for op in plan.operations:
        if op.kind:
            continue
        for res in resources.values():
            if op.path == res.collection_path and op.method == "get":
                op.kind, op.resource = "list", res.table
            elif _is_item_path(op.path, res.collection_path) and op.method in _ITEM_KINDS:
                id_param = next(p for p in op.params if p.location == "path")
                res.item_path = op.path
                res.id_type = "integer" if id_param.schema_.get("type") == "integer" else "string"
                props = (res.item_schema or {}).get("properties", {})
                res.id_field = (
                    "id" if "id" in props or id_param.name not in props else id_param.name
                )
                op.kind, op.resource = _ITEM_KINDS[op.method], res.table  # type: ignore[assignment]
    if any(op.kind == "register" for op in plan.operations):
        resources.setdefault("users", Resource(table="users", collection_path="/users"))
    else:
        for op in plan.operations:  # login without register has no users to check
            if op.kind == "login":
                op.kind = op.resource = None
    return resources


def _is_item_path(path: str, collection: str) -> bool:
    rest = path[len(collection) :]
    return (
        path.startswith(collection + "/")
        and rest.count("/") == 1
        and rest[1:].startswith("{")
        and rest.endswith("}")
    )


def _body_schema(doc: dict[str, Any], op: Operation) -> dict[str, Any]:
    return deref(doc, op.body.schema_) if op.body else {}


def _object_body(doc: dict[str, Any], op: Operation) -> bool:
    schema = _body_schema(doc, op)
    return schema.get("type") == "object" or "properties" in schema or "allOf" in schema


def _has_password(doc: dict[str, Any], op: Operation) -> bool:
    return "password" in _body_schema(doc, op).get("properties", {})


def _token_field(doc: dict[str, Any], op: Operation) -> str | None:
    ok = op.success
    props = deref(doc, ok.schema_).get("properties", {}) if ok and ok.schema_ else {}
    return next((f for f in TOKEN_FIELDS if f in props), None)
